#include "api/pipeline.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <utility>

#include "common/strings.h"

namespace ksgate::api {

namespace {

std::string_view PathOf(std::string_view target) { return target.substr(0, target.find('?')); }

}  // namespace

RequestSessions::Session& RequestSessions::Find(std::string_view ks,
                                                const services::Authenticator& authenticator) {
  for (Session& s : sessions_) {
    if (s.ks == ks) return s;
  }
  sessions_.push_back(
      Session{std::string(ks), authenticator.Parse(ks), std::nullopt, std::nullopt});
  return sessions_.back();
}

CallResult CallPipeline::Run(const Param& params, const Request& request,
                             RequestSessions& sessions) const {
  KSGATE_ASSIGN_OR_RETURN(const ActionDef* action, ResolveAction(params));
  KSGATE_ASSIGN_OR_RETURN(const Identity identity, ParseKs(params, sessions));
  const int64_t now = clock_.NowSeconds();
  KSGATE_ASSIGN_OR_RETURN(const Args args, BuildArguments(*action, params, now));
  KSGATE_ASSIGN_OR_RETURN(const Void valid, ValidateKs(identity, request));
  (void)valid;
  KSGATE_ASSIGN_OR_RETURN(const int64_t partner_id, Authorize(params, *action, identity));
  const CallContext context{*identity.caller, partner_id, request.client_ip, PathOf(request.target),
                            now};
  return RunAction(*action, context, args);
}

Result<const ActionDef*, ApiError> CallPipeline::ResolveAction(const Param& params) const {
  const std::string_view service = params.ScalarAt("service");
  if (service.empty()) return ApiError::Of(errors::kServiceNotSpecified);
  const std::string service_lower = AsciiLower(service);
  if (!table_.HasService(service_lower)) {
    return ApiError::Of(errors::kServiceDoesNotExists, {service_lower});
  }
  const std::string_view action = params.ScalarAt("action");
  if (action.empty()) return ApiError::Of(errors::kActionNotSpecified);
  const std::string action_lower = AsciiLower(action);
  const ActionDef* def = table_.Find(service_lower, action_lower);
  if (def == nullptr) {
    return ApiError::Of(errors::kActionDoesNotExists, {action_lower, service_lower});
  }
  return def;
}

Result<CallPipeline::Identity, ApiError> CallPipeline::ParseKs(const Param& params,
                                                               RequestSessions& sessions) const {
  static const services::Caller kAnonymous;
  const std::string_view ks = params.ScalarAt("ks");
  if (ks.empty()) return Identity{&kAnonymous, nullptr};
  RequestSessions::Session& session = sessions.Find(ks, authenticator_);
  if (!session.parsed.ok()) return session.parsed.error();
  return Identity{&*session.parsed, &session};
}

Result<Args, ApiError> CallPipeline::BuildArguments(const ActionDef& action, const Param& params,
                                                    int64_t now) const {
  return BuildArgs(action.params, params, CoercionContext{now});
}

Result<Void, ApiError> CallPipeline::ValidateKs(const Identity& identity,
                                                const Request& request) const {
  RequestSessions::Session* session = identity.session;
  if (session == nullptr) return Void{};
  if (!session->validated) {
    session->validated = authenticator_.Validate(
        *identity.caller, services::RequestInfo{request.client_ip, request.target});
  }
  return *session->validated;
}

Result<int64_t, ApiError> CallPipeline::Authorize(const Param& params, const ActionDef& action,
                                                  const Identity& identity) const {
  const services::Caller& caller = *identity.caller;
  const Param* p = params.Find("p");
  if (p == nullptr || params.ScalarAt("p").empty()) p = params.Find("partnerId");
  const int64_t request_partner = p != nullptr ? PhpIntCast(*p) : 0;
  // Kaltura names the service by its lower-case id and the action as declared.
  auto forbidden = [&] {
    return ApiError::Of(errors::kServiceForbidden,
                        {AsciiLower(action.service) + "->" + std::string(action.action)});
  };
  int64_t partner_id = 0;
  if (caller.has_ks()) {
    partner_id = caller.partner_id();
    if (request_partner != 0 && request_partner != partner_id) return forbidden();
  } else if (request_partner != 0) {
    Result<store::Partner, ApiError> partner = authenticator_.RequirePartner(request_partner);
    if (!partner.ok()) return std::move(partner).error();
    partner_id = request_partner;
  }

  services::PermissionSet anonymous;
  const services::PermissionSet* permissions = &anonymous;
  if (RequestSessions::Session* session = identity.session) {
    if (!session->permissions) session->permissions = authorizer_.Permissions(caller);
    if (!session->permissions->ok()) return session->permissions->error();
    permissions = &**session->permissions;
  } else {
    KSGATE_ASSIGN_OR_RETURN(anonymous, authorizer_.Permissions(caller));
  }
  if (!authorizer_.Allows(*permissions, action.key)) {
    if (!caller.has_ks() && partner_id == 0) return ApiError::Of(errors::kMissingKs);
    return forbidden();
  }
  if (action.needs_ks && !caller.has_ks()) return ApiError::Of(errors::kMissingKs);
  return partner_id;
}

CallResult CallPipeline::RunAction(const ActionDef& action, const CallContext& context,
                                   const Args& args) const {
  try {
    return action.handler(context, args);
  } catch (const std::exception& e) {
    spdlog::error("{}.{} failed: {}", action.service, action.action, e.what());
    return ApiError::Of(errors::kInternalServerError);
  }
}

}  // namespace ksgate::api
