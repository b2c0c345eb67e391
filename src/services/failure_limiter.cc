#include "services/failure_limiter.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "common/ip_address.h"
#include "store/blocking.h"

namespace ksgate::services {

namespace {

// Longest piece of caller input kept in a key (an unparsable address, a token id).
constexpr size_t kMaxKeyPart = 64;

SecurityEvent EventOf(const Attempt& attempt, SecurityEvent::Kind kind) {
  SecurityEvent event;
  event.kind = kind;
  event.credential = attempt.credential;
  event.client_ip = attempt.client_ip;
  event.partner_id = attempt.partner_id;
  event.token_id = attempt.token_id;
  return event;
}

}  // namespace

FailureLimiter::FailureLimiter(const FailureLimits& limits, const Clock& clock,
                               SecurityEvents& events)
    : limits_(limits),
      clock_(clock),
      events_(events),
      addresses_(limits.per_address, limits.max_keys),
      tokens_(limits.per_token, limits.max_keys),
      partners_(limits.per_partner, limits.max_keys) {}

std::string FailureLimiter::AddressKey(std::string_view client_ip) {
  if (std::optional<IpAddress> ip = ParseIpAddress(client_ip)) {
    // inet_pton takes IPv4 only as the dotted quad ToString writes (no leading zeros): such a
    // text is its own key, without a formatting per attempt. An IPv4-mapped IPv6 text is not.
    if (ip->is_v4()) {
      return client_ip.find(':') == std::string_view::npos ? std::string(client_ip)
                                                           : ip->ToString();
    }
    if (std::optional<CidrBlock> block = MakeCidrBlock(*ip, "64")) return block->ToString();
  }
  return std::string(client_ip.substr(0, kMaxKeyPart));
}

std::string FailureLimiter::TargetKey(const Attempt& attempt) {
  std::string key = std::to_string(attempt.partner_id);
  if (attempt.credential == Credential::kAppTokenHash) {
    key += ':';
    key += attempt.token_id.substr(0, kMaxKeyPart);
  }
  return key;
}

FailureLimiter::Table& FailureLimiter::TargetTable(const Attempt& attempt) {
  return attempt.credential == Credential::kAppTokenHash ? tokens_ : partners_;
}

bool FailureLimiter::Admit(const Attempt& attempt) {
  const int64_t now = clock_.NowMicros();
  const int64_t window = limits_.log_window_seconds * 1000000;
  auto refuse = [&](LimitScope scope, bool first) {
    SecurityEvent event = EventOf(attempt, SecurityEvent::Kind::kLimited);
    event.scope = scope;
    event.first_in_window = first;
    events_.Record(event);
    return false;
  };
  bool first = false;
  if (!addresses_.Allows(AddressKey(attempt.client_ip), now, window, &first)) {
    return refuse(LimitScope::kAddress, first);
  }
  const LimitScope target_scope =
      attempt.credential == Credential::kAppTokenHash ? LimitScope::kToken : LimitScope::kPartner;
  if (!TargetTable(attempt).Allows(TargetKey(attempt), now, window, &first)) {
    return refuse(target_scope, first);
  }
  return true;
}

void FailureLimiter::Fail(const Attempt& attempt, bool target_exists) {
  if (store::WouldBlockNoted()) return;
  const int64_t now = clock_.NowMicros();
  addresses_.Take(AddressKey(attempt.client_ip), now);
  if (target_exists) TargetTable(attempt).Take(TargetKey(attempt), now);
  events_.Record(EventOf(attempt, SecurityEvent::Kind::kAuthFailure));
}

size_t FailureLimiter::SizeForTesting(LimitScope scope) const {
  switch (scope) {
    case LimitScope::kAddress:
      return addresses_.size();
    case LimitScope::kToken:
      return tokens_.size();
    case LimitScope::kPartner:
      return partners_.size();
  }
  return 0;
}

// --- Table -----------------------------------------------------------------------------------

FailureLimiter::Shard& FailureLimiter::Table::ShardOf(const std::string& key) {
  return shards_[std::hash<std::string>{}(key) % kShards];
}

double FailureLimiter::Table::Refilled(const Bucket& b, int64_t now) const {
  const int64_t elapsed = std::max<int64_t>(0, now - b.updated);
  const double regained = static_cast<double>(elapsed) * limit_.per_minute / 60e6;
  return std::min(limit_.burst, b.level + regained);
}

bool FailureLimiter::Table::Allows(const std::string& key, int64_t now, int64_t window,
                                   bool* first_in_window) {
  *first_in_window = false;
  if (!limit_.enabled()) return true;
  Shard& shard = ShardOf(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.buckets.find(key);
  if (it == shard.buckets.end() || Refilled(it->second, now) >= 1) return true;
  Bucket& b = it->second;
  if (b.last_logged < 0 || now - b.last_logged >= window) {
    b.last_logged = now;
    *first_in_window = true;
  }
  return false;
}

void FailureLimiter::Table::Take(const std::string& key, int64_t now) {
  if (!limit_.enabled()) return;
  Shard& shard = ShardOf(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.buckets.find(key);
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= max_per_shard_) Evict(shard, now);
    it = shard.buckets.emplace(key, Bucket{limit_.burst, now, -1}).first;
  }
  Bucket& b = it->second;
  b.level = std::max(0.0, Refilled(b, now) - 1);
  b.updated = now;
}

void FailureLimiter::Table::Evict(Shard& shard, int64_t now) {
  // A bucket that has refilled says nothing a missing one does not.
  std::erase_if(shard.buckets,
                [&](const auto& entry) { return Refilled(entry.second, now) >= limit_.burst; });
  const size_t room = std::max<size_t>(1, max_per_shard_ / 8);
  if (shard.buckets.size() + room <= max_per_shard_) return;
  // Still full of callers that failed: forget the ones that failed least, an eighth at a time
  // so that eviction stays rare.
  std::vector<std::pair<double, const std::string*>> levels;
  levels.reserve(shard.buckets.size());
  for (const auto& [key, bucket] : shard.buckets) levels.emplace_back(Refilled(bucket, now), &key);
  const size_t drop = std::min(levels.size(), shard.buckets.size() + room - max_per_shard_);
  std::nth_element(levels.begin(), levels.begin() + static_cast<std::ptrdiff_t>(drop), levels.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> doomed;
  doomed.reserve(drop);
  for (size_t i = 0; i < drop; ++i) doomed.push_back(*levels[i].second);
  for (const std::string& key : doomed) shard.buckets.erase(key);
}

size_t FailureLimiter::Table::size() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    n += shard.buckets.size();
  }
  return n;
}

}  // namespace ksgate::services
