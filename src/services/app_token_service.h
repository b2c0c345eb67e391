// AppTokenService: Kaltura's `appToken` service (spec/apptoken-and-session.md §1-§2), and
// ksgate's controls beyond it (docs/apptokens.md): disable/enable, rotation with a grace period,
// an exchange policy per token (session cap, source CIDR blocks, rate limit, expiry cap), a
// privilege ceiling on add/update/rotate, and session cut-offs.
//
// Every operation acts for one partner (the caller's); tokens of other partners and deleted
// tokens are invisible (APP_TOKEN_ID_NOT_FOUND). Operations that take an optional `caller` act
// for an operator (the CLI: full power) when it is null, and for that API caller otherwise.
// Token values never appear in errors or logs. Thread-safe; the store, issuer, clock,
// authorizer, limiter and usage recorder must outlive *this.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/api_error.h"
#include "common/clock.h"
#include "common/result.h"
#include "services/audit.h"
#include "services/authorizer.h"
#include "services/caller.h"
#include "services/exchange_limiter.h"
#include "services/failure_limiter.h"
#include "services/ks_issuer.h"
#include "services/patch.h"
#include "services/session_service.h"
#include "services/usage_recorder.h"
#include "store/blocking.h"
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
  // ksgate's exchange policy (KalturaAppToken maxSessions, allowedCidrs, exchangesPerMinute,
  // maxSessionExpiry): each null by default and optional.
  Patch<int64_t> max_sessions;
  Patch<std::string> allowed_cidrs;  // comma-separated addresses and CIDR blocks
  Patch<int64_t> exchanges_per_minute;
  Patch<int64_t> max_session_expiry;
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
  std::string client_ip;           // checked against the token's allowed CIDR blocks
};

// appToken.rotate arguments.
struct RotateAppTokenRequest {
  // Seconds the value before the rotation keeps starting sessions (0..kMaxRelativeSeconds).
  int64_t grace_seconds = 0;
  // Also refuse every KS minted from the token until now (a session cut-off).
  bool revoke_sessions = false;
};

// appToken.revokeSessions arguments: exactly one of token_id, user_id, ks_hash.
struct RevokeSessionsRequest {
  std::optional<std::string> token_id;  // every KS the token minted before issued_before
  std::optional<std::string> user_id;   // every KS of this user issued before issued_before
  std::optional<std::string> ks_hash;   // this one KS (the hash `ksgate ks decode` prints)
  // Cut-off (Unix seconds, exclusive) for token_id / user_id; nullopt: the end of the current
  // second, so every KS minted so far.
  std::optional<int64_t> issued_before;
};

// What appToken.revokeSessions revoked.
struct RevokedSessions {
  // token_id / user_id: KSs issued before this (Unix seconds) are refused from now on.
  std::optional<int64_t> issued_before;
  // ks_hash: the lowercase hash, revoked until revoked_until.
  std::optional<std::string> ks_hash;
  std::optional<int64_t> revoked_until;
};

// The hash type stored when appToken.add leaves it out (the seed document's default).
inline constexpr std::string_view kDefaultHashType = "SHA256";
// Latest absolute time accepted for a token's expiry (9999-12-31T23:59:59Z).
inline constexpr int64_t kMaxTime = 253402300799;
// Bounds of the exchange policy fields.
inline constexpr int64_t kMaxSessionsLimit = 1'000'000'000'000;
inline constexpr int64_t kMaxExchangesPerMinute = 1'000'000;
inline constexpr size_t kMaxAllowedCidrs = 64;

class AppTokenService {
 public:
  // `usage`, when given, is told of every session started; `failures`, when given, limits
  // failed token hashes (brute force); `audit`, when given, receives an event for every add,
  // update, disable, enable, rotate, revokeSessions, delete and startSession (audit.h), and
  // those calls then never run on an I/O thread (inside a store::InlineScope they refuse at
  // once, having done nothing, so that they run again where the event may be written). All
  // must outlive *this.
  AppTokenService(store::Store& store, const KsIssuer& issuer, const Clock& clock,
                  const CurrentAuthorizer& authorizer, ExchangeLimiter& limiter,
                  UsageRecorder* usage = nullptr, FailureLimiter* failures = nullptr,
                  AuditSink* audit = nullptr)
      : store_(store),
        issuer_(issuer),
        clock_(clock),
        authorizer_(authorizer),
        limiter_(limiter),
        usage_(usage),
        failures_(failures),
        audit_(audit) {}

  // appToken.add for partner.id. PROPERTY_VALIDATION_NOT_UPDATABLE for any read-only field;
  // INVALID_FIELD_VALUE for a malformed sessionUserId or allowedCidrs;
  // PROPERTY_VALIDATION_MIN_VALUE / MAX_VALUE for a number out of range (sessionDuration,
  // expiry, maxSessions, exchangesPerMinute, maxSessionExpiry). With the partner's privilege
  // ceiling on and a `caller`: APP_TOKEN_EXCEEDS_CALLER_ROLE (PERMISSION: the first permission
  // the token would grant that the caller's role lacks) when the token would grant more.
  Result<store::AppToken, ApiError> Add(const store::Partner& partner, const AppTokenPatch& patch,
                                        const Caller* caller = nullptr) const;
  // appToken.get. APP_TOKEN_ID_NOT_FOUND.
  Result<store::AppToken, ApiError> Get(int64_t partner_id, std::string_view id) const;
  // appToken.update. APP_TOKEN_ID_NOT_FOUND, PROPERTY_VALIDATION_NOT_UPDATABLE, the Add checks
  // (the ceiling on the token as updated).
  Result<store::AppToken, ApiError> Update(const store::Partner& partner, std::string_view id,
                                           const AppTokenPatch& patch,
                                           const Caller* caller = nullptr) const;
  // appToken.disable / appToken.enable: sets the token DISABLED (it starts no session and its
  // live KSs stop working: Authenticator::Validate) or ACTIVE again. Doing it twice is not an
  // error. Returns the token as stored. APP_TOKEN_ID_NOT_FOUND.
  Result<store::AppToken, ApiError> SetEnabled(int64_t partner_id, std::string_view id,
                                               bool enabled) const;
  // appToken.rotate: a fresh token value for the same id. The value it replaces keeps starting
  // sessions for request.grace_seconds (0: none; a second rotation drops the value before it).
  // Returns the token as stored, with its new value. APP_TOKEN_ID_NOT_FOUND;
  // PROPERTY_VALIDATION_MIN_VALUE / MAX_VALUE (gracePeriod); the ceiling as Add.
  Result<store::AppToken, ApiError> Rotate(const store::Partner& partner, std::string_view id,
                                           const RotateAppTokenRequest& request,
                                           const Caller* caller = nullptr) const;
  // appToken.revokeSessions: see RevokeSessionsRequest. MISSING_MANDATORY_PARAMETER (id) when
  // none of the three is given; INVALID_FIELD_VALUE naming the second one given, a ksHash that
  // is not 40 hex digits, an empty or over-long userId, an issuedBefore with a ksHash or later
  // than the end of the current second; APP_TOKEN_ID_NOT_FOUND. Returns what it revoked.
  Result<RevokedSessions, ApiError> RevokeSessions(int64_t partner_id,
                                                   const RevokeSessionsRequest& request) const;
  // appToken.delete: marks the token DELETED and revokes every KS minted from it.
  Result<Void, ApiError> Delete(int64_t partner_id, std::string_view id) const;
  // appToken.list.
  Result<store::AppTokenPage, ApiError> List(int64_t partner_id,
                                             const AppTokenListRequest& request) const;
  // appToken.startSession with the caller's KS (whose string is hashed with the token). Checks,
  // in order: APP_TOKEN_ID_NOT_FOUND, APP_TOKEN_NOT_ACTIVE (a DISABLED token),
  // APP_TOKEN_IP_NOT_ALLOWED (client_ip outside the token's allowedCidrs),
  // INVALID_APP_TOKEN_HASH (the hash matches neither the value nor, within its grace period,
  // the value before the last rotation), APP_TOKEN_EXPIRED, ACTION_BLOCKED (exchangesPerMinute
  // used up on this node), APP_TOKEN_USAGE_EXCEEDED (maxSessions started: an exact count in the
  // store, claimed last, so only sessions that start count). The KS lives at most
  // maxSessionExpiry seconds. A session started is noted in the usage recorder. With a failure
  // limiter, first of all: ACTION_BLOCKED ("startSession", "appToken") while the caller's address
  // or the token has failed too often; wrong hashes and unknown token ids count as failures.
  Result<SessionInfo, ApiError> StartSession(const Caller& caller,
                                             const StartAppTokenSessionRequest& request) const;

 private:
  Result<Void, ApiError> ApplyWritable(const AppTokenPatch& patch, const store::Partner& partner,
                                       store::AppToken* token) const;
  // The privilege ceiling: OK unless the partner has it on, `caller` is set and `token` would
  // grant a permission the caller's role does not.
  Result<Void, ApiError> CheckCeiling(const store::Partner& partner, const store::AppToken& token,
                                      const Caller* caller) const;
  // The compare-and-set cycle of a change to token `id` by `change` (which may refuse with an
  // API error); returns the token as stored. `before`, when given, is set to the token as read
  // by the last turn (unset when it was not found).
  Result<store::AppToken, ApiError> Change(
      int64_t partner_id, std::string_view id, std::string_view what,
      const std::function<Result<Void, ApiError>(store::AppToken*)>& change,
      std::optional<store::AppToken>* before = nullptr) const;
  // StartSession, unaudited.
  Result<SessionInfo, ApiError> Exchange(const Caller& caller,
                                         const StartAppTokenSessionRequest& request) const;
  // With an audit sink, on an I/O thread: the refusal that sends the call to a store thread
  // (store/blocking.h). Nullopt otherwise.
  std::optional<ApiError> RefuseInline(store::Access access) const;
  // Reports an event about token `id` to the audit sink, if any.
  void Audit(std::string_view action, int64_t partner_id, std::string_view id, std::string error,
             const std::optional<store::AppToken>& before, const store::AppToken* after,
             AuditFields details = {}) const;

  store::Store& store_;
  const KsIssuer& issuer_;
  const Clock& clock_;
  const CurrentAuthorizer& authorizer_;
  ExchangeLimiter& limiter_;
  UsageRecorder* usage_;
  FailureLimiter* failures_;
  AuditSink* audit_;
};

// The permissions the KSs a token mints may use: the role of its setrole (or, without one, of
// its session type: ADMIN when the caller of startSession may choose), less a restrictingrole;
// a setrole or restrictingrole the startSession caller may replace ('*') counts at its widest.
// INTERNAL_DATABASE_ERROR; a role that does not exist grants nothing.
Result<PermissionSet, ApiError> TokenPermissions(const Authorizer& authorizer,
                                                 const store::Partner& partner,
                                                 const store::AppToken& token);

// True if `user_id` is a valid Kaltura puser id: 1-320 of [A-Za-z0-9,!#$%&'*+?^_`{|}~.@-].
bool IsValidPuserId(std::string_view user_id);

}  // namespace ksgate::services
