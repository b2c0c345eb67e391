// Micro-benchmarks for the KS codec and hashing (src/ks). Inputs are the spec §4.9 vectors.
// scripts/bench-micro.sh (`make bench`) checks three of them against issue 13's targets:
// BM_GenerateV2 and BM_DecodeV2 at >= 1,000,000/s, BM_AppTokenHashCheck/* at >= 2,000,000/s.
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

// A widget KS as session.startWidgetSession issues it: what appToken.startSession's hash covers.
KsFields WidgetFields() {
  KsFields f;
  f.partner_id = 12345;
  f.valid_until = 1767225600;
  f.type = kSessionTypeUser;
  f.user = "0";
  f.privileges = "view:*,widget:1";
  f.additional_data = "iat:1767139200";
  return f;
}

void BM_EncodeV2(benchmark::State& state) {
  const KsFields fields = AppTokenFields();
  for (auto _ : state) {
    benchmark::DoNotOptimize(EncodeV2(fields, kSecret, kRand));
  }
}
BENCHMARK(BM_EncodeV2);

// What services::KsIssuer does per v2 KS: 16 bytes from the CSPRNG, then EncodeV2.
void BM_GenerateV2(benchmark::State& state) {
  const KsFields fields = AppTokenFields();
  std::array<uint8_t, 16> rand;
  for (auto _ : state) {
    PooledRandomBytes(rand);
    benchmark::DoNotOptimize(EncodeV2(fields, kSecret, rand));
  }
}
BENCHMARK(BM_GenerateV2);

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

// appToken.startSession's hash check, as services::AppTokenService::Exchange does it: hash the
// widget KS followed by the token, compare (constant-time) with the hex hash the client sent.
// (Before HexDigestMatches: ConstantTimeEquals(HexDigest(algorithm, widget_ks + token), sent).)
void BM_AppTokenHashCheck(benchmark::State& state, HashAlgorithm algorithm) {
  const std::string widget_ks = EncodeV2(WidgetFields(), kSecret, kRand);
  const std::string token = "0123456789abcdef0123456789abcdef";
  const std::string sent_hash = HexDigest(algorithm, widget_ks + token);
  for (auto _ : state) {
    const bool matches = HexDigestMatches(algorithm, widget_ks, token, sent_hash);
    if (!matches) std::abort();
    benchmark::DoNotOptimize(matches);
  }
}
BENCHMARK_CAPTURE(BM_AppTokenHashCheck, md5, HashAlgorithm::kMd5);
BENCHMARK_CAPTURE(BM_AppTokenHashCheck, sha1, HashAlgorithm::kSha1);
BENCHMARK_CAPTURE(BM_AppTokenHashCheck, sha256, HashAlgorithm::kSha256);
BENCHMARK_CAPTURE(BM_AppTokenHashCheck, sha512, HashAlgorithm::kSha512);

}  // namespace
}  // namespace ksgate::ks
