// Hashing, constant-time comparison and CSPRNG helpers. The only OpenSSL-aware layer.
// All functions are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ksgate::ks {

enum class HashAlgorithm { kMd5, kSha1, kSha256, kSha512 };

// Lowercase hex digest of `data`.
std::string HexDigest(HashAlgorithm algorithm, std::string_view data);

// Lowercase hex HMAC-SHA256 of `data` under `key` (64 characters).
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// Raw SHA-1 (20 bytes).
std::string Sha1Raw(std::string_view data);

// AES-128-CBC with a 16-byte zero IV and no padding (OpenSSL's "zero padding" mode, as Kaltura's
// KS v2 uses it). The caller pads `data` itself. Returns std::nullopt if `key` is not 16 bytes or
// `data.size()` is not a multiple of 16 (an empty `data` gives an empty result).
std::optional<std::string> Aes128CbcZeroIvEncrypt(std::string_view key, std::string_view data);
std::optional<std::string> Aes128CbcZeroIvDecrypt(std::string_view key, std::string_view data);

// True iff a == b, in time that depends only on the lengths (CRYPTO_memcmp).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Fills `out` from the OS CSPRNG (RAND_bytes). Aborts if the CSPRNG fails: no fallback.
void RandomBytes(std::span<uint8_t> out);

// `n_bytes` random bytes as 2*n_bytes lowercase hex characters.
std::string RandomHex(size_t n_bytes);

// A string of `length` characters drawn uniformly (rejection sampling) from `alphabet`.
// An empty `alphabet` yields an empty string.
std::string RandomString(size_t length, std::string_view alphabet);

}  // namespace ksgate::ks
