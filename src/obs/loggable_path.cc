#include "obs/loggable_path.h"

#include <array>
#include <cstring>

#include "obs/text_at.h"

namespace ksgate::obs {

namespace {

constexpr std::array<bool, 256> MakeNameChars() {
  std::array<bool, 256> name{};
  for (int c = 0; c < 256; ++c) {
    name[c] =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }
  return name;
}
constexpr std::array<bool, 256> kNameChar = MakeNameChars();

using text_at::Copy;
using text_at::Is;

template <size_t N>
bool StartsWith(std::string_view s, size_t at, const char (&literal)[N]) {
  return s.size() - at >= N - 1 && std::memcmp(s.data() + at, literal, N - 1) == 0;
}

// If `path` has `key` ("/service/" or "/action/") at `at`, then a NAME of 1 to 64
// [A-Za-z0-9_] that a '/' or the path's end follows: where that NAME ends; else 0.
template <size_t N>
size_t PairEnd(std::string_view path, size_t at, const char (&key)[N]) {
  if (!StartsWith(path, at, key)) return 0;
  const size_t name_at = at + N - 1;
  size_t i = name_at;
  while (i < path.size() && kNameChar[static_cast<unsigned char>(path[i])]) ++i;
  const size_t name = i - name_at;
  if (name == 0 || name > 64 || (i < path.size() && path[i] != '/')) return 0;
  return i;
}

}  // namespace

char* WriteLoggablePath(std::string_view path, char* out) {
  if (path.empty()) return out;
  if (path[0] != '/') return Copy("*", out);
  if (Is(path, "/metrics") || Is(path, "/healthz") || Is(path, "/readyz")) return Copy(path, out);
  size_t kept = 0;  // bytes of `path` written as they are; "/..." if more follow
  if (StartsWith(path, 0, "/api_v3") && (path.size() == 7 || path[7] == '/')) {
    // service/NAME, then action/NAME: the only path pairs that never carry a credential.
    kept = 7;
    if (const size_t service = PairEnd(path, kept, "/service/"); service != 0) {
      kept = service;
      if (const size_t action = PairEnd(path, kept, "/action/"); action != 0) kept = action;
    }
  } else if (StartsWith(path, 0, "/ksgate/v1/authorize") &&
             (path.size() == 20 || path[20] == '/')) {
    kept = 20;
  } else {
    // The first segment if it is short and visible ASCII (a secret is longer), else "*".
    const void* slash =
        path.size() > 1 ? std::memchr(path.data() + 1, '/', path.size() - 1) : nullptr;
    const size_t first_end =
        slash != nullptr ? static_cast<size_t>(static_cast<const char*>(slash) - path.data())
                         : path.size();
    bool visible = first_end <= 25;
    for (size_t i = 1; visible && i < first_end; ++i) visible = path[i] > ' ' && path[i] < 0x7f;
    if (visible) {
      kept = first_end;
    } else {
      out = Copy("/*", out);
      path.remove_prefix(first_end);
    }
  }
  out = Copy(std::string_view(path.data(), kept), out);
  return path.size() - kept > 1 ? Copy("/...", out) : out;
}

std::string LoggablePath(std::string_view target) {
  char path[kMaxLoggablePath];
  return std::string(
      path, WriteLoggablePath(std::string_view(target.data(), LoggablePathEnd(target)), path));
}

size_t LoggablePathEnd(std::string_view target) {
  // memchr, which reads many bytes per step, rather than a loop over the bytes (a gate's target
  // is mostly its KS).
  if (target.empty()) return 0;
  const char* begin = target.data();
  const void* query = std::memchr(begin, '?', target.size());
  const size_t end = query != nullptr ? static_cast<size_t>(static_cast<const char*>(query) - begin)
                                      : target.size();
  const void* fragment = end == 0 ? nullptr : std::memchr(begin, '#', end);
  return fragment != nullptr ? static_cast<size_t>(static_cast<const char*>(fragment) - begin)
                             : end;
}

}  // namespace ksgate::obs
