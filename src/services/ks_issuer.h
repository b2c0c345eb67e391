// KsIssuer: mints KSs in the partner's configured format (v1 or v2) with fresh CSPRNG bytes, and
// records in each one when it was issued. Thread-safe; clock must outlive *this.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "ks/ks.h"
#include "store/records.h"

namespace ksgate::services {

class KsIssuer {
 public:
  explicit KsIssuer(const Clock& clock) : clock_(clock) {}

  // Encodes `fields` for `partner` (fields.partner_id is overwritten with partner.id), signed
  // with `signing_secret`, or with the partner's primary admin secret when it is empty. Unless
  // fields.additional_data is set, it becomes IssuedAtData(now).
  std::string Issue(const store::Partner& partner, ks::KsFields fields,
                    std::string_view signing_secret = {}) const;

 private:
  const Clock& clock_;
};

// The issue time ksgate writes into every KS it mints, in the KS's "additional data" field (v2
// `_d`, the 9th v1 field), which Kaltura leaves empty and no client reads: "iat:<Unix seconds>".
// Session cut-offs (appToken.revokeSessions) compare it; session.get does not report it.
std::string IssuedAtData(int64_t issued_at);
// The issue time IssuedAtData wrote into `fields`, or nullopt for a KS without one (minted by
// Kaltura, or by a ksgate that did not write it).
std::optional<int64_t> IssuedAt(const ks::KsFields& fields);

}  // namespace ksgate::services
