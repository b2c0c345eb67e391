// SQLite-only behaviour: the embedded migrations, the schema they create, WAL, locking across
// connections (as between processes) and the busy budget. The Store semantics themselves are
// covered by store_contract_test.cc.
#include "store/sqlite/sqlite_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/connection.h"
#include "store/sqlite/migrations.h"
#include "store/test_util.h"
#include "store/upgrade_test_util.h"
#include "testing/matchers.h"
#include "testing/scratch_dir.h"

namespace ksgate::store {
namespace {

using ::ksgate::testing::IsOk;
using ::ksgate::testing::IsOkAndHolds;
using ::ksgate::testing::ScratchDir;
using ::ksgate::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::Field;

constexpr int64_t kNow = 1'700'000'000;

NewPartner APartner(std::string name = "p") {
  NewPartner p;
  p.name = std::move(name);
  p.admin_secrets = {"primary", "secondary"};
  p.secret = "user";
  return p;
}

// A plain SQLite connection beside the store, standing in for another process or an operator.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    db_.reset(db);
  }
  int Exec(const std::string& sql) {
    return sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr);
  }
  // The first column of every row of `sql`, as text.
  std::vector<std::string> Column(const std::string& sql) {
    std::vector<std::string> out;
    sqlite3_stmt* raw = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &raw, nullptr), SQLITE_OK) << sql;
    sqlite::StmtHandle stmt(raw);
    while (sqlite3_step(stmt.get()) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt.get(), 0);
      out.emplace_back(text == nullptr ? "NULL" : reinterpret_cast<const char*>(text));
    }
    return out;
  }

 private:
  sqlite::DbHandle db_;
};

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::string DbPath() const { return (dir_.path() / "ksgate.db").string(); }

  // The store on DbPath(); tests unwrap it with KSGATE_ASSERT_OK_AND_ASSIGN.
  Result<std::unique_ptr<SqliteStore>> OpenFile(const SqliteOptions& options = {}) {
    return SqliteStore::Open(DbPath(), options);
  }

  ScratchDir dir_;
};

TEST(SqliteMigrations, AreNumberedFromOneInIncreasingOrder) {
  std::span<const sqlite::Migration> migrations = sqlite::Migrations();
  ASSERT_GE(migrations.size(), 2u);
  EXPECT_EQ(migrations[0].version, 1);
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (i > 0) {
      EXPECT_GT(migrations[i].version, migrations[i - 1].version);
    }
    EXPECT_FALSE(migrations[i].sql.empty());
  }
  EXPECT_EQ(migrations[0].name, "0001_partners_and_sessions");
  EXPECT_EQ(migrations[1].name, "0002_app_tokens");
  ASSERT_GE(migrations.size(), 3u);
  EXPECT_EQ(migrations[2].name, "0003_user_roles");
  ASSERT_GE(migrations.size(), 4u);
  EXPECT_EQ(migrations[3].name, "0004_user_role_names");
  ASSERT_GE(migrations.size(), 5u);
  EXPECT_EQ(migrations[4].name, "0005_app_token_usage");
  ASSERT_GE(migrations.size(), 8u);
  EXPECT_EQ(migrations[6].name, "0007_partner_user_secret_setrole");
  EXPECT_EQ(migrations[7].name, "0008_app_token_counts");
  EXPECT_EQ(migrations.back().name, "0009_app_token_changes");
}

// Every version in sqlite::Migrations(), as schema_version lists them.
std::vector<std::string> AllVersions() {
  std::vector<std::string> versions;
  for (const sqlite::Migration& m : sqlite::Migrations()) {
    versions.push_back(std::to_string(m.version));
  }
  return versions;
}

TEST_F(SqliteStoreTest, UpgradeFromThePreviousSchemaVersionKeepsTheData) {
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> store, OpenFile());
  RawDb raw(DbPath());
  testing::ExpectUpgradeKeepsData(
      *store, [&](int version) { return store->MigrateToForTesting(version); },
      [&](const std::string& sql) {
        return raw.Exec(sql) == SQLITE_OK ? Status::Ok() : InternalError("raw SQL failed: " + sql);
      },
      sqlite::Migrations().back().version);
  EXPECT_THAT(raw.Column("SELECT version FROM schema_version ORDER BY version"),
              ElementsAreArray(AllVersions()));
}

TEST_F(SqliteStoreTest, MigrateAppliesEveryMigrationOnceAndReportsTheLatestVersion) {
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> store, OpenFile());
  const int latest = sqlite::Migrations().back().version;
  EXPECT_THAT(store->Migrate(), IsOk());
  EXPECT_THAT(store->Migrate(), IsOkAndHolds(latest));
  EXPECT_THAT(store->Migrate(), IsOkAndHolds(latest));

  RawDb raw(DbPath());
  EXPECT_THAT(raw.Column("SELECT version FROM schema_version ORDER BY version"),
              ElementsAreArray(AllVersions()));
}

// Migration numbers may be skipped and filled in later (work developed side by side): a
// database that has a later migration but not an earlier one gets the earlier one.
TEST_F(SqliteStoreTest, MigrateAppliesAMigrationMissingBelowTheLatestApplied) {
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> store, OpenFile());
  ASSERT_THAT(store->Migrate(), IsOk());
  {
    RawDb raw(DbPath());
    ASSERT_EQ(raw.Exec("DROP TABLE app_token_usage; DELETE FROM schema_version WHERE version = 5"),
              SQLITE_OK);
  }
  EXPECT_THAT(store->Migrate(), IsOkAndHolds(sqlite::Migrations().back().version));
  RawDb raw(DbPath());
  EXPECT_THAT(raw.Column("SELECT version FROM schema_version ORDER BY version"),
              ElementsAreArray(AllVersions()));
  EXPECT_THAT(raw.Column("SELECT count(*) FROM app_token_usage"), ElementsAre("0"));
}

TEST_F(SqliteStoreTest, MigrateCreatesTheDocumentedTablesAndIndexes) {
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> store, OpenFile());
  ASSERT_THAT(store->Migrate(), IsOk());
  RawDb raw(DbPath());
  std::vector<std::string> names = raw.Column("SELECT name FROM sqlite_master");
  for (const char* name :
       {"partners", "app_tokens", "invalid_sessions", "schema_version", "app_tokens_partner_status",
        "app_tokens_partner_created", "user_roles", "user_roles_partner_status",
        "user_roles_partner_system_name", "app_token_counts", "app_tokens_count_insert",
        "app_tokens_count_update", "app_tokens_count_delete", "app_tokens_partner_created_desc",
        "app_tokens_partner_updated", "app_tokens_partner_updated_desc", "app_tokens_partner_live",
        "app_tokens_partner_user"}) {
    EXPECT_THAT(names, Contains(name));
  }
  // The list's indexes cover live tokens only, as every list query does (0008).
  EXPECT_THAT(raw.Column("SELECT name FROM pragma_index_list('app_tokens') WHERE partial = 1"
                         " ORDER BY name"),
              ElementsAre("app_tokens_partner_created", "app_tokens_partner_created_desc",
                          "app_tokens_partner_live", "app_tokens_partner_updated",
                          "app_tokens_partner_updated_desc", "app_tokens_partner_user"));
  EXPECT_THAT(raw.Column("SELECT name FROM pragma_index_info('app_tokens_partner_status')"),
              ElementsAre("partner_id", "status"));
  EXPECT_THAT(raw.Column("SELECT name FROM pragma_index_info('app_tokens_partner_created')"),
              ElementsAre("partner_id", "created_at"));
  EXPECT_THAT(raw.Column("SELECT name FROM pragma_index_info('user_roles_partner_status')"),
              ElementsAre("partner_id", "status"));
  EXPECT_THAT(raw.Column("SELECT name FROM pragma_index_info('user_roles_partner_system_name')"),
              ElementsAre("partner_id", "system_name"));
  // Unique, and partial: deleted roles and empty system names are outside it.
  EXPECT_THAT(raw.Column("SELECT \"unique\" || ',' || partial FROM pragma_index_list('user_roles')"
                         " WHERE name = 'user_roles_partner_system_name'"),
              ElementsAre("1,1"));
}

TEST_F(SqliteStoreTest, FileDatabaseRunsInWalModeWithForeignKeys) {
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> store, OpenFile());
  ASSERT_THAT(store->Migrate(), IsOk());
  RawDb raw(DbPath());
  EXPECT_THAT(raw.Column("PRAGMA journal_mode"), ElementsAre("wal"));
  // app_tokens.partner_id references partners: an orphan row is refused.
  ASSERT_EQ(raw.Exec("PRAGMA foreign_keys = ON"), SQLITE_OK);
  EXPECT_NE(raw.Exec("INSERT INTO app_tokens (id, token, partner_id, created_at, updated_at,"
                     " status) VALUES ('0_x', 't', 99, 0, 0, 2)"),
            SQLITE_OK);
}

// SQLite counts no bytes (connection.cc): with its memory statistics on, each of its
// allocations and frees would take a process-wide lock. A store that has written and read has
// allocated, so a count of zero means none was kept.
TEST_F(SqliteStoreTest, SqliteKeepsNoMemoryStatistics) {
  ASSERT_TRUE(sqlite::MemoryStatisticsOff());
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> store, OpenFile());
  ASSERT_THAT(store->Migrate(), IsOk());
  ASSERT_THAT(store->CreatePartner(APartner(), kNow), IsOk());
  ASSERT_THAT(store->GetPartner(1), IsOk());
  EXPECT_EQ(sqlite3_memory_used(), 0);
}

TEST_F(SqliteStoreTest, AdminSecretsAreStoredNewlineJoinedInOrder) {
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> store, OpenFile());
  ASSERT_THAT(store->Migrate(), IsOk());
  ASSERT_THAT(store->CreatePartner(APartner(), kNow), IsOk());
  RawDb raw(DbPath());
  EXPECT_THAT(raw.Column("SELECT admin_secrets FROM partners"), ElementsAre("primary\nsecondary"));
}

TEST_F(SqliteStoreTest, DeletedTokensStayAsRowsWithStatusDeleted) {
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> store, OpenFile());
  ASSERT_THAT(store->Migrate(), IsOk());
  ASSERT_THAT(store->CreatePartner(APartner(), kNow), IsOk());
  AppToken t;
  t.id = "0_abcdefgh";
  t.token = "0123456789abcdef0123456789abcdef";
  t.partner_id = 1;
  ASSERT_THAT(store->InsertAppToken(t), IsOk());
  Revocation r;
  r.key = "k";
  r.type = RevocationType::kSessionId;
  ASSERT_THAT(store->DeleteAppToken(1, t.id, r, kNow + 7), IsOk());
  RawDb raw(DbPath());
  EXPECT_THAT(raw.Column("SELECT status || ',' || updated_at FROM app_tokens"),
              ElementsAre("3," + std::to_string(kNow + 7)));
  EXPECT_THAT(raw.Column("SELECT key || ',' || type || ',' || ifnull(valid_until, 'NULL')"
                         " FROM invalid_sessions"),
              ElementsAre("k,1,NULL"));
}

TEST_F(SqliteStoreTest, CallsBeforeMigrateFailWithInternal) {
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> store, OpenFile());
  EXPECT_THAT(store->GetPartner(1), StatusIs(StatusCode::kInternal));
  EXPECT_THAT(store->CreatePartner(APartner(), kNow), StatusIs(StatusCode::kInternal));
  ASSERT_THAT(store->Migrate(), IsOk());
  EXPECT_THAT(store->CreatePartner(APartner(), kNow), IsOk());
}

TEST_F(SqliteStoreTest, TwoStoresMigratingOneFileAtOnceApplyEachMigrationOnce) {
  for (int round = 0; round < 5; ++round) {
    const std::string path = (dir_.path() / ("race" + std::to_string(round) + ".db")).string();
    Result<std::unique_ptr<SqliteStore>> a = SqliteStore::Open(path);
    Result<std::unique_ptr<SqliteStore>> b = SqliteStore::Open(path);
    ASSERT_THAT(a, IsOk());
    ASSERT_THAT(b, IsOk());
    Result<int> va = 0, vb = 0;
    std::thread ta([&] { va = (*a)->Migrate(); });
    std::thread tb([&] { vb = (*b)->Migrate(); });
    ta.join();
    tb.join();
    ASSERT_THAT(va, IsOk());
    ASSERT_THAT(vb, IsOk());
    EXPECT_EQ(*va, *vb);
    RawDb raw(path);
    EXPECT_THAT(raw.Column("SELECT count(*) FROM schema_version"),
                ElementsAre(std::to_string(sqlite::Migrations().size())));
  }
}

TEST_F(SqliteStoreTest, TwoStoresOnOneFileNeverHandOutTheSameIdOrTokenId) {
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> a, OpenFile());
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> b, OpenFile());
  ASSERT_THAT(a->Migrate(), IsOk());
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  std::atomic<int> already_exists{0};
  std::atomic<int> other_errors{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      SqliteStore& store = t % 2 == 0 ? *a : *b;
      for (int i = 0; i < kPerThread; ++i) {
        Result<Partner> p = store.CreatePartner(APartner("t" + std::to_string(t)), kNow);
        if (!p.ok()) ++other_errors;
        // Both stores race for the same token ids: exactly one insert of each wins.
        AppToken token;
        token.id = "0_race" + std::to_string(i);
        token.token = "t";
        token.partner_id = 1;
        Status s = store.InsertAppToken(token);
        if (s.code() == StatusCode::kAlreadyExists) {
          ++already_exists;
        } else if (!s.ok()) {
          ++other_errors;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(other_errors.load(), 0);
  EXPECT_EQ(already_exists.load(), 3 * kPerThread);
  Result<std::vector<Partner>> partners = a->ListPartners();
  ASSERT_THAT(partners, IsOk());
  ASSERT_EQ(partners->size(), size_t{4 * kPerThread});
  std::set<int64_t> ids;
  for (const Partner& p : *partners) ids.insert(p.id);
  EXPECT_EQ(ids.size(), size_t{4 * kPerThread});
  EXPECT_EQ(*ids.rbegin(), 4 * kPerThread);
}

// A role with a name no other call gives (names are unique among a partner's live roles).
UserRole ARole(int64_t partner_id, std::string system_name = "") {
  static std::atomic<int> counter{0};
  UserRole r;
  r.partner_id = partner_id;
  r.name = "role " + std::to_string(++counter);
  r.system_name = std::move(system_name);
  r.permission_names = "*";
  r.created_at = kNow;
  r.updated_at = kNow;
  return r;
}

TEST_F(SqliteStoreTest, UserRolesAreRowsAndDeletedOnesStay) {
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> store, OpenFile());
  ASSERT_THAT(store->Migrate(), IsOk());
  ASSERT_THAT(store->CreatePartner(APartner(), kNow), IsOk());
  Result<UserRole> role = store->InsertUserRole(ARole(1, "EDITOR"));
  ASSERT_THAT(role, IsOk());
  UserRole deleted = *role;
  deleted.status = UserRoleStatus::kDeleted;
  ASSERT_THAT(store->UpdateUserRole(*role, deleted), IsOk());
  RawDb raw(DbPath());
  EXPECT_THAT(raw.Column("SELECT id || ',' || partner_id || ',' || system_name || ',' || status ||"
                         " ',' || ifnull(description, 'NULL') FROM user_roles"),
              ElementsAre("100,1,EDITOR,3,NULL"));
}

TEST_F(SqliteStoreTest, UserRoleIdsContinueAfterTheHighestStoredId) {
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> store, OpenFile());
  ASSERT_THAT(store->Migrate(), IsOk());
  ASSERT_THAT(store->CreatePartner(APartner(), kNow), IsOk());
  RawDb raw(DbPath());
  // An operator's row below kFirstUserRoleId does not pull ids under it.
  ASSERT_EQ(raw.Exec("INSERT INTO user_roles (id, partner_id, name, system_name, status,"
                     " permission_names, created_at, updated_at)"
                     " VALUES (7, 1, 'low', '', 1, '', 0, 0)"),
            SQLITE_OK);
  EXPECT_THAT(store->InsertUserRole(ARole(1)),
              IsOkAndHolds(Field(&UserRole::id, kFirstUserRoleId)));
  ASSERT_EQ(raw.Exec("INSERT INTO user_roles (id, partner_id, name, system_name, status,"
                     " permission_names, created_at, updated_at)"
                     " VALUES (500, 1, 'high', '', 3, '', 0, 0)"),
            SQLITE_OK);
  EXPECT_THAT(store->InsertUserRole(ARole(1)), IsOkAndHolds(Field(&UserRole::id, 501)));
}

TEST_F(SqliteStoreTest, TwoStoresOnOneFileNeverHandOutTheSameRoleIdOrLiveSystemName) {
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> a, OpenFile());
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> b, OpenFile());
  ASSERT_THAT(a->Migrate(), IsOk());
  ASSERT_THAT(a->CreatePartner(APartner(), kNow), IsOk());
  constexpr int kPerThread = 20;
  std::atomic<int> already_exists{0};
  std::atomic<int> other_errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      SqliteStore& store = t % 2 == 0 ? *a : *b;
      for (int i = 0; i < kPerThread; ++i) {
        if (!store.InsertUserRole(ARole(1)).ok()) ++other_errors;
        // Every thread races for the same system names: exactly one insert of each wins.
        Result<UserRole> named = store.InsertUserRole(ARole(1, "R" + std::to_string(i)));
        if (named.status().code() == StatusCode::kAlreadyExists) {
          ++already_exists;
        } else if (!named.ok()) {
          ++other_errors;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(other_errors.load(), 0);
  EXPECT_EQ(already_exists.load(), 3 * kPerThread);
  UserRoleQuery all;
  all.limit = 0;
  Result<UserRolePage> page = a->ListUserRoles(1, all);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->objects.size(), size_t{5 * kPerThread});
  std::set<int64_t> ids;
  for (const UserRole& r : page->objects) ids.insert(r.id);
  EXPECT_EQ(ids.size(), size_t{5 * kPerThread});
  EXPECT_EQ(*ids.begin(), kFirstUserRoleId);
  EXPECT_EQ(*ids.rbegin(), kFirstUserRoleId + 5 * kPerThread - 1);
}

TEST_F(SqliteStoreTest, ConsumeActionWritesAKsHashRowWithTheRemainingActions) {
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> store, OpenFile());
  ASSERT_THAT(store->Migrate(), IsOk());
  ASSERT_THAT(store->ConsumeAction("h", 3, 5000, kNow), IsOk());
  ASSERT_THAT(store->ConsumeAction("h", 3, 9999, kNow + 1), IsOk());
  RawDb raw(DbPath());
  EXPECT_THAT(raw.Column("SELECT key || ',' || type || ',' || valid_until || ',' ||"
                         " actions_limit || ',' || created_at FROM invalid_sessions"),
              ElementsAre("h,0,5000,1," + std::to_string(kNow)));
}

TEST_F(SqliteStoreTest, TwoStoresOnOneFileConsumeExactlyTheLimit) {
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> a, OpenFile());
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> b, OpenFile());
  ASSERT_THAT(a->Migrate(), IsOk());
  constexpr int kLimit = 60;
  const testing::ConsumeCounts counts =
      testing::ConsumeConcurrently({a.get(), b.get()}, 4, 25, "shared", kLimit, std::nullopt, kNow);
  EXPECT_EQ(counts.other, 0);
  EXPECT_EQ(counts.allowed, kLimit);
  EXPECT_EQ(counts.exceeded, 100 - kLimit);
}

TEST_F(SqliteStoreTest, WritesReturnUnavailableWhileAnotherConnectionHoldsTheWriteLock) {
  SqliteOptions quick;
  quick.busy_timeout = std::chrono::milliseconds(50);
  quick.busy_retries = 1;
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> store, OpenFile(quick));
  ASSERT_THAT(store->Migrate(), IsOk());
  ASSERT_THAT(store->CreatePartner(APartner(), kNow), IsOk());

  RawDb other(DbPath());
  ASSERT_EQ(other.Exec("BEGIN IMMEDIATE"), SQLITE_OK);
  EXPECT_THAT(store->CreatePartner(APartner(), kNow), StatusIs(StatusCode::kUnavailable));
  Revocation r;
  r.key = "k";
  EXPECT_THAT(store->Revoke(r, kNow), StatusIs(StatusCode::kUnavailable));
  EXPECT_THAT(store->ConsumeAction("h", 3, std::nullopt, kNow), StatusIs(StatusCode::kUnavailable));
  EXPECT_THAT(store->InsertUserRole(ARole(1)), StatusIs(StatusCode::kUnavailable));
  // WAL: readers are not blocked by the writer.
  EXPECT_THAT(store->GetPartner(1), IsOk());
  ASSERT_EQ(other.Exec("COMMIT"), SQLITE_OK);

  EXPECT_THAT(store->Revoke(r, kNow), IsOk());
  Result<Partner> second = store->CreatePartner(APartner(), kNow);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->id, 2);
}

TEST_F(SqliteStoreTest, AWriterWaitsForABriefLockInsteadOfFailing) {
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> store, OpenFile());
  ASSERT_THAT(store->Migrate(), IsOk());
  RawDb other(DbPath());
  ASSERT_EQ(other.Exec("BEGIN IMMEDIATE"), SQLITE_OK);
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(other.Exec("COMMIT"), SQLITE_OK);
  });
  EXPECT_THAT(store->CreatePartner(APartner(), kNow), IsOk());
  release.join();
}

TEST_F(SqliteStoreTest, ReadsSeeEveryCompletedWrite) {
  SqliteOptions options;
  options.max_readers = 2;
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<SqliteStore> store, OpenFile(options));
  ASSERT_THAT(store->Migrate(), IsOk());
  std::vector<std::thread> threads;
  std::atomic<int> stale{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        Result<Partner> p = store->CreatePartner(APartner(), kNow);
        if (!p.ok() || !store->GetPartner(p->id).ok()) ++stale;
        Revocation r;
        r.key = "k" + std::to_string(p.ok() ? p->id : 0);
        if (!store->Revoke(r, kNow).ok()) ++stale;
        std::vector<std::string> keys = {r.key};
        Result<bool> revoked = store->IsRevoked(keys, kNow);
        if (!revoked.ok() || !*revoked) ++stale;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(stale.load(), 0);
}

TEST_F(SqliteStoreTest, InMemoryDatabaseIsSharedByAllThreadsOfTheStore) {
  Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open(":memory:");
  ASSERT_THAT(opened, IsOk());
  SqliteStore& store = **opened;
  ASSERT_THAT(store.Migrate(), IsOk());
  ASSERT_THAT(store.CreatePartner(APartner(), kNow), IsOk());
  Result<Partner> seen = NotFoundError("not run");
  std::thread other([&] { seen = store.GetPartner(1); });
  other.join();
  EXPECT_THAT(seen, IsOk());
}

TEST_F(SqliteStoreTest, ParentDirectoryIsCreated) {
  const std::filesystem::path file = dir_.path() / "x" / "y" / "z.db";
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(file.string());
  ASSERT_THAT(store, IsOk());
  EXPECT_TRUE(std::filesystem::exists(file));
}

TEST_F(SqliteStoreTest, EmptyPathIsInvalid) {
  EXPECT_THAT(SqliteStore::Open(""), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ksgate::store
