#include "common/ip_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace ksgate {
namespace {

constexpr std::array<uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// Prefix lengths count bits of the 16-byte form: an IPv4 block's prefix starts after the
// 96 bits of the mapped prefix.
int BitOffset(const IpAddress& address) { return address.is_v4() ? 96 : 0; }

// True if the first `bits` bits of a and b agree.
bool SamePrefix(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, int bits) {
  const int whole = bits / 8;
  if (std::memcmp(a.data(), b.data(), static_cast<size_t>(whole)) != 0) return false;
  const int rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

// Decimal digits only, at most `max`.
std::optional<int> ParsePrefixLength(std::string_view text, int max) {
  if (text.empty()) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
    if (value > max) return std::nullopt;
  }
  return value;
}

// `text` for a one-line message: quoted, escaped, at most 64 bytes of it.
std::string Quote(std::string_view text) {
  constexpr size_t kMax = 64;
  std::string out = "\"";
  for (char c : text.substr(0, kMax)) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out.push_back(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02X", static_cast<unsigned char>(c));
      out.append(hex);
    }
  }
  out.push_back('"');
  if (text.size() > kMax) out.append("...");
  return out;
}

}  // namespace

IpAddress IpAddress::FromV4Bytes(const std::array<uint8_t, 4>& bytes) {
  std::array<uint8_t, 16> mapped{};
  std::copy(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), mapped.begin());
  std::copy(bytes.begin(), bytes.end(), mapped.begin() + 12);
  return IpAddress(mapped);
}

IpAddress IpAddress::FromV6Bytes(const std::array<uint8_t, 16>& bytes) {
  return IpAddress(bytes);  // an IPv4-mapped one already is the IPv4 form
}

bool IpAddress::is_v4() const {
  return std::equal(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), bytes_.begin());
}

std::string IpAddress::ToString() const {
  char text[INET6_ADDRSTRLEN];
  const bool v4 = is_v4();
  if (inet_ntop(v4 ? AF_INET : AF_INET6, bytes_.data() + (v4 ? 12 : 0), text, sizeof text) ==
      nullptr) {
    return std::string();  // cannot happen: the buffer fits every address
  }
  return text;
}

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  // inet_pton reads a NUL-terminated string; no address is 64 characters long.
  char buffer[64];
  if (text.empty() || text.size() >= sizeof buffer || text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  std::array<uint8_t, 4> v4;
  if (inet_pton(AF_INET, buffer, v4.data()) == 1) return IpAddress::FromV4Bytes(v4);
  std::array<uint8_t, 16> v6;
  if (inet_pton(AF_INET6, buffer, v6.data()) == 1) return IpAddress::FromV6Bytes(v6);
  return std::nullopt;
}

CidrBlock::CidrBlock(const IpAddress& address)
    : network_(address), prefix_length_(address.bit_length()) {}

CidrBlock::CidrBlock(const IpAddress& network, int prefix_length)
    : network_(network), prefix_length_(prefix_length) {
  // Clear the host bits, keeping the family (an IPv4 prefix starts at bit 96).
  std::array<uint8_t, 16> bytes = network.bytes();
  for (int bit = BitOffset(network) + prefix_length; bit < 128; ++bit) {
    bytes[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
  network_ = IpAddress::FromV6Bytes(bytes);
}

bool CidrBlock::Contains(const IpAddress& address) const {
  return address.is_v4() == network_.is_v4() &&
         SamePrefix(address.bytes(), network_.bytes(), BitOffset(network_) + prefix_length_);
}

std::string CidrBlock::ToString() const {
  return network_.ToString() + "/" + std::to_string(prefix_length_);
}

std::optional<CidrBlock> MakeCidrBlock(const IpAddress& address, std::string_view prefix_length) {
  const std::optional<int> bits = ParsePrefixLength(prefix_length, address.bit_length());
  if (!bits) return std::nullopt;
  return CidrBlock(address, *bits);
}

Result<CidrBlock> ParseCidrBlock(std::string_view text) {
  const size_t slash = text.find('/');
  const std::optional<IpAddress> address = ParseIpAddress(text.substr(0, slash));
  if (!address) return InvalidArgumentError("not an IP address or CIDR block: " + Quote(text));
  if (slash == std::string_view::npos) return CidrBlock(*address);
  std::optional<CidrBlock> block = MakeCidrBlock(*address, text.substr(slash + 1));
  if (!block) {
    return InvalidArgumentError("bad prefix length in CIDR block " + Quote(text) + ": want 0 to " +
                                std::to_string(address->bit_length()));
  }
  return *block;
}

}  // namespace ksgate
