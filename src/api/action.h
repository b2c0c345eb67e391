// Actions: what a service.action is (its parameters, who may call it, what it does) and the
// table the dispatcher looks them up in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/args.h"
#include "api/schema.h"
#include "api/value.h"
#include "common/api_error.h"
#include "common/result.h"
#include "common/strings.h"
#include "services/caller.h"

namespace ksgate::api {

// Everything a handler may know about the call besides its arguments.
struct CallContext {
  const services::Caller& caller;  // kind kNone without a KS
  // The partner the call acts for: the KS partner, or the request's partnerId without a KS
  // (0 when neither).
  int64_t partner_id = 0;
  std::string_view client_ip;
  std::string_view uri;  // request path without the query
  int64_t now = 0;
};

using Handler = std::function<Result<Value, ApiError>(const CallContext&, const Args&)>;

struct ActionDef {
  std::string_view service;  // declared id, e.g. "appToken"
  std::string_view action;   // declared name, e.g. "startSession"
  std::vector<ParamDef> params;
  // True if the handler cannot run without a KS (it acts for the KS partner). Who may call the
  // action at all is decided by the permission catalogue, not here.
  bool needs_ks = true;
  Handler handler;
  // True if the action writes the store whenever it succeeds (appToken.add, userRole.update...).
  // An I/O thread does not try it first (ApiExchange): the try would run the action up to its
  // first write, for appToken.add two CSPRNG draws included, only to be discarded there and run
  // again on the write lane. Only a hint of where to run: a wrong value costs time, not
  // correctness.
  bool writes = false;
  // Filled by ActionTable::Add: "service.action" in lower case (the permission catalogue key),
  // and the action's position in the table (registration order).
  std::string key = {};
  size_t index = 0;
};

// Service and action names are matched case-insensitively. Not thread-safe to modify; build it
// before serving, then share it read-only.
class ActionTable {
 public:
  void Add(ActionDef action);
  // nullptr if the service has no such action. Arguments are lower-case.
  const ActionDef* Find(std::string_view service_lower, std::string_view action_lower) const;
  bool HasService(std::string_view service_lower) const;
  // Every action, in registration order.
  const std::vector<ActionDef>& actions() const { return actions_; }

 private:
  std::vector<ActionDef> actions_;
  // "service.action", lower-case; found by a string_view (no std::string per request).
  std::unordered_map<std::string, size_t, StringViewHash, std::equal_to<>> by_name_;
  // lower-case service -> action count
  std::unordered_map<std::string, int, StringViewHash, std::equal_to<>> services_;
  size_t max_key_size_ = 0;  // the longest "service.action" registered
};

}  // namespace ksgate::api
