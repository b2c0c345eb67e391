// Byte-exact re-implementations of the PHP string functions the KS formats depend on:
// base64_encode / base64_decode($s, true), urlencode / urldecode and parse_str.
//
// Pure functions over bytes (no locale, no allocation beyond the result); thread-safe.
// Used by the KS codec; exposed so their edge cases can be tested directly.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ksgate::ks {

// PHP base64_encode: standard alphabet (RFC 4648 §4) with '=' padding.
std::string Base64Encode(std::string_view data);

enum class Base64Alphabet {
  kStandard,  // 'A'-'Z' 'a'-'z' '0'-'9' '+' '/'
  // Standard, plus '-' and '_' read as '+' and '/' (Kaltura maps them before decoding).
  kStandardOrUrlSafe,
};

// PHP base64_decode($text, true) ("strict"): '\t' '\n' '\r' ' ' are skipped; any other byte
// outside the alphabet (NUL included) fails; '=' padding is optional, but if present it must be
// at the end and complete the last quantum (at most two); a lone trailing sextet fails. Unused
// low bits of the last character are ignored, as PHP does. Returns std::nullopt on failure.
std::optional<std::string> Base64DecodeStrict(std::string_view text,
                                              Base64Alphabet alphabet = Base64Alphabet::kStandard);

// Appends PHP urlencode(value): bytes [A-Za-z0-9._-] kept, ' ' -> '+', every other byte ->
// "%XX" with uppercase hex.
void AppendPhpUrlEncoded(std::string_view value, std::string* out);

// PHP urldecode: '+' -> ' '; '%' followed by two hex digits (either case) -> that byte; any
// other '%' is kept literally. Binary-safe.
std::string PhpUrlDecode(std::string_view value);

// The ordered (name, value) pairs PHP parse_str() produces for a query of plain names.
using PhpQueryFields = std::vector<std::pair<std::string, std::string>>;

// PHP 8 parse_str() into an array, restricted to plain (non-array) names:
//  - the input ends at its first NUL byte; it is split on '&' (empty pieces skipped); at most
//    kPhpMaxInputVars pieces are read (PHP's max_input_vars default), the rest ignored;
//  - each piece splits at its first '='; name and value are urldecoded; a name ends at its first
//    NUL; leading spaces are dropped; ' ' and '.' become '_' up to the first '['; a '[' with no
//    later ']' becomes '_' and the ' ', '.', '[' after it become '_' too;
//  - empty names are dropped, as are names whose mangling made them start with "__Host-" or
//    "__Secure-";
//  - a repeated name keeps its first position and takes the last value.
// A name with a '[' followed later by ']' is PHP array syntax, which a KS never uses: returns
// std::nullopt for the whole query (PHP would build a nested array).
std::optional<PhpQueryFields> PhpParseStr(std::string_view query);

inline constexpr size_t kPhpMaxInputVars = 1000;

}  // namespace ksgate::ks
