// KS privilege strings (spec/apptoken-and-session.md §2.7, §4.5, §4.8).
//
// "name:v1/v2,name2,name3:v" <-> an ordered list of (name, values). Pure functions;
// thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ksgate::ks {

// Ordered name -> values. A name may appear once; values keep their order.
using PrivilegeMap = std::vector<std::pair<std::string, std::vector<std::string>>>;

// Kaltura parsePrivileges: split on ',', then at the first ':'; a non-empty value is split on
// '/' and appended to that name's list (a repeated name accumulates); names are not trimmed.
PrivilegeMap ParsePrivileges(std::string_view privileges);

// Kaltura buildPrivileges: "name:v1/v2" for non-empty lists, bare "name" otherwise, joined by ','.
std::string BuildPrivileges(const PrivilegeMap& map);

// PHP array_merge_recursive(base, extra): same-name values are appended, new names appended.
PrivilegeMap MergePrivileges(PrivilegeMap base, const PrivilegeMap& extra);

// kSessionUtils retrieveAllowedAppSessionPrivileges: each requested name replaces (or is
// appended to) `token_map` unless it is server-reserved or already set by the token, except that
// a token value containing the literal "*" may be replaced.
PrivilegeMap RetrieveAllowedAppSessionPrivileges(PrivilegeMap token_map,
                                                 const PrivilegeMap& requested);

// True for the 33 server-reserved privilege names of §2.7.
bool IsServerReservedPrivilege(std::string_view name);

// First value of `name` in a parsed privilege list, or nullptr.
const std::string* FirstPrivilegeValue(const PrivilegeMap& map, std::string_view name);
bool HasPrivilege(const PrivilegeMap& map, std::string_view name);

}  // namespace ksgate::ks
