#include "store/blocking.h"

namespace ksgate::store {

namespace {

thread_local int inline_depth = 0;
thread_local bool refused = false;
thread_local Access refused_access = Access::kRead;

}  // namespace

InlineScope::InlineScope() { ++inline_depth; }
InlineScope::~InlineScope() { --inline_depth; }

bool InInlineScope() { return inline_depth > 0; }

Status RefuseToBlock(Access access) {
  if (!refused || access == Access::kWrite) refused_access = access;
  refused = true;
  return WouldBlockError("a store call would wait on a thread that must not");
}

bool TakeWouldBlock() {
  const bool was = refused;
  refused = false;
  return was;
}

// (RefusedAccess stays readable after TakeWouldBlock until the next refusal resets it.)

bool WouldBlockNoted() { return refused; }

Access RefusedAccess() { return refused_access; }

}  // namespace ksgate::store
