// Dispatcher: the API front controller and the api::RequestHandler the HTTP layer drives. It
// routes each request to the exchange that serves it: Kaltura API v3 calls and multirequests
// (api_exchange.h: parameters, output format, the call pipeline, the gate's upstream calls),
// the gate's authorize endpoint (authorize.h), and CORS preflights. Every exchange reports the
// request's id (identity.h RequestIdFor) in its facts, which the HTTP layer sends back as
// X-Request-Id; Reject and Handle add the field themselves.
//
// Thread-safe: Begin and Reject may be called concurrently from every I/O thread. The table,
// authenticator, policy and clock must outlive *this. Each request is served under the Policy in
// force when it began (api/policy.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "api/action.h"
#include "api/api_exchange.h"
#include "api/authorize.h"
#include "api/gateway.h"
#include "api/handler.h"
#include "api/metric_actions.h"
#include "api/multirequest.h"
#include "api/params.h"
#include "api/pipeline.h"
#include "api/policy.h"
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
  // What `{N:result}` substitution may produce in a multirequest item (multirequest.h):
  // references.max_item should be the HTTP layer's body limit.
  ReferenceLimits references;
  // Bytes of a multirequest's encoded results together; an item whose result would go past it
  // gets REQUEST_LIMIT_EXCEEDED("max_answer_size") instead (output.h MultiAnswer).
  size_t max_answer_bytes = 8 * 1024 * 1024;
  // Where calls and refused KSs are counted (obs/metrics.h, labelled by MetricActions over the
  // same table and gateway); null: nowhere. Must outlive the Dispatcher.
  obs::Metrics* metrics = nullptr;
  // Whether each call's caller is noted in the request's context (obs/log_line.h
  // RequestContext) for the audit log: on when the App has an audit sink.
  bool note_callers = false;
};

class Dispatcher final : public RequestHandler {
 public:
  Dispatcher(const ActionTable& table, const services::Authenticator& authenticator,
             const CurrentPolicy& policy, const Clock& clock, DispatcherOptions options = {});

  std::unique_ptr<Exchange> Begin(Request&& request) const override;

  // The answer to a request the HTTP layer refused before reading it whole (`limit` names the
  // limit, `max` its value): REQUEST_LIMIT_EXCEEDED in the format the URL asked for.
  Response Reject(const Request& partial, std::string_view limit, uint64_t max) const override;

  // The `action` labels of the metrics, and the index of each call's.
  const MetricActions& metric_actions() const { return metric_actions_; }

  // The whole answer to `request`, served on the calling thread, which may wait for the store:
  // for tests and tools. Upstream services are not called: their calls fail as unavailable.
  Response Handle(const Request& request) const;

 private:
  const CurrentPolicy& policy_;
  DispatcherOptions options_;
  MetricActions metric_actions_;
  CallPipeline pipeline_;
  ApiContext api_context_;
  AuthorizeContext authorize_context_;
};

}  // namespace ksgate::api
