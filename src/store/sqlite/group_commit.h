// GroupCommitter: the SQLite store's writer. Writes from many threads are queued and run by one
// writer thread in batches: one BEGIN IMMEDIATE ... COMMIT (so one fsync) for every write queued
// while the previous batch was committing, each write in a SAVEPOINT of its own. A write is
// acknowledged (Run returns) only after the COMMIT that holds it has returned, that is, once it is
// durable (synchronous=FULL). Internal to store/sqlite.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "common/status.h"
#include "store/blocking.h"
#include "store/sqlite/connection.h"
#include "store/store.h"

namespace ksgate::store::sqlite {

struct GroupCommitOptions {
  // Most writes in one transaction: a larger batch makes every write in it wait for the others.
  size_t max_batch = 64;
  // Most writes queued and not yet taken into a batch; past that Run refuses at once.
  size_t max_queue = 1024;
  // Extra attempts of a batch whose BEGIN IMMEDIATE found the database locked by another
  // process past busy_timeout, with a short backoff; after them every write of the batch fails
  // with kUnavailable.
  int busy_retries = 2;
  // While idle, the writer looks this often whether another connection committed
  // (ForeignCommits); 0: only when a batch begins.
  std::chrono::milliseconds idle_check{100};
};

// Commits made to the database by connections other than the writer's (another process, the
// CLI, an operator's sqlite3), as the writer's connection sees them: `seen` counts the times
// it found the database changed by others (several commits may count once), every such commit
// made before `checked_through` counted.
struct ForeignCommits {
  uint64_t seen = 0;
  std::chrono::steady_clock::time_point checked_through;
};

// What the writer has done since start (tests, metrics).
struct GroupCommitStats {
  uint64_t batches = 0;         // transactions committed
  uint64_t writes = 0;          // writes whose work succeeded in a committed transaction
  uint64_t failed_commits = 0;  // batches whose COMMIT (or BEGIN) failed
  size_t largest_batch = 0;     // most writes taken into one batch
};

class GroupCommitter final : public WriteLane {
 public:
  // Work on the writer connection, inside the transaction; a failure rolls back its own
  // changes only (ROLLBACK TO its savepoint). It must not BEGIN, COMMIT or ROLLBACK itself.
  using Work = std::function<Status(Connection&)>;

  // Starts the writer thread. `connection` is used only by that thread and only while holding
  // `mu` (which other users of the connection, such as ":memory:" reads, hold too); both must
  // outlive *this.
  GroupCommitter(Connection& connection, std::mutex& mu, GroupCommitOptions options);
  // Runs what is queued, then stops the writer thread.
  ~GroupCommitter() override;

  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Queues `work` and waits until the batch holding it has committed or failed. Returns the
  // work's own error (nothing it did is kept), or the batch's: kUnavailable when the database
  // stayed locked; the COMMIT's error (nothing of the batch is kept) when that failed. Returns
  // kUnavailable at once, without running `work`, when max_queue writes are already waiting.
  // `work` runs on the writer thread while Run waits, so it may refer to the caller's locals. An
  // exception it throws fails it alone (its savepoint rolled back) and is rethrown here.
  // Thread-safe; must not be called from inside a Work.
  Status Run(const Work& work);

  // Runs `task` on the writer thread inside a batch's transaction, with the batch's
  // CommitScope current (store/blocking.h): a Run it makes runs at once, in a savepoint of its
  // own, and is not durable yet; it must not wait for anything else. Then, once the batch's
  // COMMIT returned, calls `done` on the writer thread with OK, or with the batch's error when
  // nothing of it was kept (the task may not have run at all then). So the task's effects may
  // be acknowledged from `done` only. Returns false, running neither, when max_queue items are
  // already waiting. An exception `task` throws is logged and counts as its own failure only
  // if it came from a Run (whose changes are rolled back); the task must catch its own.
  // Thread-safe.
  using Task = std::function<void()>;
  using Done = std::function<void(const Status&)>;
  bool Submit(Task task, Done done) override;

  // True on the writer thread while a Submit'ed task runs: that thread holds the writer's
  // connection, inside the batch's transaction (reads there see its uncommitted rows).
  bool InTaskOnThisThread() const;

  GroupCommitStats Stats() const;

  // What the writer knows of others' commits (SqliteChangeFeed). It looks (PRAGMA data_version
  // on its connection, which changes only with others' commits) at the start of every batch,
  // holding the write lock, so that no other commit can follow until its COMMIT (then
  // checked_through is the moment before that COMMIT), and every idle_check while idle. While
  // it waits for a lock another connection holds, checked_through stands still. Thread-safe.
  ForeignCommits Foreign() const;

  // Test hooks. While paused the writer takes no new batch (writes queue up); Resume lets it go
  // on. `before_commit`, when set, runs on the writer thread just before each COMMIT with the
  // batch's size; if it returns false the COMMIT is turned into a ROLLBACK (sqlite3's commit
  // hook), so the batch fails as a failed COMMIT would.
  void PauseForTesting();
  void ResumeForTesting();
  void SetBeforeCommitForTesting(std::function<bool(size_t batch_size)> before_commit);
  // Writes queued now, not yet taken into a batch.
  size_t QueuedForTesting() const;

 private:
  // One queued write: a Run's, on its caller's stack while Run waits, or a Submit'ed task, on
  // the heap until the writer called its `done_task`. For a Run the writer fills `result`, then
  // moves `done` out and sets it: the caller wakes without taking mu_ (no convoy behind the
  // writer) and may destroy *this as soon as it does.
  struct Pending {
    const Work* work = nullptr;  // a Run's work, or null for a Submit'ed task
    Task task;
    Done done_task;
    Status result;
    std::exception_ptr thrown;  // what the work threw, rethrown by Run on the caller's thread
    std::optional<std::promise<void>> done;  // a Run's only (a promise allocates its state)
  };

  void WriterLoop();
  // Runs `batch` in one transaction and sets every entry's result (not `done`). Returns whether
  // the batch committed.
  bool RunBatch(std::deque<Pending*>& batch);
  // One attempt: BEGIN IMMEDIATE, every work in its savepoint and every task, COMMIT. Returns
  // the batch's own error (BEGIN or COMMIT), the works' results being meaningful only when it
  // is OK. *ran_task is set once a task has run: the batch may not run again.
  Status TryBatch(std::deque<Pending*>& batch, bool* ran_task);
  // Reads the connection's data_version (connection_mu_ held) and counts a change in seen_;
  // false if it could not be read.
  bool LookForForeignCommits();
  // Publishes that every foreign commit before `through` is counted.
  void CheckedThrough(std::chrono::steady_clock::time_point through);

  Connection& connection_;
  std::mutex& connection_mu_;
  const GroupCommitOptions options_;

  mutable std::mutex mu_;
  std::condition_variable work_ready_;  // the writer waits: something queued, resumed or stopping
  std::deque<Pending*> queue_;          // guarded by mu_
  bool paused_ = false;                 // guarded by mu_
  bool writer_idle_ = false;            // guarded by mu_: waiting on work_ready_
  bool stopping_ = false;               // guarded by mu_
  GroupCommitStats stats_;              // guarded by mu_
  std::function<bool(size_t)> before_commit_;  // guarded by mu_
  ForeignCommits foreign_;                     // guarded by mu_
  std::optional<int64_t> data_version_;        // writer thread only: the last one read
  CommitScope scope_;                          // the current batch's; writer thread only
  std::thread writer_;                         // last: started once everything above exists
};

}  // namespace ksgate::store::sqlite
