#include "store/postgres/connection.h"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace ksgate::store::postgres {
namespace {

constexpr std::string_view kMask = "****";

// Replaces line breaks and tabs so a message stays one line, and trims the end.
std::string OneLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

void ReplaceAll(std::string& text, std::string_view what, std::string_view with) {
  if (what.empty()) return;
  for (size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + with.size())) {
    text.replace(at, what.size(), with);
  }
}

std::optional<int> ParseInt(const char* text) {
  if (text == nullptr) return std::nullopt;
  int value = 0;
  const char* end = text + std::strlen(text);
  auto [ptr, error] = std::from_chars(text, end, value);
  if (error != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// libpq reads a connect_timeout below 2 s as 2 s, and 0 (or less) as "wait forever".
std::chrono::seconds EffectiveTimeout(int seconds) {
  if (seconds <= 0) return std::chrono::hours(24);
  return std::chrono::seconds(seconds < 2 ? 2 : seconds);
}

// The SQL for a message: its start, which names the statement (SQL holds no values).
std::string Abbreviated(std::string_view sql) {
  constexpr size_t kMax = 80;
  std::string out = OneLine(sql.substr(0, kMax));
  if (sql.size() > kMax) out += "...";
  return out;
}

bool IsConnectionSqlState(std::string_view state) {
  return state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03" ||
         state == "53300";
}

// kUnavailable for a lost connection or SQLSTATE 08xxx, 57P01, 57P02, 57P03, 53300;
// kAlreadyExists for 23505 (unique violation); kNotFound for 23503 (foreign key violation: a
// row names a partner that does not exist; partners are never deleted); kInternal otherwise.
Status StatusForSqlState(const char* sqlstate, bool connection_lost, std::string message) {
  const std::string_view state = sqlstate != nullptr ? sqlstate : "";
  if (connection_lost || IsConnectionSqlState(state)) return UnavailableError(std::move(message));
  if (state == "23505") return AlreadyExistsError(std::move(message));
  if (state == "23503") return NotFoundError(std::move(message));
  return InternalError(std::move(message));
}

}  // namespace

// --- ConnInfo --------------------------------------------------------------------------------

Result<ConnInfo> ConnInfo::Parse(std::string conninfo,
                                 std::chrono::seconds default_connect_timeout) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    // libpq's message may quote part of the string: the password, for all we know.
    PQfreemem(error);
    return InvalidArgumentError(
        "not a valid PostgreSQL connection string (expected postgresql://user[:password]@host"
        "[:port]/dbname)");
  }
  ConnInfo info;
  info.conninfo_ = std::move(conninfo);
  std::optional<int> timeout;
  bool bad_port = false;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (std::strcmp(o->keyword, "password") == 0) info.password_ = o->val;
    if (std::strcmp(o->keyword, "connect_timeout") == 0) timeout = ParseInt(o->val).value_or(0);
    // libpq checks ports only when connecting; a typo there is the caller's, not the server's.
    if (std::strcmp(o->keyword, "port") == 0) {
      bad_port = std::string_view(o->val).find_first_not_of("0123456789,") != std::string::npos;
    }
  }
  PQconninfoFree(options);
  if (bad_port) return InvalidArgumentError("the PostgreSQL port must be a number");
  if (!timeout) {
    if (const char* env = std::getenv("PGCONNECT_TIMEOUT"); env != nullptr && *env != '\0') {
      timeout = ParseInt(env).value_or(0);
    }
  }
  if (!timeout) {
    info.default_timeout_ = std::to_string(default_connect_timeout.count());
    timeout = static_cast<int>(default_connect_timeout.count());
  }
  info.connect_timeout_ = EffectiveTimeout(*timeout);
  return info;
}

std::string ConnInfo::Scrub(std::string_view message) const {
  std::string out = OneLine(message);
  ReplaceAll(out, password_, kMask);
  if (const char* env = std::getenv("PGPASSWORD"); env != nullptr) ReplaceAll(out, env, kMask);
  return out;
}

ConnInfo::Arrays ConnInfo::ConnectArrays() const {
  // Keywords before "dbname" are overridden by what the expanded string sets.
  Arrays a;
  if (!default_timeout_.empty()) {
    a.keywords.push_back("connect_timeout");
    a.values.push_back(default_timeout_.c_str());
  }
  a.keywords.push_back("fallback_application_name");
  a.values.push_back("ksgate");
  a.keywords.push_back("dbname");
  a.values.push_back(conninfo_.c_str());
  a.keywords.push_back(nullptr);
  a.values.push_back(nullptr);
  return a;
}

// --- Params, Row, Rows -----------------------------------------------------------------------

Params& Params::Add(int64_t value) {
  values_.emplace_back(std::to_string(value));
  return *this;
}

Params& Params::Add(std::string_view value) {
  values_.emplace_back(std::string(value));
  return *this;
}

Params& Params::Add(std::optional<int64_t> value) {
  if (value) return Add(*value);
  values_.emplace_back(std::nullopt);
  return *this;
}

Params& Params::Add(std::optional<int> value) {
  return Add(value ? std::optional<int64_t>(*value) : std::nullopt);
}

Params& Params::Add(const std::optional<std::string>& value) {
  if (value) return Add(std::string_view(*value));
  values_.emplace_back(std::nullopt);
  return *this;
}

std::vector<const char*> Params::Pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const std::optional<std::string>& v : values_) out.push_back(v ? v->c_str() : nullptr);
  return out;
}

int64_t Row::Int(int column) const {
  const char* text = PQgetvalue(result_, row_, column);
  const char* end = text + PQgetlength(result_, row_, column);
  int64_t value = 0;
  std::from_chars(text, end, value);
  return value;
}

std::optional<int64_t> Row::OptionalInt(int column) const {
  if (PQgetisnull(result_, row_, column)) return std::nullopt;
  return Int(column);
}

std::string Row::Text(int column) const {
  return std::string(PQgetvalue(result_, row_, column),
                     static_cast<size_t>(PQgetlength(result_, row_, column)));
}

std::optional<std::string> Row::OptionalText(int column) const {
  if (PQgetisnull(result_, row_, column)) return std::nullopt;
  return Text(column);
}

int64_t Rows::affected() const {
  const char* text = PQcmdTuples(result_.get());
  int64_t value = 0;
  std::from_chars(text, text + std::strlen(text), value);
  return value;
}

// --- Connection ------------------------------------------------------------------------------

Connection::Connection(ConnHandle conn, ConnInfo info)
    : conn_(std::move(conn)), info_(std::move(info)) {}

Connection::~Connection() = default;

Result<std::unique_ptr<Connection>> Connection::Open(const ConnInfo& info) {
  const ConnInfo::Arrays arrays = info.ConnectArrays();
  ConnHandle conn(PQconnectdbParams(arrays.keywords.data(), arrays.values.data(), 1), &PQfinish);
  if (conn == nullptr) return UnavailableError("PostgreSQL: out of memory opening a connection");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return UnavailableError("cannot connect to PostgreSQL: " +
                            info.Scrub(PQerrorMessage(conn.get())));
  }
  // Notices (e.g. "relation already exists, skipping") would go to stderr: drop them.
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  return std::unique_ptr<Connection>(new Connection(std::move(conn), info));
}

Status Connection::Error(const PGresult* result, std::string_view what,
                         std::string_view sql) const {
  std::string message(what);
  if (!sql.empty()) message += " \"" + Abbreviated(sql) + "\"";
  message += ": ";
  // Only the primary message: DETAIL may quote row values (e.g. the duplicate key).
  const char* primary =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  message += info_.Scrub(primary != nullptr ? primary : PQerrorMessage(conn_.get()));
  const char* sqlstate = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  if (sqlstate != nullptr) {
    message += " (SQLSTATE ";
    message += sqlstate;
    message += ')';
  }
  return StatusForSqlState(sqlstate, Broken(), std::move(message));
}

Result<Rows> Connection::Execute(const std::string& sql, const Params& params, bool cache) {
  const std::vector<const char*> values = params.Pointers();
  ResultHandle result(nullptr, &PQclear);
  if (!cache) {
    result.reset(PQexecParams(conn_.get(), sql.c_str(), params.size(), nullptr, values.data(),
                              nullptr, nullptr, 0));
  } else {
    auto it = prepared_.find(sql);
    if (it == prepared_.end()) {
      std::string name = "ksgate_" + std::to_string(next_statement_++);
      ResultHandle prepared(PQprepare(conn_.get(), name.c_str(), sql.c_str(), 0, nullptr),
                            &PQclear);
      if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
        return Error(prepared.get(), "prepare", sql);
      }
      it = prepared_.emplace(sql, std::move(name)).first;
    }
    result.reset(PQexecPrepared(conn_.get(), it->second.c_str(), params.size(), values.data(),
                                nullptr, nullptr, 0));
  }
  const ExecStatusType status = PQresultStatus(result.get());
  if (result == nullptr || (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK)) {
    return Error(result.get(), "query", sql);
  }
  return Rows(std::move(result));
}

Result<Rows> Connection::Run(const char* sql, const Params& params) {
  return Execute(sql, params, true);
}

Result<Rows> Connection::RunDynamic(const std::string& sql, const Params& params) {
  bool cache = prepared_.contains(sql);
  if (!cache && dynamic_prepared_ < kMaxDynamicStatements) {
    cache = true;
    ++dynamic_prepared_;
  }
  return Execute(sql, params, cache);
}

Status Connection::Exec(const std::string& sql) {
  ResultHandle result(PQexec(conn_.get(), sql.c_str()), &PQclear);
  const ExecStatusType status = PQresultStatus(result.get());
  if (result == nullptr || (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)) {
    return Error(result.get(), "exec", sql);
  }
  return Status::Ok();
}

// --- Pool ------------------------------------------------------------------------------------

Pool::Pool(const ConnInfo& info, const PoolOptions& options)
    : ConnectionPool<Connection>([info] { return Connection::Open(info); },
                                 [](const Connection& c) { return !c.Broken() && c.Idle(); },
                                 options.size, options.acquire_timeout) {}

}  // namespace ksgate::store::postgres
