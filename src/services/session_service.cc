#include "services/session_service.h"

#include <algorithm>
#include <charconv>

#include "ks/crypto.h"
#include "ks/privileges.h"
#include "services/store_calls.h"

namespace ksgate::services {

namespace {

constexpr int64_t kDefaultMaxExpiry = 86400;
// Revocation of a session id by session.end lasts this long (Kaltura: now + 1 day).
constexpr int64_t kSessionIdRevocationSeconds = 86400;

}  // namespace

std::optional<ApiError> SessionService::RefuseInline(store::Access access) const {
  if (audit_ == nullptr || !store::InInlineScope()) return std::nullopt;
  return DatabaseError(store::RefuseToBlock(access));
}

Result<std::string, ApiError> SessionService::Start(const StartSessionRequest& request) const {
  if (std::optional<ApiError> refused = RefuseInline(store::Access::kRead)) return *refused;
  std::string_view secret;
  Result<std::string, ApiError> ks = Issue(request, &secret);
  if (audit_ != nullptr) {
    AuditEvent event{.action = "session.start",
                     .error = AuditError(ks),
                     .partner_id = request.partner_id,
                     .object_type = "session"};
    event.details = {AuditInt("type", request.type),
                     AuditString("userId", ClipEcho(request.user_id)),
                     AuditString("privileges", ClipEcho(request.privileges))};
    if (ks.ok()) {
      event.details.push_back(AuditString("secret", secret));
      event.details.push_back(AuditSecret("issuedKs", *ks));
    }
    audit_->Record(event);
  }
  return ks;
}

Result<std::string, ApiError> SessionService::Issue(const StartSessionRequest& request,
                                                    std::string_view* secret) const {
  const std::string pid = std::to_string(request.partner_id);
  auto refused = [&] { return ApiError::Of(errors::kStartSessionError, {pid}); };
  const Attempt attempt{Credential::kSessionSecret, request.client_ip, request.partner_id, {}};
  if (limiter_ != nullptr && !limiter_->Admit(attempt)) {
    return ApiError::Of(errors::kActionBlocked, {"start", "session"});
  }
  auto failed = [&](bool partner_exists) {
    if (limiter_ != nullptr) limiter_->Fail(attempt, partner_exists);
    return refused();
  };
  Result<store::Partner, ApiError> found =
      FromStore(store_.GetPartner(request.partner_id), refused);
  if (!found.ok()) {
    if (found.error().code == errors::kStartSessionError.code) return failed(false);
    return std::move(found).error();
  }
  const store::Partner partner = std::move(found).value();
  if (partner.status != store::PartnerStatus::kActive) return failed(true);

  // Compare against every secret without stopping early, so timing says nothing about which.
  int matched_admin = -1;
  for (size_t i = 0; i < partner.admin_secrets.size(); ++i) {
    if (ks::ConstantTimeEquals(request.secret, partner.admin_secrets[i]) && matched_admin < 0) {
      matched_admin = static_cast<int>(i);
    }
  }
  const bool user_match = ks::ConstantTimeEquals(request.secret, partner.secret);
  const bool is_admin = request.type >= ks::kSessionTypeAdmin;
  if (matched_admin < 0 && !(user_match && !is_admin)) return failed(true);

  // Accepted on the user secret alone: the partner may refuse it roles above a user's.
  const bool user_secret_only = matched_admin < 0;
  const bool deny_escalation =
      user_secret_only && partner.settings.user_secret_setrole == store::UserSecretSetRole::kDeny;
  const std::shared_ptr<const Authorizer> authorizer = authorizer_.Get();
  for (const auto& [name, values] : ks::ParsePrivileges(request.privileges)) {
    if (name != "setrole") continue;
    for (const std::string& role_name : values) {
      Result<store::UserRole, ApiError> role = authorizer->FindRole(partner.id, role_name);
      if (!role.ok()) return ApiError::Of(errors::kUnknownRoleId);
      if (deny_escalation && authorizer->GrantsMoreThanUserRole(*role)) {
        return ApiError::Of(errors::kInvalidSetRole);
      }
    }
    if (values.empty()) return ApiError::Of(errors::kUnknownRoleId);
  }

  const int64_t cap = partner.ks_max_expiry > 0 ? partner.ks_max_expiry : kDefaultMaxExpiry;
  // Negative expiries give a KS born expired, as in Kaltura; bounded so now + expiry is safe.
  const int64_t expiry = std::clamp(request.expiry, -kMaxRelativeSeconds, cap);

  ks::KsFields fields;
  fields.valid_until = clock_.NowSeconds() + expiry;
  fields.type = request.type;
  fields.user = request.user_id;
  fields.privileges = request.privileges;
  std::string_view signer;
  if (is_admin && matched_admin >= 0) signer = partner.admin_secrets[matched_admin];
  *secret = matched_admin >= 0 ? "admin" : "user";
  return issuer_.Issue(partner, std::move(fields), signer);
}

Result<WidgetSession, ApiError> SessionService::StartWidgetSession(std::string_view widget_id,
                                                                   int64_t expiry) const {
  auto invalid = [&] { return ApiError::Of(errors::kInvalidWidgetId, {widget_id}); };
  if (widget_id.size() < 2 || widget_id.front() != '_') return invalid();
  int64_t partner_id = 0;
  std::string_view digits = widget_id.substr(1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), partner_id);
  // The widget id is exactly "_" + the partner id: no sign, no leading zeros.
  if (ec != std::errc() || end != digits.data() + digits.size() || partner_id <= 0 ||
      std::to_string(partner_id) != digits) {
    return invalid();
  }
  KSGATE_ASSIGN_OR_RETURN(const std::shared_ptr<const store::Partner> shared,
                          FromStore(store_.GetSharedPartner(partner_id), invalid));
  const store::Partner& partner = *shared;
  if (partner.status != store::PartnerStatus::kActive) {
    return ApiError::Of(errors::kServiceForbiddenContentBlocked);
  }
  if (partner.ks_max_expiry > 0 && partner.ks_max_expiry < expiry) {
    expiry = partner.ks_max_expiry;
  }
  expiry = std::clamp(expiry, -kMaxRelativeSeconds, kMaxRelativeSeconds);
  ks::KsFields fields;
  fields.valid_until = clock_.NowSeconds() + expiry;
  fields.type = ks::kSessionTypeUser;
  fields.user.emplace("0");
  fields.privileges = std::string(kWidgetPrivileges);
  return WidgetSession{.partner_id = partner.id,
                       .ks = issuer_.Issue(partner, std::move(fields)),
                       .user_id = std::string("0")};
}

Result<SessionInfo, ApiError> SessionService::Get(const Caller& caller,
                                                  std::string_view session) const {
  Caller subject_storage;
  const Caller* subject = &caller;
  if (!session.empty() && session != caller.ks()) {
    Result<Caller, ApiError> parsed = authenticator_.Parse(session);
    if (!parsed.ok()) return std::move(parsed).error();
    subject_storage = std::move(parsed).value();
    subject = &subject_storage;
  }
  if (subject->partner_id() != caller.partner_id()) {
    return ApiError::Of(errors::kPartnerAccessForbidden, {std::to_string(caller.partner_id()),
                                                          std::to_string(subject->partner_id())});
  }
  const ks::KsFields& f = subject->parsed().fields;
  SessionInfo info;
  info.session_type = f.type;
  info.partner_id = f.partner_id;
  info.user_id = f.user.value_or("");
  info.expiry = f.valid_until;
  info.privileges = f.privileges;
  return info;
}

Result<EndedSession, ApiError> SessionService::End(const Caller& caller) const {
  if (!caller.has_ks()) return EndedSession{};
  if (std::optional<ApiError> refused = RefuseInline(store::Access::kWrite)) return *refused;
  Result<EndedSession, ApiError> ended = Revoke(caller);
  if (audit_ != nullptr) {
    AuditEvent event{.action = "session.end",
                     .error = AuditError(ended),
                     .partner_id = caller.partner_id(),
                     .object_type = "session"};
    event.details = {AuditSecret("ks", caller.ks()),
                     AuditInt("expiry", caller.parsed().fields.valid_until)};
    audit_->Record(event);
  }
  return ended;
}

Result<EndedSession, ApiError> SessionService::Revoke(const Caller& caller) const {
  EndedSession ended;
  const int64_t now = clock_.NowSeconds();
  store::Revocation by_hash;
  by_hash.key = caller.parsed().hash;
  by_hash.type = store::RevocationType::kKsHash;
  by_hash.valid_until = caller.parsed().fields.valid_until;
  KSGATE_ASSIGN_OR_RETURN(Void revoked, FromStore(store_.Revoke(by_hash, now)));
  (void)revoked;
  ended.ks_hash = caller.parsed().hash;
  ended.ks_valid_until = caller.parsed().fields.valid_until;
  if (const std::string* session_id = ks::FirstPrivilegeValue(caller.privileges(), "sessionid")) {
    ended.session_id = *session_id;
    ended.session_id_revoked_until = now + kSessionIdRevocationSeconds;
    KSGATE_ASSIGN_OR_RETURN(Void done, RevokeSessionIdUntil(caller.partner_id(), *session_id,
                                                            ended.session_id_revoked_until));
    (void)done;
  }
  return ended;
}

Result<int64_t, ApiError> SessionService::RevokeSessionId(int64_t partner_id,
                                                          std::string_view session_id) const {
  if (session_id.empty() || session_id.size() > kMaxSessionIdLength) {
    return ApiError::Of(errors::kInvalidFieldValue, {"sessionId"});
  }
  // As appToken.delete: no KS issued so far lives longer than the longest session from now.
  const int64_t until = clock_.NowSeconds() + kMaxRelativeSeconds;
  KSGATE_ASSIGN_OR_RETURN(Void done, RevokeSessionIdUntil(partner_id, session_id, until));
  (void)done;
  return until;
}

Result<Void, ApiError> SessionService::RevokeSessionIdUntil(int64_t partner_id,
                                                            std::string_view session_id,
                                                            int64_t until) const {
  store::Revocation by_session;
  by_session.key = ks::SessionIdKey(partner_id, session_id);
  by_session.type = store::RevocationType::kSessionId;
  by_session.valid_until = until;
  return FromStore(store_.Revoke(by_session, clock_.NowSeconds()));
}

}  // namespace ksgate::services
