#include "api/api_exchange.h"

#include <array>
#include <optional>
#include <string_view>
#include <utility>

#include "api/identity.h"
#include "api/json_value.h"
#include "api/multirequest.h"
#include "common/strings.h"
#include "ks/privileges.h"
#include "store/blocking.h"

namespace ksgate::api {

namespace {

// Deepest nesting taken from an upstream's JSON answer.
constexpr size_t kMaxAnswerDepth = 64;

// Header fields that describe one connection, not the request (RFC 9110 §7.6.1), and those the
// HTTP layer writes itself: none of them is forwarded.
bool IsHopByHop(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kHops = {"connection",
                                                             "keep-alive",
                                                             "proxy-connection",
                                                             "proxy-authenticate",
                                                             "proxy-authorization",
                                                             "te",
                                                             "trailer",
                                                             "transfer-encoding",
                                                             "upgrade",
                                                             "host",
                                                             "content-length",
                                                             "x-forwarded-for"};
  for (std::string_view hop : kHops) {
    if (hop.size() == name.size() && EqualsIgnoreCase(name, hop)) return true;
  }
  return false;
}

// True if a Connection field of `request` names `name` as an option: that field, too, describes
// only the client's connection (RFC 9110 §7.6.1).
bool NamedByConnection(const Request& request, std::string_view name) {
  for (const auto& [field, value] : request.headers) {
    if (!EqualsIgnoreCase(field, "connection")) continue;
    std::string_view options = value;
    while (!options.empty()) {
      const size_t comma = options.find(',');
      if (EqualsIgnoreCase(TrimChars(options.substr(0, comma), kSpaceOrTab), name)) return true;
      if (comma == std::string_view::npos) break;
      options.remove_prefix(comma + 1);
    }
  }
  return false;
}

// X-Forwarded-For as a reverse proxy passes it on: what the request carried (every line, in
// order, as one list), with the address it came from (the TCP peer) appended.
std::string ForwardedFor(const Request& request) {
  std::string list;
  for (const auto& [name, value] : request.headers) {
    if (!EqualsIgnoreCase(name, "x-forwarded-for") || value.empty()) continue;
    list.append(value).append(", ");
  }
  return list + (request.peer_ip.empty() ? request.client_ip : request.peer_ip);
}

// An app token id fit for a log line: it may come from the caller, so anything but a plausible
// id (1-64 letters, digits and '_') is left out.
std::string LoggableTokenId(std::string_view id) {
  if (id.empty() || id.size() > 64) return "";
  for (char c : id) {
    const bool ok =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!ok) return "";
  }
  return std::string(id);
}

// The error code of a "die" answer (output.h ChooseFormat), from its X-Kaltura header.
std::string DieCode(const Response& response) {
  for (const auto& [name, value] : response.headers) {
    if (name == "X-Kaltura" && value.starts_with("error-")) return value.substr(6);
  }
  return "none";
}

}  // namespace

ApiExchange::ApiExchange(const ApiContext& context, Request&& request,
                         std::shared_ptr<const Policy> policy, std::string request_id)
    : context_(context),
      request_(std::move(request)),
      start_micros_(context.clock.NowMicros()),
      sessions_(std::move(policy)) {
  facts_.request_id = std::move(request_id);
  facts_.method = request_.method;
  facts_.target = request_.target;
  facts_.client_ip = request_.client_ip;
  log_context_ = obs::RequestContext{facts_.request_id, request_.client_ip};
}

void ApiExchange::NoteCallerForAudit(const services::Caller& caller) {
  obs::RequestContext& context = log_context_;
  context.caller_session_type = caller.has_ks() ? caller.parsed().fields.type : -1;
  context.caller_partner_id = caller.has_ks() ? caller.partner_id() : 0;
  const std::optional<std::string>& user = caller.parsed().fields.user;
  context.caller_user_id = caller.has_ks() && user ? std::string_view(*user) : std::string_view();
  const std::string* token = ks::FirstPrivilegeValue(caller.privileges(), "apptoken");
  context.caller_app_token_id = token != nullptr ? std::string_view(*token) : "";
  context.caller_ks = caller.ks();
}

void ApiExchange::NoteCaller(const AdmittedCall& call, const Param& params) {
  if (facts_.partner_id == 0) facts_.partner_id = call.partner_id;
  if (!facts_.app_token_id.empty()) return;
  if (call.target.action != nullptr && call.target.action->key == "apptoken.startsession") {
    facts_.app_token_id = LoggableTokenId(params.ScalarAt("id"));
  } else if (const std::string* token =
                 ks::FirstPrivilegeValue(call.caller->privileges(), "apptoken")) {
    facts_.app_token_id = LoggableTokenId(*token);
  }
}

double ApiExchange::Elapsed() const {
  return static_cast<double>(context_.clock.NowMicros() - start_micros_) / 1e6;
}

std::optional<Response> ApiExchange::Start() {
  Param url_params;
  Result<Param, ApiError> decoded = DecodeRequestParams(request_, context_.decode, &url_params);
  if (!decoded.ok()) {
    const OutputFormat format = FallbackFormat(&url_params, request_.content_type);
    facts_.code = decoded.error().code;
    return WriteResponse(format, {std::move(decoded).error()}, false, Elapsed());
  }
  params_ = std::move(decoded).value();
  Result<OutputFormat, Response> format = ChooseFormat(params_);
  if (!format.ok()) {
    facts_.code = DieCode(format.error());
    return std::move(format).error();
  }
  format_ = std::move(format).value();
  multi_ = params_.ScalarAt("service") == "multirequest";
  if (!multi_) {
    items_.push_back(&params_);
    return std::nullopt;
  }
  facts_.action = kMetricMultirequest;
  facts_.action_name = context_.metric_actions.Name(kMetricMultirequest);
  Result<std::vector<const Param*>, ApiError> items =
      MultiRequestItems(params_, context_.max_multirequest_items);
  if (!items.ok()) {
    facts_.code = items.error().code;
    return WriteResponse(format_, {std::move(items).error()}, false, Elapsed());
  }
  items_ = std::move(items).value();
  facts_.items = items_.size();
  results_.reserve(items_.size());
  answer_.emplace(format_, context_.max_answer_bytes);
  return std::nullopt;
}

Step ApiExchange::Advance(Mode mode) {
  std::optional<store::InlineScope> inline_scope;
  if (mode == Mode::kInline) inline_scope.emplace();
  const obs::RequestScope log_scope(log_context_);
  if (!started_) {
    started_ = true;
    if (std::optional<Response> done = Start()) return Step::Respond(std::move(*done));
  }
  // A refusal to wait noted before this turn says nothing about it.
  store::TakeWouldBlock();
  const bool may_block = mode == Mode::kMayBlock;
  while (next_ < items_.size()) {
    if (deferred_write_) {
      // Admitted on an I/O thread and sent here to run (ActionDef::writes): not admitted again.
      if (!may_block) return Step::NeedsStore(Step::Lane::kWrite);
      const AdmittedCall call = *std::move(deferred_write_);
      deferred_write_.reset();
      if (context_.note_callers) NoteCallerForAudit(*call.caller);
      Record(context_.pipeline.Run(call, request_));
      continue;
    }
    Param prepared;
    const Param* call = items_[next_];
    item_action_ = kMetricOther;
    if (multi_) {
      Result<Param, ApiError> item = PrepareItem(*call, params_, results_, context_.references);
      if (!item.ok()) {
        Record(std::move(item).error());
        continue;
      }
      prepared = std::move(item).value();
      call = &prepared;
      if (call->ScalarAt("service") == "multirequest") {
        Record(ApiError::Of(errors::kServiceDoesNotExists, {"multirequest"}));
        continue;
      }
    }
    Result<CallTarget, ApiError> target =
        context_.pipeline.ResolveAction(*call, sessions_.policy().gateway);
    if (!target.ok()) {
      Record(std::move(target).error());
      continue;
    }
    item_action_ = context_.metric_actions.IndexOf(*target);
    if (!multi_) {
      facts_.action = item_action_;
      facts_.action_name = context_.metric_actions.Name(item_action_);
    }
    Result<AdmittedCall, ApiError> admitted =
        context_.pipeline.AdmitTo(std::move(target).value(), *call, request_, sessions_);
    if (!may_block && store::TakeWouldBlock()) return NeedsStoreStep();
    if (!admitted.ok()) {
      Record(std::move(admitted).error());
      continue;
    }
    NoteCaller(*admitted, *call);
    if (admitted->target.action == nullptr) return ToUpstream(*admitted, *call);
    if (!may_block && admitted->target.action->writes) {
      // Straight to the write lane (ActionDef::writes): trying it here would be thrown away.
      // The admitted call goes with it (its arguments are its own; its caller lives in
      // sessions_), so the store thread does not admit it again.
      deferred_write_ = std::move(admitted).value();
      return Step::NeedsStore(Step::Lane::kWrite);
    }
    if (context_.note_callers) NoteCallerForAudit(*admitted->caller);
    CallResult result = context_.pipeline.Run(*admitted, request_);
    if (!may_block && store::TakeWouldBlock()) return NeedsStoreStep();
    Record(std::move(result));
  }
  return Step::Respond(Finish());
}

Step ApiExchange::ToUpstream(const AdmittedCall& call, const Param& params) {
  const GatewayOptions& gateway = sessions_.policy().gateway;
  const Upstream& upstream = gateway.upstreams[call.target.upstream];
  pending_service_ = AsciiLower(params.ScalarAt("service"));
  Step step;
  UpstreamRequest& out = step.upstream;
  out.host = upstream.host;
  out.port = upstream.port;
  out.metric_upstream = context_.metric_actions.UpstreamOf(call.target);
  if (!multi_) {
    // The request as received, to the upstream's URL.
    step.kind = Step::Kind::kForward;
    out.method = request_.method;
    out.target = upstream.base_path + request_.target;
    for (const auto& [name, value] : request_.headers) {
      if (IsHopByHop(name) || IsGateHeader(name) || NamedByConnection(request_, name)) continue;
      out.headers.emplace_back(name, value);
    }
    out.body = std::move(request_.body);
    out.response_headers.emplace_back("X-Request-Id", facts_.request_id);
    facts_.code = "forwarded";
  } else {
    // The item alone, as a JSON call (format=1), so its result can be read back.
    step.kind = Step::Kind::kFetch;
    out.method = "POST";
    out.target = upstream.base_path + "/api_v3/service/" + pending_service_ + "/action/" +
                 std::string(params.ScalarAt("action"));
    out.headers.emplace_back("Content-Type", "application/json");
    out.headers.emplace_back("Accept", "application/json");
    Param body = params;
    body.Set("format", Param(Param::Kind::kNumber, "1"));
    AppendParamJson(body, &out.body);
  }
  out.headers.emplace_back("X-Forwarded-For", ForwardedFor(request_));
  AppendIdentityLines(*call.caller, facts_.request_id, out.method, out.target, gateway.signing_key,
                      call.now, &out.head_lines);
  return step;
}

ApiError ApiExchange::UpstreamError(UpstreamFailure failure) const {
  switch (failure) {
    case UpstreamFailure::kTimeout:
      return ApiError::Of(errors::kUpstreamTimeout, {pending_service_});
    case UpstreamFailure::kBadAnswer:
      return ApiError::Of(errors::kUpstreamBadAnswer, {pending_service_});
    default:
      return ApiError::Of(errors::kUpstreamUnavailable, {pending_service_});
  }
}

void ApiExchange::Deliver(UpstreamAnswer answer) {
  const obs::RequestScope log_scope(log_context_);
  const ApiError bad_answer = ApiError::Of(errors::kUpstreamBadAnswer, {pending_service_});
  if (answer.failure != UpstreamFailure::kNone) {
    Record(UpstreamError(answer.failure));
  } else if (answer.status != 200) {
    Record(bad_answer);
  } else {
    Record(ValueFromJson(answer.body, kMaxAnswerDepth, bad_answer));
  }
}

void ApiExchange::Record(CallResult result) {
  const std::string_view code = result.ok() ? std::string_view("ok") : result.error().code;
  if (context_.metrics != nullptr) context_.metrics->CountCall(item_action_, code, multi_);
  if (!multi_) facts_.code = code;
  if (answer_) result = answer_->Add(std::move(result));
  results_.push_back(std::move(result));
  ++next_;
}

Response ApiExchange::UpstreamFailed(UpstreamFailure failure) {
  const ApiError error = UpstreamError(failure);
  facts_.code = error.code;
  return WriteResponse(format_, {error}, false, Elapsed());
}

Response ApiExchange::Overloaded() {
  const ApiError busy = ApiError::Of(errors::kServerBusy);
  deferred_write_.reset();
  if (!started_ || !multi_) {
    facts_.code = busy.code;
    return WriteResponse(format_, {busy}, false, Elapsed());
  }
  while (next_ < items_.size()) {
    Record(busy);
    item_action_ = kMetricOther;  // the items after the current one were never resolved
  }
  return Finish();
}

Response ApiExchange::StoreFailed() {
  const ApiError failed = ApiError::Of(errors::kInternalDatabaseError);
  deferred_write_.reset();
  facts_.code = failed.code;
  if (!started_ || !multi_) return WriteResponse(format_, {failed}, false, Elapsed());
  MultiAnswer answer(format_, context_.max_answer_bytes);
  for (size_t i = 0; i < items_.size(); ++i) static_cast<void>(answer.Add(failed));
  return answer.Finish(Elapsed());
}

Response ApiExchange::Finish() {
  if (answer_) {
    facts_.code = "ok";
    return answer_->Finish(Elapsed());
  }
  return WriteResponse(format_, results_, false, Elapsed());
}

}  // namespace ksgate::api
