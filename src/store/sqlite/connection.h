// RAII wrappers over the SQLite C API for the SQLite store: connections that cache their
// prepared statements, statements that bind by position, and a pool of reader connections.
// Internal to store/sqlite (this is the only layer that includes <sqlite3.h>).
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "common/strings.h"
#include "store/connection_pool.h"

namespace ksgate::store::sqlite {

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct FinalizeStmt {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using DbHandle = std::unique_ptr<sqlite3, CloseDb>;
using StmtHandle = std::unique_ptr<sqlite3_stmt, FinalizeStmt>;

// Whether SQLite keeps statement journals (one write's savepoint) in memory up to 4 MiB, as this
// layer sets at start-up; false if SQLite was initialized before it could (connection.cc).
bool StatementJournalsInMemory();

// Whether SQLite keeps no memory statistics (no global lock per allocation), as this layer sets
// at start-up; false if SQLite was initialized before it could (connection.cc).
bool MemoryStatisticsOff();

// The Status for a failed SQLite call `what` that returned `rc` on `db` (may be null):
// kUnavailable for SQLITE_BUSY / SQLITE_LOCKED (the caller may retry), kAlreadyExists for a
// UNIQUE or PRIMARY KEY violation, else kInternal. The message is one line, for logs.
Status ErrorStatus(sqlite3* db, int rc, std::string_view what);

// One execution of a prepared statement. Binds parameters left to right (?1, ?2, ...), steps,
// reads columns. Resets the statement and clears its bindings when destroyed, so a cached
// statement never pins a read snapshot. Not thread-safe; lives inside one Connection use.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  // Binds the next parameter. A null optional binds NULL. Bind errors surface from Step().
  Statement& Bind(int64_t value);
  Statement& Bind(int value) { return Bind(static_cast<int64_t>(value)); }
  Statement& Bind(std::string_view value);
  Statement& Bind(const std::string& value) { return Bind(std::string_view(value)); }
  Statement& Bind(const char* value) { return Bind(std::string_view(value)); }
  Statement& Bind(std::optional<int64_t> value);
  Statement& Bind(std::optional<int> value) {
    return value ? Bind(static_cast<int64_t>(*value)) : Bind(std::optional<int64_t>());
  }
  Statement& Bind(const std::optional<std::string>& value);

  // Advances: true when a row is available, false when done, or the error (ErrorStatus).
  Result<bool> Step();
  // Steps to completion, ignoring rows.
  Status Run();

  int64_t Int(int column) const;
  std::optional<int64_t> OptionalInt(int column) const;
  std::string Text(int column) const;
  std::optional<std::string> OptionalText(int column) const;

 private:
  friend class Connection;
  // Borrows a cached statement (marking it in use) or owns a one-off.
  Statement(sqlite3_stmt* stmt, bool* in_use, StmtHandle owned);

  sqlite3_stmt* stmt_;
  bool* in_use_;  // the cache entry's flag, or nullptr for an owned statement
  StmtHandle owned_;
  int next_param_ = 1;
  int bind_rc_ = SQLITE_OK;
};

// One SQLite connection and its prepared-statement cache. Not thread-safe: one thread at a
// time (the store serializes access). Opened with SQLITE_OPEN_NOMUTEX for that reason.
class Connection {
 public:
  enum class Role {
    kWriter,  // may create the file; switches it to WAL; foreign keys on
    kReader,  // the file must exist; PRAGMA query_only
  };

  // Opens `path` (":memory:" for a private in-memory database) and configures it: extended
  // result codes, busy_timeout, foreign_keys, synchronous=FULL, and WAL for a writer. Touches
  // the file so that a bad path fails here: kInvalidArgument when the path cannot be opened or
  // is not a database (one-line message naming the path), kUnavailable when the file stays
  // locked, kInternal otherwise.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, Role role,
                                                  std::chrono::milliseconds busy_timeout);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // A statement for `sql`, prepared once and cached (up to kMaxCachedStatements distinct texts;
  // beyond that, or while the cached one is in use, a one-off). `sql` holds only constant text
  // and ? placeholders, never values. ErrorStatus on failure.
  Result<Statement> Prepare(std::string_view sql);
  // Runs constant SQL text with no parameters (BEGIN, COMMIT, migration scripts).
  Status Exec(const std::string& sql);
  // True between BEGIN and COMMIT/ROLLBACK.
  bool InTransaction() const;
  // Calls `allow` as each transaction is about to commit (sqlite3_commit_hook); when it returns
  // false the COMMIT becomes a ROLLBACK and fails with SQLITE_CONSTRAINT_COMMITHOOK (kInternal).
  // An empty function removes the hook. For tests of failed commits.
  void SetCommitHookForTesting(std::function<bool()> allow);
  int64_t LastInsertRowid() const;
  // Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t Changes() const;
  // The extended result code of the last call that failed on this connection (sqlite3_extended_
  // errcode), to tell one constraint from another.
  int LastErrorCode() const;

  static constexpr size_t kMaxCachedStatements = 64;

 private:
  explicit Connection(DbHandle db);

  struct CachedStatement {
    StmtHandle stmt;
    bool in_use = false;
  };
  DbHandle db_;  // declared first: destroyed after the statements below
  std::function<bool()> commit_hook_;
  // find(sql) takes a string_view without building a std::string.
  std::unordered_map<std::string, CachedStatement, StringViewHash, std::equal_to<>> cache_;
};

// Reader connections to one database file, opened on demand up to `max_size` and reused; a
// caller finding all of them lent out waits for one. Thread-safe.
class ReaderPool : public ConnectionPool<Connection> {
 public:
  // path and options as for Connection::Open (Role::kReader); max_size >= 1. Acquire fails with
  // Connection::Open's error if a new connection cannot be opened.
  ReaderPool(std::string path, std::chrono::milliseconds busy_timeout, int max_size);
};

}  // namespace ksgate::store::sqlite
