// Reconnection across a PostgreSQL server restart or stop, and the change feed's keep-alive.
// These tests stop and start the server behind KSGATE_TEST_PG_DSN through KSGATE_TEST_PG_SERVER
// (scripts/pg-cluster.sh run sets both), so they run alone (ctest RUN_SERIAL) and skip when
// either is unset.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "store/postgres/connection.h"
#include "store/postgres/pg_change_feed.h"
#include "store/postgres/pg_store.h"
#include "store/postgres/pg_test_util.h"
#include "store/test_util.h"
#include "testing/matchers.h"

namespace ksgate::store {
namespace {

using ::ksgate::store::postgres::testing::CanControlServer;
using ::ksgate::store::postgres::testing::ChangeRecorder;
using ::ksgate::store::postgres::testing::ScratchDatabase;
using ::ksgate::store::postgres::testing::ServerControl;
using ::ksgate::store::postgres::testing::TestDsn;
using ::ksgate::testing::IsOk;
using ::ksgate::testing::StatusIs;

constexpr int64_t kNow = 1'700'000'000;

NewPartner APartner() {
  NewPartner p;
  p.name = "p";
  p.admin_secrets = {"s"};
  return p;
}

class PgRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (TestDsn().empty()) GTEST_SKIP() << "KSGATE_TEST_PG_DSN is not set";
    if (!CanControlServer()) GTEST_SKIP() << "KSGATE_TEST_PG_SERVER is not set";
    Result<std::unique_ptr<ScratchDatabase>> db = ScratchDatabase::Create();
    ASSERT_THAT(db, IsOk());
    db_ = std::move(db).value();
    Result<std::unique_ptr<PgStore>> store = PgStore::Open(db_->conninfo());
    ASSERT_THAT(store, IsOk());
    store_ = std::move(store).value();
    ASSERT_THAT(store_->Migrate(), IsOk());
  }

  void TearDown() override {
    // Whatever a test did, leave the server running for the next one.
    if (server_stopped_) {
      EXPECT_THAT(ServerControl("start"), IsOk());
    }
  }

  void StopServer() {
    ASSERT_THAT(ServerControl("stop"), IsOk());
    server_stopped_ = true;
  }
  void StartServer() {
    ASSERT_THAT(ServerControl("start"), IsOk());
    server_stopped_ = false;
  }

  // Opens several pooled connections, so that a restart leaves more than one broken.
  void UseSeveralConnections() {
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([&] { EXPECT_THAT(store_->ListPartners(), IsOk()); });
    }
    for (std::thread& t : threads) t.join();
  }

  std::unique_ptr<ScratchDatabase> db_;  // dropped after the store closes
  std::unique_ptr<PgStore> store_;
  bool server_stopped_ = false;
};

TEST_F(PgRestartTest, StoreWorksAgainAfterTheServerRestarts) {
  Result<Partner> p = store_->CreatePartner(APartner(), kNow);
  ASSERT_THAT(p, IsOk());
  ASSERT_NO_FATAL_FAILURE(UseSeveralConnections());

  ASSERT_THAT(ServerControl("restart"), IsOk());
  // Every pooled connection is broken now; the calls succeed regardless.
  EXPECT_THAT(store_->GetPartner(p->id), IsOk());
  for (int i = 0; i < 4; ++i) EXPECT_THAT(store_->ListPartners(), IsOk());

  ASSERT_THAT(ServerControl("restart"), IsOk());
  Result<Partner> next = store_->CreatePartner(APartner(), kNow);
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->id, p->id + 1);  // the retried write applied once
  ASSERT_THAT(ServerControl("restart"), IsOk());
  Result<ActionsLimitState> state = store_->ConsumeAction("ks", 1, std::nullopt, kNow);
  ASSERT_THAT(state, IsOk());
  EXPECT_EQ(*state, ActionsLimitState::kAllowed);
  Result<ActionsLimitState> exceeded = store_->ConsumeAction("ks", 1, std::nullopt, kNow);
  ASSERT_THAT(exceeded, IsOk());
  EXPECT_EQ(*exceeded, ActionsLimitState::kExceeded);
}

TEST_F(PgRestartTest, StoreIsUnavailableWhileTheServerIsDownAndRecoversWhenItIsBack) {
  Result<Partner> p = store_->CreatePartner(APartner(), kNow);
  ASSERT_THAT(p, IsOk());
  ASSERT_NO_FATAL_FAILURE(UseSeveralConnections());

  ASSERT_NO_FATAL_FAILURE(StopServer());
  EXPECT_THAT(store_->GetPartner(p->id), StatusIs(StatusCode::kUnavailable));
  EXPECT_THAT(store_->CreatePartner(APartner(), kNow), StatusIs(StatusCode::kUnavailable));
  EXPECT_THAT(store_->ConsumeAction("ks", 1, std::nullopt, kNow),
              StatusIs(StatusCode::kUnavailable));

  ASSERT_NO_FATAL_FAILURE(StartServer());
  Result<Partner> again = store_->GetPartner(p->id);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->name, "p");
  Result<Partner> next = store_->CreatePartner(APartner(), kNow);
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->id, p->id + 1);  // nothing was written while the server was down
}

TEST_F(PgRestartTest, ChangeFeedResyncsAfterTheServerRestarts) {
  Result<std::unique_ptr<PgChangeFeed>> feed = PgChangeFeed::Create(db_->conninfo());
  ASSERT_THAT(feed, IsOk());
  ChangeRecorder recorder;
  ASSERT_THAT((*feed)->Start(recorder.Callbacks()), IsOk());
  ASSERT_TRUE(recorder.WaitUntil([](const ChangeRecorder& r) { return r.connected(); }));
  EXPECT_EQ(recorder.Resyncs(), 1);

  ASSERT_THAT(ServerControl("restart"), IsOk());
  ASSERT_TRUE(recorder.WaitUntil([](const ChangeRecorder& r) {
    return r.resyncs() == 2 && r.states() == std::vector<bool>{true, false, true};
  })) << recorder.Resyncs();

  Result<Partner> p = store_->CreatePartner(APartner(), kNow);
  ASSERT_THAT(p, IsOk());
  EXPECT_TRUE(recorder.WaitUntil([&](const ChangeRecorder& r) {
    return !r.changes().empty() && r.changes().back().partner_id == p->id;
  }));
}

TEST_F(PgRestartTest, ChangeFeedReportsAnUnansweredKeepAliveWithinASecond) {
  Result<std::unique_ptr<PgChangeFeed>> feed = PgChangeFeed::Create(db_->conninfo());
  ASSERT_THAT(feed, IsOk());
  ChangeRecorder recorder;
  ASSERT_THAT((*feed)->Start(recorder.Callbacks()), IsOk());
  ASSERT_TRUE(recorder.WaitUntil([](const ChangeRecorder& r) { return r.connected(); }));
  // The listener's server process hangs (as behind a silent network cut): nothing closes the
  // socket, only the keep-alive can tell. KSGATE_TEST_PG_SERVER means the server is local.
  Result<postgres::ConnInfo> info =
      postgres::ConnInfo::Parse(db_->conninfo(), std::chrono::seconds(5));
  ASSERT_THAT(info, IsOk());
  Result<std::unique_ptr<postgres::Connection>> c = postgres::Connection::Open(*info);
  ASSERT_THAT(c, IsOk());
  Result<postgres::Rows> listener = (*c)->Run(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
      " AND pid <> pg_backend_pid() AND query IN ('LISTEN ksgate_changes', 'SELECT 1')");
  ASSERT_THAT(listener, IsOk());
  ASSERT_EQ(listener->size(), 1);
  const pid_t pid = static_cast<pid_t>((*listener)[0].Int(0));

  ASSERT_EQ(kill(pid, SIGSTOP), 0);
  const auto start = std::chrono::steady_clock::now();
  const bool reported = recorder.WaitUntil([](const ChangeRecorder& r) { return !r.connected(); },
                                           std::chrono::seconds(5));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  kill(pid, SIGCONT);
  ASSERT_TRUE(reported);
  EXPECT_LT(elapsed, std::chrono::milliseconds(1500));
  // It reconnects on a fresh connection and resyncs.
  EXPECT_TRUE(recorder.WaitUntil([](const ChangeRecorder& r) { return r.resyncs() == 2; }));
  (*feed)->Stop();
}

}  // namespace
}  // namespace ksgate::store
