// Hashing, constant-time comparison and CSPRNG helpers. The only OpenSSL-aware layer.
// All functions are thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ksgate::ks {

enum class HashAlgorithm { kMd5, kSha1, kSha256, kSha512 };

// Lowercase hex digest of `data`.
std::string HexDigest(HashAlgorithm algorithm, std::string_view data);

// True iff `expected_hex` is HexDigest(algorithm, first + second) (lowercase, exact), without
// building either string: the digest's hex, written on the stack, is compared with
// `expected_hex` in constant time (ConstantTimeEquals); only `expected_hex`'s length can end it
// early.
// appToken.startSession's check of sha(widget KS + token).
bool HexDigestMatches(HashAlgorithm algorithm, std::string_view first, std::string_view second,
                      std::string_view expected_hex);

// Lowercase hex HMAC-SHA256 of `data` under `key` (64 characters).
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// Raw SHA-1 (20 bytes).
std::string Sha1Raw(std::string_view data);
using Sha1Bytes = std::array<uint8_t, 20>;
Sha1Bytes Sha1(std::string_view data);  // the same, without a heap allocation

// AES-128-CBC with a 16-byte zero IV and no padding (OpenSSL's "zero padding" mode, as Kaltura's
// KS v2 uses it). The caller pads `data` itself. Returns std::nullopt if `key` is not 16 bytes or
// `data.size()` is not a multiple of 16 (an empty `data` gives an empty result).
std::optional<std::string> Aes128CbcZeroIvEncrypt(std::string_view key, std::string_view data);
std::optional<std::string> Aes128CbcZeroIvDecrypt(std::string_view key, std::string_view data);

// The cipher of Aes128CbcZeroIvEncrypt/Decrypt with its key schedule and OpenSSL contexts set up
// once, for a key used many times (a KS v2 admin secret): a call costs the AES alone, where the
// functions above add a context set-up and a key expansion (about 0.2 µs). Not thread-safe: one
// object per thread. Aborts if OpenSSL cannot set it up.
class Aes128CbcZeroIv {
 public:
  explicit Aes128CbcZeroIv(std::span<const uint8_t, 16> key);
  ~Aes128CbcZeroIv();
  Aes128CbcZeroIv(const Aes128CbcZeroIv&) = delete;
  Aes128CbcZeroIv& operator=(const Aes128CbcZeroIv&) = delete;

  // Encrypt or decrypt `data` in place. False (data unchanged) unless data.size() is a multiple
  // of 16; an empty `data` is left empty.
  bool EncryptInPlace(std::span<uint8_t> data);
  bool DecryptInPlace(std::span<uint8_t> data);

 private:
  struct Contexts;
  bool Run(std::span<uint8_t> data, bool encrypt);
  std::unique_ptr<Contexts> contexts_;
};

// True iff a == b, in time that depends only on the lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Fills `out` from the OS CSPRNG: up to kKernelDrawMax bytes straight from the kernel's
// generator (getrandom(2)), more from OpenSSL's DRBG (RAND_bytes, which the kernel seeds).
// Measured on the bench machine (docs/benchmarks.md, stop 28): getrandom 0.55 µs for 16 bytes,
// 0.9 µs for 64, 2.5 µs for 256, 22 µs for 4 KiB; RAND_bytes 1.7-2.5 µs for any of the small
// sizes (OpenSSL 3 re-keys the DRBG's AES at every call) and 3.3 µs for 4 KiB. So the
// kernel's for a token, an id or a secret, the DRBG for bulk. Aborts if the CSPRNG fails: no
// fallback.
inline constexpr size_t kKernelDrawMax = 256;
void RandomBytes(std::span<uint8_t> out);

// Fills `out` from the same CSPRNG as RandomBytes, through a per-thread pool refilled in bulk
// (kRandomPoolSize bytes per RandomBytes call, from the DRBG): 1.1-3.3 µs per 4 KiB on the
// machines measured, so a KS's 16 bytes cost 4-13 ns. Each byte is handed out once and wiped
// from the pool as it is taken; a child process refills before its first draw after fork(), so
// parent and child never hand out the same bytes. Meant for per-KS nonces; keys, secrets and
// tokens take RandomBytes. Requests larger than kRandomPoolMaxDraw go to RandomBytes directly.
// Thread-safe (each thread has its own pool). Aborts if the CSPRNG fails.
inline constexpr size_t kRandomPoolSize = 4096;
inline constexpr size_t kRandomPoolMaxDraw = 64;
void PooledRandomBytes(std::span<uint8_t> out);

// How many times this thread's pool was refilled (for tests).
size_t RandomPoolRefillsForTesting();

// Bytes of one RandomBytes call, handed out in order and wiped as they are taken; when they run
// out the next call refills them. For work that needs several random values at once (a token and
// its id): one system call (or, past kKernelDrawMax, one DRBG call) instead of several. Not
// thread-safe; one per use.
class RandomDraw {
 public:
  // `bytes` (1 to kMaxBytes) drawn now, in one call.
  explicit RandomDraw(size_t bytes);
  ~RandomDraw();
  RandomDraw(const RandomDraw&) = delete;
  RandomDraw& operator=(const RandomDraw&) = delete;

  static constexpr size_t kMaxBytes = 256;

  // `n_bytes` random bytes as 2*n_bytes lowercase hex characters.
  std::string Hex(size_t n_bytes);
  // `length` characters drawn uniformly (rejection sampling) from `alphabet`; an empty
  // `alphabet` yields an empty string.
  std::string String(size_t length, std::string_view alphabet);

 private:
  uint8_t Next();

  std::array<uint8_t, kMaxBytes> bytes_;
  size_t size_;
  size_t next_ = 0;
};

// `n_bytes` random bytes as 2*n_bytes lowercase hex characters (RandomDraw::Hex).
std::string RandomHex(size_t n_bytes);

// A string of `length` characters drawn uniformly from `alphabet` (RandomDraw::String).
std::string RandomString(size_t length, std::string_view alphabet);

}  // namespace ksgate::ks
