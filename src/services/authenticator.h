// Authenticator: turns a KS string into a Caller and checks that the KS may be used now.
//
// Two steps because Kaltura reports them at different points of dispatch
// (spec/api-v3-wire-protocol.md §5 steps 6 and 9): Parse before arguments are built, Validate
// after. Thread-safe; store and clock must outlive *this.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/api_error.h"
#include "common/clock.h"
#include "common/result.h"
#include "services/caller.h"
#include "services/verified_ks_cache.h"
#include "store/store.h"

namespace ksgate::services {

// What KS validation needs to know about the request.
struct RequestInfo {
  std::string_view client_ip;
  std::string_view uri;  // the request target as received (path and query)
};

class Authenticator {
 public:
  Authenticator(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  // Verifies the KS signature with its partner's admin secrets (once per KS string: what a KS
  // that verified decodes to is kept in a bounded cache, verified_ks_cache.h). Errors: INVALID_KS
  // (KSID = the KS, "-1", "INVALID_STR") for anything that does not parse or verify, including
  // an unknown partner; INTERNAL_DATABASE_ERROR if the store fails.
  Result<Caller, ApiError> Parse(std::string_view ks) const;

  // Checks, in order (spec §4.6): partner status (SERVICE_FORBIDDEN_CONTENT_BLOCKED), expiry
  // (INVALID_KS "EXPIRED"), iprestrict ("EXCEEDED_RESTRICTED_IP"), urirestrict
  // ("EXCEEDED_RESTRICTED_URI"), revocation of the KS hash or its session id ("LOGOUT"), then
  // ksgate's own (docs/apptokens.md): for a KS carrying apptoken:<id>, that token must not be
  // DISABLED ("APP_TOKEN_DISABLED") and the KS must not be older than the token's session
  // cut-off ("LOGOUT"); for a KS with a user (widget sessions aside), it must not be older than
  // that user's cut-off ("LOGOUT"). A KS without an issue time (IssuedAt) counts as older than
  // any cut-off. Last, for a KS with actionslimit:N, counts this use in the store
  // (INVALID_ACTIONS_LIMIT for a value that is not a positive number; "EXCEEDED_ACTIONS_LIMIT"
  // past N). Call it once per HTTP request and KS: each call counts one action. The token and
  // the cut-offs are read through the store's cache (a hit on the hot path).
  Result<Void, ApiError> Validate(const Caller& caller, const RequestInfo& request = {}) const;

  // True if the KS has been revoked as of now (session.end, appToken.delete...): its hash is
  // revoked (unless it carries actionslimit, whose hash row is a use counter instead), or its
  // session id is. The revocation check of Validate, alone. INTERNAL_DATABASE_ERROR.
  Result<bool, ApiError> IsRevoked(const Caller& caller) const;

  // A request that names a partner without a KS: the partner must exist and be active, else
  // SERVICE_FORBIDDEN_CONTENT_BLOCKED.
  Result<Void, ApiError> RequirePartner(int64_t partner_id) const;

 private:
  // IsRevoked as of `now` (Validate's: one reading of the clock for all its checks).
  Result<bool, ApiError> IsRevokedAt(const Caller& caller, int64_t now) const;
  // The app-token and user checks of Validate.
  Result<Void, ApiError> CheckControls(const Caller& caller) const;

  store::Store& store_;
  const Clock& clock_;
  mutable VerifiedKsCache verified_;
};

// INVALID_KS as Kaltura reports a failed validity check: KSID is the reason name.
ApiError InvalidKsReason(std::string_view reason);

// The session cut-off key (store::SessionCutoff) of every KS of `user_id` of `partner_id`:
// "u:<partner_id>:<user_id>".
std::string UserCutoffKey(int64_t partner_id, std::string_view user_id);

}  // namespace ksgate::services
