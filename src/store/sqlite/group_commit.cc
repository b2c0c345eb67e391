#include "store/sqlite/group_commit.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <memory>
#include <string>
#include <utility>

namespace ksgate::store::sqlite {
namespace {

constexpr char kSavepoint[] = "SAVEPOINT ksgate_write";
constexpr char kRelease[] = "RELEASE ksgate_write";
constexpr char kRollbackTo[] = "ROLLBACK TO ksgate_write";

Status RunCached(Connection& c, const char* sql) {
  KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(sql));
  return s.Run();
}

void RollbackIfNeeded(Connection& c) {
  // If even ROLLBACK fails the next BEGIN reports it; nothing better to do here.
  if (c.InTransaction()) static_cast<void>(c.Exec("ROLLBACK"));
}

// Runs `work` in a savepoint of its own: on failure its changes are undone and the rest of the
// transaction is kept. Returns the work's result; an exception it throws is kept in *thrown (for
// its caller's thread to rethrow) and counts as a failure.
Status RunInSavepoint(Connection& c, const GroupCommitter::Work& work, std::exception_ptr* thrown) {
  KSGATE_RETURN_IF_ERROR(RunCached(c, kSavepoint));
  Status s;
  try {
    s = work(c);
  } catch (...) {
    *thrown = std::current_exception();
    s = InternalError("the write threw an exception");
  }
  if (s.ok()) s = RunCached(c, kRelease);
  if (!s.ok() && c.InTransaction()) {
    // ROLLBACK TO keeps the savepoint open; RELEASE closes it. If either fails the work's
    // changes may still be there: drop the whole transaction (TryBatch then fails the batch).
    if (!RunCached(c, kRollbackTo).ok() || !RunCached(c, kRelease).ok()) RollbackIfNeeded(c);
  }
  return s;
}

// The committer whose task this thread is running, if any (GroupCommitter::Submit).
thread_local const GroupCommitter* task_writer = nullptr;

}  // namespace

GroupCommitter::GroupCommitter(Connection& connection, std::mutex& mu, GroupCommitOptions options)
    : connection_(connection), connection_mu_(mu), options_(options) {
  writer_ = std::thread([this] { WriterLoop(); });
}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_ready_.notify_one();
  writer_.join();
  std::lock_guard lock(connection_mu_);
  connection_.SetCommitHookForTesting(nullptr);
}

Status GroupCommitter::Run(const Work& work) {
  if (task_writer == this) {
    // A task's write: inside the batch already, on this thread; durable with the batch.
    std::exception_ptr thrown;
    Status s = RunInSavepoint(connection_, work, &thrown);
    if (thrown) std::rethrow_exception(thrown);
    return s;
  }
  Pending pending;
  pending.work = &work;
  std::future<void> done = pending.done.emplace().get_future();
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= options_.max_queue) {
      return UnavailableError("the SQLite writer's queue is full (" +
                              std::to_string(options_.max_queue) + " writes waiting)");
    }
    queue_.push_back(&pending);
    if (writer_idle_) work_ready_.notify_one();
  }
  done.wait();  // the writer has set pending.result, and no longer touches `pending`
  if (pending.thrown) std::rethrow_exception(pending.thrown);
  return std::move(pending.result);
}

void GroupCommitter::WriterLoop() {
  std::deque<Pending*> batch;
  std::unique_lock lock(mu_);
  while (true) {
    writer_idle_ = true;
    const auto ready = [&] { return stopping_ || (!paused_ && !queue_.empty()); };
    if (options_.idle_check.count() > 0) {
      while (!work_ready_.wait_for(lock, options_.idle_check, ready)) {
        lock.unlock();
        {
          std::lock_guard connection_lock(connection_mu_);
          const auto now = std::chrono::steady_clock::now();
          if (LookForForeignCommits()) CheckedThrough(now);
        }
        lock.lock();
      }
    } else {
      work_ready_.wait(lock, ready);
    }
    writer_idle_ = false;
    if (queue_.empty()) return;  // stopping, and everything queued has run
    const size_t n = std::min(queue_.size(), std::max<size_t>(1, options_.max_batch));
    batch.assign(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
    stats_.largest_batch = std::max(stats_.largest_batch, n);
    std::function<bool(size_t)> before_commit = before_commit_;
    lock.unlock();

    bool committed = false;
    {
      std::lock_guard connection_lock(connection_mu_);
      if (before_commit) {
        connection_.SetCommitHookForTesting([&before_commit, n] { return before_commit(n); });
      }
      committed = RunBatch(batch);
      if (before_commit) connection_.SetCommitHookForTesting(nullptr);
    }

    // Only now, with the COMMIT returned, is any write of the batch acknowledged. What the
    // tasks deferred to the batch's end (the cache's invalidations) goes first.
    scope_.RunDeferred(committed);
    lock.lock();
    for (Pending* p : batch) {
      if (p->work != nullptr && p->result.ok()) ++stats_.writes;
    }
    lock.unlock();
    for (Pending* p : batch) {
      if (p->work == nullptr) {
        const std::unique_ptr<Pending> task(p);
        task->done_task(task->result);
        continue;
      }
      // Moved out first: once set, the caller may return and destroy *p at once.
      std::promise<void> done = std::move(*p->done);
      done.set_value();
    }
    batch.clear();
    lock.lock();
  }
}

bool GroupCommitter::RunBatch(std::deque<Pending*>& batch) {
  bool ran_task = false;
  Status s = TryBatch(batch, &ran_task);
  // A batch that ran a task is not run again: a task (a request's whole step) runs once.
  for (int i = 0; s.code() == StatusCode::kUnavailable && !ran_task && i < options_.busy_retries;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10 << std::min(i, 6)));
    s = TryBatch(batch, &ran_task);  // every work runs again from the start
  }
  std::lock_guard lock(mu_);
  if (s.ok()) {
    ++stats_.batches;
    return true;
  }
  ++stats_.failed_commits;
  if (s.code() == StatusCode::kUnavailable) {
    s = UnavailableError("database still busy after " + std::to_string(options_.busy_retries + 1) +
                         " attempts: " + s.message());
  }
  for (Pending* p : batch) p->result = s;
  return false;
}

Status GroupCommitter::TryBatch(std::deque<Pending*>& batch, bool* ran_task) {
  Connection& c = connection_;
  RollbackIfNeeded(c);
  KSGATE_RETURN_IF_ERROR(c.Exec("BEGIN IMMEDIATE"));
  // Holding the write lock: every other commit came before this look, and none can come until
  // the COMMIT below.
  const bool looked = LookForForeignCommits();
  for (Pending* p : batch) {
    p->thrown = nullptr;
    if (p->work == nullptr) {
      *ran_task = true;
      p->result = Status::Ok();
      const CommitScope::Inside inside(scope_);
      task_writer = this;
      try {
        p->task();
      } catch (...) {
        // A task catches its own; this keeps the writer thread alive if one did not.
        p->result = InternalError("the task threw an exception");
      }
      task_writer = nullptr;
    } else {
      p->result = RunInSavepoint(c, *p->work, &p->thrown);
    }
    if (!c.InTransaction()) {
      // SQLite dropped the whole transaction (an I/O error, a full disk, out of memory): the
      // writes before this one are gone too.
      return InternalError("transaction rolled back: " + p->result.message());
    }
  }
  const auto before_commit = std::chrono::steady_clock::now();
  Status commit = c.Exec("COMMIT");
  if (!commit.ok()) RollbackIfNeeded(c);
  if (looked) CheckedThrough(before_commit);
  return commit;
}

bool GroupCommitter::LookForForeignCommits() {
  Result<Statement> s = connection_.Prepare("PRAGMA data_version");
  if (!s.ok()) return false;
  Result<bool> row = s->Step();
  if (!row.ok() || !*row) return false;
  const int64_t version = s->Int(0);
  if (data_version_ && *data_version_ != version) {
    std::lock_guard lock(mu_);
    ++foreign_.seen;
  }
  data_version_ = version;
  return true;
}

void GroupCommitter::CheckedThrough(std::chrono::steady_clock::time_point through) {
  std::lock_guard lock(mu_);
  foreign_.checked_through = std::max(foreign_.checked_through, through);
}

ForeignCommits GroupCommitter::Foreign() const {
  std::lock_guard lock(mu_);
  return foreign_;
}

bool GroupCommitter::Submit(Task task, Done done) {
  auto pending = std::make_unique<Pending>();
  pending->task = std::move(task);
  pending->done_task = std::move(done);
  std::lock_guard lock(mu_);
  if (queue_.size() >= options_.max_queue) return false;
  queue_.push_back(pending.release());  // the writer deletes it once it called done
  if (writer_idle_) work_ready_.notify_one();
  return true;
}

bool GroupCommitter::InTaskOnThisThread() const { return task_writer == this; }

GroupCommitStats GroupCommitter::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void GroupCommitter::PauseForTesting() {
  std::lock_guard lock(mu_);
  paused_ = true;
}

void GroupCommitter::ResumeForTesting() {
  {
    std::lock_guard lock(mu_);
    paused_ = false;
  }
  work_ready_.notify_one();
}

void GroupCommitter::SetBeforeCommitForTesting(std::function<bool(size_t)> before_commit) {
  std::lock_guard lock(mu_);
  before_commit_ = std::move(before_commit);
}

size_t GroupCommitter::QueuedForTesting() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace ksgate::store::sqlite
