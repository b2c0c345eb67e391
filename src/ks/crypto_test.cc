#include "ks/crypto.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/strings.h"

namespace ksgate::ks {
namespace {

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

TEST(Crypto, HexDigestMatchesKnownVectors) {
  EXPECT_EQ(HexDigest(HashAlgorithm::kMd5, "abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(HexDigest(HashAlgorithm::kSha1, "abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(HexDigest(HashAlgorithm::kSha256, "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexDigest(HashAlgorithm::kSha512, "abc"),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(HexDigest(HashAlgorithm::kSha1, ""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

// FIPS 180 / RFC 1321 vectors of a million 'a's: many blocks, and (split unevenly between the
// two parts HexDigestMatches hashes) a boundary inside a block.
TEST(Crypto, DigestsOfAMillionAsMatchTheStandardsVectors) {
  const std::string text(1'000'000, 'a');
  const std::pair<HashAlgorithm, std::string_view> vectors[] = {
      {HashAlgorithm::kMd5, "7707d6ae4e027c70eea2a935c2296f21"},
      {HashAlgorithm::kSha1, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"},
      {HashAlgorithm::kSha256, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
      {HashAlgorithm::kSha512,
       "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce5"
       "77c31beb009c5c2c49aa2e4eadb217ad8cc09b"},
  };
  for (const auto& [algorithm, hex] : vectors) {
    EXPECT_EQ(HexDigest(algorithm, text), hex);
    const std::string_view all = text;
    EXPECT_TRUE(HexDigestMatches(algorithm, all.substr(0, 333'333), all.substr(333'333), hex));
  }
}

TEST(Crypto, HexDigestIsBinarySafe) {
  const std::string with_nul("a\0b", 3);
  EXPECT_NE(HexDigest(HashAlgorithm::kSha1, with_nul), HexDigest(HashAlgorithm::kSha1, "a"));
}

TEST(Crypto, HexDigestMatchesIsHexDigestOfTheConcatenationCompared) {
  const std::string ks = "djJ8MTIzNDV8xD7rYnBFrgxxxsnLZCevAmQ-r00Xr2LH6m9BNgzteF8nYcD4U0Cuz";
  const std::string token = "0123456789abcdef0123456789abcdef";
  for (HashAlgorithm algorithm : {HashAlgorithm::kMd5, HashAlgorithm::kSha1, HashAlgorithm::kSha256,
                                  HashAlgorithm::kSha512}) {
    const std::string hex = HexDigest(algorithm, ks + token);
    EXPECT_TRUE(HexDigestMatches(algorithm, ks, token, hex));
    // Where the input is split does not matter; an empty part is fine.
    EXPECT_TRUE(HexDigestMatches(algorithm, ks + token, "", hex));
    EXPECT_TRUE(HexDigestMatches(algorithm, "", ks + token, hex));
    EXPECT_TRUE(HexDigestMatches(algorithm, ks.substr(0, 5), ks.substr(5) + token, hex));
    EXPECT_FALSE(HexDigestMatches(algorithm, ks, token + "x", hex));
    // The hex must be exactly the lowercase digest, as ConstantTimeEquals(HexDigest(...)) had it.
    for (size_t i : {size_t{0}, hex.size() / 2, hex.size() - 1}) {
      std::string flipped = hex;
      flipped[i] = flipped[i] == '0' ? '1' : '0';
      EXPECT_FALSE(HexDigestMatches(algorithm, ks, token, flipped)) << i;
    }
    std::string upper = hex;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper != hex) {
      EXPECT_FALSE(HexDigestMatches(algorithm, ks, token, upper));
    }
    EXPECT_FALSE(HexDigestMatches(algorithm, ks, token, hex.substr(1)));
    EXPECT_FALSE(HexDigestMatches(algorithm, ks, token, hex + "0"));
    EXPECT_FALSE(HexDigestMatches(algorithm, ks, token, ""));
    std::string not_hex = hex;
    not_hex[3] = 'g';
    EXPECT_FALSE(HexDigestMatches(algorithm, ks, token, not_hex));
  }
  EXPECT_TRUE(HexDigestMatches(HashAlgorithm::kMd5, "a", "bc", "900150983cd24fb0d6963f7d28e17f72"));
}

TEST(Crypto, Sha1RawIsTwentyBytesOfTheHexDigest) {
  const std::string raw = Sha1Raw("abc");
  ASSERT_EQ(raw.size(), 20u);
  EXPECT_EQ(HexEncode(raw), HexDigest(HashAlgorithm::kSha1, "abc"));
}

TEST(Crypto, AesOfZeroBlockUnderZeroKeyMatchesFips197) {
  const std::string key(16, '\0');
  const std::string block(16, '\0');
  const auto ciphertext = Aes128CbcZeroIvEncrypt(key, block);
  ASSERT_TRUE(ciphertext.has_value());
  EXPECT_EQ(HexEncode(*ciphertext), "66e94bd4ef8a2c3b884cfa59ca342b2e");
  const auto plain = Aes128CbcZeroIvDecrypt(key, *ciphertext);
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(*plain, block);
}

TEST(Crypto, AesRoundTripsMultipleBlocks) {
  const std::string key = FromHex("75f3be87351a63f1c2f677632838f9e2");
  std::string data(64, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  const auto ciphertext = Aes128CbcZeroIvEncrypt(key, data);
  ASSERT_TRUE(ciphertext.has_value());
  EXPECT_EQ(ciphertext->size(), data.size());
  EXPECT_NE(*ciphertext, data);
  EXPECT_EQ(Aes128CbcZeroIvDecrypt(key, *ciphertext), data);
}

TEST(Crypto, AesRejectsBadKeyOrUnalignedData) {
  const std::string key(16, 'k');
  EXPECT_FALSE(Aes128CbcZeroIvEncrypt("short", std::string(16, 'x')).has_value());
  EXPECT_FALSE(Aes128CbcZeroIvDecrypt(std::string(17, 'k'), std::string(16, 'x')).has_value());
  EXPECT_FALSE(Aes128CbcZeroIvEncrypt(key, std::string(15, 'x')).has_value());
  EXPECT_FALSE(Aes128CbcZeroIvDecrypt(key, std::string(17, 'x')).has_value());
  EXPECT_EQ(Aes128CbcZeroIvDecrypt(key, ""), std::string());
}

TEST(Crypto, ConstantTimeEqualsComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_TRUE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(Crypto, ConstantTimeEqualsSeesADifferenceAtEveryPositionAndBit) {
  // Lengths around the 8-byte words it compares: whole words, a tail, a tail alone.
  for (size_t length : {1, 7, 8, 9, 15, 16, 17, 64, 250}) {
    std::string a(length, '\0');
    for (size_t i = 0; i < length; ++i) a[i] = static_cast<char>('A' + i % 50);
    EXPECT_TRUE(ConstantTimeEquals(a, std::string(a))) << length;
    for (size_t i = 0; i < length; ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string b = a;
        b[i] = static_cast<char>(b[i] ^ (1 << bit));
        EXPECT_FALSE(ConstantTimeEquals(a, b)) << length << " " << i << " " << bit;
      }
    }
  }
}

TEST(Crypto, RandomBytesFillsTheBuffer) {
  std::array<uint8_t, 64> a{};
  std::array<uint8_t, 64> b{};
  RandomBytes(a);
  RandomBytes(b);
  EXPECT_NE(a, b);
  RandomBytes(std::span<uint8_t>());  // no-op
}

// Both sources (the kernel's up to kKernelDrawMax bytes, the DRBG past it) fill every byte: the
// first and last 16 of a buffer that starts zeroed are not all zero (by chance: 2^-128), and
// two draws differ.
TEST(Crypto, RandomBytesFillsEveryByteFromEitherSource) {
  const auto all_zero = [](std::span<const uint8_t> s) {
    return std::all_of(s.begin(), s.end(), [](uint8_t b) { return b == 0; });
  };
  for (size_t n : {size_t{16}, size_t{17}, kKernelDrawMax - 1, kKernelDrawMax, kKernelDrawMax + 1,
                   size_t{4096}, size_t{70'000}}) {
    std::vector<uint8_t> a(n, 0);
    std::vector<uint8_t> b(n, 0);
    RandomBytes(a);
    RandomBytes(b);
    EXPECT_FALSE(all_zero(std::span(a).first(16))) << n;
    EXPECT_FALSE(all_zero(std::span(a).last(16))) << n;
    EXPECT_FALSE(all_zero(std::span(b).last(16))) << n;
    EXPECT_NE(a, b) << n;
  }
}

std::string PooledDraw(size_t n) {
  std::string bytes(n, '\0');
  PooledRandomBytes({reinterpret_cast<uint8_t*>(bytes.data()), n});
  return bytes;
}

TEST(Crypto, PooledRandomBytesAreDistinctAcrossCallsAndRefills) {
  const size_t refills_before = RandomPoolRefillsForTesting();
  constexpr size_t kDraws = 3 * kRandomPoolSize / 16;
  std::set<std::string> seen;
  for (size_t i = 0; i < kDraws; ++i) seen.insert(PooledDraw(16));
  EXPECT_EQ(seen.size(), kDraws);  // 128-bit values: a repeat means bytes were handed out twice
  EXPECT_GE(RandomPoolRefillsForTesting() - refills_before, 2u);
}

TEST(Crypto, PooledRandomBytesOfOddSizesStraddleRefills) {
  // 13 does not divide the pool: some draws find too few bytes left and take a fresh pool.
  std::set<std::string> seen;
  for (size_t i = 0; i < kRandomPoolSize / 13 * 3; ++i) {
    const std::string draw = PooledDraw(13);
    EXPECT_NE(draw, std::string(13, '\0'));
    seen.insert(draw);
  }
  EXPECT_EQ(seen.size(), kRandomPoolSize / 13 * 3);
  PooledRandomBytes(std::span<uint8_t>());  // no-op
}

TEST(Crypto, PooledRandomBytesSendsLargeDrawsToTheCsprng) {
  PooledDraw(1);  // the pool is filled
  const size_t refills = RandomPoolRefillsForTesting();
  const std::string large = PooledDraw(kRandomPoolMaxDraw + 1);
  EXPECT_EQ(RandomPoolRefillsForTesting(), refills);
  EXPECT_NE(large, PooledDraw(kRandomPoolMaxDraw + 1));
}

TEST(Crypto, PooledRandomBytesDifferBetweenThreads) {
  constexpr int kThreads = 4;
  std::vector<std::vector<std::string>> draws(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &draws] {
      for (int i = 0; i < 1000; ++i) draws[t].push_back(PooledDraw(16));
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> seen;
  for (const auto& thread_draws : draws) seen.insert(thread_draws.begin(), thread_draws.end());
  EXPECT_EQ(seen.size(), size_t{kThreads} * 1000);
}

TEST(Crypto, PooledRandomBytesAfterForkDifferFromTheParents) {
  PooledDraw(16);  // the parent's pool holds bytes the child would inherit
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string draw = PooledDraw(16);
    const bool written = write(fds[1], draw.data(), draw.size()) == 16;
    _exit(written ? 0 : 1);
  }
  close(fds[1]);
  std::string child_draw(16, '\0');
  EXPECT_EQ(read(fds[0], child_draw.data(), child_draw.size()), 16);
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_NE(child_draw, PooledDraw(16));
}

TEST(Crypto, Sha1IsSha1Raw) {
  const Sha1Bytes digest = Sha1("abc");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(digest.data()), digest.size()),
            Sha1Raw("abc"));
}

TEST(Crypto, ReusedAesCipherMatchesTheOneShotFunctions) {
  std::mt19937 rng(7);
  std::array<uint8_t, 16> key;
  for (auto& b : key) b = static_cast<uint8_t>(rng());
  const std::string key_text(reinterpret_cast<const char*>(key.data()), key.size());
  Aes128CbcZeroIv cipher(key);
  for (int i = 0; i < 500; ++i) {
    std::string data(16 * (i % 13), '\0');
    for (char& c : data) c = static_cast<char>(rng());
    std::string in_place = data;
    auto* bytes = reinterpret_cast<uint8_t*>(in_place.data());
    ASSERT_TRUE(cipher.EncryptInPlace({bytes, in_place.size()}));
    ASSERT_EQ(in_place, Aes128CbcZeroIvEncrypt(key_text, data).value()) << i;
    ASSERT_TRUE(cipher.DecryptInPlace({bytes, in_place.size()}));
    ASSERT_EQ(in_place, data) << i;
  }
}

TEST(Crypto, ReusedAesCipherRejectsUnalignedData) {
  Aes128CbcZeroIv cipher(std::array<uint8_t, 16>{});
  std::string data(17, 'x');
  auto* bytes = reinterpret_cast<uint8_t*>(data.data());
  EXPECT_FALSE(cipher.EncryptInPlace({bytes, data.size()}));
  EXPECT_FALSE(cipher.DecryptInPlace({bytes, 15}));
  EXPECT_EQ(data, std::string(17, 'x'));
  EXPECT_TRUE(cipher.EncryptInPlace({bytes, 0}));
  // FIPS-197 C.1-style check through the reused cipher: AES-128 of a zero block, zero key.
  std::string block(16, '\0');
  ASSERT_TRUE(cipher.EncryptInPlace({reinterpret_cast<uint8_t*>(block.data()), 16}));
  EXPECT_EQ(HexEncode(block), "66e94bd4ef8a2c3b884cfa59ca342b2e");
}

TEST(Crypto, RandomHexHasTwoLowercaseHexCharsPerByte) {
  const std::string token = RandomHex(16);
  EXPECT_EQ(token.size(), 32u);
  EXPECT_THAT(token, testing::MatchesRegex("[0-9a-f]{32}"));
  EXPECT_NE(RandomHex(16), token);
  EXPECT_EQ(RandomHex(0), "");
}

TEST(Crypto, RandomStringDrawsOnlyFromTheAlphabet) {
  constexpr std::string_view kAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
  const std::string id = RandomString(8, kAlphabet);
  EXPECT_THAT(id, testing::MatchesRegex("[0-9a-z]{8}"));
  EXPECT_EQ(RandomString(0, kAlphabet), "");
  EXPECT_EQ(RandomString(5, "x"), "xxxxx");
  EXPECT_EQ(RandomString(5, ""), "");
}

TEST(Crypto, RandomStringCoversTheAlphabet) {
  constexpr std::string_view kAlphabet = "abc";
  const std::string s = RandomString(3000, kAlphabet);
  ASSERT_EQ(s.size(), 3000u);
  std::array<int, 3> counts{};
  for (const char c : s) {
    ASSERT_NE(kAlphabet.find(c), std::string_view::npos);
    ++counts[static_cast<size_t>(c - 'a')];
  }
  for (const int count : counts) {
    EXPECT_GT(count, 800);  // expected 1000 each; 800 is > 8 standard deviations away
  }
}

TEST(Crypto, RandomStringHandlesAlphabetsLargerThanAByte) {
  std::string alphabet;
  for (int i = 0; i < 300; ++i) alphabet.push_back(static_cast<char>('a' + i % 26));
  const std::string s = RandomString(100, alphabet);
  EXPECT_EQ(s.size(), 100u);
  EXPECT_THAT(s, testing::MatchesRegex("[a-z]+"));
}

TEST(Crypto, RandomDrawHandsOutEachByteOnceAndRefillsWhenEmpty) {
  RandomDraw draw(4);
  const std::string first = draw.Hex(4);   // every byte of the first call
  const std::string second = draw.Hex(4);  // a second call's
  EXPECT_THAT(first, testing::MatchesRegex("[0-9a-f]{8}"));
  EXPECT_THAT(second, testing::MatchesRegex("[0-9a-f]{8}"));
  EXPECT_NE(first, second);  // equal with probability 2^-32
  // Longer than one call holds, and across a refill in the middle of a value.
  const std::string long_hex = RandomHex(RandomDraw::kMaxBytes + 10);
  EXPECT_THAT(long_hex, testing::MatchesRegex("[0-9a-f]{532}"));
  EXPECT_NE(long_hex.substr(0, 20), long_hex.substr(2 * RandomDraw::kMaxBytes, 20));
  RandomDraw mixed(9);
  EXPECT_THAT(mixed.Hex(16), testing::MatchesRegex("[0-9a-f]{32}"));
  EXPECT_THAT(mixed.String(8, "xyz"), testing::MatchesRegex("[xyz]{8}"));
}

TEST(HmacSha256, MatchesRfc4231) {
  // RFC 4231 test cases 1 and 2.
  EXPECT_EQ(HmacSha256Hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace ksgate::ks
