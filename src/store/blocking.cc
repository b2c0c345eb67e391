#include "store/blocking.h"

namespace ksgate::store {

namespace {

thread_local int inline_depth = 0;
thread_local bool refused = false;

}  // namespace

InlineScope::InlineScope() { ++inline_depth; }
InlineScope::~InlineScope() { --inline_depth; }

bool InInlineScope() { return inline_depth > 0; }

Status RefuseToBlock() {
  refused = true;
  return WouldBlockError("a store call would wait on a thread that must not");
}

bool TakeWouldBlock() {
  const bool was = refused;
  refused = false;
  return was;
}

bool WouldBlockNoted() { return refused; }

}  // namespace ksgate::store
