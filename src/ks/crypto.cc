#include "ks/crypto.h"

// The one-shot digests below use OpenSSL's low-level functions (MD5_Init, SHA256_Init, ...),
// which OpenSSL 3 deprecates but keeps: its EVP digest API allocates and frees a provider context
// at every EVP_DigestInit_ex2, reused context or not, which cost 140 ns a digest here, a third
// of an app-token hash check. The low-level functions run the same assembly with the state on
// the stack. docs/architecture.md, "ks/". Secret bytes (a digest's state, random bytes handed
// out) are wiped with glibc's explicit_bzero, a memset the compiler may not drop, rather than
// OPENSSL_cleanse, which writes a byte at a time.
#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/md5.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <sys/random.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "common/strings.h"

namespace ksgate::ks {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "ksgate::ks: fatal failure of the CSPRNG or OpenSSL: %s\n", what);
  std::abort();
}

// Algorithms are fetched once per process (OpenSSL 3 explicit fetch: avoids a provider lookup on
// every call) and intentionally never freed. Function-local statics make this thread-safe. HMAC
// is the one user of an EVP digest (the digests themselves run on the low-level functions).
const EVP_MD* Sha256Md() {
  static EVP_MD* const kMd = [] {
    EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (md == nullptr) Die("EVP_MD_fetch");
    return md;
  }();
  return kMd;
}

const EVP_CIPHER* Aes128Cbc() {
  static EVP_CIPHER* const kCipher = [] {
    EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-128-CBC", nullptr);
    if (cipher == nullptr) Die("EVP_CIPHER_fetch");
    return cipher;
  }();
  return kCipher;
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

// One reusable cipher context per thread: saves allocating the context itself per call.
EVP_CIPHER_CTX* ThreadCipherCtx() {
  thread_local const CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (ctx == nullptr) Die("EVP_CIPHER_CTX_new");
  return ctx.get();
}

// Raw digest of first ‖ second into `out` (at least EVP_MAX_MD_SIZE bytes); returns its length.
unsigned int Digest(HashAlgorithm algorithm, std::string_view data, unsigned char* out,
                    std::string_view second = {}) {
  // Init, Update and Final return 1 and cannot fail for these in-memory states.
  const auto run = [&](auto& state, auto init, auto update, auto final, unsigned int size) {
    init(&state);
    update(&state, data.data(), data.size());
    update(&state, second.data(), second.size());
    final(out, &state);
    explicit_bzero(&state, sizeof(state));  // it holds the last bytes hashed: a token's
    return size;
  };
  switch (algorithm) {
    case HashAlgorithm::kMd5: {
      MD5_CTX state;
      return run(state, MD5_Init, MD5_Update, MD5_Final, MD5_DIGEST_LENGTH);
    }
    case HashAlgorithm::kSha1: {
      SHA_CTX state;
      return run(state, SHA1_Init, SHA1_Update, SHA1_Final, SHA_DIGEST_LENGTH);
    }
    case HashAlgorithm::kSha256: {
      SHA256_CTX state;
      return run(state, SHA256_Init, SHA256_Update, SHA256_Final, SHA256_DIGEST_LENGTH);
    }
    case HashAlgorithm::kSha512: {
      SHA512_CTX state;
      return run(state, SHA512_Init, SHA512_Update, SHA512_Final, SHA512_DIGEST_LENGTH);
    }
  }
  Die("unknown hash algorithm");
}

std::optional<std::string> Aes128CbcZeroIvOnce(std::string_view key, std::string_view data,
                                               bool encrypt) {
  constexpr size_t kBlock = 16;
  if (key.size() != kBlock || data.size() % kBlock != 0 || data.size() > INT_MAX - kBlock) {
    return std::nullopt;
  }
  if (data.empty()) return std::string();
  std::string out(data.size() + kBlock, '\0');
  EVP_CIPHER_CTX* ctx = ThreadCipherCtx();
  static constexpr unsigned char kZeroIv[kBlock] = {};
  const auto* key_bytes = reinterpret_cast<const unsigned char*>(key.data());
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  auto* out_bytes = reinterpret_cast<unsigned char*>(out.data());
  int written = 0;
  int final_written = 0;
  if (EVP_CipherInit_ex2(ctx, Aes128Cbc(), key_bytes, kZeroIv, encrypt ? 1 : 0, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
      EVP_CipherUpdate(ctx, out_bytes, &written, in, static_cast<int>(data.size())) != 1 ||
      EVP_CipherFinal_ex(ctx, out_bytes + written, &final_written) != 1) {
    // With aligned input and padding disabled none of these can fail short of an OpenSSL fault.
    Die("AES-128-CBC");
  }
  out.resize(static_cast<size_t>(written) + static_cast<size_t>(final_written));
  return out;
}

// Bumped in the child by a pthread_atfork handler: a pool filled before the fork is stale.
std::atomic<uint64_t> fork_generation{0};

uint64_t ForkGeneration() {
  static const bool registered = [] {
    if (pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1); }) != 0) {
      Die("pthread_atfork");
    }
    return true;
  }();
  (void)registered;
  return fork_generation.load(std::memory_order_relaxed);
}

// One thread's pool of CSPRNG bytes. bytes_[next_, kRandomPoolSize) are unused; the rest is zero.
class RandomPool {
 public:
  RandomPool() = default;
  RandomPool(const RandomPool&) = delete;
  RandomPool& operator=(const RandomPool&) = delete;
  ~RandomPool() { explicit_bzero(bytes_.data(), bytes_.size()); }

  void Take(std::span<uint8_t> out) {
    const uint64_t generation = ForkGeneration();
    if (generation != generation_ || kRandomPoolSize - next_ < out.size()) {
      RandomBytes(bytes_);
      next_ = 0;
      generation_ = generation;
      ++refills_;
    }
    std::memcpy(out.data(), bytes_.data() + next_, out.size());
    explicit_bzero(bytes_.data() + next_, out.size());
    next_ += out.size();
  }

  size_t refills() const { return refills_; }

 private:
  std::array<uint8_t, kRandomPoolSize> bytes_{};
  size_t next_ = kRandomPoolSize;  // empty until the first draw
  uint64_t generation_ = 0;
  size_t refills_ = 0;
};

RandomPool& ThreadRandomPool() {
  thread_local RandomPool pool;
  return pool;
}

}  // namespace

std::string HexDigest(HashAlgorithm algorithm, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = Digest(algorithm, data, digest);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), size));
}

bool HexDigestMatches(HashAlgorithm algorithm, std::string_view first, std::string_view second,
                      std::string_view expected_hex) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  const unsigned int size = Digest(algorithm, first, digest, second);
  // The digest's hex, written into a buffer here (a table load per byte), compared with what was
  // sent. Decoding the sent hex instead, to compare bytes, tested each character for a digit
  // (1,000 instructions of a SHA-512 check's 7,100: 14%).
  if (expected_hex.size() != 2 * size_t{size}) return false;
  char hex[2 * EVP_MAX_MD_SIZE];
  WriteHex(std::string_view(reinterpret_cast<const char*>(digest), size), hex);
  return ConstantTimeEquals(std::string_view(hex, 2 * size_t{size}), expected_hex);
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (HMAC(Sha256Md(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
           &size) == nullptr) {
    Die("HMAC-SHA256");
  }
  return HexEncode(std::string_view(reinterpret_cast<const char*>(mac), size));
}

std::string Sha1Raw(std::string_view data) {
  const Sha1Bytes digest = Sha1(data);
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

Sha1Bytes Sha1(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  if (Digest(HashAlgorithm::kSha1, data, digest) != 20) Die("SHA-1 size");
  Sha1Bytes out;
  std::memcpy(out.data(), digest, out.size());
  return out;
}

// Each context is one never-ending CBC stream: OpenSSL carries the last ciphertext block of a
// call into the next as its IV. `encrypt_chain` and `decrypt_chain` hold that block (zero before
// the first call), so that each call can cancel it and so act as if the IV were zero (see Run).
struct Aes128CbcZeroIv::Contexts {
  CipherCtx encrypt{EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free};
  CipherCtx decrypt{EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free};
  std::array<uint8_t, 16> encrypt_chain{};
  std::array<uint8_t, 16> decrypt_chain{};
};

Aes128CbcZeroIv::Aes128CbcZeroIv(std::span<const uint8_t, 16> key)
    : contexts_(std::make_unique<Contexts>()) {
  static constexpr unsigned char kZeroIv[16] = {};
  for (const bool encrypt : {true, false}) {
    EVP_CIPHER_CTX* ctx = encrypt ? contexts_->encrypt.get() : contexts_->decrypt.get();
    if (ctx == nullptr ||
        EVP_CipherInit_ex2(ctx, Aes128Cbc(), key.data(), kZeroIv, encrypt ? 1 : 0, nullptr) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
      Die("AES-128-CBC set-up");
    }
  }
}

Aes128CbcZeroIv::~Aes128CbcZeroIv() = default;

bool Aes128CbcZeroIv::EncryptInPlace(std::span<uint8_t> data) { return Run(data, true); }

bool Aes128CbcZeroIv::DecryptInPlace(std::span<uint8_t> data) { return Run(data, false); }

bool Aes128CbcZeroIv::Run(std::span<uint8_t> data, bool encrypt) {
  constexpr size_t kBlock = 16;
  if (data.size() % kBlock != 0 || data.size() > INT_MAX - kBlock) return false;
  if (data.empty()) return true;
  EVP_CIPHER_CTX* ctx = encrypt ? contexts_->encrypt.get() : contexts_->decrypt.get();
  std::array<uint8_t, kBlock>& chain =
      encrypt ? contexts_->encrypt_chain : contexts_->decrypt_chain;
  // Resetting the IV through EVP_CipherInit_ex2 costs about as much as the AES itself (OpenSSL
  // 3.0 looks parameters up by name on every init). Instead the stream continues, and the
  // previous call's last ciphertext block `chain`, which the stream uses in place of the IV, is
  // cancelled by XOR: CBC encrypts the first block as E(P1 ^ chain), so feeding it P1 ^ chain
  // gives E(P1); CBC decrypts it as D(C1) ^ chain, so XOR-ing chain again gives D(C1). The
  // output is exactly that of a zero IV; ReusedAesCipherMatchesTheOneShotFunctions checks it.
  std::array<uint8_t, kBlock> last_ciphertext;
  if (encrypt) {
    for (size_t i = 0; i < kBlock; ++i) data[i] ^= chain[i];
  } else {
    std::memcpy(last_ciphertext.data(), data.data() + data.size() - kBlock, kBlock);
  }
  int written = 0;
  // Padding is disabled and the input is whole blocks, so OpenSSL holds nothing back; in place is
  // allowed when `out` is exactly `in`.
  if (EVP_CipherUpdate(ctx, data.data(), &written, data.data(), static_cast<int>(data.size())) !=
          1 ||
      static_cast<size_t>(written) != data.size()) {
    Die("AES-128-CBC");  // with aligned input and padding disabled, only an OpenSSL fault
  }
  if (encrypt) {
    std::memcpy(chain.data(), data.data() + data.size() - kBlock, kBlock);
  } else {
    for (size_t i = 0; i < kBlock; ++i) data[i] ^= chain[i];
    chain = last_ciphertext;
  }
  return true;
}

std::optional<std::string> Aes128CbcZeroIvEncrypt(std::string_view key, std::string_view data) {
  return Aes128CbcZeroIvOnce(key, data, /*encrypt=*/true);
}

std::optional<std::string> Aes128CbcZeroIvDecrypt(std::string_view key, std::string_view data) {
  return Aes128CbcZeroIvOnce(key, data, /*encrypt=*/false);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  // Eight bytes at a time. OpenSSL's CRYPTO_memcmp reads one byte per step through volatile
  // pointers, about 5 instructions a byte, and every cached request compares a whole KS (2.5% of
  // an authorize request). The differences are OR-ed together with no branch on them; the empty
  // asm makes `diff` opaque to the optimiser, so it cannot turn the loop into an early exit.
  const size_t n = a.size();
  uint64_t diff = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x;
    uint64_t y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    diff |= x ^ y;
    __asm__ volatile("" : "+r"(diff));
  }
  for (; i < n; ++i) {
    diff |= static_cast<uint64_t>(static_cast<uint8_t>(a[i]) ^ static_cast<uint8_t>(b[i]));
    __asm__ volatile("" : "+r"(diff));
  }
  return diff == 0;
}

void RandomBytes(std::span<uint8_t> out) {
  if (out.size() <= kKernelDrawMax) {
    // The kernel's generator itself. getrandom(2) fills up to 256 bytes in one call (no signal
    // interrupts it), once the kernel's pool is initialised at boot, which flags 0 waits for.
    while (!out.empty()) {
      const ssize_t n = getrandom(out.data(), out.size(), 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        Die("getrandom");
      }
      out = out.subspan(static_cast<size_t>(n));
    }
    return;
  }
  while (!out.empty()) {
    const size_t chunk = out.size() < static_cast<size_t>(INT_MAX) ? out.size() : INT_MAX;
    if (RAND_bytes(out.data(), static_cast<int>(chunk)) != 1) Die("RAND_bytes");
    out = out.subspan(chunk);
  }
}

void PooledRandomBytes(std::span<uint8_t> out) {
  if (out.empty()) return;
  if (out.size() > kRandomPoolMaxDraw) {
    RandomBytes(out);
    return;
  }
  ThreadRandomPool().Take(out);
}

size_t RandomPoolRefillsForTesting() { return ThreadRandomPool().refills(); }

RandomDraw::RandomDraw(size_t bytes) : size_(std::clamp<size_t>(bytes, 1, kMaxBytes)) {
  RandomBytes(std::span(bytes_.data(), size_));
}

RandomDraw::~RandomDraw() { explicit_bzero(bytes_.data(), bytes_.size()); }

uint8_t RandomDraw::Next() {
  if (next_ == size_) {
    RandomBytes(std::span(bytes_.data(), size_));
    next_ = 0;
  }
  const uint8_t byte = bytes_[next_];
  bytes_[next_++] = 0;
  return byte;
}

std::string RandomDraw::Hex(size_t n_bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * n_bytes, '\0');
  for (size_t i = 0; i < n_bytes; ++i) {
    const uint8_t byte = Next();
    out[2 * i] = kDigits[byte >> 4];
    out[2 * i + 1] = kDigits[byte & 0x0f];
  }
  return out;
}

std::string RandomDraw::String(size_t length, std::string_view alphabet) {
  if (alphabet.empty()) return std::string();
  const size_t n = alphabet.size();
  std::string out;
  out.reserve(length);
  // One byte per character when the alphabet fits in a byte, else four; draws at or above the
  // largest multiple of n are rejected so that `draw % n` is uniform.
  const bool wide = n > 256;
  const uint64_t range = wide ? (uint64_t{1} << 32) : 256;
  const uint64_t limit = range - range % n;
  while (out.size() < length) {
    uint64_t draw = Next();
    if (wide) {
      for (int i = 0; i < 3; ++i) draw = (draw << 8) | Next();
    }
    if (draw >= limit) continue;
    out.push_back(alphabet[draw % n]);
  }
  return out;
}

std::string RandomHex(size_t n_bytes) {
  if (n_bytes == 0) return std::string();
  return RandomDraw(n_bytes).Hex(n_bytes);
}

std::string RandomString(size_t length, std::string_view alphabet) {
  if (length == 0 || alphabet.empty()) return std::string();
  // A little more than `length` bytes: rejections are rare for byte-sized alphabets.
  return RandomDraw(alphabet.size() > 256 ? 4 * length + 16 : length + 16).String(length, alphabet);
}

}  // namespace ksgate::ks
