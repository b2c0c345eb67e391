// KS v2's AES-128-CBC cipher for an admin secret (key: the first 16 bytes of sha1(secret), spec
// §4.4), from a small per-thread cache: a partner's secret costs its SHA-1, key expansion and
// OpenSSL context set-up once per thread instead of on every KS encoded or decoded.
#pragma once

#include <cstddef>
#include <string_view>

#include "ks/crypto.h"

namespace ksgate::ks {

// How many secrets each thread keeps (most recently used first; the least recently used goes).
inline constexpr size_t kKsCipherCacheSize = 8;

// The cipher for `admin_secret`, from this thread's cache (set up on a miss). The reference is
// valid until this thread's next call. Secrets are compared in constant time. Thread-safe: each
// thread has its own cache, so the cipher is never shared.
Aes128CbcZeroIv& KsCipherFor(std::string_view admin_secret);

}  // namespace ksgate::ks
