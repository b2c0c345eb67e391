#include "api/dispatcher.h"

#include <string>
#include <utility>

#include "api/identity.h"
#include "api/output.h"

namespace ksgate::api {

namespace {

// An exchange whose answer is known from the start.
class FixedExchange final : public Exchange {
 public:
  FixedExchange(Response response, Request&& request, std::string request_id)
      : response_(std::move(response)), request_(std::move(request)) {
    facts_.request_id = std::move(request_id);
    facts_.method = request_.method;
    facts_.target = request_.target;
    facts_.client_ip = request_.client_ip;
  }
  Step Advance(Mode) override { return Step::Respond(std::move(response_)); }
  void Deliver(UpstreamAnswer) override {}
  Response UpstreamFailed(UpstreamFailure) override { return {}; }
  Response Overloaded() override { return {}; }
  Response StoreFailed() override { return {}; }
  const RequestFacts* facts() const override { return &facts_; }

 private:
  Response response_;
  Request request_;
  RequestFacts facts_;
};

}  // namespace

Dispatcher::Dispatcher(const ActionTable& table, const services::Authenticator& authenticator,
                       const CurrentPolicy& policy, const Clock& clock, DispatcherOptions options)
    : policy_(policy),
      options_(options),
      metric_actions_(table, policy.Get()->gateway),
      pipeline_(table, authenticator, clock, options.metrics),
      api_context_{pipeline_,           clock,
                   options.decode,      options.max_multirequest_items,
                   options.references,  options.max_answer_bytes,
                   metric_actions_,     options.metrics,
                   options.note_callers},
      authorize_context_{pipeline_, clock} {}

std::unique_ptr<Exchange> Dispatcher::Begin(Request&& request) const {
  std::string request_id = RequestIdFor(request);
  if (IsAuthorizeTarget(request.target)) {
    return std::make_unique<AuthorizeExchange>(authorize_context_, std::move(request),
                                               policy_.Get(), std::move(request_id));
  }
  if (request.method == "OPTIONS") {
    return std::make_unique<FixedExchange>(PreflightResponse(), std::move(request),
                                           std::move(request_id));
  }
  return std::make_unique<ApiExchange>(api_context_, std::move(request), policy_.Get(),
                                       std::move(request_id));
}

Response Dispatcher::Handle(const Request& request) const {
  std::unique_ptr<Exchange> exchange = Begin(Request(request));
  // The answer with the request id, as the HTTP layer would send it.
  auto answer = [&exchange](Response response) {
    response.headers.emplace_back("X-Request-Id", exchange->facts()->request_id);
    return response;
  };
  for (;;) {
    Step step = exchange->Advance(Exchange::Mode::kMayBlock);
    switch (step.kind) {
      case Step::Kind::kRespond:
        return answer(std::move(step.response));
      case Step::Kind::kNeedsStore:
        continue;
      case Step::Kind::kFetch:
        exchange->Deliver(UpstreamAnswer{UpstreamFailure::kUnavailable, 0, "", ""});
        continue;
      case Step::Kind::kForward:
        return answer(exchange->UpstreamFailed(UpstreamFailure::kUnavailable));
    }
  }
}

Response Dispatcher::Reject(const Request& partial, std::string_view limit, uint64_t max) const {
  ApiError error = ApiError::Of(errors::kRequestTooLarge, {limit, std::to_string(max)});
  Param url_params;
  Result<Param, ApiError> decoded = DecodeRequestParams(partial, options_.decode, &url_params);
  const OutputFormat format =
      FallbackFormat(decoded.ok() ? &*decoded : &url_params, partial.content_type);
  Response response = WriteResponse(format, {std::move(error)}, false, 0);
  response.headers.emplace_back("X-Request-Id", NewRequestId());
  return response;
}

}  // namespace ksgate::api
