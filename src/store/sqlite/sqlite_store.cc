#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <thread>
#include <utility>
#include <variant>

#include "store/sqlite/connection.h"
#include "store/sqlite/migrations.h"
#include "store/validate.h"

namespace ksgate::store {
namespace {

using sqlite::Connection;
using sqlite::Statement;

// Column lists shared by SELECTs and INSERTs; ReadPartner / ReadAppToken read in this order.
#define KSGATE_PARTNER_COLUMNS \
  "id, name, admin_secrets, secret, status, ks_version, ks_max_expiry, created_at, updated_at"
#define KSGATE_TOKEN_COLUMNS                                                      \
  "id, token, partner_id, created_at, updated_at, status, expiry, session_type, " \
  "session_user_id, session_duration, session_privileges, hash_type, description"
#define KSGATE_ROLE_COLUMNS                                                          \
  "id, partner_id, name, system_name, description, status, permission_names, tags, " \
  "created_at, updated_at"
// AppTokenStatus::kDeleted and UserRoleStatus::kDeleted, as a constant in SQL text.
#define KSGATE_DELETED "3"
static_assert(static_cast<int>(AppTokenStatus::kDeleted) == 3);
static_assert(static_cast<int>(UserRoleStatus::kDeleted) == 3);

constexpr char kCreateSchemaVersion[] =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)";
constexpr char kSelectSchemaVersion[] = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
constexpr char kInsertSchemaVersion[] =
    "INSERT INTO schema_version (version, name, applied_at)"
    " VALUES (?, ?, CAST(strftime('%s', 'now') AS INTEGER))";

constexpr char kNextPartnerId[] = "SELECT COALESCE(MAX(id), 0) + 1 FROM partners";
constexpr char kInsertPartner[] =
    "INSERT INTO partners (" KSGATE_PARTNER_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kSelectPartner[] = "SELECT " KSGATE_PARTNER_COLUMNS " FROM partners WHERE id = ?";
constexpr char kSelectPartners[] = "SELECT " KSGATE_PARTNER_COLUMNS " FROM partners ORDER BY id";
constexpr char kPartnerExists[] = "SELECT 1 FROM partners WHERE id = ?";
constexpr char kUpdatePartnerStatus[] =
    "UPDATE partners SET status = ?, updated_at = ? WHERE id = ?";
constexpr char kUpdatePartnerSecrets[] =
    "UPDATE partners SET admin_secrets = ?, updated_at = ? WHERE id = ?";

constexpr char kUpsertRevocation[] =
    "INSERT INTO invalid_sessions (key, type, valid_until, actions_limit, created_at)"
    " VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (key, type) DO UPDATE"
    " SET valid_until = excluded.valid_until, actions_limit = excluded.actions_limit";
// Binds key and (now - grace): valid_until + grace > now, without overflow near INT64_MAX.
constexpr char kSelectRevoked[] =
    "SELECT 1 FROM invalid_sessions WHERE key = ? AND actions_limit IS NULL"
    " AND (valid_until IS NULL OR valid_until > ?) LIMIT 1";

constexpr char kInsertToken[] = "INSERT INTO app_tokens (" KSGATE_TOKEN_COLUMNS
                                ") VALUES"
                                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kSelectToken[] = "SELECT " KSGATE_TOKEN_COLUMNS
                                " FROM app_tokens WHERE id = ? AND partner_id = ?"
                                " AND status <> " KSGATE_DELETED;
constexpr char kUpdateToken[] =
    "UPDATE app_tokens SET token = ?, created_at = ?, updated_at = ?, status = ?, expiry = ?,"
    " session_type = ?, session_user_id = ?, session_duration = ?, session_privileges = ?,"
    " hash_type = ?, description = ?"
    " WHERE id = ? AND partner_id = ? AND status <> " KSGATE_DELETED;
constexpr char kDeleteToken[] = "UPDATE app_tokens SET status = " KSGATE_DELETED
                                ", updated_at = ?"
                                " WHERE id = ? AND partner_id = ? AND status <> " KSGATE_DELETED;

constexpr char kMaxUserRoleId[] = "SELECT MAX(id) FROM user_roles";
constexpr char kInsertUserRole[] =
    "INSERT INTO user_roles (" KSGATE_ROLE_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kSelectUserRole[] = "SELECT " KSGATE_ROLE_COLUMNS
                                   " FROM user_roles WHERE id = ? AND partner_id = ?"
                                   " AND status <> " KSGATE_DELETED;
constexpr char kSelectUserRoleBySystemName[] =
    "SELECT " KSGATE_ROLE_COLUMNS
    " FROM user_roles WHERE partner_id = ? AND system_name = ? AND status <> " KSGATE_DELETED
    " ORDER BY id LIMIT 1";
constexpr char kUpdateUserRole[] =
    "UPDATE user_roles SET name = ?, system_name = ?, description = ?, status = ?,"
    " permission_names = ?, tags = ?, created_at = ?, updated_at = ?"
    " WHERE id = ? AND partner_id = ? AND status <> " KSGATE_DELETED;

constexpr char kSelectActionsLimit[] =
    "SELECT actions_limit FROM invalid_sessions WHERE key = ? AND type = ?";
constexpr char kInsertActionsLimit[] =
    "INSERT INTO invalid_sessions (key, type, valid_until, actions_limit, created_at)"
    " VALUES (?, ?, ?, ?, ?)";
constexpr char kDecrementActionsLimit[] =
    "UPDATE invalid_sessions SET actions_limit = actions_limit - 1 WHERE key = ? AND type = ?";

// --- Row mapping -----------------------------------------------------------------------------

std::string JoinSecrets(const std::vector<std::string>& secrets) {
  std::string joined;
  for (const std::string& s : secrets) {
    if (!joined.empty()) joined += '\n';
    joined += s;
  }
  return joined;
}

std::vector<std::string> SplitSecrets(std::string_view joined) {
  std::vector<std::string> secrets;
  while (!joined.empty()) {
    size_t end = joined.find('\n');
    secrets.emplace_back(joined.substr(0, end));
    if (end == std::string_view::npos) break;
    joined.remove_prefix(end + 1);
  }
  return secrets;
}

Partner ReadPartner(const Statement& s) {
  Partner p;
  p.id = s.Int(0);
  p.name = s.Text(1);
  p.admin_secrets = SplitSecrets(s.Text(2));
  p.secret = s.Text(3);
  p.status = static_cast<PartnerStatus>(s.Int(4));
  p.ks_version = static_cast<int>(s.Int(5));
  p.ks_max_expiry = s.Int(6);
  p.created_at = s.Int(7);
  p.updated_at = s.Int(8);
  return p;
}

AppToken ReadAppToken(const Statement& s) {
  AppToken t;
  t.id = s.Text(0);
  t.token = s.Text(1);
  t.partner_id = s.Int(2);
  t.created_at = s.Int(3);
  t.updated_at = s.Int(4);
  t.status = static_cast<AppTokenStatus>(s.Int(5));
  t.expiry = s.OptionalInt(6);
  if (std::optional<int64_t> type = s.OptionalInt(7)) t.session_type = static_cast<int>(*type);
  t.session_user_id = s.OptionalText(8);
  t.session_duration = s.OptionalInt(9);
  t.session_privileges = s.OptionalText(10);
  t.hash_type = s.OptionalText(11);
  t.description = s.OptionalText(12);
  return t;
}

UserRole ReadUserRole(const Statement& s) {
  UserRole r;
  r.id = s.Int(0);
  r.partner_id = s.Int(1);
  r.name = s.Text(2);
  r.system_name = s.Text(3);
  r.description = s.OptionalText(4);
  r.status = static_cast<UserRoleStatus>(s.Int(5));
  r.permission_names = s.Text(6);
  r.tags = s.OptionalText(7);
  r.created_at = s.Int(8);
  r.updated_at = s.Int(9);
  return r;
}

// Status of a statement that wrote a role: a UNIQUE violation (the partial index on live system
// names) becomes a readable kAlreadyExists.
Status RoleWriteStatus(Status written, const UserRole& role) {
  if (written.code() == StatusCode::kAlreadyExists) {
    return AlreadyExistsError("user role name " + role.name + " or system name " +
                              role.system_name + " is taken");
  }
  return written;
}

// Runs the upsert behind Revoke (actions_limit null) and SetActionsLimitForTesting.
Status UpsertRevocation(Connection& c, const Revocation& r, std::optional<int64_t> actions_limit,
                        int64_t now) {
  KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUpsertRevocation));
  return s.Bind(r.key)
      .Bind(static_cast<int64_t>(r.type))
      .Bind(r.valid_until)
      .Bind(actions_limit)
      .Bind(now)
      .Run();
}

void RollbackIfNeeded(Connection& c) {
  // If even ROLLBACK fails the next BEGIN reports it; nothing better to do here.
  if (c.InTransaction()) static_cast<void>(c.Exec("ROLLBACK"));
}

// --- ListAppTokens SQL -----------------------------------------------------------------------

using Param = std::variant<int64_t, std::string>;

// "?, ?, ?" for n >= 1.
std::string Placeholders(size_t n) {
  std::string out = "?";
  for (size_t i = 1; i < n; ++i) out += ", ?";
  return out;
}

// The FROM/WHERE part for `query`: only constant text and placeholders; values go to params.
// nullopt when the query cannot match anything (an empty IN list).
std::optional<std::string> ListWhere(int64_t partner_id, const AppTokenQuery& q,
                                     std::vector<Param>& params) {
  std::string sql = " FROM app_tokens WHERE partner_id = ? AND status <> " KSGATE_DELETED;
  params.emplace_back(partner_id);
  if (q.id_equal) {
    sql += " AND id = ?";
    params.emplace_back(*q.id_equal);
  }
  if (q.id_in) {
    if (q.id_in->empty()) return std::nullopt;
    sql += " AND id IN (" + Placeholders(q.id_in->size()) + ")";
    for (const std::string& id : *q.id_in) params.emplace_back(id);
  }
  auto bound = [&](const std::optional<int64_t>& value, const char* condition) {
    if (!value) return;
    sql += condition;
    params.emplace_back(*value);
  };
  bound(q.created_at_gte, " AND created_at >= ?");
  bound(q.created_at_lte, " AND created_at <= ?");
  bound(q.updated_at_gte, " AND updated_at >= ?");
  bound(q.updated_at_lte, " AND updated_at <= ?");
  if (q.status_equal) {
    sql += " AND status = ?";
    params.emplace_back(int64_t{*q.status_equal});
  }
  if (q.status_in) {
    if (q.status_in->empty()) return std::nullopt;
    sql += " AND status IN (" + Placeholders(q.status_in->size()) + ")";
    for (int status : *q.status_in) params.emplace_back(int64_t{status});
  }
  if (q.session_user_id_equal) {
    sql += " AND session_user_id = ?";
    params.emplace_back(*q.session_user_id_equal);
  }
  return sql;
}

// ORDER BY from the enum only, then insertion order.
std::string ListOrder(const std::vector<AppTokenOrder>& order_by) {
  std::string sql = " ORDER BY ";
  for (const AppTokenOrder& o : order_by) {
    sql += o.field == AppTokenOrderField::kCreatedAt ? "created_at" : "updated_at";
    sql += o.ascending ? " ASC, " : " DESC, ";
  }
  sql += "seq ASC";
  return sql;
}

// ListUserRoles' FROM/WHERE part, as ListWhere. nullopt when nothing can match.
std::optional<std::string> RoleListWhere(int64_t partner_id, const UserRoleQuery& q,
                                         std::vector<Param>& params) {
  std::string sql = " FROM user_roles WHERE partner_id = ? AND status <> " KSGATE_DELETED;
  params.emplace_back(partner_id);
  auto equal = [&](const auto& value, const char* condition) {
    if (!value) return;
    sql += condition;
    params.emplace_back(*value);
  };
  // false when `values` is an empty list (matches nothing).
  auto in = [&](const auto& values, const char* column) {
    if (!values) return true;
    if (values->empty()) return false;
    sql += " AND ";
    sql += column;
    sql += " IN (" + Placeholders(values->size()) + ")";
    for (const auto& v : *values) params.emplace_back(v);
    return true;
  };
  equal(q.id_equal, " AND id = ?");
  if (!in(q.id_in, "id")) return std::nullopt;
  equal(q.name_equal, " AND name = ?");
  if (!in(q.name_in, "name")) return std::nullopt;
  equal(q.system_name_equal, " AND system_name = ?");
  if (!in(q.system_name_in, "system_name")) return std::nullopt;
  // instr: a case-sensitive substring test without LIKE's wildcards; NULL text never matches.
  equal(q.description_like, " AND instr(description, ?) > 0");
  if (q.status_equal) {
    sql += " AND status = ?";
    params.emplace_back(int64_t{*q.status_equal});
  }
  if (q.status_in) {
    if (q.status_in->empty()) return std::nullopt;
    sql += " AND status IN (" + Placeholders(q.status_in->size()) + ")";
    for (int status : *q.status_in) params.emplace_back(int64_t{status});
  }
  if (q.tags_multi_like_or) {
    if (q.tags_multi_like_or->empty()) return std::nullopt;
    sql += " AND (";
    for (size_t i = 0; i < q.tags_multi_like_or->size(); ++i) {
      sql += i == 0 ? "instr(tags, ?) > 0" : " OR instr(tags, ?) > 0";
      params.emplace_back((*q.tags_multi_like_or)[i]);
    }
    sql += ")";
  }
  if (q.tags_multi_like_and) {
    for (const std::string& word : *q.tags_multi_like_and) {
      sql += " AND instr(tags, ?) > 0";
      params.emplace_back(word);
    }
  }
  equal(q.created_at_gte, " AND created_at >= ?");
  equal(q.created_at_lte, " AND created_at <= ?");
  equal(q.updated_at_gte, " AND updated_at >= ?");
  equal(q.updated_at_lte, " AND updated_at <= ?");
  return sql;
}

// ORDER BY from the enum only, then id.
std::string RoleListOrder(const std::vector<UserRoleOrder>& order_by) {
  std::string sql = " ORDER BY ";
  for (const UserRoleOrder& o : order_by) {
    switch (o.field) {
      case UserRoleOrderField::kId:
        sql += "id";
        break;
      case UserRoleOrderField::kName:
        sql += "name";  // BINARY collation: byte-wise
        break;
      case UserRoleOrderField::kCreatedAt:
        sql += "created_at";
        break;
      case UserRoleOrderField::kUpdatedAt:
        sql += "updated_at";
        break;
    }
    sql += o.ascending ? " ASC, " : " DESC, ";
  }
  sql += "id ASC";
  return sql;
}

void BindAll(Statement& s, const std::vector<Param>& params) {
  for (const Param& p : params) {
    std::visit([&](const auto& value) { s.Bind(value); }, p);
  }
}

// Runs a paged list: COUNT(*) over `where`, then (if anything matched) the page itself, in one
// read snapshot so the two agree. `read_row` turns a row into an element of page->objects.
template <typename Page, typename ReadRow>
Status ReadPagedList(Connection& c, const std::string& where, const std::string& select_sql,
                     const std::vector<Param>& params, int64_t limit, int64_t offset,
                     ReadRow read_row, Page* page) {
  *page = Page();
  {
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT COUNT(*)" + where));
    BindAll(s, params);
    KSGATE_ASSIGN_OR_RETURN(bool row, s.Step());
    page->total_count = row ? s.Int(0) : 0;
  }
  if (page->total_count == 0) return Status::Ok();
  KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(select_sql));
  BindAll(s, params);
  s.Bind(limit > 0 ? limit : int64_t{-1});  // SQLite: negative LIMIT = none
  s.Bind(std::max<int64_t>(offset, 0));
  while (true) {
    KSGATE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::Ok();
    page->objects.push_back(read_row(s));
  }
}

}  // namespace

// --- Lifecycle -------------------------------------------------------------------------------

SqliteStore::SqliteStore(SqliteOptions options, std::unique_ptr<Connection> writer,
                         std::unique_ptr<sqlite::ReaderPool> readers)
    : options_(options), writer_(std::move(writer)), readers_(std::move(readers)) {}

SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(std::string_view path,
                                                       const SqliteOptions& options) {
  if (path.empty()) return InvalidArgumentError("the SQLite database path is empty");
  const std::string file(path);
  const bool in_memory = file == ":memory:";
  if (!in_memory) {
    const std::filesystem::path parent = std::filesystem::path(file).parent_path();
    std::error_code ec;
    if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) {
      std::filesystem::create_directories(parent, ec);
      if (ec) {
        return InvalidArgumentError("cannot create directory \"" + parent.string() +
                                    "\" for the SQLite database: " + ec.message());
      }
    }
  }
  KSGATE_ASSIGN_OR_RETURN(std::unique_ptr<Connection> writer,
                          Connection::Open(file, Connection::Role::kWriter, options.busy_timeout));
  std::unique_ptr<sqlite::ReaderPool> readers;
  if (!in_memory) {
    readers = std::make_unique<sqlite::ReaderPool>(file, options.busy_timeout, options.max_readers);
  }
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(options, std::move(writer), std::move(readers)));
}

// --- Transactions ----------------------------------------------------------------------------

Status SqliteStore::WithBusyRetry(const std::function<Status()>& attempt) const {
  Status s = attempt();
  for (int i = 0; s.code() == StatusCode::kUnavailable && i < options_.busy_retries; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10 << std::min(i, 6)));
    s = attempt();
  }
  if (s.code() == StatusCode::kUnavailable) {
    return UnavailableError("database still busy after " +
                            std::to_string(options_.busy_retries + 1) +
                            " attempts: " + s.message());
  }
  return s;
}

Status SqliteStore::Write(const Work& work) {
  return WithBusyRetry([&]() -> Status {
    std::lock_guard lock(writer_mu_);
    Connection& c = *writer_;
    RollbackIfNeeded(c);
    KSGATE_RETURN_IF_ERROR(c.Exec("BEGIN IMMEDIATE"));
    Status s = work(c);
    if (s.ok()) s = c.Exec("COMMIT");
    if (!s.ok()) RollbackIfNeeded(c);
    return s;
  });
}

Status SqliteStore::Read(bool snapshot, const Work& work) const {
  auto run = [&](Connection& c) -> Status {
    if (!snapshot) return work(c);
    RollbackIfNeeded(c);
    KSGATE_RETURN_IF_ERROR(c.Exec("BEGIN"));
    Status s = work(c);
    if (s.ok()) s = c.Exec("COMMIT");
    if (!s.ok()) RollbackIfNeeded(c);
    return s;
  };
  return WithBusyRetry([&]() -> Status {
    if (readers_ == nullptr) {
      std::lock_guard lock(writer_mu_);
      return run(*writer_);
    }
    Result<sqlite::ReaderPool::Lease> lease = readers_->Acquire();
    if (!lease.ok()) {
      const Status& error = lease.error();
      if (error.code() == StatusCode::kUnavailable) return error;
      return InternalError("opening a reader connection: " + error.message());
    }
    return run(**lease);
  });
}

// --- Schema ----------------------------------------------------------------------------------

Result<int> SqliteStore::Migrate() {
  int version = 0;
  for (const sqlite::Migration& m : sqlite::Migrations()) {
    KSGATE_RETURN_IF_ERROR(Write([&](Connection& c) -> Status {
      KSGATE_RETURN_IF_ERROR(c.Exec(kCreateSchemaVersion));
      {
        KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectSchemaVersion));
        KSGATE_ASSIGN_OR_RETURN(bool row, s.Step());
        version = row ? static_cast<int>(s.Int(0)) : 0;
      }
      if (version >= m.version) return Status::Ok();  // applied, maybe by another process
      if (Status s = c.Exec(std::string(m.sql)); !s.ok()) {
        return Status(s.code(), "migration " + std::string(m.name) + ": " + s.message());
      }
      KSGATE_ASSIGN_OR_RETURN(Statement record, c.Prepare(kInsertSchemaVersion));
      KSGATE_RETURN_IF_ERROR(record.Bind(m.version).Bind(m.name).Run());
      version = m.version;
      return Status::Ok();
    }));
  }
  return version;
}

// --- Partners --------------------------------------------------------------------------------

Result<Partner> SqliteStore::CreatePartner(const NewPartner& partner, int64_t now) {
  KSGATE_RETURN_IF_ERROR(ValidateNewPartner(partner));
  Partner p;
  p.name = partner.name;
  p.admin_secrets = partner.admin_secrets;
  p.secret = partner.secret;
  p.status = PartnerStatus::kActive;
  p.ks_version = partner.ks_version;
  p.ks_max_expiry = partner.ks_max_expiry;
  p.created_at = now;
  p.updated_at = now;
  KSGATE_RETURN_IF_ERROR(Write([&](Connection& c) -> Status {
    {
      KSGATE_ASSIGN_OR_RETURN(Statement next, c.Prepare(kNextPartnerId));
      KSGATE_ASSIGN_OR_RETURN(bool row, next.Step());
      p.id = row ? next.Int(0) : 1;
    }
    KSGATE_ASSIGN_OR_RETURN(Statement insert, c.Prepare(kInsertPartner));
    return insert.Bind(p.id)
        .Bind(p.name)
        .Bind(JoinSecrets(p.admin_secrets))
        .Bind(p.secret)
        .Bind(static_cast<int64_t>(p.status))
        .Bind(p.ks_version)
        .Bind(p.ks_max_expiry)
        .Bind(p.created_at)
        .Bind(p.updated_at)
        .Run();
  }));
  return p;
}

Result<Partner> SqliteStore::GetPartner(int64_t id) const {
  std::optional<Partner> found;
  KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectPartner));
    s.Bind(id);
    KSGATE_ASSIGN_OR_RETURN(bool row, s.Step());
    found.reset();
    if (row) found = ReadPartner(s);
    return Status::Ok();
  }));
  if (!found) return NotFoundError("partner " + std::to_string(id));
  return *std::move(found);
}

Result<std::vector<Partner>> SqliteStore::ListPartners() const {
  std::vector<Partner> partners;
  KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
    partners.clear();
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectPartners));
    while (true) {
      KSGATE_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return Status::Ok();
      partners.push_back(ReadPartner(s));
    }
  }));
  return partners;
}

Status SqliteStore::SetPartnerStatus(int64_t id, PartnerStatus status, int64_t now) {
  return Write([&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUpdatePartnerStatus));
    KSGATE_RETURN_IF_ERROR(s.Bind(static_cast<int64_t>(status)).Bind(now).Bind(id).Run());
    if (c.Changes() == 0) return NotFoundError("partner " + std::to_string(id));
    return Status::Ok();
  });
}

Status SqliteStore::SetPartnerAdminSecrets(int64_t id, const std::vector<std::string>& admin_secrets,
                                           int64_t now) {
  KSGATE_RETURN_IF_ERROR(ValidateAdminSecrets(admin_secrets));
  return Write([&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUpdatePartnerSecrets));
    KSGATE_RETURN_IF_ERROR(s.Bind(JoinSecrets(admin_secrets)).Bind(now).Bind(id).Run());
    if (c.Changes() == 0) return NotFoundError("partner " + std::to_string(id));
    return Status::Ok();
  });
}

// --- Revocation ------------------------------------------------------------------------------

Status SqliteStore::Revoke(const Revocation& revocation, int64_t now) {
  return Write([&](Connection& c) { return UpsertRevocation(c, revocation, std::nullopt, now); });
}

Status SqliteStore::SetActionsLimitForTesting(const Revocation& revocation, int64_t actions_limit,
                                              int64_t now) {
  return Write([&](Connection& c) { return UpsertRevocation(c, revocation, actions_limit, now); });
}

Result<bool> SqliteStore::IsRevoked(std::span<const std::string> keys, int64_t now) const {
  if (keys.empty()) return false;
  bool revoked = false;
  KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
    revoked = false;
    for (const std::string& key : keys) {
      KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectRevoked));
      s.Bind(key).Bind(now - kRevocationGraceSeconds);
      KSGATE_ASSIGN_OR_RETURN(bool row, s.Step());
      if (row) {
        revoked = true;
        return Status::Ok();
      }
    }
    return Status::Ok();
  }));
  return revoked;
}

// --- App tokens ------------------------------------------------------------------------------

Status SqliteStore::InsertAppToken(const AppToken& t) {
  return Write([&](Connection& c) -> Status {
    {
      KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kPartnerExists));
      KSGATE_ASSIGN_OR_RETURN(bool row, s.Bind(t.partner_id).Step());
      if (!row) return NotFoundError("partner " + std::to_string(t.partner_id));
    }
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertToken));
    Status inserted = s.Bind(t.id)
                          .Bind(t.token)
                          .Bind(t.partner_id)
                          .Bind(t.created_at)
                          .Bind(t.updated_at)
                          .Bind(static_cast<int64_t>(t.status))
                          .Bind(t.expiry)
                          .Bind(t.session_type)
                          .Bind(t.session_user_id)
                          .Bind(t.session_duration)
                          .Bind(t.session_privileges)
                          .Bind(t.hash_type)
                          .Bind(t.description)
                          .Run();
    if (inserted.code() == StatusCode::kAlreadyExists) {
      return AlreadyExistsError("app token id " + t.id + " is taken");
    }
    return inserted;
  });
}

Result<AppToken> SqliteStore::GetAppToken(int64_t partner_id, std::string_view id) const {
  std::optional<AppToken> found;
  KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectToken));
    KSGATE_ASSIGN_OR_RETURN(bool row, s.Bind(id).Bind(partner_id).Step());
    found.reset();
    if (row) found = ReadAppToken(s);
    return Status::Ok();
  }));
  if (!found) return NotFoundError("app token " + std::string(id));
  return *std::move(found);
}

Status SqliteStore::UpdateAppToken(const AppToken& expected, const AppToken& t) {
  KSGATE_RETURN_IF_ERROR(ValidateAppTokenUpdate(expected, t));
  return Write([&](Connection& c) -> Status {
    {
      KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectToken));
      KSGATE_ASSIGN_OR_RETURN(bool row, s.Bind(t.id).Bind(t.partner_id).Step());
      if (!row) return NotFoundError("app token " + t.id);
      if (ReadAppToken(s) != expected) {
        return AbortedError("app token " + t.id + " changed concurrently");
      }
    }
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUpdateToken));
    KSGATE_RETURN_IF_ERROR(s.Bind(t.token)
                               .Bind(t.created_at)
                               .Bind(t.updated_at)
                               .Bind(static_cast<int64_t>(t.status))
                               .Bind(t.expiry)
                               .Bind(t.session_type)
                               .Bind(t.session_user_id)
                               .Bind(t.session_duration)
                               .Bind(t.session_privileges)
                               .Bind(t.hash_type)
                               .Bind(t.description)
                               .Bind(t.id)
                               .Bind(t.partner_id)
                               .Run());
    if (c.Changes() != 1) return InternalError("app token " + t.id + ": read but not updated");
    return Status::Ok();
  });
}

Status SqliteStore::DeleteAppToken(int64_t partner_id, std::string_view id,
                                   const Revocation& revocation, int64_t now) {
  return Write([&](Connection& c) -> Status {
    {
      KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kDeleteToken));
      KSGATE_RETURN_IF_ERROR(s.Bind(now).Bind(id).Bind(partner_id).Run());
      if (c.Changes() == 0) return NotFoundError("app token " + std::string(id));
    }
    return UpsertRevocation(c, revocation, std::nullopt, now);
  });
}

Result<AppTokenPage> SqliteStore::ListAppTokens(int64_t partner_id,
                                                const AppTokenQuery& query) const {
  AppTokenPage page;
  std::vector<Param> params;
  const std::optional<std::string> where = ListWhere(partner_id, query, params);
  if (!where) return page;  // an empty IN list matches nothing
  const std::string select_sql =
      "SELECT " KSGATE_TOKEN_COLUMNS + *where + ListOrder(query.order_by) + " LIMIT ? OFFSET ?";
  KSGATE_RETURN_IF_ERROR(Read(true, [&](Connection& c) {
    return ReadPagedList(c, *where, select_sql, params, query.limit, query.offset, ReadAppToken,
                         &page);
  }));
  return page;
}

// --- User roles ------------------------------------------------------------------------------

Result<UserRole> SqliteStore::InsertUserRole(const UserRole& role) {
  KSGATE_RETURN_IF_ERROR(ValidateNewUserRole(role));
  UserRole stored = role;
  KSGATE_RETURN_IF_ERROR(Write([&](Connection& c) -> Status {
    {
      KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kPartnerExists));
      KSGATE_ASSIGN_OR_RETURN(bool row, s.Bind(role.partner_id).Step());
      if (!row) return NotFoundError("partner " + std::to_string(role.partner_id));
    }
    {
      KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kMaxUserRoleId));
      KSGATE_ASSIGN_OR_RETURN(bool row, s.Step());
      const std::optional<int64_t> max_id = row ? s.OptionalInt(0) : std::nullopt;
      stored.id = max_id ? std::max(*max_id + 1, kFirstUserRoleId) : kFirstUserRoleId;
    }
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertUserRole));
    return RoleWriteStatus(s.Bind(stored.id)
                               .Bind(stored.partner_id)
                               .Bind(stored.name)
                               .Bind(stored.system_name)
                               .Bind(stored.description)
                               .Bind(static_cast<int64_t>(stored.status))
                               .Bind(stored.permission_names)
                               .Bind(stored.tags)
                               .Bind(stored.created_at)
                               .Bind(stored.updated_at)
                               .Run(),
                           stored);
  }));
  return stored;
}

Result<UserRole> SqliteStore::GetUserRole(int64_t partner_id, int64_t id) const {
  std::optional<UserRole> found;
  KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectUserRole));
    KSGATE_ASSIGN_OR_RETURN(bool row, s.Bind(id).Bind(partner_id).Step());
    found.reset();
    if (row) found = ReadUserRole(s);
    return Status::Ok();
  }));
  if (!found) return NotFoundError("user role " + std::to_string(id));
  return *std::move(found);
}

Result<UserRole> SqliteStore::FindUserRoleBySystemName(int64_t partner_id,
                                                       std::string_view system_name) const {
  std::optional<UserRole> found;
  if (!system_name.empty()) {
    KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
      KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectUserRoleBySystemName));
      KSGATE_ASSIGN_OR_RETURN(bool row, s.Bind(partner_id).Bind(system_name).Step());
      found.reset();
      if (row) found = ReadUserRole(s);
      return Status::Ok();
    }));
  }
  if (!found) return NotFoundError("user role " + std::string(system_name));
  return *std::move(found);
}

Status SqliteStore::UpdateUserRole(const UserRole& expected, const UserRole& role) {
  KSGATE_RETURN_IF_ERROR(ValidateUserRoleUpdate(expected, role));
  return Write([&](Connection& c) -> Status {
    {
      KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectUserRole));
      KSGATE_ASSIGN_OR_RETURN(bool row, s.Bind(role.id).Bind(role.partner_id).Step());
      if (!row) return NotFoundError("user role " + std::to_string(role.id));
      if (ReadUserRole(s) != expected) {
        return AbortedError("user role " + std::to_string(role.id) + " changed concurrently");
      }
    }
    // The partial unique index on live system names reports a clash as kAlreadyExists.
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUpdateUserRole));
    KSGATE_RETURN_IF_ERROR(RoleWriteStatus(s.Bind(role.name)
                                               .Bind(role.system_name)
                                               .Bind(role.description)
                                               .Bind(static_cast<int64_t>(role.status))
                                               .Bind(role.permission_names)
                                               .Bind(role.tags)
                                               .Bind(role.created_at)
                                               .Bind(role.updated_at)
                                               .Bind(role.id)
                                               .Bind(role.partner_id)
                                               .Run(),
                                           role));
    if (c.Changes() != 1) {
      return InternalError("user role " + std::to_string(role.id) + ": read but not updated");
    }
    return Status::Ok();
  });
}

Result<UserRolePage> SqliteStore::ListUserRoles(int64_t partner_id,
                                                const UserRoleQuery& query) const {
  UserRolePage page;
  std::vector<Param> params;
  const std::optional<std::string> where = RoleListWhere(partner_id, query, params);
  if (!where) return page;  // an empty list matches nothing
  const std::string select_sql =
      "SELECT " KSGATE_ROLE_COLUMNS + *where + RoleListOrder(query.order_by) + " LIMIT ? OFFSET ?";
  KSGATE_RETURN_IF_ERROR(Read(true, [&](Connection& c) {
    return ReadPagedList(c, *where, select_sql, params, query.limit, query.offset, ReadUserRole,
                         &page);
  }));
  return page;
}

// --- Actions limit ---------------------------------------------------------------------------

Result<ActionsLimitState> SqliteStore::ConsumeAction(std::string_view ks_hash, int64_t limit,
                                                     std::optional<int64_t> valid_until,
                                                     int64_t now) {
  KSGATE_RETURN_IF_ERROR(ValidateActionsLimit(limit));
  const int64_t type = static_cast<int64_t>(RevocationType::kKsHash);
  ActionsLimitState state = ActionsLimitState::kAllowed;
  KSGATE_RETURN_IF_ERROR(Write([&](Connection& c) -> Status {
    bool exists = false;
    std::optional<int64_t> remaining;
    {
      KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectActionsLimit));
      KSGATE_ASSIGN_OR_RETURN(exists, s.Bind(ks_hash).Bind(type).Step());
      if (exists) remaining = s.OptionalInt(0);
    }
    if (!exists) {
      state = ActionsLimitState::kAllowed;
      KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertActionsLimit));
      return s.Bind(ks_hash).Bind(type).Bind(valid_until).Bind(limit - 1).Bind(now).Run();
    }
    if (!remaining) {
      state = ActionsLimitState::kRevoked;
      return Status::Ok();
    }
    if (*remaining <= 0) {
      state = ActionsLimitState::kExceeded;
      return Status::Ok();
    }
    state = ActionsLimitState::kAllowed;
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kDecrementActionsLimit));
    return s.Bind(ks_hash).Bind(type).Run();
  }));
  return state;
}

}  // namespace ksgate::store
