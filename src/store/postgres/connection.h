// RAII wrappers over libpq for the PostgreSQL store: a validated connection string, connections
// that prepare each statement once and bind every value as a parameter, and a bounded pool.
// Internal to store/postgres (the only layer that includes <libpq-fe.h>).
#pragma once

#include <libpq-fe.h>

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
#include "store/connection_pool.h"

namespace ksgate::store::postgres {

using ConnHandle = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using ResultHandle = std::unique_ptr<PGresult, decltype(&PQclear)>;

// A libpq connection string (a postgresql:// URL or key=value pairs) that libpq can parse, and
// the password it carries, so that no message built from it ever shows the password. Copyable.
class ConnInfo {
 public:
  // kInvalidArgument if libpq cannot parse `conninfo`; the message never quotes the string
  // (libpq's would, password included). Libpq's PG* environment variables fill in whatever the
  // string leaves out. `default_connect_timeout` applies unless the string or PGCONNECT_TIMEOUT
  // sets one.
  static Result<ConnInfo> Parse(std::string conninfo, std::chrono::seconds default_connect_timeout);

  // `message` as one line with every occurrence of the password (from the string, or from
  // PGPASSWORD) replaced by "****".
  std::string Scrub(std::string_view message) const;

  // Keyword/value arrays for PQconnectdbParams / PQconnectStartParams with expand_dbname = 1:
  // defaults the string may override (connect_timeout, fallback_application_name "ksgate"), then
  // the string itself as dbname. Null-terminated; they point into *this.
  struct Arrays {
    std::vector<const char*> keywords;
    std::vector<const char*> values;
  };
  Arrays ConnectArrays() const;

  // How long one connection attempt may take (libpq's connect_timeout in force).
  std::chrono::seconds connect_timeout() const { return connect_timeout_; }

 private:
  ConnInfo() = default;

  std::string conninfo_;
  std::string password_;
  std::string default_timeout_;  // "" when the string or the environment sets connect_timeout
  std::chrono::seconds connect_timeout_{0};
};

// Parameters of one statement, bound left to right to $1, $2, ... in text format. A null
// optional binds NULL.
class Params {
 public:
  Params& Add(int64_t value);
  Params& Add(int value) { return Add(static_cast<int64_t>(value)); }
  Params& Add(std::string_view value);
  Params& Add(const std::string& value) { return Add(std::string_view(value)); }
  Params& Add(const char* value) { return Add(std::string_view(value)); }
  Params& Add(std::optional<int64_t> value);
  Params& Add(std::optional<int> value);
  Params& Add(const std::optional<std::string>& value);

  int size() const { return static_cast<int>(values_.size()); }
  // Pointers into *this for PQexecPrepared; valid until *this changes.
  std::vector<const char*> Pointers() const;

 private:
  std::vector<std::optional<std::string>> values_;
};

// One row of a Rows, read by column index. Columns hold what the statement selected; a column
// read as Int must hold an integer (0 otherwise).
class Row {
 public:
  int64_t Int(int column) const;
  std::optional<int64_t> OptionalInt(int column) const;
  std::string Text(int column) const;
  std::optional<std::string> OptionalText(int column) const;

 private:
  friend class Rows;
  Row(const PGresult* result, int row) : result_(result), row_(row) {}
  const PGresult* result_;
  int row_;
};

// The successful result of a statement: its rows (if it returns any) and, for INSERT / UPDATE /
// DELETE, how many rows it changed. Owns the PGresult.
class Rows {
 public:
  explicit Rows(ResultHandle result) : result_(std::move(result)) {}
  int size() const { return PQntuples(result_.get()); }
  bool empty() const { return size() == 0; }
  Row operator[](int row) const { return Row(result_.get(), row); }
  int64_t affected() const;

 private:
  ResultHandle result_;
};

// One PostgreSQL connection and its prepared statements. Not thread-safe: one thread at a time
// (the pool lends it to one caller).
//
// Errors of every call: kAlreadyExists for a unique violation (SQLSTATE 23505); kNotFound for a
// foreign key violation (23503: a row names a partner that does not exist); kUnavailable
// when the connection is lost or the server refuses work for now (SQLSTATE class 08, 57P01-03,
// 53300; then Broken() tells whether this connection is still usable); kInternal otherwise. The
// message is one line: what failed, the server's primary message and the SQLSTATE, never a
// parameter value or the password.
class Connection {
 public:
  // Connects (blocking, bounded by the connect timeout). kUnavailable if the server cannot be
  // reached or refuses the connection (bad credentials or database included).
  static Result<std::unique_ptr<Connection>> Open(const ConnInfo& info);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs `sql`, constant text with $1.. placeholders only, with `params`. Prepared on first use
  // on this connection and cached for its lifetime.
  Result<Rows> Run(const char* sql, const Params& params = Params());
  // As Run, for SQL assembled at run time (still only constant text and placeholders): cached
  // while fewer than kMaxDynamicStatements such texts are, else run unprepared (PQexecParams).
  Result<Rows> RunDynamic(const std::string& sql, const Params& params);
  // Runs constant SQL without parameters through the simple-query protocol (BEGIN, COMMIT,
  // migration scripts of several statements).
  Status Exec(const std::string& sql);

  // True once libpq has seen the connection fail (PQstatus != CONNECTION_OK).
  bool Broken() const { return PQstatus(conn_.get()) != CONNECTION_OK; }
  // True when no transaction is open (PQTRANS_IDLE).
  bool Idle() const { return PQtransactionStatus(conn_.get()) == PQTRANS_IDLE; }

  static constexpr size_t kMaxDynamicStatements = 64;

 private:
  Connection(ConnHandle conn, ConnInfo info);
  Result<Rows> Execute(const std::string& sql, const Params& params, bool cache);
  Status Error(const PGresult* result, std::string_view what, std::string_view sql) const;

  ConnHandle conn_;
  ConnInfo info_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
  size_t dynamic_prepared_ = 0;
  int next_statement_ = 0;
};

struct PoolOptions {
  // Connections at most, opened on demand and kept.
  int size = 8;
  // How long Acquire waits for a connection when all `size` are lent out.
  std::chrono::milliseconds acquire_timeout{5000};
};

// Connections to one database, opened on demand up to options.size and reused. A connection
// that is broken or left inside a transaction is closed rather than lent out or kept. Acquire
// fails with Connection::Open's error (kUnavailable) if a new connection cannot be opened, and
// with kUnavailable if every connection stays lent out past options.acquire_timeout.
// Thread-safe.
class Pool : public ConnectionPool<Connection> {
 public:
  Pool(const ConnInfo& info, const PoolOptions& options);
};

}  // namespace ksgate::store::postgres
