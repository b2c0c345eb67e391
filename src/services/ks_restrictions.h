// The request-bound KS privileges of spec/apptoken-and-session.md §4.6: iprestrict and
// urirestrict. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ksgate::services {

// iprestrict: true if `client_ip` equals one of `values` (the privilege's '/'-separated list),
// or, beyond Kaltura, lies in a CIDR block. Because '/' separates values, a block is written as
// an address followed by its prefix length as the next value: "iprestrict:10.0.0.0/8/192.0.2.7"
// allows 10.0.0.0/8 and 192.0.2.7. IPv4 and IPv6, with common/ip_address.h's rules: a prefix
// length is decimal digits, an IPv4-mapped client is IPv4, and families never mix.
bool IpAllowed(std::string_view client_ip, const std::vector<std::string>& values);

// urirestrict: `values` re-joined with '/' and split on '|'; true if `uri` equals an entry or
// starts with the part before a trailing '*' of one.
bool UriAllowed(std::string_view uri, const std::vector<std::string>& values);

}  // namespace ksgate::services
