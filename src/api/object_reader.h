// Reading coerced request objects (ObjectValue) into service-layer types, shared by the action
// adapters (*_actions.cc).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "api/args.h"
#include "services/patch.h"

namespace ksgate::api {

// Sets *out from property `name` of `o`: absent, explicitly null (`name__null`), or set.
template <typename T>
void ReadPatch(const ObjectValue& o, std::string_view name, services::Patch<T>* out) {
  const ArgValue& v = o.Get(name);
  if (v.is_null()) {
    *out = services::Patch<T>::Null();
  } else if (!v.is_set()) {
    *out = {};
  } else if constexpr (std::is_same_v<T, std::string>) {
    *out = services::Patch<T>::Of(v.string_value);
  } else {
    *out = services::Patch<T>::Of(static_cast<T>(v.int_value));
  }
}

// Property `name` of `o` when it was sent with a value; nullopt when `o` is null, or the
// property was absent or explicitly null.
template <typename T>
std::optional<T> ReadOptional(const ObjectValue* o, std::string_view name) {
  if (o == nullptr) return std::nullopt;
  const ArgValue& v = o->Get(name);
  if (!v.is_set()) return std::nullopt;
  if constexpr (std::is_same_v<T, std::string>) {
    return v.string_value;
  } else {
    return static_cast<T>(v.int_value);
  }
}

}  // namespace ksgate::api
