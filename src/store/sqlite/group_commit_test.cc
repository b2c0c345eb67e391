// Group commit in the SQLite store (group_commit.h): concurrent writes share transactions, each
// keeps its own result, a failing write or COMMIT fails only what it should, and nothing is
// acknowledged before its COMMIT. Driven through SqliteStore on a file, so commits really sync.
#include "store/sqlite/group_commit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/group_commit_test_fixture.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/matchers.h"
#include "testing/scratch_dir.h"

namespace ksgate::store {
namespace {

using ::ksgate::testing::IsOk;
using ::ksgate::testing::ScratchDir;
using ::ksgate::testing::StatusIs;
using sqlite::GroupCommitStats;
using ::testing::HasSubstr;

using group_commit_testing::GroupCommitTest;
using group_commit_testing::kNow;
using group_commit_testing::Observer;
using group_commit_testing::Token;

TEST_F(GroupCommitTest, ConcurrentWritesAllLandAndEachIsVisibleElsewhereWhenItReturns) {
  Open();
  constexpr int kThreads = 16;
  constexpr int kPerThread = 40;
  const uint64_t batches_before = writer().Stats().batches;
  std::atomic<int> acknowledged{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Observer elsewhere(DbPath());
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = "0_t" + std::to_string(t) + "i" + std::to_string(i);
        // Every other write of thread 0 reuses an id: only those fail.
        const bool duplicate = t == 0 && i % 2 == 1;
        Status s = store_->InsertAppToken(Token(partner_, duplicate ? "0_t0i0" : id));
        if (duplicate) {
          if (s.code() != StatusCode::kAlreadyExists) failures.fetch_add(1);
          continue;
        }
        const int acked = acknowledged.fetch_add(1) + 1;
        // Acknowledged only once committed: counted as committed, and seen by a connection
        // that reads committed data only.
        if (!s.ok() || writer().Stats().writes < static_cast<uint64_t>(acked) ||
            elsewhere.Tokens(id) != 1) {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Observer(DbPath()).AllTokens(), kThreads * kPerThread - kPerThread / 2);
  // Writes shared transactions (with 16 writers at once some batch must hold more than one).
  EXPECT_LT(writer().Stats().batches - batches_before, uint64_t{kThreads * kPerThread});
}

TEST_F(GroupCommitTest, WritesQueuedWhileTheWriterIsBusyShareOneTransaction) {
  Open();
  const GroupCommitStats before = writer().Stats();
  writer().PauseForTesting();
  std::vector<AppToken> tokens;
  for (int i = 0; i < 8; ++i) tokens.push_back(Token(partner_, "0_batch" + std::to_string(i)));
  std::vector<Status> results;
  std::vector<std::thread> threads = InsertEach(tokens, &results);
  WaitQueued(8);
  // Nothing is acknowledged, or visible elsewhere, before its commit.
  EXPECT_EQ(Observer(DbPath()).AllTokens(), 0);
  writer().ResumeForTesting();
  for (std::thread& t : threads) t.join();
  for (const Status& s : results) EXPECT_THAT(s, IsOk());
  const GroupCommitStats after = writer().Stats();
  EXPECT_EQ(after.batches - before.batches, 1u);
  EXPECT_EQ(after.writes - before.writes, 8u);
  EXPECT_EQ(after.largest_batch, 8u);
  EXPECT_EQ(Observer(DbPath()).AllTokens(), 8);
}

TEST_F(GroupCommitTest, AFailingWriteFailsAloneAndTheRestOfItsBatchCommits) {
  Open();
  ASSERT_THAT(store_->InsertAppToken(Token(partner_, "0_taken")), IsOk());
  const GroupCommitStats before = writer().Stats();
  writer().PauseForTesting();
  const std::vector<AppToken> tokens = {
      Token(partner_, "0_good1"),
      Token(partner_, "0_taken"),          // kAlreadyExists: a constraint
      Token(partner_ + 1, "0_nopartner"),  // kNotFound: the work's own check
      Token(partner_, "0_good2"),
  };
  std::vector<Status> results;
  std::vector<std::thread> threads = InsertEach(tokens, &results);
  WaitQueued(tokens.size());
  writer().ResumeForTesting();
  for (std::thread& t : threads) t.join();
  EXPECT_THAT(results[0], IsOk());
  EXPECT_THAT(results[1], StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(results[2], StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(results[3], IsOk());
  EXPECT_EQ(writer().Stats().batches - before.batches, 1u);
  Observer elsewhere(DbPath());
  EXPECT_EQ(elsewhere.Tokens("0_good1"), 1);
  EXPECT_EQ(elsewhere.Tokens("0_good2"), 1);
  EXPECT_EQ(elsewhere.Tokens("0_nopartner"), 0);
  EXPECT_EQ(elsewhere.AllTokens(), 3);
}

TEST_F(GroupCommitTest, AFailedCommitFailsItsWholeBatchAndLeavesTheStoreConsistent) {
  Open();
  ASSERT_THAT(store_->InsertAppToken(Token(partner_, "0_before")), IsOk());
  std::atomic<int> refused{0};
  writer().SetBeforeCommitForTesting([&](size_t) { return refused.fetch_add(1) > 0; });
  writer().PauseForTesting();
  std::vector<AppToken> tokens;
  for (int i = 0; i < 4; ++i) tokens.push_back(Token(partner_, "0_lost" + std::to_string(i)));
  std::vector<Status> results;
  std::vector<std::thread> threads = InsertEach(tokens, &results);
  WaitQueued(tokens.size());
  writer().ResumeForTesting();
  for (std::thread& t : threads) t.join();
  for (const Status& s : results) EXPECT_THAT(s, StatusIs(StatusCode::kInternal));
  EXPECT_EQ(writer().Stats().failed_commits, 1u);
  EXPECT_EQ(Observer(DbPath()).AllTokens(), 1);  // only the token written before

  // The store goes on: the same ids can be written now, and everything reads back.
  for (const AppToken& t : tokens) EXPECT_THAT(store_->InsertAppToken(t), IsOk());
  EXPECT_THAT(store_->GetAppToken(partner_, "0_lost3"), IsOk());
  EXPECT_THAT(store_->GetAppToken(partner_, "0_before"), IsOk());
  EXPECT_EQ(Observer(DbPath()).AllTokens(), 5);
}

TEST_F(GroupCommitTest, AFullQueueRefusesAtOnceWithUnavailable) {
  SqliteOptions options;
  options.max_write_queue = 4;
  Open(options);
  writer().PauseForTesting();
  std::vector<AppToken> tokens;
  for (int i = 0; i < 4; ++i) tokens.push_back(Token(partner_, "0_q" + std::to_string(i)));
  std::vector<Status> results;
  std::vector<std::thread> threads = InsertEach(tokens, &results);
  WaitQueued(4);
  EXPECT_THAT(store_->InsertAppToken(Token(partner_, "0_over")),
              StatusIs(StatusCode::kUnavailable, HasSubstr("queue is full")));
  writer().ResumeForTesting();
  for (std::thread& t : threads) t.join();
  for (const Status& s : results) EXPECT_THAT(s, IsOk());
  EXPECT_EQ(Observer(DbPath()).Tokens("0_over"), 0);
  EXPECT_THAT(store_->InsertAppToken(Token(partner_, "0_over")), IsOk());
}

TEST_F(GroupCommitTest, NoBatchHoldsMoreThanMaxWriteBatch) {
  SqliteOptions options;
  options.max_write_batch = 3;
  Open(options);
  const GroupCommitStats before = writer().Stats();
  std::vector<size_t> committed_sizes;  // written by the writer thread only
  writer().SetBeforeCommitForTesting([&](size_t n) {
    committed_sizes.push_back(n);
    return true;
  });
  writer().PauseForTesting();
  std::vector<AppToken> tokens;
  for (int i = 0; i < 10; ++i) tokens.push_back(Token(partner_, "0_cap" + std::to_string(i)));
  std::vector<Status> results;
  std::vector<std::thread> threads = InsertEach(tokens, &results);
  WaitQueued(10);
  writer().ResumeForTesting();
  for (std::thread& t : threads) t.join();
  writer().SetBeforeCommitForTesting(nullptr);
  for (const Status& s : results) EXPECT_THAT(s, IsOk());
  EXPECT_EQ(writer().Stats().batches - before.batches, 4u);  // 3 + 3 + 3 + 1
  EXPECT_EQ(writer().Stats().largest_batch, 3u);
  EXPECT_THAT(committed_sizes, ::testing::ElementsAre(3u, 3u, 3u, 1u));
}

// The committer on its own, over a plain table: a work that throws.
TEST(GroupCommitter, AWorkThatThrowsFailsAloneAndItsCallerGetsTheException) {
  ScratchDir dir;
  const std::string path = (dir.path() / "plain.db").string();
  Result<std::unique_ptr<sqlite::Connection>> opened = sqlite::Connection::Open(
      path, sqlite::Connection::Role::kWriter, std::chrono::milliseconds(1000));
  ASSERT_THAT(opened, IsOk());
  std::unique_ptr<sqlite::Connection> connection = *std::move(opened);
  std::mutex mu;
  sqlite::GroupCommitter writer(*connection, mu, {});
  auto insert = [](int v) {
    return [v](sqlite::Connection& c) {
      return c.Exec("INSERT INTO t VALUES (" + std::to_string(v) + ")");
    };
  };
  ASSERT_THAT(
      writer.Run([](sqlite::Connection& c) { return c.Exec("CREATE TABLE t (v INTEGER)"); }),
      IsOk());

  writer.PauseForTesting();
  Status first, third;
  bool threw = false;
  const sqlite::GroupCommitter::Work first_work = insert(1);
  const sqlite::GroupCommitter::Work throwing = [](sqlite::Connection& c) -> Status {
    static_cast<void>(c.Exec("INSERT INTO t VALUES (2)"));
    throw std::runtime_error("boom");
  };
  const sqlite::GroupCommitter::Work third_work = insert(3);
  std::thread a([&] { first = writer.Run(first_work); });
  for (int i = 0; i < 5000 && writer.QueuedForTesting() < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::thread b([&] {
    try {
      static_cast<void>(writer.Run(throwing));
    } catch (const std::runtime_error& e) {
      threw = std::string(e.what()) == "boom";
    }
  });
  for (int i = 0; i < 5000 && writer.QueuedForTesting() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::thread c([&] { third = writer.Run(third_work); });
  for (int i = 0; i < 5000 && writer.QueuedForTesting() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(writer.QueuedForTesting(), 3u);
  writer.ResumeForTesting();
  a.join();
  b.join();
  c.join();
  EXPECT_TRUE(threw);
  EXPECT_THAT(first, IsOk());
  EXPECT_THAT(third, IsOk());
  EXPECT_EQ(writer.Stats().largest_batch, 3u);

  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite::DbHandle db(raw);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db.get(), "SELECT group_concat(v) FROM t", -1, &stmt, nullptr),
            SQLITE_OK);
  sqlite::StmtHandle owned(stmt);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "1,3");
}

// Files this process has open that SQLite made as temporary files ("etilqs_" names, deleted).
int OpenSqliteTempFiles() {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const std::filesystem::path target = std::filesystem::read_symlink(entry.path(), ec);
    if (!ec && target.filename().string().starts_with("etilqs_")) ++n;
  }
  return n;
}

// A write's savepoint journal (the originals of the pages it changes, kept so that it can fail
// alone) stays in memory: SQLite's default moved it to a temporary file past 64 KiB, which one
// appToken.add reaches, and from there every page of the batch, token values included, was
// written to disk outside the database (connection.cc). A failed write still rolls back alone.
TEST(GroupCommitter, AWritesSavepointJournalStaysInMemoryAndStillRollsBack) {
  ASSERT_TRUE(sqlite::StatementJournalsInMemory());
  ScratchDir dir;
  Result<std::unique_ptr<sqlite::Connection>> opened =
      sqlite::Connection::Open((dir.path() / "plain.db").string(),
                               sqlite::Connection::Role::kWriter, std::chrono::milliseconds(1000));
  ASSERT_THAT(opened, IsOk());
  std::unique_ptr<sqlite::Connection> connection = *std::move(opened);
  std::mutex mu;
  sqlite::GroupCommitter writer(*connection, mu, {});
  ASSERT_THAT(writer.Run([](sqlite::Connection& c) {
    return c.Exec(
        "CREATE TABLE t (v BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
        "WHERE i < 200) INSERT INTO t SELECT randomblob(2000) FROM n");
  }),
              IsOk());
  // 200 rows of 2,000 bytes: about 100 pages, 400 KiB of originals, far past 64 KiB.
  int temp_files_seen = -1;
  const Status failed = writer.Run([&](sqlite::Connection& c) -> Status {
    KSGATE_RETURN_IF_ERROR(c.Exec("UPDATE t SET v = randomblob(2000)"));
    temp_files_seen = OpenSqliteTempFiles();
    return InternalError("this write fails after changing every page");
  });
  EXPECT_THAT(failed, StatusIs(StatusCode::kInternal));
  EXPECT_EQ(temp_files_seen, 0);
  int64_t rows = -1;
  ASSERT_THAT(writer.Run([&](sqlite::Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(sqlite::Statement s, c.Prepare("SELECT count(*) FROM t"));
    KSGATE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) rows = s.Int(0);
    return Status::Ok();
  }),
              IsOk());
  EXPECT_EQ(rows, 200);
}

}  // namespace
}  // namespace ksgate::store
