#include "services/ks_issuer.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>

#include "ks/crypto.h"

namespace ksgate::services {

namespace {

constexpr std::string_view kIssuedAtPrefix = "iat:";

}  // namespace

std::string IssuedAtData(int64_t issued_at) {
  return std::string(kIssuedAtPrefix) + std::to_string(issued_at);
}

std::optional<int64_t> IssuedAt(const ks::KsFields& fields) {
  if (!fields.additional_data) return std::nullopt;
  std::string_view data = *fields.additional_data;
  if (!data.starts_with(kIssuedAtPrefix)) return std::nullopt;
  data.remove_prefix(kIssuedAtPrefix.size());
  int64_t value = 0;
  auto [end, ec] = std::from_chars(data.data(), data.data() + data.size(), value);
  if (ec != std::errc() || end != data.data() + data.size()) return std::nullopt;
  return value;
}

std::string KsIssuer::Issue(const store::Partner& partner, ks::KsFields fields,
                            std::string_view signing_secret) const {
  fields.partner_id = partner.id;
  if (!fields.additional_data) fields.additional_data = IssuedAtData(clock_.NowSeconds());
  std::string_view secret = signing_secret;
  if (secret.empty() && !partner.admin_secrets.empty()) secret = partner.admin_secrets.front();
  if (partner.ks_version == 1) {
    // PHP microtime(true) as a string: seconds, '.', up to 4 decimals without trailing zeros.
    const int64_t micros = clock_.NowMicros();
    std::array<uint8_t, 2> r;
    ks::PooledRandomBytes(r);
    int frac = static_cast<int>((micros % 1000000) / 100 + ((r[0] << 8 | r[1]) % 10)) % 10000;
    char rand[40];
    int n = std::snprintf(rand, sizeof rand, "%lld.%04d", static_cast<long long>(micros / 1000000),
                          frac);
    std::string_view rand_view(rand, static_cast<size_t>(n));
    while (rand_view.back() == '0') rand_view.remove_suffix(1);
    if (rand_view.back() == '.') rand_view.remove_suffix(1);
    return ks::EncodeV1(fields, secret, rand_view);
  }
  std::array<uint8_t, 16> rand;
  ks::PooledRandomBytes(rand);  // the CSPRNG in bulk: a RAND_bytes call per KS was 0.5 µs
  return ks::EncodeV2(fields, secret, rand);
}

}  // namespace ksgate::services
