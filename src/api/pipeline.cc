#include "api/pipeline.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <optional>
#include <utility>

#include "common/strings.h"
#include "store/blocking.h"

namespace ksgate::api {

namespace {

std::string_view PathOf(std::string_view target) { return target.substr(0, target.find('?')); }

// The metrics' reason for a refused KS; nullopt for an error that says nothing about the KS (the
// store failed).
std::optional<obs::KsRefusal> RefusalOf(const ApiError& e) {
  if (e.code == errors::kServiceForbiddenContentBlocked.code)
    return obs::KsRefusal::kPartnerBlocked;
  if (e.code == errors::kInvalidActionsLimit.code) return obs::KsRefusal::kActionsLimit;
  if (e.code != errors::kInvalidKs.code) {
    if (e.code == errors::kInternalDatabaseError.code) return std::nullopt;
    return obs::KsRefusal::kOther;
  }
  // INVALID_KS names its reason in KSID (services::InvalidKsReason), or the KS itself when it
  // does not parse.
  const std::string_view reason = e.args.empty() ? std::string_view() : e.args[0].second;
  if (reason == "EXPIRED") return obs::KsRefusal::kExpired;
  if (reason == "EXCEEDED_RESTRICTED_IP") return obs::KsRefusal::kIpRestricted;
  if (reason == "EXCEEDED_RESTRICTED_URI") return obs::KsRefusal::kUriRestricted;
  if (reason == "LOGOUT") return obs::KsRefusal::kRevoked;
  if (reason == "EXCEEDED_ACTIONS_LIMIT") return obs::KsRefusal::kActionsLimit;
  if (reason == "APP_TOKEN_DISABLED") return obs::KsRefusal::kAppTokenDisabled;
  return obs::KsRefusal::kInvalid;
}

}  // namespace

Step NeedsStoreStep() {
  return Step::NeedsStore(store::RefusedAccess() == store::Access::kWrite ? Step::Lane::kWrite
                                                                          : Step::Lane::kRead);
}

RequestSessions::Session& RequestSessions::Find(std::string_view ks,
                                                const services::Authenticator& authenticator) {
  for (Session& s : sessions_) {
    if (s.ks != ks) continue;
    if (s.unsettled) {
      s.parsed = authenticator.Parse(ks);
      s.unsettled = store::WouldBlockNoted();
    }
    return s;
  }
  sessions_.push_back(
      Session{std::string(ks), authenticator.Parse(ks), std::nullopt, std::nullopt});
  sessions_.back().unsettled = store::WouldBlockNoted();
  return sessions_.back();
}

Result<AdmittedCall, ApiError> CallPipeline::Admit(const Param& params, const Request& request,
                                                   RequestSessions& sessions) const {
  KSGATE_ASSIGN_OR_RETURN(CallTarget target, ResolveAction(params, sessions.policy().gateway));
  return AdmitTo(std::move(target), params, request, sessions);
}

Result<AdmittedCall, ApiError> CallPipeline::AdmitTo(CallTarget target, const Param& params,
                                                     const Request& request,
                                                     RequestSessions& sessions) const {
  AdmittedCall call;
  call.target = std::move(target);
  KSGATE_ASSIGN_OR_RETURN(const Identity identity, ParseKs(params, sessions));
  call.caller = identity.caller;
  call.now = clock_.NowSeconds();
  if (call.target.action != nullptr) {
    KSGATE_ASSIGN_OR_RETURN(call.args, BuildArguments(*call.target.action, params, call.now));
  }
  KSGATE_ASSIGN_OR_RETURN(const Void valid, ValidateKs(identity, request));
  (void)valid;
  KSGATE_ASSIGN_OR_RETURN(call.partner_id,
                          Authorize(params, call.target, identity, *sessions.policy().authorizer));
  return call;
}

CallResult CallPipeline::AdmitAndRun(const Param& params, const Request& request,
                                     RequestSessions& sessions) const {
  KSGATE_ASSIGN_OR_RETURN(const AdmittedCall call, Admit(params, request, sessions));
  if (call.target.action == nullptr) {
    return ApiError::Of(errors::kServiceDoesNotExists, {AsciiLower(params.ScalarAt("service"))});
  }
  return Run(call, request);
}

Result<CallTarget, ApiError> CallPipeline::ResolveAction(const Param& params,
                                                         const GatewayOptions& gateway) const {
  const std::string_view service = params.ScalarAt("service");
  if (service.empty()) return ApiError::Of(errors::kServiceNotSpecified);
  std::string service_lower = AsciiLower(service);
  const bool local = table_.HasService(service_lower);
  const std::optional<size_t> upstream = local ? std::nullopt : gateway.UpstreamFor(service_lower);
  if (!local && !upstream) return ApiError::Of(errors::kServiceDoesNotExists, {service_lower});
  const std::string_view action = params.ScalarAt("action");
  if (action.empty()) return ApiError::Of(errors::kActionNotSpecified);
  const std::string action_lower = AsciiLower(action);
  CallTarget target;
  if (upstream) {
    target.upstream = *upstream;
    target.upstream_key = std::move(service_lower) + "." + action_lower;
    return target;
  }
  target.action = table_.Find(service_lower, action_lower);
  if (target.action == nullptr) {
    return ApiError::Of(errors::kActionDoesNotExists, {action_lower, service_lower});
  }
  return target;
}

Result<CallPipeline::Identity, ApiError> CallPipeline::ParseKs(const Param& params,
                                                               RequestSessions& sessions) const {
  static const services::Caller kAnonymous;
  const std::string_view ks = params.ScalarAt("ks");
  if (ks.empty()) return Identity{&kAnonymous, nullptr};
  RequestSessions::Session& session = sessions.Find(ks, authenticator_);
  if (!session.parsed.ok()) {
    CountRefusal(session, session.parsed.error());
    return session.parsed.error();
  }
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
  if (session->validated) return *session->validated;
  Result<Void, ApiError> validated = authenticator_.Validate(
      *identity.caller, services::RequestInfo{request.client_ip, request.target});
  if (!store::WouldBlockNoted()) session->validated = validated;
  if (!validated.ok()) CountRefusal(*session, validated.error());
  return validated;
}

Result<int64_t, ApiError> CallPipeline::Authorize(const Param& params, const CallTarget& target,
                                                  const Identity& identity,
                                                  const services::Authorizer& authorizer) const {
  const services::Caller& caller = *identity.caller;
  const Param* p = params.Find("p");
  if (p == nullptr || params.ScalarAt("p").empty()) p = params.Find("partnerId");
  const int64_t request_partner = p != nullptr ? PhpIntCast(*p) : 0;
  // Kaltura names the service by its lower-case id and the action as declared (an upstream
  // action: as sent).
  auto forbidden = [&] {
    const std::string_view action =
        target.action != nullptr ? target.action->action : params.ScalarAt("action");
    return ApiError::Of(errors::kServiceForbidden,
                        {AsciiLower(params.ScalarAt("service")) + "->" + std::string(action)});
  };
  int64_t partner_id = 0;
  if (caller.has_ks()) {
    partner_id = caller.partner_id();
    if (request_partner != 0 && request_partner != partner_id) return forbidden();
  } else if (request_partner != 0) {
    Result<Void, ApiError> partner = authenticator_.RequirePartner(request_partner);
    if (!partner.ok()) return std::move(partner).error();
    partner_id = request_partner;
  }

  services::PermissionSet anonymous;
  const services::PermissionSet* permissions = &anonymous;
  Result<services::PermissionSet, ApiError> computed = services::PermissionSet();
  if (RequestSessions::Session* session = identity.session) {
    if (!session->permissions) {
      computed = authorizer.Permissions(caller);
      if (!computed.ok()) return computed.error();
      if (store::WouldBlockNoted()) {
        permissions = &*computed;
      } else {
        session->permissions = std::move(computed);
      }
    }
    if (session->permissions) permissions = &**session->permissions;
  } else {
    KSGATE_ASSIGN_OR_RETURN(anonymous, authorizer.Permissions(caller));
  }
  if (!authorizer.Allows(*permissions, target.key())) {
    if (!caller.has_ks() && partner_id == 0) return ApiError::Of(errors::kMissingKs);
    return forbidden();
  }
  const bool needs_ks = target.action == nullptr || target.action->needs_ks;
  if (needs_ks && !caller.has_ks()) return ApiError::Of(errors::kMissingKs);
  return partner_id;
}

void CallPipeline::CountRefusal(RequestSessions::Session& session, const ApiError& error) const {
  if (metrics_ == nullptr || session.refusal_counted || store::WouldBlockNoted()) return;
  session.refusal_counted = true;
  if (std::optional<obs::KsRefusal> reason = RefusalOf(error)) metrics_->CountKsRefused(*reason);
}

CallResult CallPipeline::Run(const AdmittedCall& call, const Request& request) const {
  const ActionDef& action = *call.target.action;
  const CallContext context{*call.caller, call.partner_id, request.client_ip,
                            PathOf(request.target), call.now};
  try {
    return action.handler(context, call.args);
  } catch (const std::exception& e) {
    spdlog::error("{}.{} failed: {}", action.service, action.action, e.what());
    return ApiError::Of(errors::kInternalServerError);
  }
}

}  // namespace ksgate::api
