// IP addresses and CIDR blocks (IPv4 and IPv6) for the whole project: trusted proxies and
// X-Forwarded-For in http/, iprestrict in services/. Text is read with inet_pton and written with
// inet_ntop: numeric forms only, no name lookup, no zone ids ("fe80::1%eth0" is not an address).
//
//   std::optional<IpAddress> ip = ParseIpAddress("::ffff:10.1.2.3");  // the IPv4 10.1.2.3
//   Result<CidrBlock> block = ParseCidrBlock("10.0.0.0/8");
//   if (ip && block.ok() && block->Contains(*ip)) ...
//
// Everything here is a value type or a pure function, and thread-safe.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace ksgate {

// An IPv4 or an IPv6 address. An IPv4-mapped IPv6 address (::ffff:a.b.c.d, how a dual-stack
// socket sees an IPv4 peer) is the IPv4 address a.b.c.d: it is stored, compared, printed and
// matched as IPv4. No zone id is kept.
class IpAddress {
 public:
  // From an IPv4 address in network byte order.
  static IpAddress FromV4Bytes(const std::array<uint8_t, 4>& bytes);
  // From an IPv6 address in network byte order; an IPv4-mapped one becomes IPv4.
  static IpAddress FromV6Bytes(const std::array<uint8_t, 16>& bytes);

  bool is_v4() const;
  // 32 for IPv4, 128 for IPv6: the largest prefix length of a CIDR block of this family.
  int bit_length() const { return is_v4() ? 32 : 128; }
  // The 16-byte form: IPv6 as is, IPv4 as ::ffff:a.b.c.d.
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }

  // inet_ntop's form: "10.1.2.3", "2001:db8::1" (lower case, longest zero run as "::").
  std::string ToString() const;

  // Equal when they are the same address ("::ffff:10.0.0.1" equals "10.0.0.1"). The order is
  // total and stable (usable as a map key) but means nothing beyond that.
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;

 private:
  explicit IpAddress(const std::array<uint8_t, 16>& bytes) : bytes_(bytes) {}
  // An IPv4 address is kept as ::ffff:a.b.c.d; no IPv6 address has that form.
  std::array<uint8_t, 16> bytes_;
};

// The address written in `text`: dotted-quad IPv4 ("192.0.2.7") or any IPv6 form inet_pton
// reads ("2001:db8::1", "::ffff:192.0.2.7", "::"), or nullopt for anything else: empty text,
// surrounding spaces, a port, brackets, a zone id, a prefix, an embedded NUL, leading zeros in
// IPv4 ("010.0.0.1"), fewer than four IPv4 parts, text of 64 or more characters.
std::optional<IpAddress> ParseIpAddress(std::string_view text);

// A CIDR block: the addresses of one family whose first prefix_length() bits are those of
// network(). A single address is a block of 32 (IPv4) or 128 (IPv6) bits.
class CidrBlock {
 public:
  // The block holding only `address`.
  explicit CidrBlock(const IpAddress& address);

  // The first address of the block (bits past the prefix are zero: "10.1.2.3/8" -> 10.0.0.0).
  const IpAddress& network() const { return network_; }
  // 0..32 for IPv4, 0..128 for IPv6.
  int prefix_length() const { return prefix_length_; }

  // True if `address` is in the block. Families never mix: an IPv4 address (mapped ones
  // included) is in no IPv6 block, so "::/0" holds no IPv4 address; "0.0.0.0/0" holds them all.
  bool Contains(const IpAddress& address) const;

  // "10.0.0.0/8", "2001:db8::/32", "192.0.2.7/32".
  std::string ToString() const;

  friend bool operator==(const CidrBlock&, const CidrBlock&) = default;

 private:
  CidrBlock(const IpAddress& network, int prefix_length);
  friend std::optional<CidrBlock> MakeCidrBlock(const IpAddress& address,
                                                std::string_view prefix_length);

  IpAddress network_;
  int prefix_length_;
};

// The block written in `text`: an address ("10.0.0.7", "::1", a block of one) or an address, a
// '/' and a prefix length in decimal digits ("10.0.0.0/8", "fd00::/8"; at most 32 for IPv4,
// IPv4-mapped addresses included, and 128 for IPv6; leading zeros allowed). Bits past the prefix
// may be set ("10.1.2.3/8" is 10.0.0.0/8). Errors, kInvalidArgument with exactly one of:
//   not an IP address or CIDR block: "<text>"            (the part before '/' is no address)
//   bad prefix length in CIDR block "<text>": want 0 to <32|128>
// where <text> is the input with '"' and '\' backslash-escaped, bytes outside printable ASCII
// written \xHH, and input past 64 bytes cut and followed by "..." after the closing quote.
Result<CidrBlock> ParseCidrBlock(std::string_view text);

// The block of `address` with the prefix length written in `prefix_length` (decimal digits, as
// above), for lists that keep the two apart; nullopt if it is not such a prefix length.
std::optional<CidrBlock> MakeCidrBlock(const IpAddress& address, std::string_view prefix_length);

}  // namespace ksgate
