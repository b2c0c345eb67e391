#include "store/postgres/pg_store.h"

#include <algorithm>
#include <climits>
#include <utility>
#include <variant>

#include "store/postgres/connection.h"
#include "store/postgres/migrations.h"
#include "store/postgres/notify.h"
#include "store/postgres/statements.h"
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

using pg_sql::kInsertPartner;
using pg_sql::kMigrationLock;
using pg_sql::kNextPartnerId;
using pg_sql::kPartnerIdLock;
using pg_sql::kSelectPartner;
using pg_sql::kSelectPartners;
using pg_sql::kSelectRevokedPrefix;
using pg_sql::kUpdatePartner;
using pg_sql::kUpdatePartnerSecrets;
using pg_sql::kUpdatePartnerSettings;
using pg_sql::kUpdatePartnerStatus;
using pg_sql::Lock;
using pg_sql::Notify;
using pg_sql::PartnerChange;
using pg_sql::RevocationChange;
using pg_sql::UpsertRevocation;

constexpr char kCreateSchemaVersion[] =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
constexpr char kSelectSchemaVersion[] = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
constexpr char kSchemaVersionApplied[] = "SELECT 1 FROM schema_version WHERE version = $1";
constexpr char kInsertSchemaVersion[] =
    "INSERT INTO schema_version (version, name, applied_at)"
    " VALUES ($1, $2, CAST(EXTRACT(EPOCH FROM now()) AS BIGINT))";
constexpr char kDescribeSchema[] =
    "SELECT table_name || '.' || column_name FROM information_schema.columns"
    " WHERE table_schema = current_schema()"
    " UNION ALL SELECT 'index ' || indexname FROM pg_indexes"
    " WHERE schemaname = current_schema() AND indexname NOT LIKE '%\\_pkey'"
    " AND indexname NOT LIKE '%\\_key'";

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
      {
        // Applied, maybe by another process. Every migration not recorded is applied, also
        // one numbered below the latest applied (numbers may have been skipped and filled in
        // later, cmake/EmbedMigrations.cmake).
        KSGATE_ASSIGN_OR_RETURN(Rows applied,
                                c.Run(kSchemaVersionApplied, Params().Add(m.version)));
        if (!applied.empty()) return Status::Ok();
      }
      if (Status s = c.Exec(std::string(m.sql)); !s.ok()) {
        return Status(s.code(), "migration " + std::string(m.name) + ": " + s.message());
      }
      KSGATE_RETURN_IF_ERROR(
          c.Run(kInsertSchemaVersion, Params().Add(m.version).Add(m.name)).status());
      version = std::max(version, m.version);
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
    KSGATE_ASSIGN_OR_RETURN(
        Rows rows,
        c.Run(kUpdatePartnerSettings, Params()
                                          .Add(int64_t{settings.app_token_privilege_ceiling})
                                          .Add(int64_t{settings.app_token_show_once})
                                          .Add(static_cast<int64_t>(settings.user_secret_setrole))
                                          .Add(now)
                                          .Add(id)));
    if (rows.affected() == 0) return NotFoundError("partner " + std::to_string(id));
    return Notify(c, PartnerChange(id));
  });
}

Result<Partner> PgStore::UpdatePartner(int64_t id, const PartnerChanges& changes, int64_t now) {
  std::optional<Partner> updated;
  KSGATE_RETURN_IF_ERROR(Write([&](Connection& c) -> Status {
    updated.reset();
    Params params;
    sql::BindPartnerChanges(id, changes, now, [&](const auto& value) { params.Add(value); });
    KSGATE_ASSIGN_OR_RETURN(Rows rows, c.Run(kUpdatePartner, params));
    if (rows.affected() == 0) return NotFoundError("partner " + std::to_string(id));
    // The same transaction: the partner exactly as this change left it (the row is locked).
    KSGATE_ASSIGN_OR_RETURN(Rows read, c.Run(kSelectPartner, Params().Add(id)));
    if (read.empty()) return InternalError("partner " + std::to_string(id) + " gone after update");
    updated = ReadPartner(read[0]);
    return Notify(c, PartnerChange(id));
  }));
  return *std::move(updated);
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

}  // namespace ksgate::store
