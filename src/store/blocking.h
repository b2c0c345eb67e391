// Which threads may wait for a database. An I/O thread must not: it serves many connections,
// and one fsync or network round trip would stall them all. While a thread is inside an
// InlineScope, every call that would reach a store backend (a cache miss, any write) is refused
// with kWouldBlock instead of waiting, and the refusal is noted, so the caller can discard what
// it was doing and run it again on a thread that may wait (a store thread).
//
// The check is made by CachingStore, the layer every service reads through; backends never see
// an inline call. Thread-local: no locking.
#pragma once

#include <functional>
#include <vector>

#include "common/status.h"

namespace ksgate::store {

// Marks the current thread as one that must not wait for a database, for the scope's lifetime.
// Scopes nest.
class InlineScope {
 public:
  InlineScope();
  ~InlineScope();
  InlineScope(const InlineScope&) = delete;
  InlineScope& operator=(const InlineScope&) = delete;
};

// True inside an InlineScope on this thread.
bool InInlineScope();

// What a refused call would have done: read, or write (which may wait for locks and fsyncs).
// Work that writes runs on threads of its own, so that writers stuck behind a lock never keep
// readers waiting.
enum class Access { kRead, kWrite };

// Notes, for this thread, that a store call was refused, and returns kWouldBlock.
Status RefuseToBlock(Access access);

// True if a store call was refused on this thread since the last TakeWouldBlock(); clears the
// note.
bool TakeWouldBlock();
// The same, without clearing the note: whether what was just computed may rest on a refusal.
bool WouldBlockNoted();
// What the refusals since the last TakeWouldBlock() would have done: kWrite if any would have
// written. Meaningful only when WouldBlockNoted().
Access RefusedAccess();

// A writer's batch, as the threads that run requests inside it see it. The SQLite writer
// advances whole writing requests inside its batch's transaction (GroupCommitter::Submit): a
// store call made there is part of a transaction that has not committed yet. What the layers
// above the backend must do only once the batch ended (CachingStore's invalidations) is deferred
// to the batch's CommitScope, and the cache is neither read nor filled inside it (it holds
// committed state only; the uncommitted rows are read through the writer's connection).
class CommitScope {
 public:
  CommitScope() = default;
  CommitScope(const CommitScope&) = delete;
  CommitScope& operator=(const CommitScope&) = delete;

  // While an Inside object lives, its scope is this thread's current one (they do not nest).
  class Inside {
   public:
    explicit Inside(CommitScope& scope);
    ~Inside();
    Inside(const Inside&) = delete;
    Inside& operator=(const Inside&) = delete;
  };

  // Runs what was deferred to this scope, in order, telling it whether the batch committed,
  // and forgets it. Call once the batch ended.
  void RunDeferred(bool committed);

 private:
  friend void AfterBatch(std::function<void(bool committed)> fn);
  std::vector<std::function<void(bool)>> deferred_;
};

// True on a thread running work inside a writer's batch (a CommitScope is current).
bool InsideUncommittedBatch();
// Runs `fn` once the current batch ended, with whether it committed; at once (with true)
// outside a batch.
void AfterBatch(std::function<void(bool committed)> fn);

}  // namespace ksgate::store
