#include "services/exchange_limiter.h"

#include <algorithm>

namespace ksgate::services {

namespace {

constexpr double kMicrosPerMinute = 60e6;
// A bucket untouched this long is full again whatever its limit: it can be forgotten.
constexpr int64_t kIdleMicros = 60'000'000;

}  // namespace

bool ExchangeLimiter::TryAcquire(std::string_view key, int64_t per_minute) {
  if (per_minute <= 0) return false;
  const int64_t now = clock_.NowMicros();
  const double capacity = static_cast<double>(per_minute);
  std::lock_guard lock(mu_);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_buckets_) MakeRoom(now);
    it = buckets_.emplace(std::string(key), Bucket{capacity, now}).first;
  }
  Bucket& b = it->second;
  const int64_t elapsed = std::max<int64_t>(0, now - b.refilled_at);
  b.available =
      std::min(capacity, b.available + capacity * static_cast<double>(elapsed) / kMicrosPerMinute);
  b.refilled_at = now;
  if (b.available < 1.0) return false;
  b.available -= 1.0;
  return true;
}

void ExchangeLimiter::MakeRoom(int64_t now) {
  std::erase_if(buckets_,
                [now](const auto& entry) { return now - entry.second.refilled_at >= kIdleMicros; });
  if (buckets_.size() >= max_buckets_) buckets_.clear();
}

size_t ExchangeLimiter::SizeForTesting() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

}  // namespace ksgate::services
