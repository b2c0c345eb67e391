#include "api/api_exchange.h"

#include <optional>
#include <string_view>
#include <utility>

#include "api/identity.h"
#include "api/json_value.h"
#include "api/multirequest.h"
#include "common/strings.h"
#include "store/blocking.h"

namespace ksgate::api {

namespace {

// Deepest nesting taken from an upstream's JSON answer.
constexpr size_t kMaxAnswerDepth = 64;

// Header fields that describe one connection, not the request (RFC 9110 §7.6.1), and those the
// HTTP layer writes itself: none of them is forwarded.
bool IsHopByHop(std::string_view name) {
  for (std::string_view hop : {"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
                               "proxy-authorization", "te", "trailer", "transfer-encoding",
                               "upgrade", "host", "content-length", "x-forwarded-for"}) {
    if (EqualsIgnoreCase(name, hop)) return true;
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

}  // namespace

ApiExchange::ApiExchange(const ApiContext& context, Request request,
                         std::shared_ptr<const Policy> policy)
    : context_(context),
      request_(std::move(request)),
      start_micros_(context.clock.NowMicros()),
      sessions_(std::move(policy)) {}

double ApiExchange::Elapsed() const {
  return static_cast<double>(context_.clock.NowMicros() - start_micros_) / 1e6;
}

std::optional<Response> ApiExchange::Start() {
  Param url_params;
  Result<Param, ApiError> decoded = DecodeRequestParams(request_, context_.decode, &url_params);
  if (!decoded.ok()) {
    const OutputFormat format = FallbackFormat(&url_params, request_.content_type);
    return WriteResponse(format, {std::move(decoded).error()}, false, Elapsed());
  }
  params_ = std::move(decoded).value();
  Result<OutputFormat, Response> format = ChooseFormat(params_);
  if (!format.ok()) return std::move(format).error();
  format_ = std::move(format).value();
  multi_ = params_.ScalarAt("service") == "multirequest";
  if (!multi_) {
    items_.push_back(&params_);
    return std::nullopt;
  }
  Result<std::vector<const Param*>, ApiError> items =
      MultiRequestItems(params_, context_.max_multirequest_items);
  if (!items.ok()) return WriteResponse(format_, {std::move(items).error()}, false, Elapsed());
  items_ = std::move(items).value();
  results_.reserve(items_.size());
  answer_.emplace(format_, context_.max_answer_bytes);
  return std::nullopt;
}

Step ApiExchange::Advance(Mode mode) {
  std::optional<store::InlineScope> inline_scope;
  if (mode == Mode::kInline) inline_scope.emplace();
  if (!started_) {
    started_ = true;
    if (std::optional<Response> done = Start()) return Step::Respond(std::move(*done));
  }
  // A refusal to wait noted before this turn says nothing about it.
  store::TakeWouldBlock();
  const bool may_block = mode == Mode::kMayBlock;
  while (next_ < items_.size()) {
    Param prepared;
    const Param* call = items_[next_];
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
    Result<AdmittedCall, ApiError> admitted = context_.pipeline.Admit(*call, request_, sessions_);
    if (!may_block && store::TakeWouldBlock()) return NeedsStoreStep();
    if (!admitted.ok()) {
      Record(std::move(admitted).error());
      continue;
    }
    if (admitted->target.action == nullptr) return ToUpstream(*admitted, *call);
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
  for (auto& field : IdentityHeaders(*call.caller, NewRequestId(), out.method, out.target,
                                     gateway.signing_key, call.now)) {
    out.headers.push_back(std::move(field));
  }
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
  if (answer_) result = answer_->Add(std::move(result));
  results_.push_back(std::move(result));
  ++next_;
}

Response ApiExchange::UpstreamFailed(UpstreamFailure failure) {
  return WriteResponse(format_, {UpstreamError(failure)}, false, Elapsed());
}

Response ApiExchange::Overloaded() {
  const ApiError busy = ApiError::Of(errors::kServerBusy);
  if (!started_ || !multi_) return WriteResponse(format_, {busy}, false, Elapsed());
  while (next_ < items_.size()) Record(busy);
  return Finish();
}

Response ApiExchange::Finish() {
  if (answer_) return answer_->Finish(Elapsed());
  return WriteResponse(format_, results_, false, Elapsed());
}

}  // namespace ksgate::api
