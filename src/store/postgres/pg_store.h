// PgStore: the Store on PostgreSQL (libpq), for several stateless ksgate nodes sharing one
// database. Same tables and columns as the SQLite store (numbered migrations embedded in the
// binary, migrations.h): partners, app_tokens, invalid_sessions, user_roles, schema_version.
// Every value is a bound parameter of a statement prepared once per connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/list_marks.h"
#include "store/records.h"
#include "store/store.h"

namespace ksgate::store {

namespace postgres {
class Connection;
class Pool;
}  // namespace postgres

struct PgOptions {
  // Connections at most. A call that finds all of them busy waits up to acquire_timeout for
  // one, then fails with kUnavailable.
  // Short, so that a request that needs the store while the database is gone answers within
  // about 2 s (docs/operations.md, "Many nodes").
  int pool_size = 8;
  std::chrono::milliseconds acquire_timeout{1000};
  // How long opening a connection may take, unless the connection string (connect_timeout) or
  // PGCONNECT_TIMEOUT says otherwise. libpq's minimum is 2 s.
  std::chrono::seconds connect_timeout{2};
};

// Concurrency design: a bounded pool of connections (PgOptions). Every write is one
// transaction (READ COMMITTED) that takes what it needs: row locks (SELECT ... FOR UPDATE) for
// compare-and-set and ConsumeAction, advisory transaction locks for id allocation and
// migrations, so that stores in many processes on one database agree. Every write transaction
// also NOTIFYs ksgate_changes with what it changed (postgres/notify.h), delivered on commit;
// PgChangeFeed listens. Lists read one REPEATABLE READ snapshot. Every method is thread-safe.
//
// Errors beyond store.h's: kUnavailable when the server cannot be reached, a connection was
// lost in a way that makes retrying unsafe (during COMMIT: the change may or may not have been
// applied), or every pooled connection stayed busy past acquire_timeout.
//
// Reconnection: a connection found broken (after a server restart, a network cut, an operator
// terminating it) is closed along with every idle one, and the operation runs once more on a
// fresh connection when that is safe: always for reads, and for writes whose transaction
// certainly did not commit (the connection failed before COMMIT was sent).
//
// Messages never contain the password (it is masked wherever libpq might echo it) nor any
// parameter value the server would quote (only the server's primary message is kept).
class PgStore final : public Store {
 public:
  // Connects to the database `conninfo` names: a postgresql:// or postgres:// URL, or libpq
  // key=value pairs, passed to libpq as is, so its PG* environment variables fill in whatever
  // it leaves out ("postgresql://" alone uses them all). Opens one connection to check that the
  // database is usable. kInvalidArgument if libpq cannot parse the string; kUnavailable if the
  // server cannot be reached or refuses the connection (credentials, unknown database). Does not
  // migrate.
  static Result<std::unique_ptr<PgStore>> Open(std::string_view conninfo,
                                               const PgOptions& options = {});
  ~PgStore() override;

  // Applies every embedded migration newer than schema_version, each in its own transaction
  // under an advisory lock that re-checks the version first, so two processes migrating at once
  // apply each migration exactly once. Returns the highest version recorded.
  Result<int> Migrate() override;

  // CreatePartner takes an advisory lock for the id, so processes never hand out the same one.
  Result<Partner> CreatePartner(const NewPartner& partner, int64_t now) override;
  Result<Partner> GetPartner(int64_t id) const override;
  Result<std::vector<Partner>> ListPartners() const override;
  Status SetPartnerStatus(int64_t id, PartnerStatus status, int64_t now) override;
  Status SetPartnerAdminSecrets(int64_t id, const std::vector<std::string>& admin_secrets,
                                int64_t now) override;
  Status SetPartnerSettings(int64_t id, const PartnerSettings& settings, int64_t now) override;
  Result<Partner> UpdatePartner(int64_t id, const PartnerChanges& changes, int64_t now) override;

  Status Revoke(const Revocation& revocation, int64_t now) override;
  Result<bool> IsRevoked(std::span<const std::string> keys, int64_t now) const override;
  // NOTIFYs k:<key>, as a revocation does.
  Status SetSessionCutoff(const SessionCutoff& cutoff, int64_t now) override;
  Result<int64_t> GetSessionCutoff(std::string_view key) const override;

  Status InsertAppToken(const AppToken& token) override;
  Result<AppToken> GetAppToken(int64_t partner_id, std::string_view id) const override;
  // Compare-and-set in one transaction: SELECT ... FOR UPDATE, compare with `expected`, UPDATE.
  Status UpdateAppToken(const AppToken& expected, const AppToken& updated) override;
  Status DeleteAppToken(int64_t partner_id, std::string_view id, const Revocation& revocation,
                        int64_t now) override;
  Result<AppTokenPage> ListAppTokens(int64_t partner_id, const AppTokenQuery& query) const override;

  // InsertUserRole picks the id under an advisory lock inside its transaction.
  Result<UserRole> InsertUserRole(const UserRole& role) override;
  Result<UserRole> GetUserRole(int64_t partner_id, int64_t id) const override;
  Result<UserRole> FindUserRoleBySystemName(int64_t partner_id,
                                            std::string_view system_name) const override;
  // Compare-and-set in one transaction, as UpdateAppToken.
  Status UpdateUserRole(const UserRole& expected, const UserRole& updated) override;
  Result<UserRolePage> ListUserRoles(int64_t partner_id, const UserRoleQuery& query) const override;

  // One transaction: INSERT ... ON CONFLICT DO NOTHING, else SELECT ... FOR UPDATE and
  // decrement, so concurrent callers in any number of processes count exactly. Sends no NOTIFY
  // (no cache holds these counters).
  Result<ActionsLimitState> ConsumeAction(std::string_view ks_hash, int64_t limit,
                                          std::optional<int64_t> valid_until, int64_t now) override;

  // One INSERT ... ON CONFLICT DO UPDATE ... WHERE below the cap: the row lock makes
  // concurrent claims in any number of processes count exactly. No NOTIFY (nothing caches it).
  Result<bool> ClaimAppTokenSession(int64_t partner_id, std::string_view token_id,
                                    int64_t max_sessions) override;

  Status AddAppTokenUsage(std::span<const AppTokenUsage> usage) override;
  Result<std::vector<AppTokenUsage>> ListAppTokenUsage(int64_t partner_id) const override;

  // Writes an invalid_sessions row carrying an actions limit, which IsRevoked must ignore.
  // Replaces any row (key, type).
  Status SetActionsLimitForTesting(const Revocation& revocation, int64_t actions_limit,
                                   int64_t now);
  // Applies the migrations up to `version` only (Migrate applies them all); returns the version
  // now in force.
  Result<int> MigrateToForTesting(int version);
  // The schema as sorted lines "table.column" and "index name" (indexes created by the
  // migrations, not those behind PRIMARY KEY / UNIQUE constraints), to compare with SQLite's.
  Result<std::vector<std::string>> DescribeSchemaForTesting() const;
  // Where this store's deep list pages were (ListAppTokens).
  const ListMarks& ListMarksForTesting() const { return list_marks_; }

 private:
  using Work = std::function<Status(postgres::Connection&)>;

  explicit PgStore(std::unique_ptr<postgres::Pool> pool);

  Result<int> MigrateTo(int version);
  // Runs `work` inside BEGIN ... COMMIT (rolled back if `work` fails) on a pooled connection,
  // once more on a fresh one if the connection broke before COMMIT was sent.
  Status Write(const Work& work);
  // Runs `work` on a pooled connection, once more on a fresh one if the connection broke. With
  // `snapshot`, inside one REPEATABLE READ, READ ONLY transaction.
  Status Read(bool snapshot, const Work& work) const;

  const std::unique_ptr<postgres::Pool> pool_;
  // Where deep pages of app token lists were (ListAppTokens).
  mutable ListMarks list_marks_;
};

}  // namespace ksgate::store
