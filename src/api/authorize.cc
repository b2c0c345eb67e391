#include "api/authorize.h"

#include <optional>
#include <string>
#include <utility>

#include "api/identity.h"
#include "api/metric_actions.h"
#include "api/value.h"
#include "common/php.h"
#include "common/strings.h"
#include "store/blocking.h"

namespace ksgate::api {

namespace {

// Limits on the original URI's parameters: it is a URI, not a request body.
constexpr DecodeLimits kUriLimits{.max_params = 1000, .max_depth = 8, .max_key_length = 256};

// The KS of `Authorization: KS <ks>` or `Bearer <ks>` (scheme case-insensitive), or empty.
std::string_view KsFromAuthorization(std::string_view header) {
  header = TrimChars(header, kSpaceOrTab);
  for (std::string_view scheme : {"KS", "Bearer"}) {
    if (header.size() > scheme.size() &&
        EqualsIgnoreCase(header.substr(0, scheme.size()), scheme) &&
        (header[scheme.size()] == ' ' || header[scheme.size()] == '\t')) {
      return TrimChars(header.substr(scheme.size()), kSpaceOrTab);
    }
  }
  return {};
}

// The segment after a "ks" segment of `path`, decoded, or empty.
std::string KsFromPath(std::string_view path) {
  size_t pos = 0;
  while (pos < path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    const std::string_view segment = path.substr(pos, slash - pos);
    pos = slash + 1;
    if (segment != "ks" || pos >= path.size()) continue;
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string ks;
    php::AppendUrlDecoded(path.substr(pos, end - pos), /*plus_is_space=*/false, &ks);
    return ks;
  }
  return {};
}

int StatusFor(const ApiError& e) {
  if (e.code == errors::kInvalidKs.code || e.code == errors::kMissingKs.code) return 401;
  if (e.code == errors::kInternalDatabaseError.code || e.code == errors::kServerBusy.code) {
    return 503;
  }
  return 403;
}

Response Refusal(const ApiError& e) {
  Response r;
  r.status = StatusFor(e);
  r.content_type = "application/json";
  r.body = "{\"code\":";
  AppendJsonString(e.code, &r.body);
  r.body += ",\"message\":";
  AppendJsonString(e.message, &r.body);
  r.body += "}";
  r.headers.emplace_back("X-Ksgate-Error", e.code);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

bool IsAuthorizeTarget(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  return path.starts_with(kAuthorizePath) &&
         (path.size() == kAuthorizePath.size() || path[kAuthorizePath.size()] == '/');
}

AuthorizeExchange::AuthorizeExchange(const AuthorizeContext& context, Request&& request,
                                     std::shared_ptr<const Policy> policy, std::string request_id)
    : context_(context), request_(std::move(request)), sessions_(std::move(policy)) {
  facts_.request_id = std::move(request_id);
  facts_.method = request_.method;
  facts_.target = request_.target;
  facts_.client_ip = request_.client_ip;
  facts_.action = kMetricAuthorize;
  facts_.action_name = "authorize";
  log_context_ = obs::RequestContext{facts_.request_id, request_.client_ip};
}

Step AuthorizeExchange::Advance(Mode mode) {
  std::optional<store::InlineScope> inline_scope;
  if (mode == Mode::kInline) inline_scope.emplace();
  const obs::RequestScope log_scope(log_context_);
  store::TakeWouldBlock();
  Response decided = Decide();
  if (mode == Mode::kInline && store::TakeWouldBlock()) return NeedsStoreStep();
  return Step::Respond(std::move(decided));
}

Response AuthorizeExchange::Answer(Response response, std::string_view code) {
  facts_.code = code;
  return response;
}

Response AuthorizeExchange::Overloaded() {
  const ApiError busy = ApiError::Of(errors::kServerBusy);
  return Answer(Refusal(busy), busy.code);
}

Response AuthorizeExchange::Decide() {
  // The original request.
  std::string_view method = request_.Header("X-Original-Method");
  std::string_view uri = request_.Header("X-Original-URI");
  if (uri.empty()) {
    method = request_.Header("X-Forwarded-Method");
    uri = request_.Header("X-Forwarded-Uri");
  }
  std::string below;  // Envoy: the path under the endpoint is the original path
  if (uri.empty()) {
    below = request_.target.substr(kAuthorizePath.size());
    if (below.empty() || below.front() != '/') below.insert(0, "/");
    uri = below;
  }
  if (method.empty()) method = request_.method;
  Request original;
  original.method = std::string(method);
  original.target = std::string(uri);
  original.client_ip = request_.client_ip;
  const std::string_view path = uri.substr(0, uri.find('?'));

  Result<Param, ApiError> uri_params = DecodeRequestParams(original, kUriLimits);
  if (!uri_params.ok()) return Answer(Refusal(uri_params.error()), uri_params.error().code);

  // The KS.
  std::string ks_in_path;  // a /ks/<ks>/ pair, decoded
  std::string_view ks = KsFromAuthorization(request_.Header("Authorization"));
  if (ks.empty()) ks = uri_params->ScalarAt("ks");
  if (ks.empty()) {
    ks_in_path = KsFromPath(path);
    ks = ks_in_path;
  }

  // The call: an /api_v3 URI names it; else a route.
  std::string service(uri_params->ScalarAt("service"));
  std::string action(uri_params->ScalarAt("action"));
  if (service.empty() || action.empty()) {
    const Route* route = sessions_.policy().gateway.RouteFor(method, path);
    if (route == nullptr) {
      const ApiError none = ApiError::Of(errors::kRouteNotFound, {method, path});
      return Answer(Refusal(none), none.code);
    }
    service = route->service;
    action = route->action;
  }
  CallTarget target;
  target.upstream_key = AsciiLower(service) + "." + AsciiLower(action);

  Param call = Param::Map();
  call.Set("service", Param::String(service));
  call.Set("action", Param::String(action));
  if (!ks.empty()) call.Set("ks", Param::String(std::string(ks)));
  for (std::string_view partner : {"p", "partnerId"}) {
    if (const Param* p = uri_params->Find(partner); p != nullptr)
      call.Set(std::string(partner), *p);
  }
  Result<AdmittedCall, ApiError> admitted =
      context_.pipeline.AdmitTo(std::move(target), call, original, sessions_);
  if (!admitted.ok()) return Answer(Refusal(admitted.error()), admitted.error().code);
  facts_.partner_id = admitted->partner_id;

  Response allowed;
  allowed.status = 204;
  allowed.headers.emplace_back("Cache-Control", "no-store");
  AppendIdentityLines(*admitted->caller, facts_.request_id, original.method, original.target,
                      sessions_.policy().gateway.signing_key, admitted->now, &allowed.head_lines);
  return Answer(std::move(allowed), "ok");
}

}  // namespace ksgate::api
