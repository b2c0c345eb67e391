#include "services/ks_restrictions.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstring>
#include <optional>

namespace ksgate::services {

namespace {

struct Address {
  int family = 0;  // AF_INET or AF_INET6
  std::array<unsigned char, 16> bytes{};
};

std::optional<Address> ParseAddress(std::string_view text) {
  if (text.empty() || text.size() >= 64) return std::nullopt;
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  Address a;
  if (inet_pton(AF_INET, buf, a.bytes.data()) == 1) {
    a.family = AF_INET;
    return a;
  }
  if (inet_pton(AF_INET6, buf, a.bytes.data()) == 1) {
    a.family = AF_INET6;
    // An IPv4-mapped IPv6 address matches as IPv4.
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(a.bytes.data(), kMapped, 12) == 0) {
      std::memmove(a.bytes.data(), a.bytes.data() + 12, 4);
      a.family = AF_INET;
    }
    return a;
  }
  return std::nullopt;
}

std::optional<int> ParsePrefix(std::string_view text, int family) {
  int bits = -1;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), bits);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  if (bits < 0 || bits > (family == AF_INET ? 32 : 128)) return std::nullopt;
  return bits;
}

bool InBlock(const Address& ip, const Address& net, int bits) {
  if (ip.family != net.family) return false;
  int full = bits / 8;
  if (std::memcmp(ip.bytes.data(), net.bytes.data(), static_cast<size_t>(full)) != 0) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (ip.bytes[full] & mask) == (net.bytes[full] & mask);
}

}  // namespace

bool IpAllowed(std::string_view client_ip, const std::vector<std::string>& values) {
  std::optional<Address> ip = ParseAddress(client_ip);
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] == client_ip) return true;
    std::optional<Address> net = ParseAddress(values[i]);
    if (!net) continue;
    if (i + 1 < values.size()) {
      if (std::optional<int> bits = ParsePrefix(values[i + 1], net->family)) {
        ++i;
        if (ip && InBlock(*ip, *net, *bits)) return true;
        continue;
      }
    }
    if (ip && InBlock(*ip, *net, net->family == AF_INET ? 32 : 128)) return true;
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
