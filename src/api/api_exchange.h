// ApiExchange: one Kaltura API v3 request (a call, or a multirequest) served as the steps of
// api/handler.h. Parameters are decoded and the output format chosen first; then each call (each
// multirequest item in turn, prepared by multirequest.h) is admitted by the call pipeline and
// either run here (a local action) or handed to the HTTP layer for an upstream service: a
// single call is forwarded as received and its answer relayed (kForward); a multirequest item
// is sent as a JSON request of its own and its answer taken back (kFetch), so later items can
// refer to it.
//
// On an I/O thread (Mode::kInline) a call that needs the database is abandoned where the store
// refused to wait, with nothing done, and the exchange asks for a store thread (kNeedsStore),
// where the call runs again from its start. Calls before it keep their results. An action that
// writes whenever it succeeds (ActionDef::writes) is not tried on an I/O thread: once admitted
// there, it goes to the write lane as admitted, and runs there without a second admission.
//
// Not thread-safe (api/handler.h: one thread at a time). The context must outlive *this.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/gateway.h"
#include "api/handler.h"
#include "api/metric_actions.h"
#include "api/multirequest.h"
#include "api/output.h"
#include "api/params.h"
#include "api/pipeline.h"
#include "api/policy.h"
#include "common/clock.h"
#include "obs/log_line.h"
#include "obs/metrics.h"

namespace ksgate::api {

// What every ApiExchange shares: owned by the Dispatcher.
struct ApiContext {
  const CallPipeline& pipeline;
  const Clock& clock;
  DecodeLimits decode;
  size_t max_multirequest_items;
  ReferenceLimits references;  // what {N:result} substitution may produce
  size_t max_answer_bytes;     // a multirequest's encoded results (MultiAnswer)
  const MetricActions& metric_actions;
  obs::Metrics* metrics;  // may be null
  bool note_callers;      // DispatcherOptions::note_callers
};

class ApiExchange final : public Exchange {
 public:
  // Serves `request` under `policy` (its upstreams, signing key and authorizer). `request_id`
  // is the request's (identity.h RequestIdFor): it is the facts' (which the HTTP layer sends
  // back as X-Request-Id), and an upstream gets it as X-Ksgate-Request-Id (a relayed answer as
  // X-Request-Id).
  ApiExchange(const ApiContext& context, Request&& request, std::shared_ptr<const Policy> policy,
              std::string request_id);

  Step Advance(Mode mode) override;
  void Deliver(UpstreamAnswer answer) override;
  Response UpstreamFailed(UpstreamFailure failure) override;
  Response Overloaded() override;
  // INTERNAL_DATABASE_ERROR for the request, or for every item of a multirequest (its answer
  // made again: the items read before may have read the lost writes).
  Response StoreFailed() override;
  const RequestFacts* facts() const override { return &facts_; }

 private:
  // Decodes the parameters and chooses the format; an answer when the request ends there.
  std::optional<Response> Start();
  // The step for an admitted call to an upstream service.
  Step ToUpstream(const AdmittedCall& call, const Param& params);
  // The API error for an upstream failure of the pending call.
  ApiError UpstreamError(UpstreamFailure failure) const;
  // Keeps an item's result: in the answer (multi_), which may replace it by a limit error, and
  // in results_ for later references. Called once per item, when its result is final.
  void Record(CallResult result);
  Response Finish();
  double Elapsed() const;
  // Notes who an admitted call acts for, when the request has not said yet (facts_).
  void NoteCaller(const AdmittedCall& call, const Param& params);
  // Tells the audit log who makes the call about to run (obs RequestContext).
  void NoteCallerForAudit(const services::Caller& caller);

  const ApiContext& context_;
  Request request_;
  int64_t start_micros_;
  bool started_ = false;
  Param params_;
  OutputFormat format_;
  bool multi_ = false;
  std::vector<const Param*> items_;    // into params_
  size_t next_ = 0;                    // the item being served
  std::vector<CallResult> results_;    // of the items before next_
  std::optional<MultiAnswer> answer_;  // multi_: the answer so far
  RequestSessions sessions_;
  std::optional<AdmittedCall> deferred_write_;  // the item next_, admitted, for the write lane
  std::string pending_service_;                 // the upstream service of a kFetch or kForward step
  size_t item_action_ = kMetricOther;           // the metrics' action of the item being served
  RequestFacts facts_;
  obs::RequestContext log_context_;  // views into facts_ and request_
};

}  // namespace ksgate::api
