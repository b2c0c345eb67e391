// PostgreSQL-only behaviour: migrations (same as SQLite's, upgrades, concurrent migrators), two
// stores on one database standing in for two processes, the pool bound, reconnection after
// connections are cut, password masking, and NOTIFY / PgChangeFeed. The Store semantics are
// covered by the contract suite (pg_contract_test.cc). Tests that need a server skip unless
// KSGATE_TEST_PG_DSN is set; each uses a database of its own.
#include "store/postgres/pg_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "store/postgres/connection.h"
#include "store/postgres/migrations.h"
#include "store/postgres/notify.h"
#include "store/postgres/pg_change_feed.h"
#include "store/postgres/pg_test_util.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_store.h"
#include "store/test_util.h"
#include "store/upgrade_test_util.h"
#include "testing/matchers.h"

namespace ksgate::store {

void PrintTo(const Change& change, std::ostream* os) { *os << postgres::EncodeChange(change); }

namespace {

using ::ksgate::store::postgres::testing::ChangeRecorder;
using ::ksgate::store::postgres::testing::ScratchDatabase;
using ::ksgate::store::postgres::testing::TestDsn;
using ::ksgate::store::postgres::testing::WithDatabase;
using ::ksgate::testing::IsOk;
using ::ksgate::testing::IsOkAndHolds;
using ::ksgate::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kNow = 1'700'000'000;
constexpr char kPassword[] = "Pa55-w0rd-never-shown";

NewPartner APartner(std::string name = "p") {
  NewPartner p;
  p.name = std::move(name);
  p.admin_secrets = {"primary", "secondary"};
  p.secret = "user";
  return p;
}

UserRole ARole(int64_t partner_id, std::string name) {
  UserRole r;
  r.partner_id = partner_id;
  r.name = std::move(name);
  r.permission_names = "*";
  r.created_at = kNow;
  r.updated_at = kNow;
  return r;
}

Change PartnerChange(int64_t id) { return {Change::Kind::kPartner, id, ""}; }
Change TokenChange(int64_t partner, std::string id) {
  return {Change::Kind::kAppToken, partner, std::move(id)};
}
Change RoleChange(int64_t partner, int64_t id) {
  return {Change::Kind::kUserRole, partner, std::to_string(id)};
}
Change KeyChange(std::string key) { return {Change::Kind::kRevocation, 0, std::move(key)}; }

// --- Without a server ------------------------------------------------------------------------

TEST(PgMigrations, HaveTheSameNumbersAndNamesAsSqlite) {
  std::span<const Migration> pg = postgres::Migrations();
  std::span<const Migration> sqlite = sqlite::Migrations();
  ASSERT_EQ(pg.size(), sqlite.size());
  EXPECT_EQ(pg[0].version, 1);
  for (size_t i = 0; i < pg.size(); ++i) {
    if (i > 0) {
      EXPECT_GT(pg[i].version, pg[i - 1].version);
    }
    EXPECT_EQ(pg[i].version, sqlite[i].version);
    EXPECT_EQ(pg[i].name, sqlite[i].name);
    EXPECT_FALSE(pg[i].sql.empty());
  }
}

TEST(PgNotify, EveryChangeRoundTripsThroughItsPayload) {
  const std::vector<std::pair<Change, std::string>> cases = {
      {PartnerChange(7), "p:7"},
      {TokenChange(7, "0_abcdefgh"), "t:7:0_abcdefgh"},
      {RoleChange(7, 123), "r:7:123"},
      {KeyChange("0123456789abcdef0123456789abcdef01234567"),
       "k:0123456789abcdef0123456789abcdef01234567"},
  };
  for (const auto& [change, payload] : cases) {
    EXPECT_EQ(postgres::EncodeChange(change), payload);
    std::optional<Change> decoded = postgres::DecodeChange(payload);
    ASSERT_TRUE(decoded.has_value()) << payload;
    EXPECT_EQ(*decoded, change);
  }
}

TEST(PgNotify, UnknownPayloadsDecodeToNothing) {
  for (const char* payload : {"", "p", "p:", "p:x", "p:1x", "t:1", "t:1:", "t:x:0_a", "r:1:abc",
                              "r:1", "x:1", "k:", "hello", "pp:1"}) {
    EXPECT_FALSE(postgres::DecodeChange(payload).has_value()) << payload;
  }
}

TEST(PgConnInfo, MessagesNeverShowThePassword) {
  // libpq cannot parse this; its own message would quote the text after the bad pair.
  Result<postgres::ConnInfo> bad = postgres::ConnInfo::Parse(
      std::string("host=db password=") + kPassword + " port", std::chrono::seconds(5));
  ASSERT_THAT(bad, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(bad.error().message(), Not(HasSubstr(kPassword)));

  Result<postgres::ConnInfo> info = postgres::ConnInfo::Parse(
      std::string("postgresql://u:") + kPassword + "@db/x", std::chrono::seconds(5));
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->Scrub(std::string("line one\nsaw ") + kPassword + " here"),
            "line one saw **** here");
}

TEST(PgConnInfo, ConnectTimeoutComesFromTheStringElseTheDefault) {
  Result<postgres::ConnInfo> set =
      postgres::ConnInfo::Parse("postgresql://db/x?connect_timeout=7", std::chrono::seconds(3));
  ASSERT_THAT(set, IsOk());
  EXPECT_EQ(set->connect_timeout(), std::chrono::seconds(7));
  if (std::getenv("PGCONNECT_TIMEOUT") == nullptr) {
    Result<postgres::ConnInfo> unset =
        postgres::ConnInfo::Parse("postgresql://db/x", std::chrono::seconds(3));
    ASSERT_THAT(unset, IsOk());
    EXPECT_EQ(unset->connect_timeout(), std::chrono::seconds(3));
  }
}

TEST(PgChangeFeed, ReportsDownWhenTheServerCannotBeReachedAndLogsNoPassword) {
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));
  {
    Result<std::unique_ptr<PgChangeFeed>> feed = PgChangeFeed::Create(
        std::string("postgresql://ksgate:") + kPassword + "@127.0.0.1:1/ksgate");
    ASSERT_THAT(feed, IsOk());
    ChangeRecorder recorder;
    ASSERT_THAT((*feed)->Start(recorder.Callbacks()), IsOk());
    EXPECT_TRUE(recorder.WaitUntil([](const ChangeRecorder& r) { return !r.states().empty(); }));
    (*feed)->Stop();
    EXPECT_THAT(recorder.states(), ElementsAre(false));
    EXPECT_EQ(recorder.resyncs(), 0);
  }
  spdlog::set_default_logger(previous);
  EXPECT_THAT(log.str(), HasSubstr("change feed"));
  EXPECT_THAT(log.str(), Not(HasSubstr(kPassword)));
}

TEST(PgChangeFeed, StartsOnceAndStopsPromptlyWhileBackingOff) {
  PgChangeFeedOptions options;
  options.min_backoff = std::chrono::seconds(30);
  options.max_backoff = std::chrono::seconds(30);
  Result<std::unique_ptr<PgChangeFeed>> feed =
      PgChangeFeed::Create("postgresql://ksgate@127.0.0.1:1/ksgate", options);
  ASSERT_THAT(feed, IsOk());
  ChangeRecorder recorder;
  ASSERT_THAT((*feed)->Start(recorder.Callbacks()), IsOk());
  EXPECT_THAT((*feed)->Start(recorder.Callbacks()), StatusIs(StatusCode::kInvalidArgument));
  ASSERT_TRUE(recorder.WaitUntil([](const ChangeRecorder& r) { return !r.states().empty(); }));
  // Now in a 30 s backoff: Stop must not wait it out.
  const auto start = std::chrono::steady_clock::now();
  (*feed)->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  (*feed)->Stop();  // idempotent
}

// --- With a server ---------------------------------------------------------------------------

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (TestDsn().empty()) GTEST_SKIP() << "KSGATE_TEST_PG_DSN is not set";
    Result<std::unique_ptr<ScratchDatabase>> db = ScratchDatabase::Create();
    ASSERT_THAT(db, IsOk());
    db_ = std::move(db).value();
  }

  // A store on the test's database ("another process" when called twice).
  std::unique_ptr<PgStore> OpenStore(const PgOptions& options = {}) {
    Result<std::unique_ptr<PgStore>> store = PgStore::Open(db_->conninfo(), options);
    EXPECT_THAT(store, IsOk());
    return store.ok() ? std::move(store).value() : nullptr;
  }

  std::unique_ptr<PgStore> OpenMigrated(const PgOptions& options = {}) {
    std::unique_ptr<PgStore> store = OpenStore(options);
    if (store != nullptr) {
      EXPECT_THAT(store->Migrate(), IsOk());
    }
    return store;
  }

  // A started feed on the test's database, once it listens.
  std::unique_ptr<PgChangeFeed> StartFeed(ChangeRecorder& recorder) {
    Result<std::unique_ptr<PgChangeFeed>> feed = PgChangeFeed::Create(db_->conninfo());
    EXPECT_THAT(feed, IsOk());
    if (!feed.ok()) return nullptr;
    EXPECT_THAT((*feed)->Start(recorder.Callbacks()), IsOk());
    EXPECT_TRUE(recorder.WaitUntil([](const ChangeRecorder& r) { return r.connected(); }));
    return std::move(feed).value();
  }

  // Ends every other connection to the test's database, as an operator or a network cut would.
  void TerminateOtherConnections() {
    ASSERT_THAT(db_->Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                          " WHERE datname = current_database() AND pid <> pg_backend_pid()"),
                IsOk());
  }

  // A plain connection to the test's database, for SQL the Store does not offer; null (and a
  // failed expectation) when it cannot be opened.
  std::unique_ptr<postgres::Connection> RawConnection() {
    Result<postgres::ConnInfo> info =
        postgres::ConnInfo::Parse(db_->conninfo(), std::chrono::seconds(5));
    EXPECT_THAT(info, IsOk());
    if (!info.ok()) return nullptr;
    Result<std::unique_ptr<postgres::Connection>> c = postgres::Connection::Open(*info);
    EXPECT_THAT(c, IsOk());
    return c.ok() ? std::move(c).value() : nullptr;
  }

  std::unique_ptr<ScratchDatabase> db_;
};

TEST_F(PgStoreTest, MigrateCreatesTheSameTablesColumnsAndIndexesAsSqlite) {
  std::unique_ptr<PgStore> pg = OpenMigrated();
  ASSERT_NE(pg, nullptr);
  Result<std::unique_ptr<SqliteStore>> sqlite = SqliteStore::Open(":memory:");
  ASSERT_THAT(sqlite, IsOk());
  ASSERT_THAT((*sqlite)->Migrate(), IsOk());

  Result<std::vector<std::string>> pg_schema = pg->DescribeSchemaForTesting();
  Result<std::vector<std::string>> sqlite_schema = (*sqlite)->DescribeSchemaForTesting();
  ASSERT_THAT(pg_schema, IsOk());
  ASSERT_THAT(sqlite_schema, IsOk());
  EXPECT_THAT(*pg_schema, ElementsAreArray(*sqlite_schema));
  // And it is the schema documented in the design, not two equal mistakes.
  for (const char* line :
       {"partners.admin_secrets", "app_tokens.seq", "invalid_sessions.key",
        "user_roles.system_name", "schema_version.version", "index app_tokens_partner_status",
        "index app_tokens_partner_created", "index user_roles_partner_system_name",
        "index user_roles_partner_name"}) {
    EXPECT_THAT(*pg_schema, ::testing::Contains(line));
  }
}

TEST_F(PgStoreTest, MigrateIsIdempotentAndProcessesMigratingAtOnceApplyEachMigrationOnce) {
  constexpr int kProcesses = 4;
  std::vector<std::unique_ptr<PgStore>> stores;
  for (int i = 0; i < kProcesses; ++i) {
    stores.push_back(OpenStore());
    ASSERT_NE(stores.back(), nullptr);
  }
  const int latest = postgres::Migrations().back().version;
  std::vector<std::future<Result<int>>> results;
  for (auto& store : stores) {
    results.push_back(std::async(std::launch::async, [&store] { return store->Migrate(); }));
  }
  for (auto& result : results) {
    Result<int> version = result.get();
    ASSERT_THAT(version, IsOk());
    EXPECT_EQ(*version, latest);
  }
  EXPECT_EQ(*stores[0]->Migrate(), latest);
  Result<std::unique_ptr<postgres::Connection>> raw = [&] {
    Result<postgres::ConnInfo> info =
        postgres::ConnInfo::Parse(db_->conninfo(), std::chrono::seconds(5));
    return info.ok() ? postgres::Connection::Open(*info)
                     : Result<std::unique_ptr<postgres::Connection>>(info.error());
  }();
  ASSERT_THAT(raw, IsOk());
  Result<postgres::Rows> rows =
      (*raw)->Run("SELECT version, name FROM schema_version ORDER BY version");
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(static_cast<size_t>(rows->size()), postgres::Migrations().size());
  for (int i = 0; i < rows->size(); ++i) {
    EXPECT_EQ((*rows)[i].Int(0), postgres::Migrations()[i].version);
    EXPECT_EQ((*rows)[i].Text(1), postgres::Migrations()[i].name);
  }
}

TEST_F(PgStoreTest, UpgradeFromThePreviousSchemaVersionKeepsTheData) {
  std::unique_ptr<PgStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  testing::ExpectUpgradeKeepsData(
      *store, [&](int version) { return store->MigrateToForTesting(version); },
      [&](const std::string& sql) { return db_->Exec(sql); },
      postgres::Migrations().back().version);
}

// Migration numbers may be skipped and filled in later (work developed side by side): a
// database that has a later migration but not an earlier one gets the earlier one.
TEST_F(PgStoreTest, MigrateAppliesAMigrationMissingBelowTheLatestApplied) {
  std::unique_ptr<PgStore> store = OpenMigrated();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(db_->Exec("DROP TABLE app_token_usage; DELETE FROM schema_version WHERE version = 5"),
              IsOk());
  EXPECT_THAT(store->Migrate(), IsOkAndHolds(postgres::Migrations().back().version));
  std::unique_ptr<postgres::Connection> raw = RawConnection();
  ASSERT_NE(raw, nullptr);
  Result<postgres::Rows> rows = raw->Run("SELECT count(*) FROM schema_version");
  ASSERT_THAT(rows, IsOk());
  EXPECT_EQ(static_cast<size_t>((*rows)[0].Int(0)), postgres::Migrations().size());
  EXPECT_THAT(raw->Run("SELECT count(*) FROM app_token_usage"), IsOk());
}

TEST_F(PgStoreTest, ConsumeActionCountsExactlyAcrossTwoStores) {
  std::unique_ptr<PgStore> a = OpenMigrated();
  std::unique_ptr<PgStore> b = OpenStore();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  constexpr int kThreads = 8;
  constexpr int kCallsPerThread = 25;
  constexpr int64_t kLimit = 120;
  const testing::ConsumeCounts counts = testing::ConsumeConcurrently(
      {a.get(), b.get()}, kThreads, kCallsPerThread, "fresh-ks", kLimit, kNow + 60, kNow);
  EXPECT_EQ(counts.allowed, kLimit);
  EXPECT_EQ(counts.exceeded, kThreads * kCallsPerThread - kLimit);
  EXPECT_EQ(counts.other, 0);
}

TEST_F(PgStoreTest, PartnerAndRoleIdsAreUniqueAndDenseAcrossTwoStores) {
  std::unique_ptr<PgStore> a = OpenMigrated();
  std::unique_ptr<PgStore> b = OpenStore();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  Result<Partner> owner = a->CreatePartner(APartner("owner"), kNow);
  ASSERT_THAT(owner, IsOk());
  constexpr int kThreadsPerStore = 3;
  constexpr int kEach = 10;
  std::mutex mu;
  std::set<int64_t> partner_ids, role_ids;
  std::vector<std::thread> threads;
  for (PgStore* store : {a.get(), b.get()}) {
    for (int t = 0; t < kThreadsPerStore; ++t) {
      threads.emplace_back([&, store, t] {
        for (int i = 0; i < kEach; ++i) {
          Result<Partner> p = store->CreatePartner(APartner(), kNow);
          const std::string name = "role-" + std::to_string(reinterpret_cast<uintptr_t>(store)) +
                                   "-" + std::to_string(t) + "-" + std::to_string(i);
          Result<UserRole> r = store->InsertUserRole(ARole(owner->id, name));
          ASSERT_THAT(p, IsOk());
          ASSERT_THAT(r, IsOk());
          std::lock_guard lock(mu);
          EXPECT_TRUE(partner_ids.insert(p->id).second) << p->id;
          EXPECT_TRUE(role_ids.insert(r->id).second) << r->id;
        }
      });
    }
  }
  for (std::thread& t : threads) t.join();
  constexpr int kTotal = 2 * kThreadsPerStore * kEach;
  ASSERT_EQ(partner_ids.size(), size_t{kTotal});
  ASSERT_EQ(role_ids.size(), size_t{kTotal});
  EXPECT_EQ(*partner_ids.begin(), owner->id + 1);
  EXPECT_EQ(*partner_ids.rbegin(), owner->id + kTotal);
  EXPECT_EQ(*role_ids.begin(), kFirstUserRoleId);
  EXPECT_EQ(*role_ids.rbegin(), kFirstUserRoleId + kTotal - 1);
}

TEST_F(PgStoreTest, NamesSortByteWiseWhateverTheDatabaseCollation) {
  // A database whose own collation sorts "alpha" before "Beta": the store must not.
  Result<std::unique_ptr<ScratchDatabase>> icu =
      ScratchDatabase::Create("LOCALE_PROVIDER icu ICU_LOCALE 'en-US'");
  if (!icu.ok())
    GTEST_SKIP() << "this server cannot create an ICU database: " << icu.error().message();
  Result<std::unique_ptr<PgStore>> store = PgStore::Open((*icu)->conninfo());
  ASSERT_THAT(store, IsOk());
  ASSERT_THAT((*store)->Migrate(), IsOk());
  Result<Partner> p = (*store)->CreatePartner(APartner(), kNow);
  ASSERT_THAT(p, IsOk());
  for (const char* name : {"beta", "Alpha", "alpha", "Beta", "_x"}) {
    ASSERT_THAT((*store)->InsertUserRole(ARole(p->id, name)), IsOk());
  }
  UserRoleQuery q;
  q.limit = 0;
  q.order_by = {{UserRoleOrderField::kName, true}};
  Result<UserRolePage> page = (*store)->ListUserRoles(p->id, q);
  ASSERT_THAT(page, IsOk());
  std::vector<std::string> names;
  for (const UserRole& r : page->objects) names.push_back(r.name);
  EXPECT_THAT(names, ElementsAre("Alpha", "Beta", "_x", "alpha", "beta"));
}

TEST_F(PgStoreTest, ACallFindingEveryConnectionBusyWaitsThenIsUnavailable) {
  PgOptions options;
  options.pool_size = 1;
  options.acquire_timeout = std::chrono::milliseconds(300);
  std::unique_ptr<PgStore> store = OpenMigrated(options);
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->ConsumeAction("held", 5, std::nullopt, kNow), IsOk());
  // Another session locks the counter row, so the store's only connection waits on it.
  Result<postgres::ConnInfo> info =
      postgres::ConnInfo::Parse(db_->conninfo(), std::chrono::seconds(5));
  ASSERT_THAT(info, IsOk());
  Result<std::unique_ptr<postgres::Connection>> locker = postgres::Connection::Open(*info);
  ASSERT_THAT(locker, IsOk());
  ASSERT_THAT((*locker)->Exec("BEGIN"), IsOk());
  ASSERT_THAT((*locker)->Run("SELECT 1 FROM invalid_sessions WHERE key = $1 FOR UPDATE",
                             postgres::Params().Add("held")),
              IsOk());
  std::future<Result<ActionsLimitState>> blocked = std::async(
      std::launch::async, [&] { return store->ConsumeAction("held", 5, std::nullopt, kNow); });
  // Poll (with a deadline) until the store's connection waits on the lock.
  bool waiting = false;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
       !waiting && std::chrono::steady_clock::now() < deadline;) {
    Result<postgres::Rows> rows = (*locker)->Run(
        "SELECT 1 FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock'");
    ASSERT_THAT(rows, IsOk());
    waiting = !rows->empty();
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(waiting);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(store->GetPartner(1), StatusIs(StatusCode::kUnavailable));
  EXPECT_GE(std::chrono::steady_clock::now() - start, options.acquire_timeout);
  ASSERT_THAT((*locker)->Exec("COMMIT"), IsOk());
  Result<ActionsLimitState> unblocked = blocked.get();
  ASSERT_THAT(unblocked, IsOk());
  EXPECT_EQ(*unblocked, ActionsLimitState::kAllowed);
  EXPECT_THAT(store->GetPartner(1), StatusIs(StatusCode::kNotFound));
}

TEST_F(PgStoreTest, WorksOnAfterItsConnectionsAreCut) {
  std::unique_ptr<PgStore> store = OpenMigrated();
  ASSERT_NE(store, nullptr);
  Result<Partner> p = store->CreatePartner(APartner(), kNow);
  ASSERT_THAT(p, IsOk());
  // Several pooled connections, so that more than one is cut.
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] { EXPECT_THAT(store->ListPartners(), IsOk()); });
  }
  for (std::thread& t : readers) t.join();

  ASSERT_NO_FATAL_FAILURE(TerminateOtherConnections());
  EXPECT_THAT(store->GetPartner(p->id), IsOk());  // a read, retried on a fresh connection
  ASSERT_NO_FATAL_FAILURE(TerminateOtherConnections());
  Result<Partner> next = store->CreatePartner(APartner(), kNow);  // a write that never began
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->id, p->id + 1);
  ASSERT_NO_FATAL_FAILURE(TerminateOtherConnections());
  Result<UserRolePage> roles = store->ListUserRoles(p->id, UserRoleQuery());  // a snapshot read
  EXPECT_THAT(roles, IsOk());
  Result<std::vector<Partner>> all = store->ListPartners();
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(all->size(), 2u);
}

TEST_F(PgStoreTest, ErrorsShowNeitherThePasswordNorRowValues) {
  // A server that answers, a database that does not exist, a password in the string.
  const std::string conninfo =
      WithDatabase(TestDsn(), "ksgate_no_such_database") + " password='" + kPassword + "'";
  Result<std::unique_ptr<PgStore>> store = PgStore::Open(conninfo);
  ASSERT_THAT(store, StatusIs(StatusCode::kUnavailable));
  EXPECT_THAT(store.error().message(), HasSubstr("ksgate_no_such_database"));
  EXPECT_THAT(store.error().message(), Not(HasSubstr(kPassword)));

  // A unique violation: the server's DETAIL quotes the key; only its primary message and the
  // SQLSTATE reach the Status.
  ASSERT_THAT(db_->Exec("CREATE TABLE t (v TEXT UNIQUE)"), IsOk());
  Result<postgres::ConnInfo> info =
      postgres::ConnInfo::Parse(db_->conninfo(), std::chrono::seconds(5));
  ASSERT_THAT(info, IsOk());
  Result<std::unique_ptr<postgres::Connection>> c = postgres::Connection::Open(*info);
  ASSERT_THAT(c, IsOk());
  const postgres::Params value = postgres::Params().Add("value-the-detail-would-quote");
  ASSERT_THAT((*c)->Run("INSERT INTO t (v) VALUES ($1)", value), IsOk());
  Result<postgres::Rows> again = (*c)->Run("INSERT INTO t (v) VALUES ($1)", value);
  ASSERT_THAT(again, StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(again.error().message(), HasSubstr("23505"));
  EXPECT_THAT(again.error().message(), Not(HasSubstr("value-the-detail-would-quote")));
}

TEST_F(PgStoreTest, EveryWriteNotifiesWhatItChangedOnCommitOnly) {
  std::unique_ptr<PgStore> store = OpenMigrated();
  ASSERT_NE(store, nullptr);
  ChangeRecorder recorder;
  std::unique_ptr<PgChangeFeed> feed = StartFeed(recorder);
  ASSERT_NE(feed, nullptr);
  EXPECT_EQ(recorder.Resyncs(), 1);

  Result<Partner> p = store->CreatePartner(APartner(), kNow);
  ASSERT_THAT(p, IsOk());
  ASSERT_THAT(store->SetPartnerStatus(p->id, PartnerStatus::kBlocked, kNow), IsOk());
  ASSERT_THAT(store->SetPartnerAdminSecrets(p->id, {"new"}, kNow), IsOk());
  PartnerSettings deny;
  deny.user_secret_setrole = UserSecretSetRole::kDeny;
  ASSERT_THAT(store->SetPartnerSettings(p->id, deny, kNow), IsOk());
  ASSERT_THAT(store->UpdatePartner(p->id, {.ks_max_expiry = 600}, kNow), IsOk());
  AppToken token;
  token.id = "0_notify01";
  token.token = "0123456789abcdef0123456789abcdef";
  token.partner_id = p->id;
  ASSERT_THAT(store->InsertAppToken(token), IsOk());
  AppToken updated = token;
  updated.description = "changed";
  ASSERT_THAT(store->UpdateAppToken(token, updated), IsOk());
  ASSERT_THAT(store->Revoke({"revoked-key", RevocationType::kKsHash, std::nullopt}, kNow), IsOk());
  ASSERT_THAT(store->DeleteAppToken(p->id, token.id,
                                    {"deleted-key", RevocationType::kKsHash, std::nullopt}, kNow),
              IsOk());
  Result<UserRole> role = store->InsertUserRole(ARole(p->id, "Editor"));
  ASSERT_THAT(role, IsOk());
  UserRole renamed = *role;
  renamed.system_name = "EDITOR";
  ASSERT_THAT(store->UpdateUserRole(*role, renamed), IsOk());
  // Reads, counters and failed writes notify nothing.
  ASSERT_THAT(store->FindUserRoleBySystemName(p->id, "EDITOR"), IsOk());
  ASSERT_THAT(store->ConsumeAction("counted", 3, std::nullopt, kNow), IsOk());
  EXPECT_THAT(store->UpdateUserRole(*role, renamed), StatusIs(StatusCode::kAborted));
  EXPECT_THAT(store->SetPartnerStatus(999, PartnerStatus::kActive, kNow),
              StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store->UpdatePartner(999, {.name = "ghost"}, kNow), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store->InsertUserRole(ARole(p->id, "Editor")), StatusIs(StatusCode::kAlreadyExists));
  // The last write, from another store: notifications arrive in commit order, so once it is
  // here every earlier one is too.
  std::unique_ptr<PgStore> other = OpenStore();
  ASSERT_NE(other, nullptr);
  Result<Partner> last = other->CreatePartner(APartner(), kNow);
  ASSERT_THAT(last, IsOk());

  const Change marker = PartnerChange(last->id);
  ASSERT_TRUE(recorder.WaitUntil([&](const ChangeRecorder& r) {
    return !r.changes().empty() && r.changes().back() == marker;
  })) << ::testing::PrintToString(recorder.Changes());
  EXPECT_THAT(recorder.Changes(),
              ElementsAre(PartnerChange(p->id), PartnerChange(p->id), PartnerChange(p->id),
                          PartnerChange(p->id), PartnerChange(p->id), TokenChange(p->id, token.id),
                          TokenChange(p->id, token.id), KeyChange("revoked-key"),
                          TokenChange(p->id, token.id), KeyChange("deleted-key"),
                          RoleChange(p->id, role->id), RoleChange(p->id, role->id), marker));
  EXPECT_EQ(recorder.Resyncs(), 1);
}

TEST_F(PgStoreTest, ChangeFeedIgnoresUnknownNotifications) {
  ChangeRecorder recorder;
  std::unique_ptr<PgChangeFeed> feed = StartFeed(recorder);
  ASSERT_NE(feed, nullptr);
  ASSERT_THAT(db_->Exec("SELECT pg_notify('ksgate_changes', 'garbage');"
                        " SELECT pg_notify('ksgate_changes', 'p:x');"
                        " SELECT pg_notify('other_channel', 'p:8');"
                        " SELECT pg_notify('ksgate_changes', 'p:7')"),
              IsOk());
  ASSERT_TRUE(recorder.WaitUntil([](const ChangeRecorder& r) { return !r.changes().empty(); }));
  feed->Stop();
  EXPECT_THAT(recorder.changes(), ElementsAre(PartnerChange(7)));
  EXPECT_THAT(recorder.states(), ElementsAre(true));
}

TEST_F(PgStoreTest, ChangeFeedResyncsAfterItsConnectionIsCut) {
  std::unique_ptr<PgStore> store = OpenMigrated();
  ASSERT_NE(store, nullptr);
  ChangeRecorder recorder;
  std::unique_ptr<PgChangeFeed> feed = StartFeed(recorder);
  ASSERT_NE(feed, nullptr);
  ASSERT_NO_FATAL_FAILURE(TerminateOtherConnections());
  ASSERT_TRUE(recorder.WaitUntil([](const ChangeRecorder& r) {
    return r.resyncs() == 2 && r.states() == std::vector<bool>{true, false, true};
  })) << recorder.Resyncs();
  // Listening again: a change made now arrives.
  Result<Partner> p = store->CreatePartner(APartner(), kNow);
  ASSERT_THAT(p, IsOk());
  EXPECT_TRUE(recorder.WaitUntil([&](const ChangeRecorder& r) {
    return !r.changes().empty() && r.changes().back() == PartnerChange(p->id);
  }));
}

}  // namespace
}  // namespace ksgate::store
