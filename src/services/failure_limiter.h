// FailureLimiter: brute-force limits on the credentials a caller presents without a session —
// app-token hashes (appToken.startSession) and partner secrets (session.start) — as token
// buckets of failures (docs/security.md).
//
// Each attempt draws on two buckets: its client address's (tight: one address that keeps
// failing is stopped after a few hundred failures) and its target's, the app token or the
// partner (loose: many addresses failing against one token are stopped too, but one address
// cannot empty it before its own bucket stops it, so it cannot lock the token's users out).
// Only failures take from a bucket; a caller that does not fail is never touched. An attempt
// is refused, before its credential is checked, while either bucket holds less than one
// failure; buckets refill continuously at their rate up to their burst.
//
// Memory is bounded: each scope keeps at most FailureLimits::max_keys buckets. A bucket that
// has refilled is dropped first; past that, the fullest buckets are (those of the callers that
// failed least), so an attacker spraying addresses can make the limiter forget, not grow.
//
// Per process: with several nodes (PostgreSQL), each keeps its own buckets, so N nodes allow up
// to N times the rates.
//
// Thread-safe. The clock and the events sink must outlive *this.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"
#include "services/security_events.h"

namespace ksgate::services {

// One token bucket: `burst` failures at once, regained at `per_minute`. burst 0: no limit.
struct RateLimit {
  double burst = 0;
  double per_minute = 0;

  bool enabled() const { return burst > 0; }
};

// Every brute-force limit, in one place (style convention 12); the serve flags fill it.
struct FailureLimits {
  RateLimit per_address{100, 60};    // tight: 100 failures, then one a second
  RateLimit per_token{1000, 600};    // loose: 1000 failures, then ten a second
  RateLimit per_partner{1000, 600};  // loose, for session.start secrets
  // Buckets kept per scope (address, token, partner); about 100 bytes each.
  size_t max_keys = 100000;
  // A limited bucket is reported with first_in_window (logged) at most once per window.
  int64_t log_window_seconds = 60;
};

// What an attempt names.
struct Attempt {
  Credential credential = Credential::kSessionSecret;
  std::string_view client_ip;
  int64_t partner_id = 0;
  std::string_view token_id;  // kAppTokenHash: the app token id
};

class FailureLimiter {
 public:
  FailureLimiter(const FailureLimits& limits, const Clock& clock, SecurityEvents& events);
  FailureLimiter(const FailureLimiter&) = delete;
  FailureLimiter& operator=(const FailureLimiter&) = delete;

  // True if the attempt may have its credential checked: neither its address bucket nor its
  // target's (the token for kAppTokenHash, the partner for kSessionSecret) is empty. Otherwise
  // records a kLimited event naming the bucket that refused, and returns false. Changes no
  // bucket.
  bool Admit(const Attempt& attempt);

  // Counts a failed attempt: takes one failure from its address bucket and, when
  // `target_exists` (the token or partner it named is real), from its target's. Records a
  // kAuthFailure event. Buckets are created on a first failure. A failure seen while a store
  // call was refused on this thread (store/blocking.h) is not counted: the call it belongs to
  // runs again on a store thread, where it is counted once.
  void Fail(const Attempt& attempt, bool target_exists);

  // Buckets held for `scope`, for tests of the memory bound.
  size_t SizeForTesting(LimitScope scope) const;

 private:
  struct Bucket {
    double level = 0;          // failures still allowed
    int64_t updated = 0;       // micros when `level` was computed
    int64_t last_logged = -1;  // micros of the last first_in_window report; -1 never
  };
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Bucket> buckets;
  };
  // The buckets of one scope: sharded by key so threads rarely wait for one another.
  class Table {
   public:
    Table(RateLimit limit, size_t max_keys)
        : limit_(limit), max_per_shard_(max_keys / kShards + 1) {}
    // False if the key's bucket holds less than one failure at `now`. Sets *first_in_window
    // when refused and not reported within `window` micros (and notes the report).
    bool Allows(const std::string& key, int64_t now, int64_t window, bool* first_in_window);
    void Take(const std::string& key, int64_t now);
    size_t size() const;
    const RateLimit& limit() const { return limit_; }

   private:
    Shard& ShardOf(const std::string& key);
    double Refilled(const Bucket& b, int64_t now) const;
    // Makes room in a full shard (caller holds its lock).
    void Evict(Shard& shard, int64_t now);

    RateLimit limit_;
    size_t max_per_shard_;
    std::array<Shard, kShards> shards_;
  };

  // The key of the client address: IPv4 as is, IPv6 its /64 (one host gets a /64).
  static std::string AddressKey(std::string_view client_ip);
  // The key of the attempt's target; "" when it names none.
  static std::string TargetKey(const Attempt& attempt);
  Table& TargetTable(const Attempt& attempt);

  const FailureLimits limits_;
  const Clock& clock_;
  SecurityEvents& events_;
  Table addresses_;
  Table tokens_;
  Table partners_;
};

}  // namespace ksgate::services
