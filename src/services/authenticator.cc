#include "services/authenticator.h"

#include <charconv>
#include <climits>
#include <memory>
#include <string>
#include <vector>

#include "ks/crypto.h"
#include "services/ks_issuer.h"
#include "services/ks_restrictions.h"
#include "services/store_calls.h"

namespace ksgate::services {

ApiError InvalidKsReason(std::string_view reason) {
  return ApiError::Of(errors::kInvalidKs, {reason, "-1", "INVALID_STR"});
}

std::string UserCutoffKey(int64_t partner_id, std::string_view user_id) {
  std::string key = "u:" + std::to_string(partner_id) + ":";
  key.append(user_id);
  return key;
}

namespace {

ApiError InvalidKsString(std::string_view ks) {
  return ApiError::Of(errors::kInvalidKs, {ks, "-1", "INVALID_STR"});
}

SessionKind KindOf(const ks::KsFields& fields) {
  if (fields.type >= ks::kSessionTypeAdmin) return SessionKind::kAdmin;
  if (ks::IsWidgetSession(fields)) return SessionKind::kWidget;
  // Type 1 ("KAS") counts as admin in Kaltura's isAdmin() (type >= 1).
  if (fields.type >= 1) return SessionKind::kAdmin;
  return SessionKind::kUser;
}

KsChecks ChecksOf(const ks::ParsedKs& parsed, const ks::PrivilegeMap& privileges) {
  KsChecks checks;
  const ks::KsFields& fields = parsed.fields;
  checks.issued_at = IssuedAt(fields).value_or(INT64_MIN);
  if (!ks::HasPrivilege(privileges, "actionslimit")) checks.revocation_keys.push_back(parsed.hash);
  if (const std::string* session_id = ks::FirstPrivilegeValue(privileges, "sessionid")) {
    checks.revocation_keys.push_back(ks::SessionIdKey(fields.partner_id, *session_id));
  }
  if (KindOf(fields) != SessionKind::kWidget && fields.user && !fields.user->empty()) {
    checks.user_cutoff_key = UserCutoffKey(fields.partner_id, *fields.user);
  }
  return checks;
}

// The Caller of a verified KS, verified by the partner's admin secret at `secret_index`.
Caller CallerOf(std::shared_ptr<const VerifiedKs> verified, int secret_index,
                std::shared_ptr<const store::Partner> partner) {
  Caller caller;
  caller.kind = KindOf(verified->parsed.fields);
  caller.verified = std::move(verified);
  caller.secret_index = secret_index;
  caller.shared_partner = std::move(partner);
  return caller;
}

}  // namespace

Result<Caller, ApiError> Authenticator::Parse(std::string_view ks_string) const {
  // A KS seen before is not decoded again (verified_ks_cache.h): only its partner is read, and
  // the secret that verified it must still be one of the partner's.
  if (std::shared_ptr<const VerifiedKs> seen = verified_.Find(ks_string)) {
    KSGATE_ASSIGN_OR_RETURN(std::shared_ptr<const store::Partner> partner,
                            FromStore(store_.GetSharedPartner(seen->parsed.fields.partner_id),
                                      [&] { return InvalidKsString(ks_string); }));
    for (size_t i = 0; i < partner->admin_secrets.size(); ++i) {
      if (ks::ConstantTimeEquals(partner->admin_secrets[i], seen->secret)) {
        return CallerOf(std::move(seen), static_cast<int>(i), std::move(partner));
      }
    }
    // The secret was rotated away: the KS is decoded against the partner's secrets of now.
  }

  Result<int64_t> partner_id = ks::PeekPartnerId(ks_string);
  if (!partner_id.ok()) return InvalidKsString(ks_string);
  KSGATE_ASSIGN_OR_RETURN(
      std::shared_ptr<const store::Partner> partner,
      FromStore(store_.GetSharedPartner(*partner_id), [&] { return InvalidKsString(ks_string); }));
  Result<ks::ParsedKs> parsed = ks::Decode(ks_string, partner->admin_secrets);
  if (!parsed.ok()) return InvalidKsString(ks_string);
  if (parsed->fields.partner_id != partner->id) return InvalidKsString(ks_string);

  const int secret_index = parsed->secret_index;
  ks::PrivilegeMap privileges = ks::ParsePrivileges(parsed->fields.privileges);
  KsChecks checks = ChecksOf(*parsed, privileges);
  auto verified = std::make_shared<const VerifiedKs>(
      VerifiedKs{.ks = std::string(ks_string),
                 .secret = partner->admin_secrets[static_cast<size_t>(secret_index)],
                 .parsed = std::move(parsed).value(),
                 .privileges = std::move(privileges),
                 .checks = std::move(checks)});
  verified_.Remember(verified);
  return CallerOf(std::move(verified), secret_index, std::move(partner));
}

Result<Void, ApiError> Authenticator::Validate(const Caller& caller,
                                               const RequestInfo& request) const {
  if (caller.partner().status != store::PartnerStatus::kActive) {
    return ApiError::Of(errors::kServiceForbiddenContentBlocked);
  }
  const int64_t now = clock_.NowSeconds();
  const ks::KsFields& fields = caller.parsed().fields;
  if (fields.valid_until <= now) return InvalidKsReason("EXPIRED");
  for (const auto& [name, values] : caller.privileges()) {
    if (name == "iprestrict" && !IpAllowed(request.client_ip, values)) {
      return InvalidKsReason("EXCEEDED_RESTRICTED_IP");
    }
    if (name == "urirestrict" && !UriAllowed(request.uri, values)) {
      return InvalidKsReason("EXCEEDED_RESTRICTED_URI");
    }
  }

  const bool counts_actions = ks::HasPrivilege(caller.privileges(), "actionslimit");
  const std::string* actions_limit =
      counts_actions ? ks::FirstPrivilegeValue(caller.privileges(), "actionslimit") : nullptr;
  if (counts_actions && actions_limit == nullptr) return ApiError::Of(errors::kInvalidActionsLimit);
  KSGATE_ASSIGN_OR_RETURN(const bool revoked, IsRevokedAt(caller, now));
  if (revoked) return InvalidKsReason("LOGOUT");
  KSGATE_ASSIGN_OR_RETURN(const Void controls, CheckControls(caller));
  (void)controls;
  if (actions_limit != nullptr) {
    int64_t limit = 0;
    auto [ptr, ec] = std::from_chars(actions_limit->data(),
                                     actions_limit->data() + actions_limit->size(), limit);
    if (ec != std::errc() || ptr != actions_limit->data() + actions_limit->size() || limit <= 0) {
      return ApiError::Of(errors::kInvalidActionsLimit);
    }
    KSGATE_ASSIGN_OR_RETURN(
        const store::ActionsLimitState state,
        FromStore(store_.ConsumeAction(caller.parsed().hash, limit, fields.valid_until, now)));
    if (state == store::ActionsLimitState::kRevoked) return InvalidKsReason("LOGOUT");
    if (state == store::ActionsLimitState::kExceeded) {
      return InvalidKsReason("EXCEEDED_ACTIONS_LIMIT");
    }
  }
  return Void{};
}

Result<Void, ApiError> Authenticator::CheckControls(const Caller& caller) const {
  // No issue time: minted before cut-offs existed, so before any cut-off.
  const KsChecks& checks = caller.checks();
  const int64_t issued_at = checks.issued_at;
  if (const std::string* token_id = ks::FirstPrivilegeValue(caller.privileges(), "apptoken")) {
    // The store's shared snapshot: a cached token is not copied for each request it checks.
    Result<std::shared_ptr<const store::AppToken>> token =
        store_.GetSharedAppToken(caller.partner_id(), *token_id);
    if (token.ok()) {
      if ((*token)->status == store::AppTokenStatus::kDisabled) {
        return InvalidKsReason("APP_TOKEN_DISABLED");
      }
      if ((*token)->sessions_revoked_before && issued_at < *(*token)->sessions_revoked_before) {
        return InvalidKsReason("LOGOUT");
      }
    } else if (token.error().code() != StatusCode::kNotFound) {
      // A deleted token's KSs are refused by their session id's revocation.
      return DatabaseError(token.error());
    }
  }
  if (!checks.user_cutoff_key.empty()) {
    KSGATE_ASSIGN_OR_RETURN(const int64_t cutoff,
                            FromStore(store_.GetSessionCutoff(checks.user_cutoff_key)));
    if (cutoff != 0 && issued_at < cutoff) return InvalidKsReason("LOGOUT");
  }
  return Void{};
}

Result<bool, ApiError> Authenticator::IsRevoked(const Caller& caller) const {
  return IsRevokedAt(caller, clock_.NowSeconds());
}

Result<bool, ApiError> Authenticator::IsRevokedAt(const Caller& caller, int64_t now) const {
  const std::vector<std::string>& keys = caller.checks().revocation_keys;
  if (keys.empty()) return false;
  return FromStore(store_.IsRevoked(keys, now));
}

Result<Void, ApiError> Authenticator::RequirePartner(int64_t partner_id) const {
  auto blocked = [] { return ApiError::Of(errors::kServiceForbiddenContentBlocked); };
  KSGATE_ASSIGN_OR_RETURN(std::shared_ptr<const store::Partner> partner,
                          FromStore(store_.GetSharedPartner(partner_id), blocked));
  if (partner->status != store::PartnerStatus::kActive) return blocked();
  return Void{};
}

}  // namespace ksgate::services
