// ExchangeLimiter: the per-token rate limit on appToken.startSession (KalturaAppToken
// exchangesPerMinute), held in this process's memory.
//
// Each token id has a bucket of `per_minute` exchanges that refills continuously (per_minute
// every 60 s), so bursts up to the limit pass and the long-run rate is the limit. Limits hold
// per process: N nodes behind a load balancer allow up to N times the rate (docs/apptokens.md).
// Memory is bounded: at most max_buckets buckets; when that many are tracked, full buckets
// (idle for a minute) are dropped first, and if none is, every bucket starts over (a burst may
// then pass once). Thread-safe; the clock must outlive *this.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"

namespace ksgate::services {

class ExchangeLimiter {
 public:
  explicit ExchangeLimiter(const Clock& clock, size_t max_buckets = 100000)
      : clock_(clock), max_buckets_(max_buckets) {}

  // Takes one exchange from the bucket of `key` (a partner and token id) whose limit is
  // `per_minute` (> 0; a changed limit applies from the next call). True if the exchange may
  // proceed; false (nothing taken) when the bucket is empty.
  bool TryAcquire(std::string_view key, int64_t per_minute);

  // Buckets tracked now.
  size_t SizeForTesting() const;

 private:
  struct Bucket {
    double available = 0;     // exchanges left
    int64_t refilled_at = 0;  // micros
  };
  // Drops idle buckets, or all of them, to make room. Requires mu_.
  void MakeRoom(int64_t now);

  const Clock& clock_;
  const size_t max_buckets_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace ksgate::services
