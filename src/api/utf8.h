// UTF-8 decoding and validation, shared by the parameter reader, the argument builder and the
// result writers. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ksgate::api {

// Decodes the UTF-8 sequence at s[i] (i < s.size()). Returns its length and sets *cp, or
// returns 0 when it is not valid UTF-8 (bad lead byte, bad or missing continuation, overlong
// form, surrogate, > U+10FFFF). Pure; thread-safe.
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp);

// True if `s` is valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF). ASCII is
// checked eight bytes at a time.
bool IsValidUtf8(std::string_view s);

// True if `s` is valid UTF-8 made only of characters XML 1.0 allows (tab, LF, CR,
// U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF).
bool IsXmlSafeUtf8(std::string_view s);

}  // namespace ksgate::api
