// Micro-benchmarks for the KS codec and hashing (src/ks). Inputs are the spec §4.9 vectors.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "ks/crypto.h"
#include "ks/ks.h"

namespace ksgate::ks {
namespace {

const std::string kSecret = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6";
constexpr std::array<uint8_t, 16> kRand = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

// Vector A: an app-token KS (user, three privileges).
KsFields AppTokenFields() {
  KsFields f;
  f.partner_id = 12345;
  f.valid_until = 1767225600;
  f.type = kSessionTypeUser;
  f.user = "user@example.com";
  f.privileges = "sessionid:0_abcd1234,apptoken:0_abcd1234,setrole:PLAYBACK_BASE_ROLE";
  return f;
}

void BM_EncodeV2(benchmark::State& state) {
  const KsFields fields = AppTokenFields();
  for (auto _ : state) {
    benchmark::DoNotOptimize(EncodeV2(fields, kSecret, kRand));
  }
}
BENCHMARK(BM_EncodeV2);

void BM_DecodeV2(benchmark::State& state) {
  const std::string ks = EncodeV2(AppTokenFields(), kSecret, kRand);
  const std::vector<std::string> secrets = {kSecret};
  for (auto _ : state) {
    auto parsed = Decode(ks, secrets);
    if (!parsed.ok()) std::abort();
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(BM_DecodeV2);

void BM_PeekPartnerIdV2(benchmark::State& state) {
  const std::string ks = EncodeV2(AppTokenFields(), kSecret, kRand);
  for (auto _ : state) {
    benchmark::DoNotOptimize(PeekPartnerId(ks));
  }
}
BENCHMARK(BM_PeekPartnerIdV2);

void BM_EncodeV1(benchmark::State& state) {
  const KsFields fields = AppTokenFields();
  for (auto _ : state) {
    benchmark::DoNotOptimize(EncodeV1(fields, kSecret, "1767139200.1234"));
  }
}
BENCHMARK(BM_EncodeV1);

void BM_DecodeV1(benchmark::State& state) {
  const std::string ks = EncodeV1(AppTokenFields(), kSecret, "1767139200.1234");
  const std::vector<std::string> secrets = {kSecret};
  for (auto _ : state) {
    auto parsed = Decode(ks, secrets);
    if (!parsed.ok()) std::abort();
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(BM_DecodeV1);

void BM_HexDigestSha256(benchmark::State& state) {
  // ~150 bytes: what appToken.startSession hashes (a widget KS plus a 32-hex token).
  const std::string input =
      "djJ8MTIzNDV8xD7rYnBFrgxxxsnLZCevAmQ-r00Xr2LH6m9BNgzteF8nYcD4U0Cuz--Qz3tAfCnFo7ga8rgETE_6rdjL"
      "2IvMiYRUfBgOWOrBwDWOlpGtMpA=0123456789abcdef0123456789abcdef";
  for (auto _ : state) {
    benchmark::DoNotOptimize(HexDigest(HashAlgorithm::kSha256, input));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(input.size()));
}
BENCHMARK(BM_HexDigestSha256);

}  // namespace
}  // namespace ksgate::ks
