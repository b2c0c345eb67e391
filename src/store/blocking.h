// Which threads may wait for a database. An I/O thread must not: it serves many connections,
// and one fsync or network round trip would stall them all. While a thread is inside an
// InlineScope, every call that would reach a store backend (a cache miss, any write) is refused
// with kWouldBlock instead of waiting, and the refusal is noted, so the caller can discard what
// it was doing and run it again on a thread that may wait (a store thread).
//
// The check is made by CachingStore, the layer every service reads through; backends never see
// an inline call. Thread-local: no locking.
#pragma once

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

}  // namespace ksgate::store
