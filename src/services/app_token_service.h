// AppTokenService: Kaltura's `appToken` service (spec/apptoken-and-session.md §1-§2).
//
// Every operation acts for one partner (the caller's); tokens of other partners and deleted
// tokens are invisible (APP_TOKEN_ID_NOT_FOUND). Thread-safe; the store, issuer and clock must
// outlive *this.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/api_error.h"
#include "common/clock.h"
#include "common/result.h"
#include "services/caller.h"
#include "services/ks_issuer.h"
#include "services/patch.h"
#include "services/session_service.h"
#include "services/usage_recorder.h"
#include "store/records.h"
#include "store/store.h"

namespace ksgate::services {

// A KalturaAppToken as sent by a client to add or update. Enum values are already validated.
struct AppTokenPatch {
  // Writable.
  Patch<int64_t> expiry;  // absolute (relative times already resolved)
  Patch<int> session_type;
  Patch<std::string> session_user_id;
  Patch<int64_t> session_duration;
  Patch<std::string> session_privileges;
  Patch<std::string> hash_type;
  Patch<std::string> description;
  // Read-only: must be absent on add; on update tolerated only when identical to the stored value.
  Patch<std::string> id;
  Patch<std::string> token;
  Patch<int64_t> partner_id;
  Patch<int64_t> created_at;
  Patch<int64_t> updated_at;
  Patch<int> status;
};

// KalturaAppTokenFilter + KalturaFilterPager as sent (all optional).
struct AppTokenListRequest {
  std::optional<std::string> id_equal;
  std::optional<std::string> id_in;  // CSV
  std::optional<int64_t> created_at_gte, created_at_lte;
  std::optional<int64_t> updated_at_gte, updated_at_lte;
  std::optional<int> status_equal;
  std::optional<std::string> status_in;  // CSV
  std::optional<std::string> session_user_id_equal;
  std::optional<std::string> order_by;  // CSV of +createdAt,-createdAt,+updatedAt,-updatedAt
  std::optional<int64_t> page_size;
  std::optional<int64_t> page_index;
};

// appToken.startSession arguments.
struct StartAppTokenSessionRequest {
  std::string id;
  std::string token_hash;
  std::string user_id;             // "" when omitted
  std::optional<int> type;         // nullopt when omitted
  int64_t expiry = 0;              // 0 when omitted: the token's duration
  std::string session_privileges;  // "" when omitted
};

// The hash type stored when appToken.add leaves it out (the seed document's default).
inline constexpr std::string_view kDefaultHashType = "SHA256";
// Latest absolute time accepted for a token's expiry (9999-12-31T23:59:59Z).
inline constexpr int64_t kMaxTime = 253402300799;

class AppTokenService {
 public:
  // `usage`, when given, is told of every session started (it must outlive *this).
  AppTokenService(store::Store& store, const KsIssuer& issuer, const Clock& clock,
                  UsageRecorder* usage = nullptr)
      : store_(store), issuer_(issuer), clock_(clock), usage_(usage) {}

  // appToken.add for partner.id. PROPERTY_VALIDATION_NOT_UPDATABLE for any read-only field;
  // INVALID_FIELD_VALUE for a malformed sessionUserId; PROPERTY_VALIDATION_MIN_VALUE for a
  // negative sessionDuration.
  Result<store::AppToken, ApiError> Add(const store::Partner& partner,
                                        const AppTokenPatch& patch) const;
  // appToken.get. APP_TOKEN_ID_NOT_FOUND.
  Result<store::AppToken, ApiError> Get(int64_t partner_id, std::string_view id) const;
  // appToken.update. APP_TOKEN_ID_NOT_FOUND, PROPERTY_VALIDATION_NOT_UPDATABLE, the Add checks.
  Result<store::AppToken, ApiError> Update(const store::Partner& partner, std::string_view id,
                                           const AppTokenPatch& patch) const;
  // appToken.delete: marks the token DELETED and revokes every KS minted from it.
  Result<Void, ApiError> Delete(int64_t partner_id, std::string_view id) const;
  // appToken.list.
  Result<store::AppTokenPage, ApiError> List(int64_t partner_id,
                                             const AppTokenListRequest& request) const;
  // appToken.startSession with the caller's KS (whose string is hashed with the token).
  // APP_TOKEN_ID_NOT_FOUND, APP_TOKEN_NOT_ACTIVE, INVALID_APP_TOKEN_HASH, APP_TOKEN_EXPIRED. A
  // session started is noted in the usage recorder.
  Result<SessionInfo, ApiError> StartSession(const Caller& caller,
                                             const StartAppTokenSessionRequest& request) const;

 private:
  Result<Void, ApiError> ApplyWritable(const AppTokenPatch& patch, const store::Partner& partner,
                                       store::AppToken* token) const;

  store::Store& store_;
  const KsIssuer& issuer_;
  const Clock& clock_;
  UsageRecorder* usage_;
};

// True if `user_id` is a valid Kaltura puser id: 1-320 of [A-Za-z0-9,!#$%&'*+?^_`{|}~.@-].
bool IsValidPuserId(std::string_view user_id);

}  // namespace ksgate::services
