#include "http/connection_quota.h"

#include <array>
#include <cstring>

namespace ksgate::http {

IpAddress ConnectionQuota::KeyOf(const IpAddress& peer) {
  if (peer.is_v4()) return peer;
  std::array<uint8_t, 16> network = peer.bytes();
  std::memset(network.data() + 8, 0, 8);
  return IpAddress::FromV6Bytes(network);
}

size_t ConnectionQuota::Hash::operator()(const IpAddress& a) const {
  uint64_t high;
  uint64_t low;
  std::memcpy(&high, a.bytes().data(), 8);
  std::memcpy(&low, a.bytes().data() + 8, 8);
  // Two multiplicative mixes: IPv4 keys differ in four bytes of `low` only.
  const uint64_t h = (high * 0x9E3779B97F4A7C15ull) ^ (low * 0xC2B2AE3D27D4EB4Full);
  return static_cast<size_t>(h ^ (h >> 29));
}

bool ConnectionQuota::TryAdd(const IpAddress& key) {
  if (per_address_ == 0) return true;
  std::lock_guard lock(mu_);
  uint32_t& count = counts_[key];
  if (count >= per_address_) return false;  // count > 0 here: the entry existed
  ++count;
  return true;
}

void ConnectionQuota::Remove(const IpAddress& key) {
  if (per_address_ == 0) return;
  std::lock_guard lock(mu_);
  auto it = counts_.find(key);
  if (it == counts_.end()) return;
  if (--it->second == 0) counts_.erase(it);
}

size_t ConnectionQuota::Count(const IpAddress& key) const {
  std::lock_guard lock(mu_);
  auto it = counts_.find(key);
  return it == counts_.end() ? 0 : it->second;
}

size_t ConnectionQuota::keys() const {
  std::lock_guard lock(mu_);
  return counts_.size();
}

}  // namespace ksgate::http
