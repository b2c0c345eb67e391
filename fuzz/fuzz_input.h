// Helpers shared by the fuzz targets: how a target reads several inputs out of one byte string,
// so that seed files stay readable text (one field per line, the last field the rest).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace ksgate::fuzz {

// The fuzzer's bytes as a string_view.
inline std::string_view AsText(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Splits `text` into exactly `n` fields: the first n - 1 lines (without their '\n') and then
// everything after them (which may hold more newlines). Missing fields are empty.
inline std::vector<std::string_view> SplitFields(std::string_view text, size_t n) {
  std::vector<std::string_view> fields;
  fields.reserve(n);
  while (fields.size() + 1 < n) {
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      fields.push_back(text);
      text = {};
      continue;
    }
    fields.push_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  fields.push_back(text);
  return fields;
}

// Splits `text` at every occurrence of `separator` (a whole line such as "====").
inline std::vector<std::string_view> SplitOn(std::string_view text, std::string_view separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const size_t at = text.find(separator);
    if (at == std::string_view::npos) {
      parts.push_back(text);
      return parts;
    }
    parts.push_back(text.substr(0, at));
    text.remove_prefix(at + separator.size());
  }
}

// A property the target checks failed: abort, so libFuzzer keeps the input as a crash.
#define KSGATE_FUZZ_CHECK(condition)                                                          \
  do {                                                                                        \
    if (!(condition)) {                                                                       \
      std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (false)

}  // namespace ksgate::fuzz
