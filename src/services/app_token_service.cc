#include "services/app_token_service.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "ks/crypto.h"
#include "ks/privileges.h"
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

ks::HashAlgorithm AlgorithmOf(std::string_view hash_type) {
  if (hash_type == "SHA1") return ks::HashAlgorithm::kSha1;
  if (hash_type == "MD5") return ks::HashAlgorithm::kMd5;
  if (hash_type == "SHA512") return ks::HashAlgorithm::kSha512;
  return ks::HashAlgorithm::kSha256;
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
  if (patch.session_duration.is_set() && patch.session_duration.value < 0) {
    return ApiError::Of(errors::kPropertyValidationMinValue,
                        {"KalturaAppToken::sessionDuration", "0"});
  }
  if (patch.session_duration.is_set() && patch.session_duration.value > kMaxRelativeSeconds) {
    return ApiError::Of(errors::kPropertyValidationMaxValue,
                        {"KalturaAppToken::sessionDuration", std::to_string(kMaxRelativeSeconds)});
  }
  if (patch.expiry.is_set() && patch.expiry.value < -1) {
    return ApiError::Of(errors::kPropertyValidationMinValue, {"KalturaAppToken::expiry", "-1"});
  }
  if (patch.expiry.is_set() && patch.expiry.value > kMaxTime) {
    return ApiError::Of(errors::kPropertyValidationMaxValue,
                        {"KalturaAppToken::expiry", std::to_string(kMaxTime)});
  }
  apply(patch.expiry, &token->expiry);
  apply(patch.session_type, &token->session_type);
  apply(patch.session_user_id, &token->session_user_id);
  apply(patch.session_duration, &token->session_duration);
  apply(patch.session_privileges, &token->session_privileges);
  apply(patch.description, &token->description);
  if (patch.hash_type.is_set()) token->hash_type = patch.hash_type.value;
  // The hash type is never null: clearing it restores the default.
  if (patch.hash_type.is_null()) token->hash_type = std::string(kDefaultHashType);
  // A token always has a duration: clearing it restores the partner's KS max expiry.
  if (!token->session_duration) token->session_duration = partner.ks_max_expiry;
  return Void{};
}

Result<store::AppToken, ApiError> AppTokenService::Add(const store::Partner& partner,
                                                       const AppTokenPatch& patch) const {
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
  (void)applied;
  token.created_at = token.updated_at = clock_.NowSeconds();
  token.token = ks::RandomHex(16);
  for (int attempt = 0; attempt < kIdAttempts; ++attempt) {
    token.id = "0_" + ks::RandomString(8, kIdAlphabet);
    Status s = store_.InsertAppToken(token);
    if (s.ok()) return token;
    if (s.code() != StatusCode::kAlreadyExists) return DatabaseError(s);
  }
  return ApiError::Of(errors::kInternalServerError);
}

Result<store::AppToken, ApiError> AppTokenService::Get(int64_t partner_id,
                                                       std::string_view id) const {
  return FromStore(store_.GetAppToken(partner_id, id), [&] { return NotFound(id); });
}

Result<store::AppToken, ApiError> AppTokenService::Update(const store::Partner& partner,
                                                          std::string_view id,
                                                          const AppTokenPatch& patch) const {
  return CompareAndSetLoop<store::AppToken>(
      "app token update",
      [&]() -> Result<CasStep<store::AppToken>, ApiError> {
        KSGATE_ASSIGN_OR_RETURN(store::AppToken token, Get(partner.id, id));
        if (Differs(patch.id, token.id)) return NotUpdatable("id");
        if (Differs(patch.token, token.token)) return NotUpdatable("token");
        if (Differs(patch.partner_id, token.partner_id)) return NotUpdatable("partnerId");
        if (Differs(patch.created_at, token.created_at)) return NotUpdatable("createdAt");
        if (Differs(patch.updated_at, token.updated_at)) return NotUpdatable("updatedAt");
        if (Differs(patch.status, static_cast<int>(token.status))) return NotUpdatable("status");

        store::AppToken updated = token;
        KSGATE_ASSIGN_OR_RETURN(Void applied, ApplyWritable(patch, partner, &updated));
        (void)applied;
        if (updated == token) return CasStep<store::AppToken>{std::move(token), nullptr};
        updated.updated_at = clock_.NowSeconds();
        return CasStep<store::AppToken>{
            updated, [this, token, updated] { return store_.UpdateAppToken(token, updated); }};
      },
      // Not found: deleted meanwhile.
      [&](const Status& s) { return StoreError(s, [&] { return NotFound(id); }); });
}

Result<Void, ApiError> AppTokenService::Delete(int64_t partner_id, std::string_view id) const {
  KSGATE_ASSIGN_OR_RETURN(store::AppToken token, Get(partner_id, id));
  store::Revocation revocation;
  revocation.key = ks::SessionIdKey(partner_id, token.id);
  revocation.type = store::RevocationType::kSessionId;
  // Outlive every KS minted from the token: none lives longer than the longest session
  // duration from now (token expiry can have been moved, so it is no bound).
  revocation.valid_until = clock_.NowSeconds() + kMaxRelativeSeconds;
  const Status s = store_.DeleteAppToken(partner_id, token.id, revocation, clock_.NowSeconds());
  if (!s.ok()) return StoreError(s, [&] { return NotFound(id); });
  return Void{};
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
  const store::Partner& partner = caller.partner;
  KSGATE_ASSIGN_OR_RETURN(store::AppToken token, Get(partner.id, request.id));
  if (token.status != store::AppTokenStatus::kActive) {
    return ApiError::Of(errors::kAppTokenNotActive, {request.id});
  }
  const std::string expected =
      ks::HexDigest(AlgorithmOf(token.hash_type.value_or(std::string(kDefaultHashType))),
                    caller.ks + token.token);
  if (!ks::ConstantTimeEquals(expected, request.token_hash)) {
    return ApiError::Of(errors::kInvalidAppTokenHash);
  }

  const int64_t now = clock_.NowSeconds();
  int64_t token_expiry = token.session_duration.value_or(partner.ks_max_expiry);
  if (token.expiry) {
    token_expiry = std::min(token_expiry, *token.expiry - now);
    if (token_expiry < 0) return ApiError::Of(errors::kAppTokenExpired, {request.id});
  }
  int64_t expiry = request.expiry != 0 ? request.expiry : token_expiry;
  expiry = std::clamp(expiry, -kMaxRelativeSeconds, token_expiry);

  const int type = token.session_type ? *token.session_type : request.type.value_or(0);
  const std::string user = token.session_user_id ? *token.session_user_id : request.user_id;

  ks::PrivilegeMap privileges = {{"sessionid", {token.id}}, {"apptoken", {token.id}}};
  if (token.session_privileges && !token.session_privileges->empty()) {
    privileges =
        ks::MergePrivileges(std::move(privileges), ks::ParsePrivileges(*token.session_privileges));
  }
  if (!request.session_privileges.empty()) {
    privileges = ks::RetrieveAllowedAppSessionPrivileges(
        std::move(privileges), ks::ParsePrivileges(request.session_privileges));
  }

  ks::KsFields fields;
  fields.valid_until = now + expiry;
  fields.type = type;
  fields.user = user;
  fields.privileges = ks::BuildPrivileges(privileges);

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
