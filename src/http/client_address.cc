#include "http/client_address.h"

#include <algorithm>
#include <optional>

namespace ksgate::http {
namespace {

std::string_view TrimSpaceAndTab(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<std::vector<CidrBlock>> ParseTrustedProxies(const std::vector<std::string>& entries) {
  std::vector<CidrBlock> blocks;
  blocks.reserve(entries.size());
  for (const std::string& entry : entries) {
    Result<CidrBlock> block = ParseCidrBlock(entry);
    if (!block.ok()) return InvalidArgumentError("http: trusted proxy: " + block.error().message());
    blocks.push_back(*block);
  }
  return blocks;
}

bool IsTrustedProxy(const std::vector<CidrBlock>& trusted, const IpAddress& address) {
  return std::any_of(trusted.begin(), trusted.end(),
                     [&](const CidrBlock& block) { return block.Contains(address); });
}

IpAddress ClientAddress(const IpAddress& peer, const std::vector<CidrBlock>& trusted,
                        const std::vector<std::string_view>& forwarded_for) {
  if (!IsTrustedProxy(trusted, peer)) return peer;
  // The entries from the right: the last line's last entry first.
  IpAddress client = peer;
  for (auto line = forwarded_for.rbegin(); line != forwarded_for.rend(); ++line) {
    std::string_view rest = *line;
    for (;;) {
      const size_t comma = rest.rfind(',');
      const std::string_view entry =
          TrimSpaceAndTab(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
      const std::optional<IpAddress> address = ParseIpAddress(entry);
      if (!address) return client;
      client = *address;
      if (!IsTrustedProxy(trusted, client)) return client;
      if (comma == std::string_view::npos) break;
      rest = rest.substr(0, comma);
    }
  }
  return client;
}

}  // namespace ksgate::http
