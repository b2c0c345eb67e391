#include "api/metric_actions.h"

#include "api/pipeline.h"

namespace ksgate::api {

MetricActions::MetricActions(const ActionTable& table, const GatewayOptions& gateway)
    : gateway_(gateway), labels_{"other", "multirequest", "authorize", "admin"} {
  for (const ActionDef& action : table.actions()) {
    labels_.push_back(std::string(action.service) + "." + std::string(action.action));
  }
  first_upstream_ = labels_.size();
  for (const Upstream& upstream : gateway.upstreams) {
    for (const std::string& service : upstream.services) labels_.push_back(service + ".*");
  }
}

size_t MetricActions::IndexOf(const CallTarget& target) const {
  if (target.action != nullptr) return kMetricAdmin + 1 + target.action->index;
  // The upstream's service is the key's part before the dot.
  const std::string_view service =
      std::string_view(target.upstream_key).substr(0, target.upstream_key.find('.'));
  size_t index = first_upstream_;
  for (const Upstream& upstream : gateway_.upstreams) {
    for (const std::string& name : upstream.services) {
      if (name == service) return index;
      ++index;
    }
  }
  return kMetricOther;
}

std::string_view MetricActions::Name(size_t index) const {
  return index < labels_.size() ? labels_[index] : labels_[kMetricOther];
}

}  // namespace ksgate::api
