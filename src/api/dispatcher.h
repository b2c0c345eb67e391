// Dispatcher: the API front controller. A pure function from api::Request to api::Response
// (style.md convention 11): decodes the parameters (params.h), chooses the output format
// (output.h), runs the call, or each item of a multirequest (multirequest.h), through the call
// pipeline (pipeline.h), and writes the results or KalturaAPIExceptions in that format.
//
// Thread-safe: Handle may be called concurrently from every I/O thread. The table,
// authenticator, authorizer and clock must outlive *this.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/action.h"
#include "api/handler.h"
#include "api/params.h"
#include "api/pipeline.h"
#include "api/request.h"
#include "api/response.h"
#include "common/clock.h"
#include "services/authenticator.h"
#include "services/authorizer.h"

namespace ksgate::api {

struct DispatcherOptions {
  DecodeLimits decode;
  // Items in one multirequest; more is REQUEST_LIMIT_EXCEEDED for the whole request.
  size_t max_multirequest_items = 100;
};

class Dispatcher final : public RequestHandler {
 public:
  Dispatcher(const ActionTable& table, const services::Authenticator& authenticator,
             const services::Authorizer& authorizer, const Clock& clock,
             DispatcherOptions options = {})
      : pipeline_(table, authenticator, authorizer, clock), clock_(clock), options_(options) {}

  std::unique_ptr<Exchange> Begin(Request request) const override;

  // The whole answer to `request`, served on this thread (waiting for the store if need be): for
  // tests and tools. API errors are HTTP 200 with a KalturaAPIException body.
  Response Handle(const Request& request) const;

  // The answer to a request the HTTP layer refused before reading it whole (`limit` names the
  // limit, `max` its value): REQUEST_LIMIT_EXCEEDED in the format the URL asked for.
  Response Reject(const Request& partial, std::string_view limit, uint64_t max) const override;

 private:
  CallPipeline pipeline_;
  const Clock& clock_;
  DispatcherOptions options_;
};

}  // namespace ksgate::api
