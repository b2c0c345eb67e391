// Fuzzes the KS privilege string functions (ks/privileges.h): ParsePrivileges, BuildPrivileges,
// MergePrivileges and RetrieveAllowedAppSessionPrivileges.
//
// Input: line 1 the token's privileges, the rest the requested privileges (as an app token's
// startSession merges them). Properties: BuildPrivileges(ParsePrivileges(x)) parses back to
// the same map; merging keeps every name of both maps; the allowed map keeps the token's names.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_input.h"
#include "ks/privileges.h"

namespace {

using ksgate::ks::PrivilegeMap;

bool HasName(const PrivilegeMap& map, std::string_view name) {
  return std::any_of(map.begin(), map.end(), [&](const auto& e) { return e.first == name; });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ksgate::ks;
  const auto fields = ksgate::fuzz::SplitFields(ksgate::fuzz::AsText(data, size), 2);

  const PrivilegeMap token = ParsePrivileges(fields[0]);
  const PrivilegeMap requested = ParsePrivileges(fields[1]);

  // Build and parse again: the same map.
  for (const PrivilegeMap* map : {&token, &requested}) {
    const std::string built = BuildPrivileges(*map);
    KSGATE_FUZZ_CHECK(ParsePrivileges(built) == *map);
  }

  const PrivilegeMap merged = MergePrivileges(token, requested);
  for (const auto& [name, values] : token) KSGATE_FUZZ_CHECK(HasName(merged, name));
  for (const auto& [name, values] : requested) KSGATE_FUZZ_CHECK(HasName(merged, name));

  const PrivilegeMap allowed = RetrieveAllowedAppSessionPrivileges(token, requested);
  for (const auto& [name, values] : token) KSGATE_FUZZ_CHECK(HasName(allowed, name));
  for (const auto& [name, values] : allowed) {
    (void)IsServerReservedPrivilege(name);
    (void)FirstPrivilegeValue(allowed, name);
    KSGATE_FUZZ_CHECK(HasPrivilege(allowed, name));
  }
  (void)BuildPrivileges(allowed);
  return 0;
}
