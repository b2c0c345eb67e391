// KsIssuer: mints KSs in the partner's configured format (v1 or v2) with fresh CSPRNG bytes.
// Thread-safe; clock must outlive *this.
#pragma once

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
  // with `signing_secret`, or with the partner's primary admin secret when it is empty.
  std::string Issue(const store::Partner& partner, ks::KsFields fields,
                    std::string_view signing_secret = {}) const;

 private:
  const Clock& clock_;
};

}  // namespace ksgate::services
