#include "api/metric_actions.h"

#include "api/pipeline.h"

namespace ksgate::api {

MetricActions::MetricActions(const ActionTable& table, const GatewayOptions& gateway)
    : labels_{"other", "multirequest", "authorize", "admin"} {
  for (const ActionDef& action : table.actions()) {
    labels_.push_back(std::string(action.service) + "." + std::string(action.action));
  }
  first_upstream_ = labels_.size();
  for (size_t u = 0; u < gateway.upstreams.size(); ++u) {
    for (const std::string& service : gateway.upstreams[u].services) {
      labels_.push_back(service + ".*");
      upstream_services_.push_back(service);
      upstream_of_service_.push_back(u);
    }
  }
}

size_t MetricActions::IndexOf(const CallTarget& target) const {
  if (target.action != nullptr) return kMetricAdmin + 1 + target.action->index;
  // The upstream's service is the key's part before the dot.
  const std::string_view service =
      std::string_view(target.upstream_key).substr(0, target.upstream_key.find('.'));
  for (size_t i = 0; i < upstream_services_.size(); ++i) {
    if (upstream_services_[i] == service) return first_upstream_ + i;
  }
  return kMetricOther;
}

size_t MetricActions::UpstreamOf(const CallTarget& target) const {
  if (target.action != nullptr) return SIZE_MAX;
  const size_t index = IndexOf(target);
  if (index < first_upstream_ || index == kMetricOther) return SIZE_MAX;
  return upstream_of_service_[index - first_upstream_];
}

std::string_view MetricActions::Name(size_t index) const {
  return index < labels_.size() ? labels_[index] : labels_[kMetricOther];
}

}  // namespace ksgate::api
