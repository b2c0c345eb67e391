// PHP's base64_encode / base64_decode($s, true), byte for byte, as the KS formats use them (the
// other PHP string rules are in common/php.h).
//
// Pure functions over bytes (no locale, no allocation beyond the result); thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ksgate::ks {

// PHP base64_encode: standard alphabet (RFC 4648 §4) with '=' padding.
std::string Base64Encode(std::string_view data);

// The same with '-' and '_' in place of '+' and '/' (and '=' padding): strtr(base64_encode($s),
// '+/', '-_'), as Kaltura writes a KS v2.
std::string Base64UrlEncode(std::string_view data);

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

// Room Base64DecodeStrictTo needs for `text_size` characters: 3 bytes a quantum, and 3 more (it
// writes whole words; the bytes past the size it returns are scratch).
constexpr size_t Base64DecodedRoom(size_t text_size) { return text_size / 4 * 3 + 3; }

// Base64DecodeStrict into `dst`, which has Base64DecodedRoom(text.size()) bytes: the decoded
// size, or std::nullopt. For a caller that decodes into a buffer of its own (a KS on the stack).
std::optional<size_t> Base64DecodeStrictTo(std::string_view text, Base64Alphabet alphabet,
                                           char* dst);

}  // namespace ksgate::ks
