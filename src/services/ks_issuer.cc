#include "services/ks_issuer.h"

#include <array>
#include <cstdint>
#include <cstdio>

#include "ks/crypto.h"

namespace ksgate::services {

std::string KsIssuer::Issue(const store::Partner& partner, ks::KsFields fields,
                            std::string_view signing_secret) const {
  fields.partner_id = partner.id;
  std::string_view secret = signing_secret;
  if (secret.empty() && !partner.admin_secrets.empty()) secret = partner.admin_secrets.front();
  if (partner.ks_version == 1) {
    // PHP microtime(true) as a string: seconds, '.', up to 4 decimals without trailing zeros.
    const int64_t micros = clock_.NowMicros();
    std::array<uint8_t, 2> r;
    ks::RandomBytes(r);
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
  ks::RandomBytes(rand);
  return ks::EncodeV2(fields, secret, rand);
}

}  // namespace ksgate::services
