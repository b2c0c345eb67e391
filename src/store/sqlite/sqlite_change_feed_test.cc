// SqliteChangeFeed (what other processes commit to a SQLite file): a resync at the start and
// after another connection's commit, none for the store's own writes, confirmations every
// heartbeat, also while another connection holds the write lock and the store's writer waits
// for it.
#include "store/sqlite/sqlite_change_feed.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/group_commit_test_fixture.h"

namespace ksgate::store {
namespace {

using group_commit_testing::GroupCommitTest;
using group_commit_testing::Token;
using ::ksgate::testing::IsOk;
using Clock = std::chrono::steady_clock;

// What the feed reported, in order ('S' state up, 's' down, 'R' resync, 'C' confirmed).
class Recorder {
 public:
  ChangeFeed::Callbacks Callbacks() {
    ChangeFeed::Callbacks c;
    c.on_change = [this](const Change&) { Add('?', {}); };
    c.on_resync = [this] { Add('R', {}); };
    c.on_state = [this](bool up) { Add(up ? 'S' : 's', {}); };
    c.on_confirmed = [this](Clock::time_point as_of) { Add('C', as_of); };
    return c;
  }
  // Waits up to 5 s until `done` holds (called under the lock).
  bool WaitUntil(const std::function<bool(const Recorder&)>& done) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return done(*this); });
  }
  int Count(char kind) const {
    int n = 0;
    for (char e : events_) n += e == kind ? 1 : 0;
    return n;
  }
  Clock::time_point confirmed() const { return confirmed_; }
  int Resyncs() {
    std::lock_guard lock(mu_);
    return Count('R');
  }
  // For each resync, the last confirmation before it.
  std::vector<Clock::time_point> ConfirmedAtResyncs() {
    std::lock_guard lock(mu_);
    return confirmed_at_resyncs_;
  }
  std::string Events() {
    std::lock_guard lock(mu_);
    return std::string(events_.begin(), events_.end());
  }

 private:
  void Add(char kind, Clock::time_point as_of) {
    {
      std::lock_guard lock(mu_);
      events_.push_back(kind);
      if (kind == 'R') confirmed_at_resyncs_.push_back(confirmed_);
      if (kind == 'C') {
        EXPECT_GT(as_of, confirmed_) << "confirmations move forward";
        confirmed_ = as_of;
      }
    }
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<char> events_;
  Clock::time_point confirmed_;
  std::vector<Clock::time_point> confirmed_at_resyncs_;
};

class SqliteChangeFeedTest : public GroupCommitTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(Open());
    feed_ = store_->NewChangeFeed();
    ASSERT_NE(feed_, nullptr);
    ASSERT_THAT(feed_->Start(recorder_.Callbacks()), IsOk());
    ASSERT_TRUE(ConfirmedPast(Clock::now()));
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(DbPath().c_str(), &db), SQLITE_OK);
    raw_.reset(db);
    sqlite3_busy_timeout(db, 5000);
  }
  void TearDown() override {
    if (feed_) feed_->Stop();
  }
  // Waits until a confirmation as of after `t` came.
  bool ConfirmedPast(Clock::time_point t) {
    return recorder_.WaitUntil([t](const Recorder& r) { return r.confirmed() > t; });
  }
  int Exec(const std::string& sql) {
    return sqlite3_exec(raw_.get(), sql.c_str(), nullptr, nullptr, nullptr);
  }

  std::unique_ptr<ChangeFeed> feed_;
  Recorder recorder_;
  sqlite::DbHandle raw_;  // another process's connection
};

TEST_F(SqliteChangeFeedTest, StartsUpWithAResyncThenConfirmsEveryHeartbeat) {
  EXPECT_EQ(recorder_.Events().substr(0, 3), "SRC");
  const Clock::time_point now = Clock::now();
  ASSERT_TRUE(ConfirmedPast(now));
  ASSERT_TRUE(ConfirmedPast(now + std::chrono::milliseconds(300)));
  EXPECT_EQ(recorder_.Resyncs(), 1);
}

TEST_F(SqliteChangeFeedTest, TheStoresOwnWritesAreNoResync) {
  for (int i = 0; i < 100; ++i) {
    ASSERT_THAT(store_->InsertAppToken(Token(partner_, "0_own" + std::to_string(i))), IsOk());
  }
  ASSERT_TRUE(ConfirmedPast(Clock::now()));
  EXPECT_EQ(recorder_.Resyncs(), 1);
}

TEST_F(SqliteChangeFeedTest, AnotherConnectionsCommitIsAResyncBeforeItIsConfirmed) {
  ASSERT_EQ(Exec("UPDATE partners SET name = 'renamed'"), SQLITE_OK);
  const Clock::time_point committed = Clock::now();
  ASSERT_TRUE(ConfirmedPast(committed));
  EXPECT_EQ(recorder_.Resyncs(), 2);
  // No confirmation as of after the commit came before its resync.
  const std::vector<Clock::time_point> at = recorder_.ConfirmedAtResyncs();
  ASSERT_EQ(at.size(), 2u);
  EXPECT_LT(at[1], committed);
}

TEST_F(SqliteChangeFeedTest, AnotherConnectionsCommitAmongTheStoresWritesIsAResync) {
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      EXPECT_THAT(store_->InsertAppToken(Token(partner_, "0_busy" + std::to_string(i))), IsOk());
    }
  });
  ASSERT_TRUE(ConfirmedPast(Clock::now()));
  EXPECT_EQ(recorder_.Resyncs(), 1);
  ASSERT_EQ(Exec("UPDATE partners SET name = 'renamed'"), SQLITE_OK);
  const Clock::time_point committed = Clock::now();
  const bool confirmed = ConfirmedPast(committed);
  stop = true;
  writer.join();
  ASSERT_TRUE(confirmed);
  EXPECT_GE(recorder_.Resyncs(), 2);
  const std::vector<Clock::time_point> at = recorder_.ConfirmedAtResyncs();
  ASSERT_GE(at.size(), 2u);
  EXPECT_LT(at[1], committed);
}

TEST_F(SqliteChangeFeedTest, ConfirmationsGoOnWhileAnotherConnectionHoldsTheWriteLock) {
  ASSERT_EQ(Exec("BEGIN EXCLUSIVE"), SQLITE_OK);
  // The store's writer waits for the lock (its busy timeout is 5 s).
  std::thread write([&] { static_cast<void>(store_->InsertAppToken(Token(partner_, "0_w"))); });
  const Clock::time_point locked = Clock::now();
  EXPECT_TRUE(ConfirmedPast(locked + std::chrono::milliseconds(600)));
  EXPECT_EQ(recorder_.Resyncs(), 1);
  // Its commit, made while the writer still waits, is a resync.
  ASSERT_EQ(Exec("UPDATE partners SET name = 'renamed'"), SQLITE_OK);
  ASSERT_EQ(Exec("COMMIT"), SQLITE_OK);
  const Clock::time_point committed = Clock::now();
  EXPECT_TRUE(ConfirmedPast(committed));
  EXPECT_EQ(recorder_.Resyncs(), 2);
  const std::vector<Clock::time_point> at = recorder_.ConfirmedAtResyncs();
  ASSERT_EQ(at.size(), 2u);
  EXPECT_LT(at[1], committed);
  write.join();
}

TEST_F(SqliteChangeFeedTest, AFeedWhoseFileCannotBeOpenedConfirmsNothingUntilItCan) {
  const std::string path = (dir_.path() / "later.db").string();
  SqliteChangeFeed feed(path, writer());
  Recorder recorder;
  ASSERT_THAT(feed.Start(recorder.Callbacks()), IsOk());
  // Tried at once and every heartbeat; while the file is missing (a reader connection does not
  // create it) nothing is reported, so the first events come once it exists, in order.
  EXPECT_FALSE(std::filesystem::exists(path));
  ASSERT_EQ(Exec("VACUUM INTO '" + path + "'"), SQLITE_OK);
  EXPECT_TRUE(recorder.WaitUntil([](const Recorder& r) { return r.Count('C') > 0; }));
  EXPECT_EQ(recorder.Events().substr(0, 3), "SRC");
  feed.Stop();
}

TEST_F(SqliteChangeFeedTest, AMemoryStoreHasNoFeed) {
  Result<std::unique_ptr<SqliteStore>> memory = SqliteStore::Open(":memory:");
  ASSERT_THAT(memory, IsOk());
  EXPECT_EQ((*memory)->NewChangeFeed(), nullptr);
}

}  // namespace
}  // namespace ksgate::store
