// The writer's lane (GroupCommitter::Submit, store::WriteLane): a task runs on the writer
// thread inside a batch, sees its own uncommitted writes, shares the batch with other writes,
// and hears of the batch's end only once the COMMIT returned; a failed COMMIT fails it too; a
// full queue refuses it. And CachingStore inside such a batch: no cached reads, and its
// invalidations made again once the batch ended.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "store/blocking.h"
#include "store/caching_store.h"
#include "store/sqlite/group_commit_test_fixture.h"

namespace ksgate::store {
namespace {

using group_commit_testing::GroupCommitTest;
using group_commit_testing::Observer;
using group_commit_testing::Token;
using ::ksgate::testing::IsOk;
using ::ksgate::testing::StatusIs;

// What a task saw, and how its batch ended.
struct TaskOutcome {
  Status write;
  bool read_its_write = false;
  int seen_elsewhere_during = -1;
  bool inside_batch = false;
  std::promise<Status> ended;
};

TEST_F(GroupCommitTest, ATaskSeesItsOwnWritesWhichNoOneElseSeesBeforeItsBatchCommitted) {
  Open();
  TaskOutcome outcome;
  std::future<Status> ended = outcome.ended.get_future();
  ASSERT_TRUE(writer().Submit(
      [&] {
        outcome.inside_batch = InsideUncommittedBatch() && writer().InTaskOnThisThread();
        outcome.write = store_->InsertAppToken(Token(partner_, "0_task"));
        outcome.read_its_write = store_->GetAppToken(partner_, "0_task").ok();
        outcome.seen_elsewhere_during = Observer(DbPath()).Tokens("0_task");
      },
      [&](const Status& s) {
        // The batch committed: what the task wrote is durable before it is acknowledged.
        EXPECT_EQ(Observer(DbPath()).Tokens("0_task"), 1);
        outcome.ended.set_value(s);
      }));
  ASSERT_EQ(ended.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_THAT(ended.get(), IsOk());
  EXPECT_TRUE(outcome.inside_batch);
  EXPECT_THAT(outcome.write, IsOk());
  EXPECT_TRUE(outcome.read_its_write);
  EXPECT_EQ(outcome.seen_elsewhere_during, 0);
  EXPECT_FALSE(InsideUncommittedBatch());
}

TEST_F(GroupCommitTest, TasksAndWritesQueuedTogetherShareOneTransaction) {
  Open();
  writer().PauseForTesting();
  const uint64_t batches_before = writer().Stats().batches;
  std::vector<std::promise<Status>> ended(3);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(writer().Submit(
        [this, i] {
          EXPECT_THAT(store_->InsertAppToken(Token(partner_, "0_t" + std::to_string(i))), IsOk());
        },
        [&ended, i](const Status& s) { ended[i].set_value(s); }));
  }
  Status plain;
  std::thread writer_thread([&] { plain = store_->InsertAppToken(Token(partner_, "0_plain")); });
  WaitQueued(4);
  writer().ResumeForTesting();
  writer_thread.join();
  EXPECT_THAT(plain, IsOk());
  for (auto& e : ended) {
    std::future<Status> f = e.get_future();
    ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    EXPECT_THAT(f.get(), IsOk());
  }
  EXPECT_EQ(writer().Stats().batches, batches_before + 1);
  EXPECT_EQ(Observer(DbPath()).AllTokens(), 4);
}

TEST_F(GroupCommitTest, AFailedCommitIsTheTasksErrorAndKeepsNothingOfIt) {
  Open();
  writer().SetBeforeCommitForTesting([](size_t) { return false; });
  std::promise<Status> ended;
  std::future<Status> f = ended.get_future();
  Status write;
  ASSERT_TRUE(writer().Submit([&] { write = store_->InsertAppToken(Token(partner_, "0_lost")); },
                              [&](const Status& s) { ended.set_value(s); }));
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_THAT(write, IsOk());  // the write itself went in, inside the batch
  EXPECT_THAT(f.get(), StatusIs(StatusCode::kInternal));
  EXPECT_EQ(Observer(DbPath()).Tokens("0_lost"), 0);
  writer().SetBeforeCommitForTesting(nullptr);
  EXPECT_THAT(store_->InsertAppToken(Token(partner_, "0_lost")), IsOk());
}

TEST_F(GroupCommitTest, AFullQueueRefusesATaskAndRunsNeitherPart) {
  SqliteOptions options;
  options.max_write_queue = 2;
  Open(options);
  writer().PauseForTesting();
  std::atomic<int> ran{0};
  std::atomic<int> done{0};
  auto task = [&] { ran.fetch_add(1); };
  auto end = [&](const Status&) { done.fetch_add(1); };
  EXPECT_TRUE(writer().Submit(task, end));
  EXPECT_TRUE(writer().Submit(task, end));
  EXPECT_FALSE(writer().Submit(task, end));
  writer().ResumeForTesting();
  for (int i = 0; i < 5000 && done.load() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(done.load(), 2);
  EXPECT_EQ(ran.load(), 2);
}

// A CachingStore over the same file store: inside a task the cache is neither read nor filled,
// and a write's invalidation is made again once the batch ended, so that a reader that read the
// committed row meanwhile does not leave it cached.
TEST_F(GroupCommitTest, InsideABatchTheCacheIsBypassedAndItsInvalidationsWaitForTheEnd) {
  Open();
  ASSERT_THAT(store_->InsertAppToken(Token(partner_, "0_c")), IsOk());
  SqliteStore* backend = store_.get();
  CachingStore cache(std::move(store_), SystemClock::Instance(),
                     CacheOptions{.ttl = std::chrono::seconds(60)});
  ASSERT_EQ(cache.write_lane(), &backend->WriterForTesting());
  ASSERT_THAT(cache.GetAppToken(partner_, "0_c"), IsOk());  // cached now
  const CacheStats before = cache.Stats(CacheKind::kAppToken);

  std::promise<Status> ended;
  std::future<Status> f = ended.get_future();
  std::string description_inside;
  ASSERT_TRUE(cache.write_lane()->Submit(
      [&] {
        Result<AppToken> t = cache.GetAppToken(partner_, "0_c");
        ASSERT_THAT(t, IsOk());
        AppToken updated = *t;
        updated.description = "changed";
        ASSERT_THAT(cache.UpdateAppToken(*t, updated), IsOk());
        // Read again inside the batch: the uncommitted change, not a cached copy.
        Result<AppToken> again = cache.GetAppToken(partner_, "0_c");
        ASSERT_THAT(again, IsOk());
        description_inside = again->description.value_or("");
        // A reader elsewhere fills the cache with the committed (old) row meanwhile.
        std::thread([&] { ASSERT_THAT(cache.GetAppToken(partner_, "0_c"), IsOk()); }).join();
      },
      [&](const Status& s) { ended.set_value(s); }));
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_THAT(f.get(), IsOk());
  EXPECT_EQ(description_inside, "changed");
  const CacheStats during = cache.Stats(CacheKind::kAppToken);
  EXPECT_EQ(during.hits, before.hits);  // nothing inside the batch came from the cache
  // After the batch: the old row the other reader cached is gone.
  Result<AppToken> after = cache.GetAppToken(partner_, "0_c");
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->description.value_or(""), "changed");
}

}  // namespace
}  // namespace ksgate::store
