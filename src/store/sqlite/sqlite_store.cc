#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <climits>
#include <filesystem>
#include <system_error>
#include <thread>
#include <utility>
#include <variant>

#include "store/sql_common.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/migrations.h"
#include "store/validate.h"

namespace ksgate::store {
namespace {

using sqlite::Connection;
using sqlite::Statement;

using sql::ReadAppToken;
using sql::ReadPartner;
using sql::ReadUserRole;

constexpr char kCreateSchemaVersion[] =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)";
constexpr char kSelectSchemaVersion[] = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
constexpr char kInsertSchemaVersion[] =
    "INSERT INTO schema_version (version, name, applied_at)"
    " VALUES (?, ?, CAST(strftime('%s', 'now') AS INTEGER))";

// Tables with their columns, and the indexes the migrations create (automatic indexes behind
// PRIMARY KEY / UNIQUE have no sql).
constexpr char kDescribeSchema[] =
    "SELECT m.name || '.' || p.name FROM sqlite_master m, pragma_table_info(m.name) p"
    " WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    " UNION ALL SELECT 'index ' || name FROM sqlite_master WHERE type = 'index' AND sql IS NOT "
    "NULL";

constexpr char kNextPartnerId[] = "SELECT COALESCE(MAX(id), 0) + 1 FROM partners";
constexpr char kInsertPartner[] =
    "INSERT INTO partners (" KSGATE_PARTNER_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kSelectPartner[] = "SELECT " KSGATE_PARTNER_COLUMNS " FROM partners WHERE id = ?";
constexpr char kSelectPartners[] = "SELECT " KSGATE_PARTNER_COLUMNS " FROM partners ORDER BY id";
constexpr char kPartnerExists[] = "SELECT 1 FROM partners WHERE id = ?";
constexpr char kUpdatePartnerStatus[] =
    "UPDATE partners SET status = ?, updated_at = ? WHERE id = ?";
constexpr char kUpdatePartnerSecrets[] =
    "UPDATE partners SET admin_secrets = ?, updated_at = ? WHERE id = ?";
constexpr char kUpdatePartnerSettings[] =
    "UPDATE partners SET app_token_privilege_ceiling = ?, app_token_show_once = ?, updated_at = ?"
    " WHERE id = ?";

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
                                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kSelectToken[] = "SELECT " KSGATE_TOKEN_COLUMNS
                                " FROM app_tokens WHERE id = ? AND partner_id = ?"
                                " AND status <> " KSGATE_DELETED;
constexpr char kUpdateToken[] = KSGATE_UPDATE_TOKEN("?");
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
constexpr char kUpdateUserRole[] = KSGATE_UPDATE_ROLE("?");

constexpr char kSelectActionsLimit[] =
    "SELECT actions_limit FROM invalid_sessions WHERE key = ? AND type = ?";
constexpr char kInsertActionsLimit[] =
    "INSERT INTO invalid_sessions (key, type, valid_until, actions_limit, created_at)"
    " VALUES (?, ?, ?, ?, ?)";
constexpr char kDecrementActionsLimit[] =
    "UPDATE invalid_sessions SET actions_limit = actions_limit - 1 WHERE key = ? AND type = ?";

constexpr char kUpsertCutoff[] =
    "INSERT INTO session_cutoffs (key, issued_before, updated_at) VALUES (?, ?, ?)"
    " ON CONFLICT (key) DO UPDATE"
    " SET issued_before = MAX(issued_before, excluded.issued_before),"
    " updated_at = excluded.updated_at";
constexpr char kSelectCutoff[] = "SELECT issued_before FROM session_cutoffs WHERE key = ?";

// Counts one session unless the cap is reached: inserts the first, or increments while below
// the cap (no row changes at the cap).
constexpr char kClaimSession[] =
    "INSERT INTO app_token_session_counts (token_id, partner_id, sessions_started)"
    " SELECT ?1, ?2, 1 WHERE ?3 > 0 ON CONFLICT (token_id) DO UPDATE"
    " SET sessions_started = sessions_started + 1 WHERE sessions_started < ?3";

constexpr char kAddUsage[] =
    "INSERT INTO app_token_usage (token_id, partner_id, sessions_started, last_session_at)"
    " VALUES (?, ?, ?, ?) ON CONFLICT (token_id) DO UPDATE"
    " SET sessions_started = sessions_started + excluded.sessions_started,"
    " last_session_at = MAX(last_session_at, excluded.last_session_at)";
constexpr char kSelectUsage[] =
    "SELECT token_id, partner_id, sessions_started, last_session_at FROM app_token_usage"
    " WHERE partner_id = ? ORDER BY token_id";

// --- Helpers -----------------------------------------------------------------------------------

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

// --- Lists ---------------------------------------------------------------------------------------

void BindAll(Statement& s, const std::vector<sql::Param>& params) {
  for (const sql::Param& p : params) {
    std::visit([&](const auto& value) { s.Bind(value); }, p);
  }
}

// Runs a paged list: COUNT(*), then (if anything matched) the page itself, in one read snapshot
// so the two agree. `read_row` turns a row into an element of page->objects.
template <typename Page, typename ReadRow>
Status ReadPagedList(Connection& c, const sql::ListSql& list, ReadRow read_row, Page* page) {
  *page = Page();
  {
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(list.count));
    BindAll(s, list.params);
    KSGATE_ASSIGN_OR_RETURN(bool row, s.Step());
    page->total_count = row ? s.Int(0) : 0;
  }
  if (page->total_count == 0) return Status::Ok();
  KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(list.page));
  BindAll(s, list.page_params);
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

Result<int> SqliteStore::Migrate() { return MigrateTo(INT_MAX); }

Result<int> SqliteStore::MigrateToForTesting(int version) { return MigrateTo(version); }

Result<int> SqliteStore::MigrateTo(int target) {
  int version = 0;
  for (const sqlite::Migration& m : sqlite::Migrations()) {
    if (m.version > target) break;
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

Result<std::vector<std::string>> SqliteStore::DescribeSchemaForTesting() const {
  std::vector<std::string> lines;
  KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
    lines.clear();
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kDescribeSchema));
    while (true) {
      KSGATE_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return Status::Ok();
      lines.push_back(s.Text(0));
    }
  }));
  std::sort(lines.begin(), lines.end());
  return lines;
}

// --- Partners --------------------------------------------------------------------------------

Result<Partner> SqliteStore::CreatePartner(const NewPartner& partner, int64_t now) {
  KSGATE_ASSIGN_OR_RETURN(Partner p, NewPartnerRecord(partner, now));
  KSGATE_RETURN_IF_ERROR(Write([&](Connection& c) -> Status {
    {
      KSGATE_ASSIGN_OR_RETURN(Statement next, c.Prepare(kNextPartnerId));
      KSGATE_ASSIGN_OR_RETURN(bool row, next.Step());
      p.id = row ? next.Int(0) : 1;
    }
    KSGATE_ASSIGN_OR_RETURN(Statement insert, c.Prepare(kInsertPartner));
    sql::BindPartner(p, [&](const auto& value) { insert.Bind(value); });
    return insert.Run();
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

Status SqliteStore::SetPartnerAdminSecrets(int64_t id,
                                           const std::vector<std::string>& admin_secrets,
                                           int64_t now) {
  KSGATE_RETURN_IF_ERROR(ValidateAdminSecrets(admin_secrets));
  return Write([&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUpdatePartnerSecrets));
    KSGATE_RETURN_IF_ERROR(s.Bind(sql::JoinSecrets(admin_secrets)).Bind(now).Bind(id).Run());
    if (c.Changes() == 0) return NotFoundError("partner " + std::to_string(id));
    return Status::Ok();
  });
}

Status SqliteStore::SetPartnerSettings(int64_t id, const PartnerSettings& settings, int64_t now) {
  return Write([&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUpdatePartnerSettings));
    KSGATE_RETURN_IF_ERROR(s.Bind(int64_t{settings.app_token_privilege_ceiling})
                               .Bind(int64_t{settings.app_token_show_once})
                               .Bind(now)
                               .Bind(id)
                               .Run());
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

Status SqliteStore::SetSessionCutoff(const SessionCutoff& cutoff, int64_t now) {
  KSGATE_RETURN_IF_ERROR(ValidateSessionCutoff(cutoff));
  return Write([&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUpsertCutoff));
    return s.Bind(cutoff.key).Bind(cutoff.issued_before).Bind(now).Run();
  });
}

Result<int64_t> SqliteStore::GetSessionCutoff(std::string_view key) const {
  int64_t cutoff = 0;
  KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectCutoff));
    KSGATE_ASSIGN_OR_RETURN(bool row, s.Bind(key).Step());
    cutoff = row ? s.Int(0) : 0;
    return Status::Ok();
  }));
  return cutoff;
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
    sql::BindAppToken(t, [&](const auto& value) { s.Bind(value); });
    Status inserted = s.Run();
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
    sql::BindAppToken(t, [&](const auto& value) { s.Bind(value); });
    KSGATE_RETURN_IF_ERROR(s.Run());
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
  const std::optional<sql::ListSql> list =
      sql::AppTokenListSql(sql::kSqliteDialect, partner_id, query);
  if (!list) return page;  // an empty IN list matches nothing
  KSGATE_RETURN_IF_ERROR(Read(true, [&](Connection& c) {
    return ReadPagedList(c, *list, ReadAppToken<Statement>, &page);
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
      stored.id = sql::NextUserRoleId(row ? s.OptionalInt(0) : std::nullopt);
    }
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertUserRole));
    sql::BindUserRole(stored, [&](const auto& value) { s.Bind(value); });
    return sql::RoleWriteStatus(s.Run(), stored);
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
    sql::BindUserRole(role, [&](const auto& value) { s.Bind(value); });
    KSGATE_RETURN_IF_ERROR(sql::RoleWriteStatus(s.Run(), role));
    if (c.Changes() != 1) {
      return InternalError("user role " + std::to_string(role.id) + ": read but not updated");
    }
    return Status::Ok();
  });
}

Result<UserRolePage> SqliteStore::ListUserRoles(int64_t partner_id,
                                                const UserRoleQuery& query) const {
  UserRolePage page;
  const std::optional<sql::ListSql> list =
      sql::UserRoleListSql(sql::kSqliteDialect, partner_id, query);
  if (!list) return page;  // an empty list matches nothing
  KSGATE_RETURN_IF_ERROR(Read(true, [&](Connection& c) {
    return ReadPagedList(c, *list, ReadUserRole<Statement>, &page);
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

// --- App token session cap --------------------------------------------------------------------

Result<bool> SqliteStore::ClaimAppTokenSession(int64_t partner_id, std::string_view token_id,
                                               int64_t max_sessions) {
  KSGATE_RETURN_IF_ERROR(ValidateSessionClaim(token_id, max_sessions));
  bool claimed = false;
  KSGATE_RETURN_IF_ERROR(Write([&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kClaimSession));
    KSGATE_RETURN_IF_ERROR(s.Bind(token_id).Bind(partner_id).Bind(max_sessions).Run());
    claimed = c.Changes() == 1;
    return Status::Ok();
  }));
  return claimed;
}

// --- App token usage --------------------------------------------------------------------------

Status SqliteStore::AddAppTokenUsage(std::span<const AppTokenUsage> usage) {
  KSGATE_RETURN_IF_ERROR(ValidateAppTokenUsage(usage));
  if (usage.empty()) return Status::Ok();
  return Write([&](Connection& c) -> Status {
    for (const AppTokenUsage& u : usage) {
      KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kAddUsage));
      KSGATE_RETURN_IF_ERROR(s.Bind(u.token_id)
                                 .Bind(u.partner_id)
                                 .Bind(u.sessions_started)
                                 .Bind(u.last_session_at)
                                 .Run());
    }
    return Status::Ok();
  });
}

Result<std::vector<AppTokenUsage>> SqliteStore::ListAppTokenUsage(int64_t partner_id) const {
  std::vector<AppTokenUsage> usage;
  KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
    usage.clear();
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectUsage));
    s.Bind(partner_id);
    while (true) {
      KSGATE_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return Status::Ok();
      usage.push_back(AppTokenUsage{s.Text(0), s.Int(1), s.Int(2), s.Int(3)});
    }
  }));
  return usage;
}

}  // namespace ksgate::store
