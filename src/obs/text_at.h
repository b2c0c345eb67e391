// Writing and comparing text at a raw pointer, for the access log's line writer and its path
// rule (access_log.cc, loggable_path.cc), which write into room made for the longest line they
// can produce, so each piece is a copy rather than a std::string append with its checks.
// Internal to obs/.
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>

namespace ksgate::obs::text_at {

// Copies `s` to `out`; returns the end of the copy.
inline char* Copy(std::string_view s, char* out) {
  // (memcpy must not see the null data of an empty view, even for 0 bytes.)
  if (!s.empty()) std::memcpy(out, s.data(), s.size());
  return out + s.size();
}

// `s` equals `literal`: a size test and a memcmp of a size known when compiled (a few
// instructions; string_view's compare, and substr, which may throw, are calls).
template <size_t N>
bool Is(std::string_view s, const char (&literal)[N]) {
  return s.size() == N - 1 && std::memcmp(s.data(), literal, N - 1) == 0;
}

}  // namespace ksgate::obs::text_at
