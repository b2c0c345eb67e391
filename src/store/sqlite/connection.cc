#include "store/sqlite/connection.h"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace ksgate::store::sqlite {
namespace {

// Replaces line breaks so a message stays one line.
std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

// Errors that mean "this path is not a usable database" when opening.
bool IsBadPath(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_FULL:
      return true;
    default:
      return false;
  }
}

// Statement journals in memory, up to 4 MiB each. The group committer gives every write a
// SAVEPOINT of its own, for which SQLite keeps the original of each page the write changes, so
// that a failed write rolls back alone. By default that journal moves to a temporary file (in
// /var/tmp) past 64 KiB, which one appToken.add reaches (its row, nine indexes and a count make
// about 16 pages); from then on every page of the batch went there too: a file created and
// unlinked per batch, twice as many pwrite calls as the WAL itself, and token rows, secrets
// included, written to disk outside the database. Past 4 MiB a journal still spills to a file, so
// one huge write cannot hold unbounded memory. A journal is emptied when its write's savepoint is
// released, so this holds one write's pages, not a batch's.
constexpr int kStatementJournalSpillBytes = 4 << 20;

// sqlite3_config is refused once SQLite has initialized, which its first use does: this runs at
// static initialization, before any code of ours can open a database.
const int statement_journal_config =
    sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, kStatementJournalSpillBytes);

// No memory statistics. With them (SQLite's default) every allocation and free SQLite makes
// takes a process-wide mutex to count bytes: about 74 lock pairs per appToken.add, and as many
// on every read that misses the cache, across all connections. Nothing here reads them
// (sqlite3_memory_used) or sets a heap limit, which needs them.
const int memory_statistics_config = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);

}  // namespace

bool StatementJournalsInMemory() { return statement_journal_config == SQLITE_OK; }

bool MemoryStatisticsOff() { return memory_statistics_config == SQLITE_OK; }

Status ErrorStatus(sqlite3* db, int rc, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  message = OneLine(std::move(message));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return UnavailableError(std::move(message));
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return AlreadyExistsError(std::move(message));
      }
      return InternalError(std::move(message));
    default:
      return InternalError(std::move(message));
  }
}

// --- Statement -------------------------------------------------------------------------------

Statement::Statement(sqlite3_stmt* stmt, bool* in_use, StmtHandle owned)
    : stmt_(stmt), in_use_(in_use), owned_(std::move(owned)) {
  if (in_use_ != nullptr) *in_use_ = true;
}

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      in_use_(std::exchange(other.in_use_, nullptr)),
      owned_(std::move(other.owned_)),
      next_param_(other.next_param_),
      bind_rc_(other.bind_rc_) {}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  if (in_use_ != nullptr) *in_use_ = false;
}

Statement& Statement::Bind(int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, next_param_++, value);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::Bind(std::string_view value) {
  int rc = sqlite3_bind_text64(stmt_, next_param_++, value.data(), value.size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::Bind(std::optional<int64_t> value) {
  if (value) return Bind(*value);
  int rc = sqlite3_bind_null(stmt_, next_param_++);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::Bind(const std::optional<std::string>& value) {
  if (value) return Bind(std::string_view(*value));
  int rc = sqlite3_bind_null(stmt_, next_param_++);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Result<bool> Statement::Step() {
  sqlite3* db = sqlite3_db_handle(stmt_);
  if (bind_rc_ != SQLITE_OK) return ErrorStatus(db, bind_rc_, "bind");
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  std::string what = "step \"";
  what += sqlite3_sql(stmt_);
  what += '"';
  return ErrorStatus(db, rc, what);
}

Status Statement::Run() {
  while (true) {
    KSGATE_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::optional<int64_t> Statement::OptionalInt(int column) const {
  if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
  return Int(column);
}

std::string Statement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<std::string> Statement::OptionalText(int column) const {
  if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
  return Text(column);
}

// --- Connection ------------------------------------------------------------------------------

Connection::Connection(DbHandle db) : db_(std::move(db)) {}

Connection::~Connection() {
  cache_.clear();  // finalize before close
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, Role role,
                                                     std::chrono::milliseconds busy_timeout) {
  if (sqlite3_threadsafe() == 0) {
    return InternalError("this SQLite library was built without thread support");
  }
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (role == Role::kWriter) flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbHandle db(raw);  // owns the handle even when opening failed
  auto open_error = [&](int code) -> Status {
    std::string message = "cannot open SQLite database \"" + path + "\": ";
    message += db != nullptr ? sqlite3_errmsg(db.get()) : sqlite3_errstr(code);
    message = OneLine(std::move(message));
    if (IsBadPath(code)) return InvalidArgumentError(std::move(message));
    if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED) {
      return UnavailableError(std::move(message));
    }
    return InternalError(std::move(message));
  };
  if (rc != SQLITE_OK) return open_error(rc);
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(),
                       static_cast<int>(std::clamp<int64_t>(busy_timeout.count(), 0, INT32_MAX)));

  // Reading the schema forces SQLite to open the file: a directory, an unreadable file or one
  // that is not a database fails here rather than on first use.
  std::string setup = "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; ";
  setup += role == Role::kWriter ? "PRAGMA journal_mode = WAL; " : "PRAGMA query_only = ON; ";
  setup += "SELECT count(*) FROM sqlite_master;";
  rc = sqlite3_exec(db.get(), setup.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return open_error(rc);
  return std::unique_ptr<Connection>(new Connection(std::move(db)));
}

Result<Statement> Connection::Prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && !it->second.in_use) {
    return Statement(it->second.stmt.get(), &it->second.in_use, nullptr);
  }
  const bool cache = it == cache_.end() && cache_.size() < kMaxCachedStatements;
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                              cache ? SQLITE_PREPARE_PERSISTENT : 0, &raw, nullptr);
  StmtHandle stmt(raw);
  if (rc != SQLITE_OK) return ErrorStatus(db_.get(), rc, "prepare \"" + std::string(sql) + "\"");
  if (stmt == nullptr)
    return InternalError("prepare: no statement in \"" + std::string(sql) + "\"");
  if (!cache) return Statement(stmt.get(), nullptr, std::move(stmt));
  CachedStatement& entry = cache_[std::string(sql)];
  entry.stmt = std::move(stmt);
  return Statement(entry.stmt.get(), &entry.in_use, nullptr);
}

Status Connection::Exec(const std::string& sql) {
  int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string what = "exec \"";
  what += sql.size() > 60 ? sql.substr(0, 60) + "..." : sql;
  what += '"';
  return ErrorStatus(db_.get(), rc, what);
}

bool Connection::InTransaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }

void Connection::SetCommitHookForTesting(std::function<bool()> allow) {
  commit_hook_ = std::move(allow);
  if (!commit_hook_) {
    sqlite3_commit_hook(db_.get(), nullptr, nullptr);
    return;
  }
  sqlite3_commit_hook(
      db_.get(),
      [](void* self) -> int { return static_cast<Connection*>(self)->commit_hook_() ? 0 : 1; },
      this);
}

int64_t Connection::LastInsertRowid() const { return sqlite3_last_insert_rowid(db_.get()); }

int64_t Connection::Changes() const { return sqlite3_changes64(db_.get()); }

int Connection::LastErrorCode() const { return sqlite3_extended_errcode(db_.get()); }

// --- ReaderPool ------------------------------------------------------------------------------

ReaderPool::ReaderPool(std::string path, std::chrono::milliseconds busy_timeout, int max_size)
    : ConnectionPool<Connection>(
          [path = std::move(path), busy_timeout] {
            return Connection::Open(path, Connection::Role::kReader, busy_timeout);
          },
          [](const Connection&) { return true; }, max_size, std::chrono::milliseconds::max()) {}

}  // namespace ksgate::store::sqlite
