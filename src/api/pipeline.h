// CallPipeline: one API call through Kaltura's dispatch order
// (spec/api-v3-wire-protocol.md §5): resolve the action → parse the KS → build the arguments →
// validate the KS → authorize → run. Each step is a method named after it, and each stops the
// call with the error Kaltura reports at that point, so the order of errors is Kaltura's.
//
// A call is a whole request or one multirequest item (already prepared by multirequest.h).
// Thread-safe: one pipeline serves every I/O thread. The table, authenticator, authorizer and
// clock must outlive *this.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/action.h"
#include "api/output.h"
#include "api/params.h"
#include "api/request.h"
#include "common/clock.h"
#include "services/authenticator.h"
#include "services/authorizer.h"

namespace ksgate::api {

// The KSs one HTTP request uses, each parsed, validated and resolved to permissions at most
// once however many multirequest items carry it (validation counts `actionslimit`: one use per
// HTTP request). Not thread-safe: one per request.
class RequestSessions {
 public:
  struct Session {
    std::string ks;
    Result<services::Caller, ApiError> parsed;
    std::optional<Result<Void, ApiError>> validated;
    std::optional<Result<services::PermissionSet, ApiError>> permissions;
  };

  // The session of `ks`, parsed on first use.
  Session& Find(std::string_view ks, const services::Authenticator& authenticator);

 private:
  std::vector<Session> sessions_;
};

class CallPipeline {
 public:
  CallPipeline(const ActionTable& table, const services::Authenticator& authenticator,
               const services::Authorizer& authorizer, const Clock& clock)
      : table_(table), authenticator_(authenticator), authorizer_(authorizer), clock_(clock) {}

  // Runs one call whose parameters are `params`; `request` is the HTTP request it came in
  // (client address and URI for the KS restrictions). Never throws: an exception from the
  // action is logged and becomes INTERNAL_SERVERL_ERROR for this call only (one of the two
  // exception fences, style.md convention 7).
  CallResult Run(const Param& params, const Request& request, RequestSessions& sessions) const;

 private:
  // The KS in force for a call: none (anonymous) or one of the request's sessions.
  struct Identity {
    const services::Caller* caller;
    RequestSessions::Session* session;  // null without a KS
  };

  // §5 steps 2-4: SERVICE_NOT_SPECIFIED, SERVICE_DOES_NOT_EXISTS, ACTION_NOT_SPECIFIED,
  // ACTION_DOES_NOT_EXISTS.
  Result<const ActionDef*, ApiError> ResolveAction(const Param& params) const;
  // Step 6: a KS that is present must parse (INVALID_KS).
  Result<Identity, ApiError> ParseKs(const Param& params, RequestSessions& sessions) const;
  // Step 8: the action's arguments, coerced to their declared types.
  Result<Args, ApiError> BuildArguments(const ActionDef& action, const Param& params,
                                        int64_t now) const;
  // Step 9: the KS may be used now, from here (once per KS and HTTP request).
  Result<Void, ApiError> ValidateKs(const Identity& identity, const Request& request) const;
  // Step 10: the partner the call acts for (returned), and the caller's permission to call
  // `action`: SERVICE_FORBIDDEN, MISSING_KS, or the partner/role errors.
  Result<int64_t, ApiError> Authorize(const Param& params, const ActionDef& action,
                                      const Identity& identity) const;
  // Step 11: the action itself, behind the exception fence.
  CallResult RunAction(const ActionDef& action, const CallContext& context, const Args& args) const;

  const ActionTable& table_;
  const services::Authenticator& authenticator_;
  const services::Authorizer& authorizer_;
  const Clock& clock_;
};

}  // namespace ksgate::api
