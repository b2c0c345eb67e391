#include "api/dispatcher.h"

#include <string>
#include <utility>

#include "api/output.h"

namespace ksgate::api {

namespace {

// An exchange whose answer is known from the start.
class FixedExchange final : public Exchange {
 public:
  explicit FixedExchange(Response response) : response_(std::move(response)) {}
  Step Advance(Mode) override { return Step::Respond(std::move(response_)); }
  void Deliver(UpstreamAnswer) override {}
  Response UpstreamFailed(UpstreamFailure) override { return {}; }
  Response Overloaded() override { return {}; }

 private:
  Response response_;
};

}  // namespace

Dispatcher::Dispatcher(const ActionTable& table, const services::Authenticator& authenticator,
                       const CurrentPolicy& policy, const Clock& clock, DispatcherOptions options)
    : authenticator_(authenticator),
      policy_(policy),
      clock_(clock),
      options_(options),
      pipeline_(table, authenticator, clock),
      api_context_{pipeline_,          clock,
                   options.decode,     options.max_multirequest_items,
                   options.references, options.max_answer_bytes},
      authorize_context_{pipeline_, clock} {}

std::unique_ptr<Exchange> Dispatcher::Begin(Request request) const {
  if (IsAuthorizeTarget(request.target)) {
    return std::make_unique<AuthorizeExchange>(authorize_context_, std::move(request),
                                               policy_.Get());
  }
  if (request.method == "OPTIONS") return std::make_unique<FixedExchange>(PreflightResponse());
  return std::make_unique<ApiExchange>(api_context_, std::move(request), policy_.Get());
}

Response Dispatcher::Handle(const Request& request) const {
  std::unique_ptr<Exchange> exchange = Begin(request);
  for (;;) {
    Step step = exchange->Advance(Exchange::Mode::kMayBlock);
    switch (step.kind) {
      case Step::Kind::kRespond:
        return std::move(step.response);
      case Step::Kind::kNeedsStore:
        continue;
      case Step::Kind::kFetch:
        exchange->Deliver(UpstreamAnswer{UpstreamFailure::kUnavailable, 0, "", ""});
        continue;
      case Step::Kind::kForward:
        return exchange->UpstreamFailed(UpstreamFailure::kUnavailable);
    }
  }
}

Response Dispatcher::Reject(const Request& partial, std::string_view limit, uint64_t max) const {
  ApiError error = ApiError::Of(errors::kRequestTooLarge, {limit, std::to_string(max)});
  Param url_params;
  Result<Param, ApiError> decoded = DecodeRequestParams(partial, options_.decode, &url_params);
  const OutputFormat format =
      FallbackFormat(decoded.ok() ? &*decoded : &url_params, partial.content_type);
  return WriteResponse(format, {std::move(error)}, false, 0);
}

}  // namespace ksgate::api
