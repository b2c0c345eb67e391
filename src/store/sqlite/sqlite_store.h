// SqliteStore: the default Store, one SQLite file in WAL mode (or a private in-memory
// database). Schema comes from the numbered migrations embedded in the binary (migrations.h):
// tables partners (admin_secrets newline-joined, primary first), app_tokens (deleted rows kept,
// seq = insertion order), invalid_sessions (revocations and actions-limit counters), user_roles
// (deleted rows kept; a partial unique index enforces live system names), schema_version. Every
// value is a bound parameter.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/change_feed.h"
#include "store/list_marks.h"
#include "store/records.h"
#include "store/store.h"

namespace ksgate::store {

namespace sqlite {
class Connection;
class GroupCommitter;
class ReaderPool;
}  // namespace sqlite

struct SqliteOptions {
  // How long one SQLite call waits for another connection's lock (PRAGMA busy_timeout).
  std::chrono::milliseconds busy_timeout{5000};
  // Extra attempts of a whole operation that still found the database busy, with a short
  // backoff. After them the operation returns kUnavailable. Worst-case wait is about
  // (busy_retries + 1) * busy_timeout.
  int busy_retries = 2;
  // Reader connections for a file database, opened on demand. Ignored for ":memory:".
  int max_readers = 4;
  // Group commit (sqlite/group_commit.h): most writes in one transaction, and most writes
  // waiting for the writer before further ones are refused with kUnavailable.
  size_t max_write_batch = 64;
  size_t max_write_queue = 1024;
};

// Concurrency design: one writer connection, used by one writer thread, runs every write. Writes
// are group-committed (sqlite/group_commit.h): those queued while a commit is flushing share the
// next BEGIN IMMEDIATE ... COMMIT and its fsync, each in its own SAVEPOINT so that a write that
// fails undoes only itself, and a write method returns only once its COMMIT has (so with
// synchronous=FULL, once it is durable). BEGIN IMMEDIATE makes writers in another process on the
// same file queue on the database lock instead of failing mid-transaction. A write method fails
// with kUnavailable at once when max_write_queue writes are waiting. A file database also has a
// pool of reader connections; in WAL mode they read a committed snapshot without blocking the
// writer or each other, and a read that starts after a write returned sees that write. ":memory:"
// has only the writer connection (a second connection would see another database), so its
// reads take the writer mutex too. Every method is thread-safe.
class SqliteStore final : public Store {
 public:
  // Opens or creates the database at `path` (":memory:" for a private in-memory database that
  // lives as long as the store), creating the parent directory if missing. kInvalidArgument
  // with a one-line message when the path is empty, its directory cannot be created, or it
  // cannot be opened as a database; kUnavailable if it stays locked. Does not migrate.
  static Result<std::unique_ptr<SqliteStore>> Open(std::string_view path,
                                                   const SqliteOptions& options = {});
  ~SqliteStore() override;

  // Applies every embedded migration newer than schema_version, each in its own
  // BEGIN IMMEDIATE transaction that re-checks the version first, so two processes migrating
  // at once apply each migration exactly once. Returns the highest version recorded.
  Result<int> Migrate() override;

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
  Status SetSessionCutoff(const SessionCutoff& cutoff, int64_t now) override;
  Result<int64_t> GetSessionCutoff(std::string_view key) const override;

  Status InsertAppToken(const AppToken& token) override;
  Result<AppToken> GetAppToken(int64_t partner_id, std::string_view id) const override;
  // Compare-and-set in one BEGIN IMMEDIATE transaction: SELECT the row, compare it with
  // `expected`, UPDATE. So it also holds across processes sharing the file.
  Status UpdateAppToken(const AppToken& expected, const AppToken& updated) override;
  Status DeleteAppToken(int64_t partner_id, std::string_view id, const Revocation& revocation,
                        int64_t now) override;
  Result<AppTokenPage> ListAppTokens(int64_t partner_id, const AppTokenQuery& query) const override;

  // InsertUserRole picks the id inside its write transaction, so stores in several processes on
  // one file never hand out the same id.
  Result<UserRole> InsertUserRole(const UserRole& role) override;
  Result<UserRole> GetUserRole(int64_t partner_id, int64_t id) const override;
  Result<UserRole> FindUserRoleBySystemName(int64_t partner_id,
                                            std::string_view system_name) const override;
  // Compare-and-set in one BEGIN IMMEDIATE transaction, as UpdateAppToken.
  Status UpdateUserRole(const UserRole& expected, const UserRole& updated) override;
  Result<UserRolePage> ListUserRoles(int64_t partner_id, const UserRoleQuery& query) const override;

  // One BEGIN IMMEDIATE transaction: read the row, then insert or decrement it.
  Result<ActionsLimitState> ConsumeAction(std::string_view ks_hash, int64_t limit,
                                          std::optional<int64_t> valid_until, int64_t now) override;

  // One upsert that increments only below the cap, in a BEGIN IMMEDIATE transaction.
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
  // migrations), to compare with PostgreSQL's.
  Result<std::vector<std::string>> DescribeSchemaForTesting() const;
  // A feed of what other processes commit to this store's file (sqlite/sqlite_change_feed.h),
  // not yet started; nullptr for ":memory:", which no other process can open. Stop it before
  // *this is destroyed.
  std::unique_ptr<ChangeFeed> NewChangeFeed() const;

  // The writer that group-commits this store's writes (its test hooks and stats).
  sqlite::GroupCommitter& WriterForTesting() { return *committer_; }
  // Where this store's deep list pages were (ListAppTokens).
  const ListMarks& ListMarksForTesting() const { return list_marks_; }
  WriteLane* write_lane() override;

 private:
  using Work = std::function<Status(sqlite::Connection&)>;

  SqliteStore(SqliteOptions options, std::string path, std::unique_ptr<sqlite::Connection> writer,
              std::unique_ptr<sqlite::ReaderPool> readers);

  Result<int> MigrateTo(int version);
  // Runs `work` on the writer thread inside a savepoint of a group-committed transaction (its
  // changes undone if it fails) and returns once that transaction has committed
  // (GroupCommitter::Run), retrying the whole transaction while the database is busy.
  Status Write(const Work& work);
  // Runs `work` on a reader connection (the writer for ":memory:"), retrying while busy. With
  // `snapshot`, inside BEGIN ... COMMIT so several statements see one state.
  Status Read(bool snapshot, const Work& work) const;
  // Retries `attempt` while it returns kUnavailable, up to options_.busy_retries more times.
  Status WithBusyRetry(const std::function<Status()>& attempt) const;

  const SqliteOptions options_;
  const std::string path_;  // "" for ":memory:"
  mutable std::mutex writer_mu_;
  const std::unique_ptr<sqlite::Connection> writer_;   // used only under writer_mu_
  const std::unique_ptr<sqlite::ReaderPool> readers_;  // null for ":memory:"
  // Where deep pages of app token lists were (ListAppTokens).
  mutable ListMarks list_marks_;
  // Declared last: its thread stops (running what is queued) before the connections close.
  const std::unique_ptr<sqlite::GroupCommitter> committer_;
};

}  // namespace ksgate::store
