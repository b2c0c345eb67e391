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
#include "store/sqlite/group_commit.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_change_feed.h"
#include "store/sqlite/statements.h"
#include "store/validate.h"

namespace ksgate::store {
namespace {

using sql::ReadAppToken;
using sql::ReadPartner;
using sql::ReadUserRole;
using sqlite::Connection;
using sqlite::Statement;

using sqlite_sql::kInsertPartner;
using sqlite_sql::kNextPartnerId;
using sqlite_sql::kSelectPartner;
using sqlite_sql::kSelectPartners;
using sqlite_sql::kSelectRevoked;
using sqlite_sql::kUpdatePartner;
using sqlite_sql::kUpdatePartnerSecrets;
using sqlite_sql::kUpdatePartnerSettings;
using sqlite_sql::kUpdatePartnerStatus;
using sqlite_sql::UpsertRevocation;

constexpr char kCreateSchemaVersion[] =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)";
constexpr char kSelectSchemaVersion[] = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
constexpr char kSchemaVersionApplied[] = "SELECT 1 FROM schema_version WHERE version = ?";
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

void RollbackIfNeeded(Connection& c) {
  // If even ROLLBACK fails the next BEGIN reports it; nothing better to do here.
  if (c.InTransaction()) static_cast<void>(c.Exec("ROLLBACK"));
}

}  // namespace

// --- Lifecycle -------------------------------------------------------------------------------

SqliteStore::SqliteStore(SqliteOptions options, std::string path,
                         std::unique_ptr<Connection> writer,
                         std::unique_ptr<sqlite::ReaderPool> readers)
    : options_(options),
      path_(std::move(path)),
      writer_(std::move(writer)),
      readers_(std::move(readers)),
      committer_(std::make_unique<sqlite::GroupCommitter>(
          *writer_, writer_mu_,
          sqlite::GroupCommitOptions{.max_batch = options.max_write_batch,
                                     .max_queue = options.max_write_queue,
                                     .busy_retries = options.busy_retries})) {}

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
      new SqliteStore(options, in_memory ? "" : file, std::move(writer), std::move(readers)));
}

std::unique_ptr<ChangeFeed> SqliteStore::NewChangeFeed() const {
  if (path_.empty()) return nullptr;
  return std::make_unique<SqliteChangeFeed>(path_, *committer_);
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

Status SqliteStore::Write(const Work& work) { return committer_->Run(work); }

WriteLane* SqliteStore::write_lane() { return committer_.get(); }

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
  if (committer_->InTaskOnThisThread()) {
    // A request the writer runs inside its batch reads what its batch wrote so far: on the
    // writer's connection, whose mutex this thread holds, inside the open transaction (so no
    // BEGIN of its own).
    return work(*writer_);
  }
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
      {
        // Applied, maybe by another process. Every migration not recorded is applied, also
        // one numbered below the latest applied (numbers may have been skipped and filled in
        // later, cmake/EmbedMigrations.cmake).
        KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSchemaVersionApplied));
        KSGATE_ASSIGN_OR_RETURN(bool applied, s.Bind(m.version).Step());
        if (applied) return Status::Ok();
      }
      if (Status s = c.Exec(std::string(m.sql)); !s.ok()) {
        return Status(s.code(), "migration " + std::string(m.name) + ": " + s.message());
      }
      KSGATE_ASSIGN_OR_RETURN(Statement record, c.Prepare(kInsertSchemaVersion));
      KSGATE_RETURN_IF_ERROR(record.Bind(m.version).Bind(m.name).Run());
      version = std::max(version, m.version);
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
                               .Bind(static_cast<int64_t>(settings.user_secret_setrole))
                               .Bind(now)
                               .Bind(id)
                               .Run());
    if (c.Changes() == 0) return NotFoundError("partner " + std::to_string(id));
    return Status::Ok();
  });
}

Result<Partner> SqliteStore::UpdatePartner(int64_t id, const PartnerChanges& changes, int64_t now) {
  std::optional<Partner> updated;
  KSGATE_RETURN_IF_ERROR(Write([&](Connection& c) -> Status {
    updated.reset();
    KSGATE_ASSIGN_OR_RETURN(Statement update, c.Prepare(kUpdatePartner));
    sql::BindPartnerChanges(id, changes, now, [&](const auto& value) { update.Bind(value); });
    KSGATE_RETURN_IF_ERROR(update.Run());
    if (c.Changes() == 0) return NotFoundError("partner " + std::to_string(id));
    // The same transaction: the partner exactly as this change left it.
    KSGATE_ASSIGN_OR_RETURN(Statement select, c.Prepare(kSelectPartner));
    select.Bind(id);
    KSGATE_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return InternalError("partner " + std::to_string(id) + " gone after its update");
    updated = ReadPartner(select);
    return Status::Ok();
  }));
  return *std::move(updated);
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
