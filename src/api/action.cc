#include "api/action.h"

#include "common/strings.h"

namespace ksgate::api {

void ActionTable::Add(ActionDef action) {
  std::string service = AsciiLower(action.service);
  std::string key = service + "." + AsciiLower(action.action);
  action.key = key;
  action.index = actions_.size();
  by_name_[key] = actions_.size();
  ++services_[service];
  actions_.push_back(std::move(action));
}

const ActionDef* ActionTable::Find(std::string_view service_lower,
                                   std::string_view action_lower) const {
  std::string key;
  key.reserve(service_lower.size() + action_lower.size() + 1);
  key.append(service_lower).append(".").append(action_lower);
  auto it = by_name_.find(key);
  return it == by_name_.end() ? nullptr : &actions_[it->second];
}

bool ActionTable::HasService(std::string_view service_lower) const {
  return services_.find(std::string(service_lower)) != services_.end();
}

}  // namespace ksgate::api
