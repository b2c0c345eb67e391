#include "store/blocking.h"

namespace ksgate::store {

namespace {

thread_local int inline_depth = 0;
thread_local bool refused = false;
thread_local Access refused_access = Access::kRead;
thread_local CommitScope* current_scope = nullptr;

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

CommitScope::Inside::Inside(CommitScope& scope) { current_scope = &scope; }
CommitScope::Inside::~Inside() { current_scope = nullptr; }

void CommitScope::RunDeferred(bool committed) {
  std::vector<std::function<void(bool)>> deferred = std::move(deferred_);
  deferred_.clear();
  for (auto& fn : deferred) fn(committed);
}

bool InsideUncommittedBatch() { return current_scope != nullptr; }

void AfterBatch(std::function<void(bool)> fn) {
  if (current_scope == nullptr) {
    fn(true);
    return;
  }
  current_scope->deferred_.push_back(std::move(fn));
}

}  // namespace ksgate::store
