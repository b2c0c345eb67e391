#include "services/app_token_service.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "common/ip_address.h"
#include "common/strings.h"
#include "ks/crypto.h"
#include "ks/privileges.h"
#include "services/authenticator.h"
#include "services/list_query.h"
#include "services/store_calls.h"

namespace ksgate::services {

namespace {

constexpr std::string_view kIdAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
constexpr int kIdAttempts = 10;

ApiError NotUpdatable(std::string_view field) {
  return ApiError::Of(errors::kPropertyValidationNotUpdatable,
                      {"KalturaAppToken::" + std::string(field)});
}

ApiError NotFound(std::string_view id) { return ApiError::Of(errors::kAppTokenIdNotFound, {id}); }

// A number field of KalturaAppToken sent with a value out of [min, max], as its API error.
Result<Void, ApiError> CheckRange(const Patch<int64_t>& field, std::string_view name, int64_t min,
                                  int64_t max) {
  if (!field.is_set() || (field.value >= min && field.value <= max)) return Void{};
  const bool low = field.value < min;
  return ApiError::Of(
      low ? errors::kPropertyValidationMinValue : errors::kPropertyValidationMaxValue,
      {"KalturaAppToken::" + std::string(name), std::to_string(low ? min : max)});
}

// The CIDR blocks of an allowedCidrs value (comma-separated, spaces around entries ignored), or
// nullopt if any entry is not an address or block, or there are none or too many.
std::optional<std::vector<CidrBlock>> ParseCidrs(std::string_view csv) {
  std::vector<CidrBlock> blocks;
  while (true) {
    const size_t comma = csv.find(',');
    const std::string_view entry = TrimChars(csv.substr(0, comma), kSpaceOrTab);
    Result<CidrBlock> block = ParseCidrBlock(entry);
    if (!block.ok() || blocks.size() == kMaxAllowedCidrs) return std::nullopt;
    blocks.push_back(*block);
    if (comma == std::string_view::npos) return blocks;
    csv.remove_prefix(comma + 1);
  }
}

// allowedCidrs as stored: each block in canonical form ("10.0.0.0/8"), comma-separated.
std::string CanonicalCidrs(const std::vector<CidrBlock>& blocks) {
  std::string out;
  for (const CidrBlock& b : blocks) {
    if (!out.empty()) out += ',';
    out += b.ToString();
  }
  return out;
}

bool IpAllowedBy(std::string_view ip, std::string_view allowed_cidrs) {
  const std::optional<IpAddress> address = ParseIpAddress(ip);
  if (!address) return false;
  const std::optional<std::vector<CidrBlock>> blocks = ParseCidrs(allowed_cidrs);
  if (!blocks) return false;
  return std::any_of(blocks->begin(), blocks->end(),
                     [&](const CidrBlock& b) { return b.Contains(*address); });
}

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return HexDigitValue(c) >= 0; });
}

ks::HashAlgorithm AlgorithmOf(std::string_view hash_type) {
  if (hash_type == "SHA1") return ks::HashAlgorithm::kSha1;
  if (hash_type == "MD5") return ks::HashAlgorithm::kMd5;
  if (hash_type == "SHA512") return ks::HashAlgorithm::kSha512;
  return ks::HashAlgorithm::kSha256;
}

// The privileges every KS `token` mints carries, before the caller's own: sessionid and
// apptoken (the token's id), then the token's sessionPrivileges merged in.
ks::PrivilegeMap TokenPrivileges(const store::AppToken& token) {
  ks::PrivilegeMap privileges;
  privileges.reserve(2);
  privileges.emplace_back("sessionid", std::vector<std::string>{token.id});
  privileges.emplace_back("apptoken", std::vector<std::string>{token.id});
  if (token.session_privileges && !token.session_privileges->empty()) {
    privileges =
        ks::MergePrivileges(std::move(privileges), ks::ParsePrivileges(*token.session_privileges));
  }
  return privileges;
}

}  // namespace

bool IsValidPuserId(std::string_view user_id) {
  if (user_id.empty() || user_id.size() > 320) return false;
  constexpr std::string_view kPunct = ",!#$%&'*+?^_`{|}~.@-";
  return std::all_of(user_id.begin(), user_id.end(), [&](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           kPunct.find(c) != std::string_view::npos;
  });
}

Result<Void, ApiError> AppTokenService::ApplyWritable(const AppTokenPatch& patch,
                                                      const store::Partner& partner,
                                                      store::AppToken* token) const {
  auto apply = [](const auto& field, auto* target) {
    if (field.is_set()) *target = field.value;
    if (field.is_null()) target->reset();
  };
  if (patch.session_user_id.is_set() && !IsValidPuserId(patch.session_user_id.value)) {
    return ApiError::Of(errors::kInvalidFieldValue, {"sessionUserId"});
  }
  KSGATE_ASSIGN_OR_RETURN(
      Void in_range, CheckRange(patch.session_duration, "sessionDuration", 0, kMaxRelativeSeconds));
  KSGATE_ASSIGN_OR_RETURN(in_range, CheckRange(patch.expiry, "expiry", -1, kMaxTime));
  KSGATE_ASSIGN_OR_RETURN(in_range,
                          CheckRange(patch.max_sessions, "maxSessions", 0, kMaxSessionsLimit));
  KSGATE_ASSIGN_OR_RETURN(in_range, CheckRange(patch.exchanges_per_minute, "exchangesPerMinute", 1,
                                               kMaxExchangesPerMinute));
  KSGATE_ASSIGN_OR_RETURN(
      in_range, CheckRange(patch.max_session_expiry, "maxSessionExpiry", 0, kMaxRelativeSeconds));
  (void)in_range;
  std::optional<std::string> cidrs;
  if (patch.allowed_cidrs.is_set()) {
    std::optional<std::vector<CidrBlock>> blocks = ParseCidrs(patch.allowed_cidrs.value);
    if (!blocks) return ApiError::Of(errors::kInvalidFieldValue, {"allowedCidrs"});
    cidrs = CanonicalCidrs(*blocks);
  }
  apply(patch.expiry, &token->expiry);
  apply(patch.session_type, &token->session_type);
  apply(patch.session_user_id, &token->session_user_id);
  apply(patch.session_duration, &token->session_duration);
  apply(patch.session_privileges, &token->session_privileges);
  apply(patch.description, &token->description);
  apply(patch.max_sessions, &token->max_sessions);
  apply(patch.exchanges_per_minute, &token->exchanges_per_minute);
  apply(patch.max_session_expiry, &token->max_session_expiry);
  if (cidrs) token->allowed_cidrs = std::move(cidrs);
  if (patch.allowed_cidrs.is_null()) token->allowed_cidrs.reset();
  if (patch.hash_type.is_set()) token->hash_type = patch.hash_type.value;
  // The hash type is never null: clearing it restores the default.
  if (patch.hash_type.is_null()) token->hash_type = std::string(kDefaultHashType);
  // A token always has a duration: clearing it restores the partner's KS max expiry.
  if (!token->session_duration) token->session_duration = partner.ks_max_expiry;
  return Void{};
}

Result<PermissionSet, ApiError> TokenPermissions(const Authorizer& authorizer,
                                                 const store::Partner& partner,
                                                 const store::AppToken& token) {
  // The KS the token mints, as startSession builds its privileges.
  Caller minted;
  minted.shared_partner = std::make_shared<const store::Partner>(partner);
  // Without a session type the startSession caller chooses, ADMIN included.
  const bool admin = !token.session_type || *token.session_type >= ks::kSessionTypeAdmin;
  minted.kind = admin ? SessionKind::kAdmin : SessionKind::kUser;
  ks::PrivilegeMap privileges = TokenPrivileges(token);
  auto replaceable = [](const std::vector<std::string>& values) {
    return std::find(values.begin(), values.end(), "*") != values.end();
  };
  ks::PrivilegeMap widest;
  for (auto& [name, values] : privileges) {
    if (name == "setrole" && replaceable(values)) return authorizer.catalogue().All();
    if (name == "restrictingrole" && replaceable(values)) continue;
    widest.emplace_back(std::move(name), std::move(values));
  }
  auto privileges_only = std::make_shared<VerifiedKs>();  // no KS string, no parsed fields
  privileges_only->privileges = std::move(widest);
  minted.verified = std::move(privileges_only);
  Result<PermissionSet, ApiError> permissions = authorizer.Permissions(minted);
  if (!permissions.ok() && permissions.error().code != errors::kInternalDatabaseError.code) {
    return PermissionSet();  // a role that does not exist: its KSs can call nothing
  }
  return permissions;
}

Result<Void, ApiError> AppTokenService::CheckCeiling(const store::Partner& partner,
                                                     const store::AppToken& token,
                                                     const Caller* caller) const {
  if (caller == nullptr || !partner.settings.app_token_privilege_ceiling) return Void{};
  // One Authorizer for the whole comparison: both sets index its catalogue.
  const std::shared_ptr<const Authorizer> authorizer = authorizer_.Get();
  KSGATE_ASSIGN_OR_RETURN(const PermissionSet mine, authorizer->Permissions(*caller));
  KSGATE_ASSIGN_OR_RETURN(const PermissionSet granted,
                          TokenPermissions(*authorizer, partner, token));
  const PermissionSet excess = granted & ~mine;
  if (excess.none()) return Void{};
  const std::vector<PermissionDef>& defs = authorizer->catalogue().permissions();
  for (size_t i = 0; i < defs.size(); ++i) {
    if (excess.test(i)) return ApiError::Of(errors::kAppTokenExceedsCallerRole, {defs[i].name});
  }
  return ApiError::Of(errors::kAppTokenExceedsCallerRole, {"*"});
}

std::optional<ApiError> AppTokenService::RefuseInline(store::Access access) const {
  if (audit_ == nullptr || !store::InInlineScope()) return std::nullopt;
  return DatabaseError(store::RefuseToBlock(access));
}

void AppTokenService::Audit(std::string_view action, int64_t partner_id, std::string_view id,
                            std::string error, const std::optional<store::AppToken>& before,
                            const store::AppToken* after, AuditFields details) const {
  if (audit_ == nullptr) return;
  AuditEvent event{.action = action,
                   .error = std::move(error),
                   .partner_id = partner_id,
                   .object_type = "appToken",
                   .object_id = ClipEcho(id)};
  if (before) event.before = AuditFieldsOf(*before);
  if (after != nullptr) event.after = AuditFieldsOf(*after);
  event.details = std::move(details);
  audit_->Record(event);
}

Result<store::AppToken, ApiError> AppTokenService::Change(
    int64_t partner_id, std::string_view id, std::string_view what,
    const std::function<Result<Void, ApiError>(store::AppToken*)>& change,
    std::optional<store::AppToken>* before) const {
  return CompareAndSetLoop<store::AppToken>(
      what,
      [&]() -> Result<CasStep<store::AppToken>, ApiError> {
        if (before != nullptr) before->reset();
        KSGATE_ASSIGN_OR_RETURN(store::AppToken token, Get(partner_id, id));
        if (before != nullptr) *before = token;
        store::AppToken updated = token;
        KSGATE_ASSIGN_OR_RETURN(Void changed, change(&updated));
        (void)changed;
        if (updated == token) return CasStep<store::AppToken>{std::move(token), nullptr};
        updated.updated_at = clock_.NowSeconds();
        return CasStep<store::AppToken>{
            updated, [this, token, updated] { return store_.UpdateAppToken(token, updated); }};
      },
      // Not found: deleted meanwhile.
      [&](const Status& s) { return StoreError(s, [&] { return NotFound(id); }); });
}

Result<store::AppToken, ApiError> AppTokenService::Add(const store::Partner& partner,
                                                       const AppTokenPatch& patch,
                                                       const Caller* caller) const {
  if (std::optional<ApiError> refused = RefuseInline(store::Access::kWrite)) return *refused;
  Result<store::AppToken, ApiError> added = [&]() -> Result<store::AppToken, ApiError> {
    if (patch.id.is_set()) return NotUpdatable("id");
    if (patch.token.is_set()) return NotUpdatable("token");
    if (patch.partner_id.is_set()) return NotUpdatable("partnerId");
    if (patch.created_at.is_set()) return NotUpdatable("createdAt");
    if (patch.updated_at.is_set()) return NotUpdatable("updatedAt");
    if (patch.status.is_set()) return NotUpdatable("status");

    store::AppToken token;
    token.partner_id = partner.id;
    token.status = store::AppTokenStatus::kActive;
    token.hash_type = std::string(kDefaultHashType);
    KSGATE_ASSIGN_OR_RETURN(Void applied, ApplyWritable(patch, partner, &token));
    KSGATE_ASSIGN_OR_RETURN(applied, CheckCeiling(partner, token, caller));
    (void)applied;
    token.created_at = token.updated_at = clock_.NowSeconds();
    // The token and its id (again after a collision) from one CSPRNG call.
    ks::RandomDraw random(64);
    token.token = random.Hex(16);
    for (int attempt = 0; attempt < kIdAttempts; ++attempt) {
      token.id = "0_" + random.String(8, kIdAlphabet);
      Status s = store_.InsertAppToken(token);
      if (s.ok()) return token;
      if (s.code() != StatusCode::kAlreadyExists) return DatabaseError(s);
    }
    return ApiError::Of(errors::kInternalServerError);
  }();
  Audit("appToken.add", partner.id, added.ok() ? added->id : "", AuditError(added), std::nullopt,
        added.ok() ? &*added : nullptr);
  return added;
}

Result<store::AppToken, ApiError> AppTokenService::Get(int64_t partner_id,
                                                       std::string_view id) const {
  return FromStore(store_.GetAppToken(partner_id, id), [&] { return NotFound(id); });
}

Result<store::AppToken, ApiError> AppTokenService::Update(const store::Partner& partner,
                                                          std::string_view id,
                                                          const AppTokenPatch& patch,
                                                          const Caller* caller) const {
  if (std::optional<ApiError> refused = RefuseInline(store::Access::kWrite)) return *refused;
  std::optional<store::AppToken> before;
  Result<store::AppToken, ApiError> updated = Change(
      partner.id, id, "app token update",
      [&](store::AppToken* token) -> Result<Void, ApiError> {
        if (Differs(patch.id, token->id)) return NotUpdatable("id");
        if (Differs(patch.token, token->token)) return NotUpdatable("token");
        if (Differs(patch.partner_id, token->partner_id)) return NotUpdatable("partnerId");
        if (Differs(patch.created_at, token->created_at)) return NotUpdatable("createdAt");
        if (Differs(patch.updated_at, token->updated_at)) return NotUpdatable("updatedAt");
        if (Differs(patch.status, static_cast<int>(token->status))) {
          return NotUpdatable("status");
        }
        KSGATE_ASSIGN_OR_RETURN(Void applied, ApplyWritable(patch, partner, token));
        (void)applied;
        return CheckCeiling(partner, *token, caller);
      },
      &before);
  Audit("appToken.update", partner.id, id, AuditError(updated), before,
        updated.ok() ? &*updated : nullptr);
  return updated;
}

Result<store::AppToken, ApiError> AppTokenService::SetEnabled(int64_t partner_id,
                                                              std::string_view id,
                                                              bool enabled) const {
  if (std::optional<ApiError> refused = RefuseInline(store::Access::kWrite)) return *refused;
  std::optional<store::AppToken> before;
  Result<store::AppToken, ApiError> changed = Change(
      partner_id, id, enabled ? "app token enable" : "app token disable",
      [&](store::AppToken* token) -> Result<Void, ApiError> {
        token->status = enabled ? store::AppTokenStatus::kActive : store::AppTokenStatus::kDisabled;
        return Void{};
      },
      &before);
  Audit(enabled ? "appToken.enable" : "appToken.disable", partner_id, id, AuditError(changed),
        before, changed.ok() ? &*changed : nullptr);
  return changed;
}

Result<store::AppToken, ApiError> AppTokenService::Rotate(const store::Partner& partner,
                                                          std::string_view id,
                                                          const RotateAppTokenRequest& request,
                                                          const Caller* caller) const {
  if (std::optional<ApiError> refused = RefuseInline(store::Access::kWrite)) return *refused;
  std::optional<store::AppToken> before;
  Result<store::AppToken, ApiError> rotated = [&]() -> Result<store::AppToken, ApiError> {
    if (request.grace_seconds < 0) {
      return ApiError::Of(errors::kPropertyValidationMinValue, {"gracePeriod", "0"});
    }
    if (request.grace_seconds > kMaxRelativeSeconds) {
      return ApiError::Of(errors::kPropertyValidationMaxValue,
                          {"gracePeriod", std::to_string(kMaxRelativeSeconds)});
    }
    return Change(
        partner.id, id, "app token rotation",
        [&](store::AppToken* token) -> Result<Void, ApiError> {
          KSGATE_ASSIGN_OR_RETURN(Void allowed, CheckCeiling(partner, *token, caller));
          (void)allowed;
          const int64_t now = clock_.NowSeconds();
          if (request.grace_seconds > 0) {
            token->previous_token = token->token;
            token->previous_token_until = now + request.grace_seconds;
          } else {
            token->previous_token.reset();
            token->previous_token_until.reset();
          }
          token->token = ks::RandomHex(16);
          if (request.revoke_sessions) {
            // Every KS minted up to now, this second included.
            token->sessions_revoked_before =
                std::max(token->sessions_revoked_before.value_or(0), now + 1);
          }
          return Void{};
        },
        &before);
  }();
  Audit("appToken.rotate", partner.id, id, AuditError(rotated), before,
        rotated.ok() ? &*rotated : nullptr,
        {AuditInt("gracePeriod", request.grace_seconds),
         AuditBool("revokeSessions", request.revoke_sessions)});
  return rotated;
}

Result<RevokedSessions, ApiError> AppTokenService::RevokeSessions(
    int64_t partner_id, const RevokeSessionsRequest& request) const {
  if (std::optional<ApiError> refused = RefuseInline(store::Access::kWrite)) return *refused;
  std::optional<store::AppToken> before;
  std::optional<store::AppToken> after;
  Result<RevokedSessions, ApiError> revoked = [&]() -> Result<RevokedSessions, ApiError> {
    const int given =
        (request.token_id ? 1 : 0) + (request.user_id ? 1 : 0) + (request.ks_hash ? 1 : 0);
    if (given == 0) return ApiError::Of(errors::kMissingMandatoryParameter, {"id"});
    auto invalid = [](std::string_view field) {
      return ApiError::Of(errors::kInvalidFieldValue, {field});
    };
    if (given > 1) return invalid(request.ks_hash ? "ksHash" : "userId");
    const int64_t now = clock_.NowSeconds();
    if (request.ks_hash) {
      if (request.issued_before) return invalid("issuedBefore");
      const std::string hash = AsciiLower(*request.ks_hash);
      if (hash.size() != 40 || !IsHex(hash)) return invalid("ksHash");
      store::Revocation revocation;
      revocation.key = hash;
      revocation.type = store::RevocationType::kKsHash;
      // The KS's own expiry is unknown here; none outlives the longest session from now.
      revocation.valid_until = now + kMaxRelativeSeconds;
      KSGATE_ASSIGN_OR_RETURN(Void done, FromStore(store_.Revoke(revocation, now)));
      (void)done;
      return RevokedSessions{.ks_hash = hash, .revoked_until = revocation.valid_until};
    }
    // The end of the current second: every KS minted so far (issue times are whole seconds).
    const int64_t cutoff = request.issued_before.value_or(now + 1);
    if (cutoff > now + 1) return invalid("issuedBefore");
    if (request.user_id) {
      if (request.user_id->empty() || request.user_id->size() > 320) return invalid("userId");
      KSGATE_ASSIGN_OR_RETURN(Void set,
                              FromStore(store_.SetSessionCutoff(
                                  {UserCutoffKey(partner_id, *request.user_id), cutoff}, now)));
      (void)set;
      return RevokedSessions{.issued_before = cutoff};
    }
    KSGATE_ASSIGN_OR_RETURN(after, Change(
                                       partner_id, *request.token_id, "app token session cut-off",
                                       [&](store::AppToken* t) -> Result<Void, ApiError> {
                                         t->sessions_revoked_before = std::max(
                                             t->sessions_revoked_before.value_or(0), cutoff);
                                         return Void{};
                                       },
                                       &before));
    return RevokedSessions{.issued_before = cutoff};
  }();
  // Which sessions: a token's (before and after show its cut-off), a user's, or one KS by hash.
  AuditFields details;
  if (request.user_id) details.push_back(AuditString("userId", ClipEcho(*request.user_id)));
  if (request.ks_hash) details.push_back(AuditString("ksHash", ClipEcho(*request.ks_hash)));
  if (request.issued_before) details.push_back(AuditInt("issuedBefore", *request.issued_before));
  Audit("appToken.revokeSessions", partner_id, request.token_id.value_or(""), AuditError(revoked),
        before, after ? &*after : nullptr, std::move(details));
  return revoked;
}

Result<Void, ApiError> AppTokenService::Delete(int64_t partner_id, std::string_view id) const {
  if (std::optional<ApiError> refused = RefuseInline(store::Access::kWrite)) return *refused;
  std::optional<store::AppToken> before;
  Result<Void, ApiError> deleted = [&]() -> Result<Void, ApiError> {
    KSGATE_ASSIGN_OR_RETURN(store::AppToken token, Get(partner_id, id));
    before = token;
    store::Revocation revocation;
    revocation.key = ks::SessionIdKey(partner_id, token.id);
    revocation.type = store::RevocationType::kSessionId;
    // Outlive every KS minted from the token: none lives longer than the longest session
    // duration from now (token expiry can have been moved, so it is no bound).
    revocation.valid_until = clock_.NowSeconds() + kMaxRelativeSeconds;
    const Status s = store_.DeleteAppToken(partner_id, token.id, revocation, clock_.NowSeconds());
    if (!s.ok()) return StoreError(s, [&] { return NotFound(id); });
    return Void{};
  }();
  Audit("appToken.delete", partner_id, id, AuditError(deleted), before, nullptr);
  return deleted;
}

Result<store::AppTokenPage, ApiError> AppTokenService::List(
    int64_t partner_id, const AppTokenListRequest& request) const {
  store::AppTokenQuery query;
  query.id_equal = request.id_equal;
  if (request.id_in) query.id_in = CsvStrings(*request.id_in);
  query.created_at_gte = request.created_at_gte;
  query.created_at_lte = request.created_at_lte;
  query.updated_at_gte = request.updated_at_gte;
  query.updated_at_lte = request.updated_at_lte;
  query.status_equal = request.status_equal;
  if (request.status_in) query.status_in = CsvIntegers<int>(*request.status_in);
  query.session_user_id_equal = request.session_user_id_equal;
  if (request.order_by) {
    query.order_by = ParseOrderBy<store::AppTokenOrder>(
        *request.order_by, {{"createdAt", store::AppTokenOrderField::kCreatedAt},
                            {"updatedAt", store::AppTokenOrderField::kUpdatedAt}});
  }
  const PageWindow window = ResolvePager(request.page_size, request.page_index);
  query.limit = window.limit;
  query.offset = window.offset;
  return FromStore(store_.ListAppTokens(partner_id, query));
}

Result<SessionInfo, ApiError> AppTokenService::StartSession(
    const Caller& caller, const StartAppTokenSessionRequest& request) const {
  // Read lane: an exchange rarely writes (maxSessions), and must not queue behind writers.
  if (std::optional<ApiError> refused = RefuseInline(store::Access::kRead)) return *refused;
  Result<SessionInfo, ApiError> started = Exchange(caller, request);
  if (audit_ != nullptr) {
    AuditFields details = {AuditString("userId", ClipEcho(request.user_id)),
                           AuditSecret("ks", caller.ks())};
    if (started.ok()) {
      details.push_back(AuditSecret("issuedKs", started->ks.value_or("")));
      details.push_back(AuditInt("sessionType", started->session_type));
      details.push_back(AuditString("sessionUserId", started->user_id));
      details.push_back(AuditInt("expiry", started->expiry));
      details.push_back(AuditString("privileges", started->privileges));
    }
    Audit("appToken.startSession", caller.partner_id(), request.id, AuditError(started),
          std::nullopt, nullptr, std::move(details));
  }
  return started;
}

Result<SessionInfo, ApiError> AppTokenService::Exchange(
    const Caller& caller, const StartAppTokenSessionRequest& request) const {
  const store::Partner& partner = caller.partner();
  const Attempt attempt{Credential::kAppTokenHash, request.client_ip, partner.id, request.id};
  if (failures_ != nullptr && !failures_->Admit(attempt)) {
    return ApiError::Of(errors::kActionBlocked, {"startSession", "appToken"});
  }
  // The store's shared snapshot (a cached token is not copied for each exchange).
  Result<std::shared_ptr<const store::AppToken>, ApiError> found = FromStore(
      store_.GetSharedAppToken(partner.id, request.id), [&] { return NotFound(request.id); });
  if (!found.ok()) {
    if (failures_ != nullptr && found.error().code == errors::kAppTokenIdNotFound.code) {
      failures_->Fail(attempt, false);
    }
    return std::move(found).error();
  }
  const store::AppToken& token = **found;
  if (token.status != store::AppTokenStatus::kActive) {
    return ApiError::Of(errors::kAppTokenNotActive, {request.id});
  }
  if (token.allowed_cidrs && !IpAllowedBy(request.client_ip, *token.allowed_cidrs)) {
    return ApiError::Of(errors::kAppTokenIpNotAllowed, {request.id, request.client_ip});
  }
  const int64_t now = clock_.NowSeconds();
  const ks::HashAlgorithm algorithm =
      AlgorithmOf(token.hash_type.value_or(std::string(kDefaultHashType)));
  bool hash_matches = ks::HexDigestMatches(algorithm, caller.ks(), token.token, request.token_hash);
  if (token.previous_token && token.previous_token_until && now < *token.previous_token_until) {
    // Both are compared, so timing does not tell which value matched.
    const bool previous_matches =
        ks::HexDigestMatches(algorithm, caller.ks(), *token.previous_token, request.token_hash);
    hash_matches = hash_matches || previous_matches;
  }
  if (!hash_matches) {
    if (failures_ != nullptr) failures_->Fail(attempt, true);
    return ApiError::Of(errors::kInvalidAppTokenHash);
  }

  int64_t token_expiry = token.session_duration.value_or(partner.ks_max_expiry);
  if (token.expiry) {
    token_expiry = std::min(token_expiry, *token.expiry - now);
    if (token_expiry < 0) return ApiError::Of(errors::kAppTokenExpired, {request.id});
  }
  if (token.max_session_expiry) token_expiry = std::min(token_expiry, *token.max_session_expiry);
  int64_t expiry = request.expiry != 0 ? request.expiry : token_expiry;
  expiry = std::clamp(expiry, -kMaxRelativeSeconds, token_expiry);

  if (token.exchanges_per_minute &&
      !limiter_.TryAcquire(std::to_string(partner.id) + "/" + token.id,
                           *token.exchanges_per_minute)) {
    return ApiError::Of(errors::kActionBlocked, {"startSession", "appToken"});
  }
  if (token.max_sessions) {
    KSGATE_ASSIGN_OR_RETURN(const bool claimed, FromStore(store_.ClaimAppTokenSession(
                                                    partner.id, token.id, *token.max_sessions)));
    if (!claimed) return ApiError::Of(errors::kAppTokenUsageExceeded, {request.id});
  }

  const int type = token.session_type ? *token.session_type : request.type.value_or(0);
  const std::string user = token.session_user_id ? *token.session_user_id : request.user_id;

  ks::KsFields fields;
  fields.valid_until = now + expiry;
  fields.type = type;
  fields.user = user;
  if (request.session_privileges.empty() &&
      (!token.session_privileges || token.session_privileges->empty())) {
    // BuildPrivileges(TokenPrivileges(token)), written straight out: the usual token adds no
    // privileges of its own, and this exchange would otherwise build and free a map for two.
    constexpr std::string_view kSession = "sessionid:";
    constexpr std::string_view kToken = ",apptoken:";
    fields.privileges.reserve(kSession.size() + kToken.size() + 2 * token.id.size());
    fields.privileges.append(kSession).append(token.id).append(kToken).append(token.id);
  } else {
    ks::PrivilegeMap privileges = TokenPrivileges(token);
    if (!request.session_privileges.empty()) {
      privileges = ks::RetrieveAllowedAppSessionPrivileges(
          std::move(privileges), ks::ParsePrivileges(request.session_privileges));
    }
    fields.privileges = ks::BuildPrivileges(privileges);
  }

  SessionInfo info;
  info.session_type = type;
  info.partner_id = partner.id;
  info.user_id = user;
  info.expiry = fields.valid_until;
  info.privileges = fields.privileges;
  info.ks = issuer_.Issue(partner, std::move(fields));
  if (usage_ != nullptr) usage_->Note(partner.id, token.id, now);
  return info;
}

}  // namespace ksgate::services
