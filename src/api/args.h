// Coerced action arguments (spec/api-v3-wire-protocol.md §3.2-§3.5).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/params.h"
#include "api/schema.h"
#include "common/api_error.h"
#include "common/result.h"

namespace ksgate::api {

struct ObjectValue;

// One argument or object property after coercion.
struct ArgValue {
  enum class State { kAbsent, kNull, kSet };
  State state = State::kAbsent;
  int64_t int_value = 0;                      // kInt, kTime, kIntEnum, kBool (0/1)
  double float_value = 0;                     // kFloat
  std::string string_value;                   // kString, kStringEnum
  std::shared_ptr<const ObjectValue> object;  // kObject

  bool is_set() const { return state == State::kSet; }
  bool is_null() const { return state == State::kNull; }
};

struct ObjectValue {
  const ObjectDef* type = nullptr;  // the concrete type (after objectType resolution)
  // Properties the caller sent (set or explicitly null via `<name>__null`), in input order.
  std::vector<std::pair<const PropertyDef*, ArgValue>> properties;

  // The property `name`, or an absent value.
  const ArgValue& Get(std::string_view name) const;
};

// What coercion needs besides the input.
struct CoercionContext {
  int64_t now = 0;  // for relative `time` values
};

// Coerced arguments of one call, by declared parameter.
class Args {
 public:
  Args() = default;
  Args(const std::vector<ParamDef>* defs, std::vector<ArgValue> values)
      : defs_(defs), values_(std::move(values)) {}

  // The argument `name` (must be declared by the action; an undeclared name aborts).
  const ArgValue& Get(std::string_view name) const;
  int64_t Int(std::string_view name) const { return Get(name).int_value; }
  const std::string& String(std::string_view name) const { return Get(name).string_value; }
  const ObjectValue* Object(std::string_view name) const { return Get(name).object.get(); }

 private:
  const std::vector<ParamDef>* defs_ = nullptr;
  std::vector<ArgValue> values_;
};

// Builds the declared arguments from the request's parameter map. Errors, first one wins, in
// declaration order: MISSING_MANDATORY_PARAMETER, INVALID_ENUM_VALUE, INVALID_PARAMETER_CHAR,
// PROPERTY_VALIDATION_WRONG_FORMAT, OBJECT_TYPE_ABSTRACT, PROPERTY_VALIDATION_MAX_LENGTH.
Result<Args, ApiError> BuildArgs(const std::vector<ParamDef>& defs, const Param& params,
                                 const CoercionContext& context);

// PHP (int) cast of a scalar parameter ("12abc" -> 12, "abc" -> 0, "1e3" -> 1000, saturating).
int64_t PhpIntCast(const Param& value);

}  // namespace ksgate::api
