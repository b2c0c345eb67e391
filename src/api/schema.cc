#include "api/schema.h"

#include <mutex>
#include <string>
#include <unordered_map>

#include "common/strings.h"

namespace ksgate::api {

const PropertyDef* ObjectDef::FindProperty(std::string_view name) const {
  for (const ObjectDef* t = this; t != nullptr; t = t->parent) {
    for (const PropertyDef& p : t->properties) {
      if (p.name == name) return &p;
    }
  }
  return nullptr;
}

bool ObjectDef::IsA(const ObjectDef& other) const {
  for (const ObjectDef* t = this; t != nullptr; t = t->parent) {
    if (t == &other) return true;
  }
  return false;
}

namespace {

struct Registry {
  std::mutex mu;
  std::unordered_map<std::string, const ObjectDef*> by_lower_name;
};

Registry& GetRegistry() {
  static Registry* registry = new Registry();
  return *registry;
}

}  // namespace

void RegisterObjectType(const ObjectDef* def) {
  Registry& r = GetRegistry();
  std::lock_guard lock(r.mu);
  r.by_lower_name[AsciiLower(def->name)] = def;
}

const ObjectDef* FindObjectType(std::string_view name) {
  Registry& r = GetRegistry();
  std::lock_guard lock(r.mu);
  auto it = r.by_lower_name.find(AsciiLower(name));
  return it == r.by_lower_name.end() ? nullptr : it->second;
}

}  // namespace ksgate::api
