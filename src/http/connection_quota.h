// ConnectionQuota: open connections counted per client address, so that one address cannot hold
// more than its share of the server's connections (HttpLimits::max_connections_per_address).
// Plain C++ over common/ip_address.h values; no sockets.
//
// The address is the TCP peer's, known at accept time, before any request is read: X-Forwarded-For
// names a client per request, a connection has only its peer. Whether a trusted proxy's connections
// are counted is the server's decision (they are not: see limits.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "common/ip_address.h"

namespace ksgate::http {

class ConnectionQuota {
 public:
  // At most `per_address` open connections per address key; 0 means no limit (nothing is
  // counted, TryAdd always succeeds).
  explicit ConnectionQuota(size_t per_address) : per_address_(per_address) {}

  ConnectionQuota(const ConnectionQuota&) = delete;
  ConnectionQuota& operator=(const ConnectionQuota&) = delete;

  // What a peer is counted under: an IPv4 address as is, an IPv6 address by its /64 network (a
  // host is usually given a whole /64, and can pick any address in it). IPv4-mapped IPv6 peers
  // (a dual-stack listener) are IPv4 already (common/ip_address.h).
  static IpAddress KeyOf(const IpAddress& peer);

  // Counts one more connection for `key` and returns true, unless `key` already has
  // `per_address` open: then returns false and counts nothing. Thread-safe.
  bool TryAdd(const IpAddress& key);

  // Forgets one connection that a TryAdd(key) returning true counted. Thread-safe.
  void Remove(const IpAddress& key);

  // The connections counted for `key` now. Thread-safe.
  size_t Count(const IpAddress& key) const;

  // How many keys have connections counted now. Thread-safe.
  size_t keys() const;

 private:
  struct Hash {
    size_t operator()(const IpAddress& a) const;
  };

  const size_t per_address_;
  mutable std::mutex mu_;
  std::unordered_map<IpAddress, uint32_t, Hash> counts_;  // guarded by mu_; no zero counts
};

}  // namespace ksgate::http
