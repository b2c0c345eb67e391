#include "api/action.h"

#include <algorithm>
#include <cstring>

#include "common/strings.h"

namespace ksgate::api {

void ActionTable::Add(ActionDef action) {
  std::string service = AsciiLower(action.service);
  std::string key = service + "." + AsciiLower(action.action);
  action.key = key;
  action.index = actions_.size();
  max_key_size_ = std::max(max_key_size_, key.size());
  by_name_[key] = actions_.size();
  ++services_[service];
  actions_.push_back(std::move(action));
}

const ActionDef* ActionTable::Find(std::string_view service_lower,
                                   std::string_view action_lower) const {
  const size_t size = service_lower.size() + 1 + action_lower.size();
  if (size > max_key_size_) return nullptr;  // longer than every registered name
  // "service.action" built on the stack: every request looks its action up here.
  char buffer[128];
  std::string long_key;
  char* key = buffer;
  if (size > sizeof buffer) {
    long_key.resize(size);
    key = long_key.data();
  }
  std::memcpy(key, service_lower.data(), service_lower.size());
  key[service_lower.size()] = '.';
  std::memcpy(key + service_lower.size() + 1, action_lower.data(), action_lower.size());
  auto it = by_name_.find(std::string_view(key, size));
  return it == by_name_.end() ? nullptr : &actions_[it->second];
}

bool ActionTable::HasService(std::string_view service_lower) const {
  return services_.find(service_lower) != services_.end();
}

}  // namespace ksgate::api
