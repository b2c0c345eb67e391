// The `action` label of ksgate's metrics (obs/metrics.h): a bounded set fixed at start-up, so
// that counting a request is an array index, never a map lookup. The labels are the declared
// "service.action" of every local action, "<service>.*" for each service behind an upstream
// (their actions are not known here), and a few fixed ones below. Immutable once built;
// thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "api/action.h"
#include "api/gateway.h"

namespace ksgate::api {

// The fixed labels, by index.
inline constexpr size_t kMetricOther = 0;         // "other": nothing resolved
inline constexpr size_t kMetricMultirequest = 1;  // "multirequest"
inline constexpr size_t kMetricAuthorize = 2;     // "authorize": the gate's endpoint
inline constexpr size_t kMetricAdmin = 3;         // "admin": /metrics, /healthz, /readyz

struct CallTarget;

class MetricActions {
 public:
  // The labels of `table`'s actions and of `gateway`'s upstream services, as at start-up:
  // `table` must outlive *this; `gateway` need not (a reload replaces it). A service that a
  // reload adds counts as "other" until the process restarts, so the label set stays fixed.
  MetricActions(const ActionTable& table, const GatewayOptions& gateway);

  // Every label, by index.
  const std::vector<std::string>& labels() const { return labels_; }
  // The index of a call's target.
  size_t IndexOf(const CallTarget& target) const;
  // The index of the upstream serving `target` among the upstreams of start-up (the metrics'
  // upstream labels); SIZE_MAX for a local action or a service a reload added.
  size_t UpstreamOf(const CallTarget& target) const;
  // The label of `index` (kMetricOther's when out of range).
  std::string_view Name(size_t index) const;

 private:
  std::vector<std::string> labels_;
  std::vector<std::string> upstream_services_;  // by label, from first_upstream_
  std::vector<size_t> upstream_of_service_;     // the same order: the upstream's index
  size_t first_upstream_ = 0;                   // the label of the first upstream service
};

}  // namespace ksgate::api
