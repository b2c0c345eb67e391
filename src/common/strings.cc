#include "common/strings.h"

#include <array>
#include <cstdint>
#include <cstring>

#include "common/swar.h"

namespace ksgate {

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  // Eight bytes at a time (header names are compared on every request, a dozen times on the
  // authorize endpoint's); the tail as a zero-padded word.
  if (a.size() != b.size()) return false;
  size_t i = 0;
  for (; i + 8 <= a.size(); i += 8) {
    if (!swar::EqualIgnoringCase(swar::Load8(a.data() + i), swar::Load8(b.data() + i))) {
      return false;
    }
  }
  if (i == a.size()) return true;
  uint64_t x = 0;
  uint64_t y = 0;
  std::memcpy(&x, a.data() + i, a.size() - i);
  std::memcpy(&y, b.data() + i, b.size() - i);
  return swar::EqualIgnoringCase(x, y);
}

namespace {

// Whether any byte of `s` satisfies `word` (8 bytes at a time) or, for the tail, `byte`.
template <typename Word, typename Byte>
bool AnyByte(std::string_view s, Word word, Byte byte) {
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    if (word(swar::Load8(s.data() + i))) return true;
  }
  for (; i < s.size(); ++i) {
    if (byte(static_cast<unsigned char>(s[i]))) return true;
  }
  return false;
}

}  // namespace

bool HasControlOrSpace(std::string_view s) {
  return AnyByte(
      s, [](uint64_t x) { return swar::HasByteBelow(x, 0x21) || swar::HasByte(x, 0x7f); },
      [](unsigned char b) { return b <= 0x20 || b == 0x7f; });
}

bool HasCrLfOrNul(std::string_view s) {
  return AnyByte(
      s,
      [](uint64_t x) {
        return swar::HasByte(x, '\r') || swar::HasByte(x, '\n') || swar::HasByte(x, 0);
      },
      [](unsigned char b) { return b == '\r' || b == '\n' || b == 0; });
}

std::string_view TrimChars(std::string_view s, std::string_view chars) {
  const size_t first = s.find_first_not_of(chars);
  if (first == std::string_view::npos) return {};
  const size_t last = s.find_last_not_of(chars);
  return s.substr(first, last - first + 1);
}

char* WriteHex(std::string_view bytes, char* out) {
  // Both digits of a byte from one table load (a KS decode encodes its hash and random bytes;
  // an app-token hash check its digest).
  static constexpr auto kPairs = [] {
    constexpr char kDigits[] = "0123456789abcdef";
    std::array<std::array<char, 2>, 256> pairs{};
    for (size_t b = 0; b < pairs.size(); ++b) pairs[b] = {kDigits[b >> 4], kDigits[b & 0x0f]};
    return pairs;
  }();
  for (const char c : bytes) {
    std::memcpy(out, kPairs[static_cast<unsigned char>(c)].data(), 2);
    out += 2;
  }
  return out;
}

std::string HexEncode(std::string_view bytes) {
  std::string hex(bytes.size() * 2, '\0');
  WriteHex(bytes, hex.data());
  return hex;
}

}  // namespace ksgate
