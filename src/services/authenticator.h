// Authenticator: turns a KS string into a Caller and checks that the KS may be used now.
//
// Two steps because Kaltura reports them at different points of dispatch
// (spec/api-v3-wire-protocol.md §5 steps 6 and 9): Parse before arguments are built, Validate
// after. Thread-safe; store and clock must outlive *this.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/api_error.h"
#include "common/clock.h"
#include "common/result.h"
#include "services/caller.h"
#include "store/store.h"

namespace ksgate::services {

class Authenticator {
 public:
  Authenticator(const store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  // Verifies the KS signature with its partner's admin secrets. Errors: INVALID_KS
  // (KSID = the KS, "-1", "INVALID_STR") for anything that does not parse or verify, including
  // an unknown partner; INTERNAL_DATABASE_ERROR if the store fails.
  Result<Caller, ApiError> Parse(std::string_view ks) const;

  // Checks, in order: partner status (SERVICE_FORBIDDEN_CONTENT_BLOCKED), expiry
  // (INVALID_KS "EXPIRED"), revocation of the KS hash or its session id (INVALID_KS "LOGOUT").
  Result<Void, ApiError> Validate(const Caller& caller) const;

  // A request that names a partner without a KS: the partner must exist and be active, else
  // SERVICE_FORBIDDEN_CONTENT_BLOCKED.
  Result<store::Partner, ApiError> RequirePartner(int64_t partner_id) const;

 private:
  const store::Store& store_;
  const Clock& clock_;
};

// INVALID_KS as Kaltura reports a failed validity check: KSID is the reason name.
ApiError InvalidKsReason(std::string_view reason);

}  // namespace ksgate::services
