// UTF-8 decoding shared by the parameter reader and the result writers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ksgate::api {

// Decodes the UTF-8 sequence at s[i] (i < s.size()). Returns its length and sets *cp, or
// returns 0 when it is not valid UTF-8 (bad lead byte, bad or missing continuation, overlong
// form, surrogate, > U+10FFFF). Pure; thread-safe.
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp);

}  // namespace ksgate::api
