// How services call the store, in one place: what a store failure becomes for the client (the
// cause is logged; the client sees its API error, or only INTERNAL_DATABASE_ERROR), and the
// read-modify-write cycle over the store's compare-and-set updates.
#pragma once

#include <functional>
#include <string_view>
#include <utility>

#include "common/api_error.h"
#include "common/result.h"
#include "common/status.h"

namespace ksgate::services {

// Logs `status` (it never contains secrets; at most one line a second, counting the rest) and
// returns INTERNAL_DATABASE_ERROR. A kWouldBlock
// status (store/blocking.h) is not logged: whoever runs the call discards this answer and runs
// the call again where it may wait.
ApiError DatabaseError(const Status& status);

// The API error for a failed store call: if_not_found() when the store said kNotFound, else
// DatabaseError(status).
template <typename NotFound>
ApiError StoreError(const Status& status, NotFound&& if_not_found) {
  if (status.code() == StatusCode::kNotFound) return std::forward<NotFound>(if_not_found)();
  return DatabaseError(status);
}

// A store result as a service result: its value, or StoreError(its status, if_not_found).
template <typename T, typename NotFound>
Result<T, ApiError> FromStore(Result<T> result, NotFound&& if_not_found) {
  if (result.ok()) return std::move(result).value();
  return StoreError(result.error(), std::forward<NotFound>(if_not_found));
}

// A store result where no failure has a meaning of its own: its value, or DatabaseError.
template <typename T>
Result<T, ApiError> FromStore(Result<T> result) {
  if (result.ok()) return std::move(result).value();
  return DatabaseError(result.error());
}
Result<Void, ApiError> FromStore(const Status& status);

// How often a compare-and-set cycle starts over after losing to a concurrent change before it
// gives up (with INTERNAL_DATABASE_ERROR).
inline constexpr int kCompareAndSetAttempts = 20;

// One turn of a compare-and-set cycle: the result to return once `write` commits, and the
// write itself (a store compare-and-set update). No write (empty) returns `value` at once.
template <typename T>
struct CasStep {
  T value;
  std::function<Status()> write;
};

// Read, change, compare-and-set, and start over when a concurrent change won, so that no
// acknowledged change is lost. `prepare` reads the current state and returns the step to take
// (or an API error, returned as is). A write that fails with kAborted starts a new turn, up to
// kCompareAndSetAttempts; any other failure becomes write_error(status).
template <typename T, typename Prepare, typename WriteError>
Result<T, ApiError> CompareAndSetLoop(std::string_view what, Prepare&& prepare,
                                      WriteError&& write_error) {
  for (int attempt = 0; attempt < kCompareAndSetAttempts; ++attempt) {
    Result<CasStep<T>, ApiError> step = prepare();
    if (!step.ok()) return std::move(step).error();
    if (!step->write) return std::move(step->value);
    const Status s = step->write();
    if (s.ok()) return std::move(step->value);
    if (s.code() != StatusCode::kAborted) return write_error(s);
  }
  return DatabaseError(AbortedError(std::string(what) + " kept losing to concurrent updates"));
}

}  // namespace ksgate::services
