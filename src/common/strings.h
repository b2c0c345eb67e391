// ASCII string helpers shared by every layer: case-insensitive comparison, lower-casing,
// trimming and hex. Byte-oriented (no locale); pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace ksgate {

// 'A'-'Z' -> 'a'-'z'; every other byte unchanged.
constexpr char AsciiLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// `s` with 'A'-'Z' lower-cased; other bytes (UTF-8 included) unchanged.
std::string AsciiLower(std::string_view s);

// True if `a` and `b` are equal ignoring ASCII case (HTTP header names, media types, service
// and action names).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// `s` without leading and trailing bytes that are in `chars`.
std::string_view TrimChars(std::string_view s, std::string_view chars);

// Space and horizontal tab: HTTP optional whitespace (RFC 9110 OWS), CSV padding.
inline constexpr std::string_view kSpaceOrTab(" \t", 2);

// The value of one hex digit ('0'-'9', 'a'-'f', 'A'-'F'), or -1.
constexpr int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// True if `s` holds a byte <= 0x20 (controls and space) or 0x7f: not in a request target.
// Eight bytes a step (a KS in a target's query is hundreds of bytes, checked per request).
bool HasControlOrSpace(std::string_view s);

// True if `s` holds CR, LF or NUL: not in a header field value. Eight bytes a step.
bool HasCrLfOrNul(std::string_view s);

// Lowercase hex of `bytes`, two characters per byte.
std::string HexEncode(std::string_view bytes);
// Writes HexEncode(bytes) at `out`, which has room for 2 * bytes.size() characters; returns the
// end of what was written. For a caller with a buffer of its own (a digest checked in place).
char* WriteHex(std::string_view bytes, char* out);

// The hash of an unordered container keyed by std::string that is searched with string_views:
// with std::equal_to<> as its equality, find(view) builds no std::string.
struct StringViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace ksgate
