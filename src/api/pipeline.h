// CallPipeline: one API call through Kaltura's dispatch order
// (spec/api-v3-wire-protocol.md §5): resolve the action → parse the KS → build the arguments →
// validate the KS → authorize → run. Each step is a method named after it, and each stops the
// call with the error Kaltura reports at that point, so the order of errors is Kaltura's.
//
// A call is a whole request or one multirequest item (already prepared by multirequest.h), for
// a local action or for an action of an upstream service behind the gate (gateway.h): both are
// admitted the same way; a local one then runs here, an upstream one is forwarded by the
// caller.
//
// Thread-safe: one pipeline serves every I/O thread. The table, authenticator and clock must
// outlive *this; the authorizer and gateway options are the request's Policy (RequestSessions).
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/action.h"
#include "api/gateway.h"
#include "api/handler.h"
#include "api/output.h"
#include "api/params.h"
#include "api/policy.h"
#include "api/request.h"
#include "common/clock.h"
#include "obs/metrics.h"
#include "services/authenticator.h"
#include "services/authorizer.h"

namespace ksgate::api {

// The KSs one HTTP request uses, each parsed, validated and resolved to permissions at most
// once however many multirequest items carry it (validation counts `actionslimit`: one use per
// HTTP request), and the Policy the request is decided under (pinned when it began: its
// permission sets index that policy's catalogue). An answer computed while a store call was
// refused on an I/O thread (store/blocking.h) is not kept: the call runs again on a store
// thread. Not thread-safe: one per request.
class RequestSessions {
 public:
  explicit RequestSessions(std::shared_ptr<const Policy> policy) : policy_(std::move(policy)) {}

  struct Session {
    std::string ks;
    Result<services::Caller, ApiError> parsed;
    std::optional<Result<Void, ApiError>> validated;
    std::optional<Result<services::PermissionSet, ApiError>> permissions;
    bool unsettled = false;        // parsed while a store call was refused: parse again
    bool refusal_counted = false;  // its refusal is in the metrics already
  };

  // The session of `ks`, parsed on first use.
  Session& Find(std::string_view ks, const services::Authenticator& authenticator);

  const Policy& policy() const { return *policy_; }

 private:
  std::shared_ptr<const Policy> policy_;
  // A list: references stay valid as sessions are added, and an empty one allocates nothing (a
  // deque allocates on construction, for every request).
  std::list<Session> sessions_;
};

// What a call is for: a local action, or an action of an upstream service.
struct CallTarget {
  const ActionDef* action = nullptr;  // a local action; null for an upstream one
  size_t upstream = 0;                // the upstream (in the request's Policy), when action is null
  std::string upstream_key;           // the upstream action's "service.action", lower-case

  // "service.action", lower-case: what permissions grant.
  const std::string& key() const { return action != nullptr ? action->key : upstream_key; }
};

// A call that passed every check: who makes it, for which partner, with which arguments.
struct AdmittedCall {
  CallTarget target;
  const services::Caller* caller = nullptr;  // lives as long as the RequestSessions
  int64_t partner_id = 0;
  Args args;  // local actions only
  int64_t now = 0;
};

// The step an exchange takes when its inline attempt was refused the store
// (store/blocking.h): on the write lane if a refused call would have written, else the read lane.
Step NeedsStoreStep();

class CallPipeline {
 public:
  // `metrics`, when given, counts the KSs refused (ksgate_ks_refused_total); it must outlive
  // *this.
  CallPipeline(const ActionTable& table, const services::Authenticator& authenticator,
               const Clock& clock, obs::Metrics* metrics = nullptr)
      : table_(table), authenticator_(authenticator), clock_(clock), metrics_(metrics) {}

  // Steps 2-10 for one call whose parameters are `params`; `request` is the HTTP request it
  // came in (client address and URI for the KS restrictions). The first failing step's error.
  Result<AdmittedCall, ApiError> Admit(const Param& params, const Request& request,
                                       RequestSessions& sessions) const;

  // Steps 6-10 for a call whose target is already known (the authorize endpoint names
  // `service.action` itself, for services ksgate may not know).
  Result<AdmittedCall, ApiError> AdmitTo(CallTarget target, const Param& params,
                                         const Request& request, RequestSessions& sessions) const;

  // Step 11 for an admitted local call. Never throws: an exception from the action is logged
  // and becomes INTERNAL_SERVERL_ERROR for this call only (one of the two exception fences,
  // style.md convention 7).
  CallResult Run(const AdmittedCall& call, const Request& request) const;

  // §5 steps 2-4: SERVICE_NOT_SPECIFIED, SERVICE_DOES_NOT_EXISTS, ACTION_NOT_SPECIFIED,
  // ACTION_DOES_NOT_EXISTS (never for an upstream service: its actions are not known here).
  // Admit's first step, for a caller that wants to know the call before admitting it (AdmitTo).
  Result<CallTarget, ApiError> ResolveAction(const Param& params,
                                             const GatewayOptions& gateway) const;

  // Admit, then Run a local call. An upstream call is SERVICE_DOES_NOT_EXISTS here: only an
  // exchange can forward it.
  CallResult AdmitAndRun(const Param& params, const Request& request,
                         RequestSessions& sessions) const;

 private:
  // The KS in force for a call: none (anonymous) or one of the request's sessions.
  struct Identity {
    const services::Caller* caller;
    RequestSessions::Session* session;  // null without a KS
  };

  // Step 6: a KS that is present must parse (INVALID_KS).
  Result<Identity, ApiError> ParseKs(const Param& params, RequestSessions& sessions) const;
  // Step 8: the action's arguments, coerced to their declared types.
  Result<Args, ApiError> BuildArguments(const ActionDef& action, const Param& params,
                                        int64_t now) const;
  // Step 9: the KS may be used now, from here (once per KS and HTTP request).
  Result<Void, ApiError> ValidateKs(const Identity& identity, const Request& request) const;
  // Step 10: the partner the call acts for (returned), and the caller's permission to call
  // `target`: SERVICE_FORBIDDEN, MISSING_KS, or the partner/role errors.
  Result<int64_t, ApiError> Authorize(const Param& params, const CallTarget& target,
                                      const Identity& identity,
                                      const services::Authorizer& authorizer) const;
  // Step 11: the action itself, behind the exception fence.
  CallResult RunAction(const ActionDef& action, const CallContext& context, const Args& args) const;
  // Counts `session`'s KS as refused with `error`, once per request, unless the answer may rest
  // on a store call refused on an I/O thread (it is then computed again on a store thread).
  void CountRefusal(RequestSessions::Session& session, const ApiError& error) const;

  const ActionTable& table_;
  const services::Authenticator& authenticator_;
  const Clock& clock_;
  obs::Metrics* metrics_;
};

}  // namespace ksgate::api
