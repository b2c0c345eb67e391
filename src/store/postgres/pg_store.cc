#include "store/postgres/pg_store.h"

#include <algorithm>
#include <climits>
#include <utility>
#include <variant>

#include "store/postgres/connection.h"
#include "store/postgres/migrations.h"
#include "store/postgres/notify.h"
#include "store/sql_common.h"
#include "store/validate.h"

namespace ksgate::store {
namespace {

using postgres::Connection;
using postgres::Params;
using postgres::Rows;
using sql::ReadAppToken;
using sql::ReadPartner;
using sql::ReadUserRole;

// Advisory lock keys (pg_advisory_xact_lock, one 64-bit key space per database): "ksgate" in
// the high bytes, then what the lock guards.
constexpr int64_t kMigrationLock = 0x6b73676174650001;
constexpr int64_t kPartnerIdLock = 0x6b73676174650002;
constexpr int64_t kUserRoleIdLock = 0x6b73676174650003;

constexpr char kLock[] = "SELECT pg_advisory_xact_lock($1)";
constexpr char kNotify[] = "SELECT pg_notify($1, $2)";

constexpr char kCreateSchemaVersion[] =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
constexpr char kSelectSchemaVersion[] = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
constexpr char kInsertSchemaVersion[] =
    "INSERT INTO schema_version (version, name, applied_at)"
    " VALUES ($1, $2, CAST(EXTRACT(EPOCH FROM now()) AS BIGINT))";
constexpr char kDescribeSchema[] =
    "SELECT table_name || '.' || column_name FROM information_schema.columns"
    " WHERE table_schema = current_schema()"
    " UNION ALL SELECT 'index ' || indexname FROM pg_indexes"
    " WHERE schemaname = current_schema() AND indexname NOT LIKE '%\\_pkey'"
    " AND indexname NOT LIKE '%\\_key'";

constexpr char kNextPartnerId[] = "SELECT COALESCE(MAX(id), 0) + 1 FROM partners";
constexpr char kInsertPartner[] = "INSERT INTO partners (" KSGATE_PARTNER_COLUMNS
                                  ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
constexpr char kSelectPartner[] = "SELECT " KSGATE_PARTNER_COLUMNS " FROM partners WHERE id = $1";
constexpr char kSelectPartners[] = "SELECT " KSGATE_PARTNER_COLUMNS " FROM partners ORDER BY id";
constexpr char kPartnerExists[] = "SELECT 1 FROM partners WHERE id = $1";
constexpr char kUpdatePartnerStatus[] =
    "UPDATE partners SET status = $1, updated_at = $2 WHERE id = $3";
constexpr char kUpdatePartnerSecrets[] =
    "UPDATE partners SET admin_secrets = $1, updated_at = $2 WHERE id = $3";
constexpr char kUpdatePartnerSettings[] =
    "UPDATE partners SET app_token_privilege_ceiling = $1, app_token_show_once = $2,"
    " updated_at = $3 WHERE id = $4";

constexpr char kUpsertRevocation[] =
    "INSERT INTO invalid_sessions (key, type, valid_until, actions_limit, created_at)"
    " VALUES ($1, $2, $3, $4, $5)"
    " ON CONFLICT (key, type) DO UPDATE"
    " SET valid_until = excluded.valid_until, actions_limit = excluded.actions_limit";
// $1 is now - grace: valid_until + grace > now, without overflow near INT64_MAX. The keys
// follow as $2, $3, ...
constexpr char kSelectRevokedPrefix[] =
    "SELECT 1 FROM invalid_sessions WHERE actions_limit IS NULL"
    " AND (valid_until IS NULL OR valid_until > $1) AND key IN (";

constexpr char kInsertToken[] = "INSERT INTO app_tokens (" KSGATE_TOKEN_COLUMNS
                                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
                                " $14, $15, $16, $17, $18, $19, $20)";
#define KSGATE_SELECT_TOKEN      \
  "SELECT " KSGATE_TOKEN_COLUMNS \
  " FROM app_tokens WHERE id = $1 AND partner_id = $2 AND status <> " KSGATE_DELETED
constexpr char kSelectToken[] = KSGATE_SELECT_TOKEN;
constexpr char kLockToken[] = KSGATE_SELECT_TOKEN " FOR UPDATE";
constexpr char kUpdateToken[] = KSGATE_UPDATE_TOKEN("$");
constexpr char kDeleteToken[] =
    "UPDATE app_tokens SET status = " KSGATE_DELETED
    ", updated_at = $1 WHERE id = $2 AND partner_id = $3 AND status <> " KSGATE_DELETED;

constexpr char kMaxUserRoleId[] = "SELECT MAX(id) FROM user_roles";
constexpr char kInsertUserRole[] = "INSERT INTO user_roles (" KSGATE_ROLE_COLUMNS
                                   ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
#define KSGATE_SELECT_ROLE      \
  "SELECT " KSGATE_ROLE_COLUMNS \
  " FROM user_roles WHERE id = $1 AND partner_id = $2 AND status <> " KSGATE_DELETED
constexpr char kSelectUserRole[] = KSGATE_SELECT_ROLE;
constexpr char kLockUserRole[] = KSGATE_SELECT_ROLE " FOR UPDATE";
constexpr char kSelectUserRoleBySystemName[] =
    "SELECT " KSGATE_ROLE_COLUMNS
    " FROM user_roles WHERE partner_id = $1 AND system_name = $2 AND status <> " KSGATE_DELETED
    " ORDER BY id LIMIT 1";
constexpr char kUpdateUserRole[] = KSGATE_UPDATE_ROLE("$");

constexpr char kInsertActionsLimit[] =
    "INSERT INTO invalid_sessions (key, type, valid_until, actions_limit, created_at)"
    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key, type) DO NOTHING";
constexpr char kLockActionsLimit[] =
    "SELECT actions_limit FROM invalid_sessions WHERE key = $1 AND type = $2 FOR UPDATE";
constexpr char kDecrementActionsLimit[] =
    "UPDATE invalid_sessions SET actions_limit = actions_limit - 1 WHERE key = $1 AND type = $2";

constexpr char kUpsertCutoff[] =
    "INSERT INTO session_cutoffs (key, issued_before, updated_at) VALUES ($1, $2, $3)"
    " ON CONFLICT (key) DO UPDATE"
    " SET issued_before = GREATEST(session_cutoffs.issued_before, excluded.issued_before),"
    " updated_at = excluded.updated_at";
constexpr char kSelectCutoff[] = "SELECT issued_before FROM session_cutoffs WHERE key = $1";

// Counts one session unless the cap is reached: inserts the first, or increments while below
// the cap. The conflicting row is locked, so concurrent claims queue and each sees the last
// count.
constexpr char kClaimSession[] =
    "INSERT INTO app_token_session_counts (token_id, partner_id, sessions_started)"
    " SELECT $1::TEXT, $2::BIGINT, 1 WHERE $3::BIGINT > 0 ON CONFLICT (token_id) DO UPDATE"
    " SET sessions_started = app_token_session_counts.sessions_started + 1"
    " WHERE app_token_session_counts.sessions_started < $3::BIGINT";

constexpr char kAddUsage[] =
    "INSERT INTO app_token_usage (token_id, partner_id, sessions_started, last_session_at)"
    " VALUES ($1, $2, $3, $4) ON CONFLICT (token_id) DO UPDATE"
    " SET sessions_started = app_token_usage.sessions_started + excluded.sessions_started,"
    " last_session_at = GREATEST(app_token_usage.last_session_at, excluded.last_session_at)";
constexpr char kSelectUsage[] =
    "SELECT token_id, partner_id, sessions_started, last_session_at FROM app_token_usage"
    " WHERE partner_id = $1 ORDER BY token_id";

// --- Helpers ---------------------------------------------------------------------------------

Status Lock(Connection& c, int64_t key) { return c.Run(kLock, Params().Add(key)).status(); }

// Queues a change notification; PostgreSQL delivers it when the transaction commits.
Status Notify(Connection& c, const Change& change) {
  return c.Run(kNotify, Params().Add(postgres::kChangesChannel).Add(postgres::EncodeChange(change)))
      .status();
}

Change PartnerChange(int64_t partner_id) {
  return Change{Change::Kind::kPartner, partner_id, std::string()};
}
Change TokenChange(int64_t partner_id, std::string_view id) {
  return Change{Change::Kind::kAppToken, partner_id, std::string(id)};
}
Change RoleChange(int64_t partner_id, int64_t id) {
  return Change{Change::Kind::kUserRole, partner_id, std::to_string(id)};
}
Change RevocationChange(std::string_view key) {
  return Change{Change::Kind::kRevocation, 0, std::string(key)};
}

// The upsert behind Revoke (actions_limit null) and SetActionsLimitForTesting, with its NOTIFY.
Status UpsertRevocation(Connection& c, const Revocation& r, std::optional<int64_t> actions_limit,
                        int64_t now) {
  KSGATE_RETURN_IF_ERROR(c.Run(kUpsertRevocation, Params()
                                                      .Add(r.key)
                                                      .Add(static_cast<int64_t>(r.type))
                                                      .Add(r.valid_until)
                                                      .Add(actions_limit)
                                                      .Add(now))
                             .status());
  return Notify(c, RevocationChange(r.key));
}

Status PartnerExists(Connection& c, int64_t partner_id) {
  KSGATE_ASSIGN_OR_RETURN(Rows rows, c.Run(kPartnerExists, Params().Add(partner_id)));
  if (rows.empty()) return NotFoundError("partner " + std::to_string(partner_id));
  return Status::Ok();
}

Params ToParams(const std::vector<sql::Param>& params) {
  Params out;
  for (const sql::Param& p : params) {
    std::visit([&](const auto& value) { out.Add(value); }, p);
  }
  return out;
}

// Runs a paged list: COUNT(*), then (if anything matched) the page, in the caller's snapshot.
template <typename Page, typename ReadRow>
Status ReadPagedList(Connection& c, const sql::ListSql& list, ReadRow read_row, Page* page) {
  *page = Page();
  {
    KSGATE_ASSIGN_OR_RETURN(Rows rows, c.RunDynamic(list.count, ToParams(list.params)));
    page->total_count = rows.empty() ? 0 : rows[0].Int(0);
  }
  if (page->total_count == 0) return Status::Ok();
  KSGATE_ASSIGN_OR_RETURN(Rows rows, c.RunDynamic(list.page, ToParams(list.page_params)));
  for (int i = 0; i < rows.size(); ++i) page->objects.push_back(read_row(rows[i]));
  return Status::Ok();
}

}  // namespace

// --- Lifecycle -------------------------------------------------------------------------------

PgStore::PgStore(std::unique_ptr<postgres::Pool> pool) : pool_(std::move(pool)) {}

PgStore::~PgStore() = default;

Result<std::unique_ptr<PgStore>> PgStore::Open(std::string_view conninfo,
                                               const PgOptions& options) {
  KSGATE_ASSIGN_OR_RETURN(
      postgres::ConnInfo info,
      postgres::ConnInfo::Parse(std::string(conninfo), options.connect_timeout));
  auto pool = std::make_unique<postgres::Pool>(
      std::move(info), postgres::PoolOptions{options.pool_size, options.acquire_timeout});
  {
    // One connection now, so that a wrong host, credential or database fails here; it stays
    // in the pool.
    KSGATE_ASSIGN_OR_RETURN(postgres::Pool::Lease lease, pool->Acquire());
  }
  return std::unique_ptr<PgStore>(new PgStore(std::move(pool)));
}

// --- Transactions ----------------------------------------------------------------------------

Status PgStore::Write(const Work& work) {
  Status s;
  for (int attempt = 0; attempt < 2; ++attempt) {
    KSGATE_ASSIGN_OR_RETURN(postgres::Pool::Lease lease, pool_->Acquire());
    Connection& c = *lease;
    bool committing = false;
    s = c.Exec("BEGIN");
    if (s.ok()) s = work(c);
    if (s.ok()) {
      committing = true;
      s = c.Exec("COMMIT");
    }
    if (s.ok()) return s;
    if (!c.Broken()) {
      // An ordinary failure: roll back (the pool drops the connection if even that fails).
      if (!c.Idle()) static_cast<void>(c.Exec("ROLLBACK"));
      return s;
    }
    lease.Discard();
    pool_->DiscardIdle();
    if (committing) {
      return UnavailableError(
          "PostgreSQL connection lost during COMMIT; the change may or may "
          "not have been applied: " +
          s.message());
    }
    // The server rolls back a transaction whose connection is gone: safe to run it again.
  }
  return s;
}

Status PgStore::Read(bool snapshot, const Work& work) const {
  Status s;
  for (int attempt = 0; attempt < 2; ++attempt) {
    KSGATE_ASSIGN_OR_RETURN(postgres::Pool::Lease lease, pool_->Acquire());
    Connection& c = *lease;
    if (snapshot) {
      s = c.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      if (s.ok()) s = work(c);
      if (s.ok()) s = c.Exec("COMMIT");
      if (!s.ok() && !c.Broken() && !c.Idle()) static_cast<void>(c.Exec("ROLLBACK"));
    } else {
      s = work(c);
    }
    if (s.ok() || !c.Broken()) return s;
    lease.Discard();
    pool_->DiscardIdle();
  }
  return s;
}

// --- Schema ----------------------------------------------------------------------------------

Result<int> PgStore::Migrate() { return MigrateTo(INT_MAX); }

Result<int> PgStore::MigrateToForTesting(int version) { return MigrateTo(version); }

Result<int> PgStore::MigrateTo(int target) {
  int version = 0;
  for (const Migration& m : postgres::Migrations()) {
    if (m.version > target) break;
    KSGATE_RETURN_IF_ERROR(Write([&](Connection& c) -> Status {
      // Serializes migrating processes, CREATE TABLE IF NOT EXISTS included.
      KSGATE_RETURN_IF_ERROR(Lock(c, kMigrationLock));
      KSGATE_RETURN_IF_ERROR(c.Exec(kCreateSchemaVersion));
      {
        KSGATE_ASSIGN_OR_RETURN(Rows rows, c.Run(kSelectSchemaVersion));
        version = rows.empty() ? 0 : static_cast<int>(rows[0].Int(0));
      }
      if (version >= m.version) return Status::Ok();  // applied, maybe by another process
      if (Status s = c.Exec(std::string(m.sql)); !s.ok()) {
        return Status(s.code(), "migration " + std::string(m.name) + ": " + s.message());
      }
      KSGATE_RETURN_IF_ERROR(
          c.Run(kInsertSchemaVersion, Params().Add(m.version).Add(m.name)).status());
      version = m.version;
      return Status::Ok();
    }));
  }
  if (version == 0) {
    // Nothing to apply (target 0): report what is in force.
    KSGATE_RETURN_IF_ERROR(Write([&](Connection& c) -> Status {
      KSGATE_RETURN_IF_ERROR(Lock(c, kMigrationLock));
      KSGATE_RETURN_IF_ERROR(c.Exec(kCreateSchemaVersion));
      KSGATE_ASSIGN_OR_RETURN(Rows rows, c.Run(kSelectSchemaVersion));
      version = rows.empty() ? 0 : static_cast<int>(rows[0].Int(0));
      return Status::Ok();
    }));
  }
  return version;
}

Result<std::vector<std::string>> PgStore::DescribeSchemaForTesting() const {
  std::vector<std::string> lines;
  KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Rows rows, c.Run(kDescribeSchema));
    lines.clear();
    for (int i = 0; i < rows.size(); ++i) lines.push_back(rows[i].Text(0));
    return Status::Ok();
  }));
  std::sort(lines.begin(), lines.end());
  return lines;
}

// --- Partners --------------------------------------------------------------------------------

Result<Partner> PgStore::CreatePartner(const NewPartner& partner, int64_t now) {
  KSGATE_ASSIGN_OR_RETURN(Partner p, NewPartnerRecord(partner, now));
  KSGATE_RETURN_IF_ERROR(Write([&](Connection& c) -> Status {
    // Held until commit, so the next CreatePartner anywhere sees this row.
    KSGATE_RETURN_IF_ERROR(Lock(c, kPartnerIdLock));
    {
      KSGATE_ASSIGN_OR_RETURN(Rows rows, c.Run(kNextPartnerId));
      p.id = rows.empty() ? 1 : rows[0].Int(0);
    }
    Params params;
    sql::BindPartner(p, [&](const auto& value) { params.Add(value); });
    KSGATE_RETURN_IF_ERROR(c.Run(kInsertPartner, params).status());
    return Notify(c, PartnerChange(p.id));
  }));
  return p;
}

Result<Partner> PgStore::GetPartner(int64_t id) const {
  std::optional<Partner> found;
  KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Rows rows, c.Run(kSelectPartner, Params().Add(id)));
    found.reset();
    if (!rows.empty()) found = ReadPartner(rows[0]);
    return Status::Ok();
  }));
  if (!found) return NotFoundError("partner " + std::to_string(id));
  return *std::move(found);
}

Result<std::vector<Partner>> PgStore::ListPartners() const {
  std::vector<Partner> partners;
  KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Rows rows, c.Run(kSelectPartners));
    partners.clear();
    for (int i = 0; i < rows.size(); ++i) partners.push_back(ReadPartner(rows[i]));
    return Status::Ok();
  }));
  return partners;
}

Status PgStore::SetPartnerStatus(int64_t id, PartnerStatus status, int64_t now) {
  return Write([&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(
        Rows rows,
        c.Run(kUpdatePartnerStatus, Params().Add(static_cast<int64_t>(status)).Add(now).Add(id)));
    if (rows.affected() == 0) return NotFoundError("partner " + std::to_string(id));
    return Notify(c, PartnerChange(id));
  });
}

Status PgStore::SetPartnerAdminSecrets(int64_t id, const std::vector<std::string>& admin_secrets,
                                       int64_t now) {
  KSGATE_RETURN_IF_ERROR(ValidateAdminSecrets(admin_secrets));
  return Write([&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Rows rows,
                            c.Run(kUpdatePartnerSecrets,
                                  Params().Add(sql::JoinSecrets(admin_secrets)).Add(now).Add(id)));
    if (rows.affected() == 0) return NotFoundError("partner " + std::to_string(id));
    return Notify(c, PartnerChange(id));
  });
}

Status PgStore::SetPartnerSettings(int64_t id, const PartnerSettings& settings, int64_t now) {
  return Write([&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Rows rows, c.Run(kUpdatePartnerSettings,
                                             Params()
                                                 .Add(int64_t{settings.app_token_privilege_ceiling})
                                                 .Add(int64_t{settings.app_token_show_once})
                                                 .Add(now)
                                                 .Add(id)));
    if (rows.affected() == 0) return NotFoundError("partner " + std::to_string(id));
    return Notify(c, PartnerChange(id));
  });
}

// --- Revocation ------------------------------------------------------------------------------

Status PgStore::Revoke(const Revocation& revocation, int64_t now) {
  return Write([&](Connection& c) { return UpsertRevocation(c, revocation, std::nullopt, now); });
}

Status PgStore::SetActionsLimitForTesting(const Revocation& revocation, int64_t actions_limit,
                                          int64_t now) {
  return Write([&](Connection& c) { return UpsertRevocation(c, revocation, actions_limit, now); });
}

Result<bool> PgStore::IsRevoked(std::span<const std::string> keys, int64_t now) const {
  if (keys.empty()) return false;
  const std::string query =
      kSelectRevokedPrefix + sql::Placeholders(sql::kPostgresDialect, 2, keys.size()) + ") LIMIT 1";
  Params params;
  params.Add(now - kRevocationGraceSeconds);
  for (const std::string& key : keys) params.Add(key);
  bool revoked = false;
  KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Rows rows, c.RunDynamic(query, params));
    revoked = !rows.empty();
    return Status::Ok();
  }));
  return revoked;
}

Status PgStore::SetSessionCutoff(const SessionCutoff& cutoff, int64_t now) {
  KSGATE_RETURN_IF_ERROR(ValidateSessionCutoff(cutoff));
  return Write([&](Connection& c) -> Status {
    KSGATE_RETURN_IF_ERROR(
        c.Run(kUpsertCutoff, Params().Add(cutoff.key).Add(cutoff.issued_before).Add(now)).status());
    return Notify(c, RevocationChange(cutoff.key));
  });
}

Result<int64_t> PgStore::GetSessionCutoff(std::string_view key) const {
  int64_t cutoff = 0;
  KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Rows rows, c.Run(kSelectCutoff, Params().Add(key)));
    cutoff = rows.empty() ? 0 : rows[0].Int(0);
    return Status::Ok();
  }));
  return cutoff;
}

// --- App tokens ------------------------------------------------------------------------------

Status PgStore::InsertAppToken(const AppToken& t) {
  return Write([&](Connection& c) -> Status {
    KSGATE_RETURN_IF_ERROR(PartnerExists(c, t.partner_id));
    Params params;
    sql::BindAppToken(t, [&](const auto& value) { params.Add(value); });
    Status inserted = c.Run(kInsertToken, params).status();
    if (inserted.code() == StatusCode::kAlreadyExists) {
      return AlreadyExistsError("app token id " + t.id + " is taken");
    }
    KSGATE_RETURN_IF_ERROR(inserted);
    return Notify(c, TokenChange(t.partner_id, t.id));
  });
}

Result<AppToken> PgStore::GetAppToken(int64_t partner_id, std::string_view id) const {
  std::optional<AppToken> found;
  KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Rows rows, c.Run(kSelectToken, Params().Add(id).Add(partner_id)));
    found.reset();
    if (!rows.empty()) found = ReadAppToken(rows[0]);
    return Status::Ok();
  }));
  if (!found) return NotFoundError("app token " + std::string(id));
  return *std::move(found);
}

Status PgStore::UpdateAppToken(const AppToken& expected, const AppToken& t) {
  KSGATE_RETURN_IF_ERROR(ValidateAppTokenUpdate(expected, t));
  return Write([&](Connection& c) -> Status {
    {
      KSGATE_ASSIGN_OR_RETURN(Rows rows, c.Run(kLockToken, Params().Add(t.id).Add(t.partner_id)));
      if (rows.empty()) return NotFoundError("app token " + t.id);
      if (ReadAppToken(rows[0]) != expected) {
        return AbortedError("app token " + t.id + " changed concurrently");
      }
    }
    Params params;
    sql::BindAppToken(t, [&](const auto& value) { params.Add(value); });
    KSGATE_ASSIGN_OR_RETURN(Rows updated, c.Run(kUpdateToken, params));
    if (updated.affected() != 1) {
      return InternalError("app token " + t.id + ": read but not updated");
    }
    return Notify(c, TokenChange(t.partner_id, t.id));
  });
}

Status PgStore::DeleteAppToken(int64_t partner_id, std::string_view id,
                               const Revocation& revocation, int64_t now) {
  return Write([&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Rows rows,
                            c.Run(kDeleteToken, Params().Add(now).Add(id).Add(partner_id)));
    if (rows.affected() == 0) return NotFoundError("app token " + std::string(id));
    KSGATE_RETURN_IF_ERROR(Notify(c, TokenChange(partner_id, id)));
    return UpsertRevocation(c, revocation, std::nullopt, now);
  });
}

Result<AppTokenPage> PgStore::ListAppTokens(int64_t partner_id, const AppTokenQuery& query) const {
  AppTokenPage page;
  const std::optional<sql::ListSql> list =
      sql::AppTokenListSql(sql::kPostgresDialect, partner_id, query);
  if (!list) return page;  // an empty IN list matches nothing
  KSGATE_RETURN_IF_ERROR(Read(true, [&](Connection& c) {
    return ReadPagedList(c, *list, ReadAppToken<postgres::Row>, &page);
  }));
  return page;
}

// --- User roles ------------------------------------------------------------------------------

Result<UserRole> PgStore::InsertUserRole(const UserRole& role) {
  KSGATE_RETURN_IF_ERROR(ValidateNewUserRole(role));
  UserRole stored = role;
  KSGATE_RETURN_IF_ERROR(Write([&](Connection& c) -> Status {
    KSGATE_RETURN_IF_ERROR(PartnerExists(c, role.partner_id));
    // Held until commit: the next InsertUserRole anywhere sees this row (or, if this one fails,
    // gets the same id: a failed insert uses up none).
    KSGATE_RETURN_IF_ERROR(Lock(c, kUserRoleIdLock));
    {
      KSGATE_ASSIGN_OR_RETURN(Rows rows, c.Run(kMaxUserRoleId));
      stored.id = sql::NextUserRoleId(rows.empty() ? std::nullopt : rows[0].OptionalInt(0));
    }
    Params params;
    sql::BindUserRole(stored, [&](const auto& value) { params.Add(value); });
    KSGATE_RETURN_IF_ERROR(sql::RoleWriteStatus(c.Run(kInsertUserRole, params).status(), stored));
    return Notify(c, RoleChange(stored.partner_id, stored.id));
  }));
  return stored;
}

Result<UserRole> PgStore::GetUserRole(int64_t partner_id, int64_t id) const {
  std::optional<UserRole> found;
  KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Rows rows, c.Run(kSelectUserRole, Params().Add(id).Add(partner_id)));
    found.reset();
    if (!rows.empty()) found = ReadUserRole(rows[0]);
    return Status::Ok();
  }));
  if (!found) return NotFoundError("user role " + std::to_string(id));
  return *std::move(found);
}

Result<UserRole> PgStore::FindUserRoleBySystemName(int64_t partner_id,
                                                   std::string_view system_name) const {
  std::optional<UserRole> found;
  if (!system_name.empty()) {
    KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
      KSGATE_ASSIGN_OR_RETURN(
          Rows rows, c.Run(kSelectUserRoleBySystemName, Params().Add(partner_id).Add(system_name)));
      found.reset();
      if (!rows.empty()) found = ReadUserRole(rows[0]);
      return Status::Ok();
    }));
  }
  if (!found) return NotFoundError("user role " + std::string(system_name));
  return *std::move(found);
}

Status PgStore::UpdateUserRole(const UserRole& expected, const UserRole& role) {
  KSGATE_RETURN_IF_ERROR(ValidateUserRoleUpdate(expected, role));
  return Write([&](Connection& c) -> Status {
    {
      KSGATE_ASSIGN_OR_RETURN(Rows rows,
                              c.Run(kLockUserRole, Params().Add(role.id).Add(role.partner_id)));
      if (rows.empty()) return NotFoundError("user role " + std::to_string(role.id));
      if (ReadUserRole(rows[0]) != expected) {
        return AbortedError("user role " + std::to_string(role.id) + " changed concurrently");
      }
    }
    // The partial unique indexes on live names report a clash as kAlreadyExists.
    Params params;
    sql::BindUserRole(role, [&](const auto& value) { params.Add(value); });
    Result<Rows> updated = c.Run(kUpdateUserRole, params);
    KSGATE_RETURN_IF_ERROR(sql::RoleWriteStatus(updated.status(), role));
    if (updated->affected() != 1) {
      return InternalError("user role " + std::to_string(role.id) + ": read but not updated");
    }
    return Notify(c, RoleChange(role.partner_id, role.id));
  });
}

Result<UserRolePage> PgStore::ListUserRoles(int64_t partner_id, const UserRoleQuery& query) const {
  UserRolePage page;
  const std::optional<sql::ListSql> list =
      sql::UserRoleListSql(sql::kPostgresDialect, partner_id, query);
  if (!list) return page;  // an empty list matches nothing
  KSGATE_RETURN_IF_ERROR(Read(true, [&](Connection& c) {
    return ReadPagedList(c, *list, ReadUserRole<postgres::Row>, &page);
  }));
  return page;
}

// --- Actions limit ---------------------------------------------------------------------------

Result<ActionsLimitState> PgStore::ConsumeAction(std::string_view ks_hash, int64_t limit,
                                                 std::optional<int64_t> valid_until, int64_t now) {
  KSGATE_RETURN_IF_ERROR(ValidateActionsLimit(limit));
  const int64_t type = static_cast<int64_t>(RevocationType::kKsHash);
  ActionsLimitState state = ActionsLimitState::kAllowed;
  KSGATE_RETURN_IF_ERROR(Write([&](Connection& c) -> Status {
    {
      // Waits for a concurrent insert of the same key to commit, then does nothing.
      KSGATE_ASSIGN_OR_RETURN(
          Rows inserted,
          c.Run(kInsertActionsLimit,
                Params().Add(ks_hash).Add(type).Add(valid_until).Add(limit - 1).Add(now)));
      if (inserted.affected() == 1) {
        state = ActionsLimitState::kAllowed;
        return Status::Ok();
      }
    }
    std::optional<int64_t> remaining;
    {
      KSGATE_ASSIGN_OR_RETURN(Rows rows, c.Run(kLockActionsLimit, Params().Add(ks_hash).Add(type)));
      if (rows.empty()) return InternalError("actions limit row vanished");
      remaining = rows[0].OptionalInt(0);
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
    return c.Run(kDecrementActionsLimit, Params().Add(ks_hash).Add(type)).status();
  }));
  return state;
}

// --- App token session cap --------------------------------------------------------------------

Result<bool> PgStore::ClaimAppTokenSession(int64_t partner_id, std::string_view token_id,
                                           int64_t max_sessions) {
  KSGATE_RETURN_IF_ERROR(ValidateSessionClaim(token_id, max_sessions));
  bool claimed = false;
  KSGATE_RETURN_IF_ERROR(Write([&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(
        Rows rows, c.Run(kClaimSession, Params().Add(token_id).Add(partner_id).Add(max_sessions)));
    claimed = rows.affected() == 1;
    return Status::Ok();
  }));
  return claimed;
}

// --- App token usage --------------------------------------------------------------------------

Status PgStore::AddAppTokenUsage(std::span<const AppTokenUsage> usage) {
  KSGATE_RETURN_IF_ERROR(ValidateAppTokenUsage(usage));
  if (usage.empty()) return Status::Ok();
  return Write([&](Connection& c) -> Status {
    for (const AppTokenUsage& u : usage) {
      KSGATE_RETURN_IF_ERROR(c.Run(kAddUsage, Params()
                                                  .Add(u.token_id)
                                                  .Add(u.partner_id)
                                                  .Add(u.sessions_started)
                                                  .Add(u.last_session_at))
                                 .status());
    }
    return Status::Ok();
  });
}

Result<std::vector<AppTokenUsage>> PgStore::ListAppTokenUsage(int64_t partner_id) const {
  std::vector<AppTokenUsage> usage;
  KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Rows rows, c.Run(kSelectUsage, Params().Add(partner_id)));
    usage.clear();
    for (int i = 0; i < rows.size(); ++i) {
      usage.push_back(
          AppTokenUsage{rows[i].Text(0), rows[i].Int(1), rows[i].Int(2), rows[i].Int(3)});
    }
    return Status::Ok();
  }));
  return usage;
}

}  // namespace ksgate::store
