// SessionService: Kaltura's `session` service (spec/apptoken-and-session.md §3).
// Thread-safe; store, issuer, authenticator, authorizer and clock must outlive *this.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/api_error.h"
#include "common/clock.h"
#include "common/result.h"
#include "services/audit.h"
#include "services/authenticator.h"
#include "services/authorizer.h"
#include "services/caller.h"
#include "services/failure_limiter.h"
#include "services/ks_issuer.h"
#include "store/blocking.h"
#include "store/store.h"

namespace ksgate::services {

struct StartSessionRequest {
  std::string secret;
  std::string user_id;
  int type = ks::kSessionTypeUser;  // already validated as a KalturaSessionType
  int64_t partner_id = 0;
  int64_t expiry = 86400;  // seconds from now, capped by the partner's ks_max_expiry
  std::string privileges;
  std::string client_ip;  // the caller's address, for the brute-force limits
};

// KalturaSessionInfo. `ks` is set by appToken.startSession, not by session.get.
struct SessionInfo {
  std::optional<std::string> ks;
  int session_type = 0;
  int64_t partner_id = 0;
  std::string user_id;
  int64_t expiry = 0;  // absolute Unix time
  std::string privileges;
};

// KalturaStartWidgetSessionResponse.
struct WidgetSession {
  int64_t partner_id = 0;
  std::string ks;
  std::string user_id;
};

// What session.end (SessionService::End) revoked.
struct EndedSession {
  // The KS's hash (the revocation key `ksgate ks decode` prints), revoked until the KS expires.
  std::string ks_hash;
  int64_t ks_valid_until = 0;
  // The KS's sessionid privilege, when it has one: every KS carrying it is revoked too, until
  // session_id_revoked_until (a day from the call, as in Kaltura).
  std::optional<std::string> session_id;
  int64_t session_id_revoked_until = 0;
};

// Bytes of a session id SessionService::RevokeSessionId accepts.
inline constexpr size_t kMaxSessionIdLength = 1024;

// Privileges of every widget session (spec §3.6).
inline constexpr std::string_view kWidgetPrivileges = "view:*,widget:1";

class SessionService {
 public:
  // `limiter`, when given, limits failed secrets; `audit`, when given, receives an event for
  // every session.start and session.end (audit.h), which then never run on an I/O thread
  // (inside a store::InlineScope they refuse at once, having done nothing). Both must outlive
  // *this.
  SessionService(store::Store& store, const KsIssuer& issuer, const Authenticator& authenticator,
                 const CurrentAuthorizer& authorizer, const Clock& clock,
                 FailureLimiter* limiter = nullptr, AuditSink* audit = nullptr)
      : store_(store),
        issuer_(issuer),
        authenticator_(authenticator),
        authorizer_(authorizer),
        clock_(clock),
        limiter_(limiter),
        audit_(audit) {}

  // session.start. Returns the KS. START_SESSION_ERROR (PID) when the partner is unknown or
  // not active, or the secret matches neither an admin secret nor (for USER sessions) the user
  // secret; UNKNOWN_ROLE_ID when a `setrole` privilege names no role of the partner or a
  // built-in one. An ADMIN KS is signed with the admin secret presented.
  // With a limiter: ACTION_BLOCKED ("start", "session") before the secret is looked at while
  // the caller's address or the partner has failed too often; unknown and blocked partners and
  // wrong secrets count as failures.
  // INVALID_SET_ROLE when the secret is the user secret, the partner denies user-secret setrole
  // (store::UserSecretSetRole::kDeny) and a `setrole` names a role that grants more than a user
  // session's role.
  Result<std::string, ApiError> Start(const StartSessionRequest& request) const;

  // session.startWidgetSession. `widget_id` must be "_<partnerId>" of an existing partner, else
  // INVALID_WIDGET_ID; a blocked partner gives SERVICE_FORBIDDEN_CONTENT_BLOCKED. Expiry is
  // capped by the partner's ks_max_expiry.
  Result<WidgetSession, ApiError> StartWidgetSession(std::string_view widget_id,
                                                     int64_t expiry) const;

  // session.get: describes `session` (or the caller's own KS when empty). Checks the signature
  // only. INVALID_KS when it does not verify; PARTNER_ACCESS_FORBIDDEN when it belongs to
  // another partner than the caller's.
  Result<SessionInfo, ApiError> Get(const Caller& caller, std::string_view session) const;

  // session.end: revokes the caller's KS hash until its expiry and, if it carries a sessionid
  // privilege, that session id for 24 h; returns what it revoked. A call without a KS does
  // nothing (and returns an empty EndedSession). INTERNAL_DATABASE_ERROR.
  Result<EndedSession, ApiError> End(const Caller& caller) const;

  // Revokes every KS of partner `partner_id` whose sessionid privilege is `session_id` (the
  // session-id key Authenticator::IsRevoked checks, as End and appToken.delete write it) — those
  // issued so far and any issued later with the same session id — until no KS issued so far can
  // still be valid (kMaxRelativeSeconds from now). Returns that time. For the operator (`ksgate
  // ks revoke --session-id`). INVALID_FIELD_VALUE (sessionId) for an empty id or one longer
  // than kMaxSessionIdLength; INTERNAL_DATABASE_ERROR.
  Result<int64_t, ApiError> RevokeSessionId(int64_t partner_id, std::string_view session_id) const;

 private:
  // Writes the session-id revocation of `session_id` (partner `partner_id`) until `until`.
  Result<Void, ApiError> RevokeSessionIdUntil(int64_t partner_id, std::string_view session_id,
                                              int64_t until) const;
  // Start, unaudited; `secret` says which secret was accepted ("admin" or "user").
  Result<std::string, ApiError> Issue(const StartSessionRequest& request,
                                      std::string_view* secret) const;
  // End, unaudited.
  Result<EndedSession, ApiError> Revoke(const Caller& caller) const;
  // With an audit sink, on an I/O thread: the refusal that sends the call to a store thread.
  std::optional<ApiError> RefuseInline(store::Access access) const;

  store::Store& store_;
  const KsIssuer& issuer_;
  const Authenticator& authenticator_;
  const CurrentAuthorizer& authorizer_;
  const Clock& clock_;
  FailureLimiter* limiter_;
  AuditSink* audit_;
};

}  // namespace ksgate::services
