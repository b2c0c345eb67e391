// The gate's authorize endpoint, for a proxy that asks ksgate whether to let a request through:
// nginx `auth_request`, Envoy `ext_authz` (HTTP mode) and Traefik `forwardAuth`
// (docs/gateway.md). `GET|POST /ksgate/v1/authorize[/...]`.
//
// The original request: `X-Original-Method` + `X-Original-URI` (nginx), else
// `X-Forwarded-Method` + `X-Forwarded-Uri` (Traefik), else this request's own method and its
// path after /ksgate/v1/authorize with its query (Envoy's path prefix). The KS:
// `Authorization: KS <ks>` or `Bearer <ks>`, else the original URI's `ks` parameter (query, or a
// path pair of an /api_v3 URI), else a `/ks/<ks>/` pair of segments in its path. The call: the
// `service` and `action` of an /api_v3 URI (every URL form of the wire protocol), else the
// first --route rule matching the original method and path.
//
// The KS is checked exactly as for a call made through ksgate (expiry, revocation, iprestrict
// against the client address, urirestrict against the original URI, actionslimit counting
// this check once) and `service.action` is authorized against its role. Answers (no body is
// needed or read):
//   204 + the X-Ksgate-* identity headers (api/identity.h)      allowed
//   401 + X-Ksgate-Error: MISSING_KS | INVALID_KS               no KS, or one that does not
//                                                               parse, has expired, is revoked
//                                                               or broke a KS restriction
//   403 + X-Ksgate-Error: SERVICE_FORBIDDEN | ROUTE_NOT_FOUND | valid, not allowed (or nothing
//         SERVICE_FORBIDDEN_CONTENT_BLOCKED | ...               names the call, or the partner
//                                                               is blocked, or its role is bad)
//   503 + X-Ksgate-Error: INTERNAL_DATABASE_ERROR | SERVER_BUSY the store failed or is busy
// each refusal with a small JSON body {"code":…,"message":…}.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "api/gateway.h"
#include "api/handler.h"
#include "api/pipeline.h"
#include "api/policy.h"
#include "common/clock.h"
#include "obs/log_line.h"

namespace ksgate::api {

// The path the endpoint answers under.
inline constexpr std::string_view kAuthorizePath = "/ksgate/v1/authorize";

// True if `target` is the authorize endpoint or below it.
bool IsAuthorizeTarget(std::string_view target);

// What every AuthorizeExchange shares: owned by the Dispatcher.
struct AuthorizeContext {
  const CallPipeline& pipeline;
  const Clock& clock;
};

class AuthorizeExchange final : public Exchange {
 public:
  // Decides `request` under `policy` (its routes, signing key and authorizer). `request_id`
  // (identity.h RequestIdFor) is the facts' (the answer's X-Request-Id) and, when allowed, the
  // answer's X-Ksgate-Request-Id.
  AuthorizeExchange(const AuthorizeContext& context, Request&& request,
                    std::shared_ptr<const Policy> policy, std::string request_id);

  Step Advance(Mode mode) override;
  void Deliver(UpstreamAnswer) override {}
  Response UpstreamFailed(UpstreamFailure) override { return {}; }
  Response Overloaded() override;
  Response StoreFailed() override { return Overloaded(); }  // it never writes
  const RequestFacts* facts() const override { return &facts_; }

 private:
  Response Decide();
  // Notes the answer's outcome in facts_.
  Response Answer(Response response, std::string_view code);

  const AuthorizeContext& context_;
  Request request_;
  RequestSessions sessions_;
  RequestFacts facts_;
  obs::RequestContext log_context_;  // views into facts_ and request_
};

}  // namespace ksgate::api
