#include "api/dispatcher.h"

#include <string>
#include <utility>
#include <vector>

#include "api/multirequest.h"
#include "api/output.h"

namespace ksgate::api {

Response Dispatcher::Handle(const Request& request) const {
  if (request.method == "OPTIONS") return PreflightResponse();
  const int64_t start_micros = clock_.NowMicros();
  auto elapsed = [&] { return static_cast<double>(clock_.NowMicros() - start_micros) / 1e6; };

  Param url_params;
  Result<Param, ApiError> decoded = DecodeRequestParams(request, options_.decode, &url_params);
  if (!decoded.ok()) {
    const OutputFormat format = FallbackFormat(&url_params, request.content_type);
    return WriteResponse(format, {std::move(decoded).error()}, false, elapsed());
  }
  const Param& params = *decoded;
  Result<OutputFormat, Response> format = ChooseFormat(params);
  if (!format.ok()) return std::move(format).error();

  RequestSessions sessions;
  if (params.ScalarAt("service") != "multirequest") {
    return WriteResponse(*format, {pipeline_.Run(params, request, sessions)}, false, elapsed());
  }
  Result<std::vector<const Param*>, ApiError> items =
      MultiRequestItems(params, options_.max_multirequest_items);
  if (!items.ok()) return WriteResponse(*format, {std::move(items).error()}, false, elapsed());
  std::vector<CallResult> results;
  results.reserve(items->size());
  for (const Param* item : *items) {
    const Param call = PrepareItem(*item, params, results);
    if (call.ScalarAt("service") == "multirequest") {
      results.push_back(ApiError::Of(errors::kServiceDoesNotExists, {"multirequest"}));
      continue;
    }
    results.push_back(pipeline_.Run(call, request, sessions));
  }
  return WriteResponse(*format, results, true, elapsed());
}

namespace {

// Serves a request at once on whatever thread advances it.
class ImmediateExchange final : public Exchange {
 public:
  ImmediateExchange(const Dispatcher& dispatcher, Request request)
      : dispatcher_(dispatcher), request_(std::move(request)) {}
  Step Advance(Mode) override { return Step::Respond(dispatcher_.Handle(request_)); }
  void Deliver(UpstreamAnswer) override {}
  Response UpstreamFailed(UpstreamFailure) override { return Response{500, "text/plain", "", {}}; }
  Response Overloaded() override { return Response{503, "text/plain", "", {}}; }

 private:
  const Dispatcher& dispatcher_;
  Request request_;
};

}  // namespace

std::unique_ptr<Exchange> Dispatcher::Begin(Request request) const {
  return std::make_unique<ImmediateExchange>(*this, std::move(request));
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
