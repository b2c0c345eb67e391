#include "services/ks_restrictions.h"

#include <optional>

#include "common/ip_address.h"

namespace ksgate::services {

bool IpAllowed(std::string_view client_ip, const std::vector<std::string>& values) {
  const std::optional<IpAddress> ip = ParseIpAddress(client_ip);
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] == client_ip) return true;
    const std::optional<IpAddress> address = ParseIpAddress(values[i]);
    if (!address) continue;
    std::optional<CidrBlock> block;
    if (i + 1 < values.size()) block = MakeCidrBlock(*address, values[i + 1]);
    if (block) {
      ++i;  // the next value was this block's prefix length
    } else {
      block.emplace(*address);
    }
    if (ip && block->Contains(*ip)) return true;
  }
  return false;
}

bool UriAllowed(std::string_view uri, const std::vector<std::string>& values) {
  std::string joined;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) joined += '/';
    joined += values[i];
  }
  std::string_view rest = joined;
  while (true) {
    size_t bar = rest.find('|');
    std::string_view entry = rest.substr(0, bar);
    if (!entry.empty()) {
      if (entry.back() == '*') {
        if (uri.substr(0, entry.size() - 1) == entry.substr(0, entry.size() - 1)) return true;
      } else if (uri == entry) {
        return true;
      }
    }
    if (bar == std::string_view::npos) break;
    rest.remove_prefix(bar + 1);
  }
  return false;
}

}  // namespace ksgate::services
