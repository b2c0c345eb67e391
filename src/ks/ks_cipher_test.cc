#include "ks/ks_cipher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <thread>
#include <vector>

#include "ks/crypto.h"
#include "ks/ks.h"
#include "ks/ks_test_util.h"

namespace ksgate::ks {
namespace {

using ks_test_util::FieldsA;
using ks_test_util::FieldsB;
using ks_test_util::kKsA;
using ks_test_util::kKsB;
using ks_test_util::kRand;
using ks_test_util::kSecret;

// More secrets than a thread caches, so that going round them evicts every time.
std::vector<std::string> ManySecrets() {
  std::vector<std::string> secrets;
  for (size_t i = 0; i < kKsCipherCacheSize * 2 + 1; ++i) {
    secrets.push_back(RandomHex(16));
  }
  return secrets;
}

std::string Encrypt(std::string_view secret, std::string data) {
  EXPECT_TRUE(
      KsCipherFor(secret).EncryptInPlace({reinterpret_cast<uint8_t*>(data.data()), data.size()}));
  return data;
}

TEST(KsCipher, KeyIsTheFirstSixteenBytesOfSha1OfTheSecret) {
  const std::vector<std::string> secrets = ManySecrets();
  const std::string data(48, 'd');
  for (int round = 0; round < 3; ++round) {
    for (const std::string& secret : secrets) {
      ASSERT_EQ(Encrypt(secret, data),
                Aes128CbcZeroIvEncrypt(Sha1Raw(secret).substr(0, 16), data).value());
    }
  }
}

TEST(KsCipher, KeepsRecentlyUsedSecrets) {
  const std::vector<std::string> secrets = ManySecrets();
  Aes128CbcZeroIv* first = &KsCipherFor(secrets[0]);
  for (size_t i = 1; i < kKsCipherCacheSize; ++i) KsCipherFor(secrets[i]);
  EXPECT_EQ(&KsCipherFor(secrets[0]), first);  // still cached: the same cipher
  // Secrets of different lengths, one a prefix of the other, are different entries.
  const std::string data(16, 'd');
  EXPECT_NE(Encrypt(secrets[1], data), Encrypt(secrets[1] + "x", data));
}

TEST(KsCipher, ThreadsEncodingAndDecodingWithManySecretsAgree) {
  const std::vector<std::string> secrets = ManySecrets();
  std::vector<std::string> vectors;  // FieldsA under each secret, encoded once up front
  for (const std::string& secret : secrets) vectors.push_back(EncodeV2(FieldsA(), secret, kRand));
  std::array<int, 4> failures{};
  std::vector<std::thread> threads;
  for (size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([t, &secrets, &vectors, &failures] {
      for (int i = 0; i < 300; ++i) {
        const size_t s = (i * 7 + t) % secrets.size();
        // Decode against a list where the signing secret is not first (every entry is tried).
        const std::vector<std::string> list = {secrets[(s + 1) % secrets.size()], secrets[s]};
        auto parsed = Decode(vectors[s], list);
        const bool ok = EncodeV2(FieldsA(), secrets[s], kRand) == vectors[s] && parsed.ok() &&
                        parsed.value().secret_index == 1 &&
                        EncodeV2(FieldsA(), kSecret, kRand) == kKsA &&
                        EncodeV2(FieldsB(), kSecret, kRand) == kKsB &&
                        Decode(kKsA, std::vector<std::string>{kSecret}).ok();
        if (!ok) ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_THAT(failures, ::testing::Each(0));
}

}  // namespace
}  // namespace ksgate::ks
