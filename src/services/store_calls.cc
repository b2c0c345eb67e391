#include "services/store_calls.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace ksgate::services {

namespace {

// Store failures come in floods (a database gone answers every request with the same error):
// one line per second at most, with the number of failures it stands for.
void LogStoreFailure(const Status& status) {
  static std::atomic<int64_t> next_log_ms{0};
  static std::atomic<int64_t> suppressed{0};
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now().time_since_epoch())
                             .count();
  int64_t next = next_log_ms.load(std::memory_order_relaxed);
  if (now_ms < next || !next_log_ms.compare_exchange_strong(next, now_ms + 1000)) {
    suppressed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const int64_t more = suppressed.exchange(0, std::memory_order_relaxed);
  if (more > 0) {
    spdlog::error("store failure: {} (and {} more in the last second)", status.ToString(), more);
  } else {
    spdlog::error("store failure: {}", status.ToString());
  }
}

}  // namespace

ApiError DatabaseError(const Status& status) {
  // A call refused on an I/O thread is not a failure: it runs again on a store thread.
  if (status.code() != StatusCode::kWouldBlock) LogStoreFailure(status);
  return ApiError::Of(errors::kInternalDatabaseError);
}

Result<Void, ApiError> FromStore(const Status& status) {
  if (status.ok()) return Void{};
  return DatabaseError(status);
}

}  // namespace ksgate::services
