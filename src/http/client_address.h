// Who sent a request: the connection's peer, or the client a trusted reverse proxy names in
// X-Forwarded-For (ServerOptions::trusted_proxies). Pure functions over common/ip_address.h
// values and header text; no HTTP library types. Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"

namespace ksgate::http {

// Parses ServerOptions::trusted_proxies: each entry an address ("10.0.0.7", "::1") or a CIDR
// block ("10.0.0.0/8", "fd00::/8"), as ParseCidrBlock reads them. Returns the blocks in the
// order given (an empty list for no entries), or kInvalidArgument for the first bad entry with
// the message "http: trusted proxy: " followed by ParseCidrBlock's message.
Result<std::vector<CidrBlock>> ParseTrustedProxies(const std::vector<std::string>& entries);

// True if `address` is in one of `trusted` (never, for an empty list).
bool IsTrustedProxy(const std::vector<CidrBlock>& trusted, const IpAddress& address);

// The client of a request that came from `peer` with `forwarded_for`, the values of its
// X-Forwarded-For header lines in the order received (empty when it had none):
//   - `peer` is not trusted: `peer`, whatever the header says;
//   - otherwise the lines form one comma-separated list, left to right, each entry trimmed of
//     spaces and tabs. Walking it from the right, the answer is the first entry that is not
//     itself trusted; if every entry is trusted, the leftmost; an entry that is not an IP
//     address (empty, "unknown", "1.2.3.4:80", "[::1]", a zone id) ends the walk and the answer
//     is the last good entry, or `peer` if there was none.
// IPv4-mapped entries count as IPv4 ("::ffff:10.0.0.1" is 10.0.0.1).
IpAddress ClientAddress(const IpAddress& peer, const std::vector<CidrBlock>& trusted,
                        const std::vector<std::string_view>& forwarded_for);

}  // namespace ksgate::http
