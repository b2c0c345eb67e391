// Declared types of action parameters and object properties: what the reference server reads
// from its PHP docblocks. The dispatcher coerces and validates input against these
// (spec/api-v3-wire-protocol.md §3.2-§3.5). Definitions are static data; thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <vector>

namespace ksgate::api {

enum class Type {
  kInt,         // PHP (int) cast
  kFloat,       // numeric cast
  kBool,        // "false" (any case), "", "0" -> false; otherwise true
  kString,      // valid UTF-8 of XML-safe characters, else INVALID_PARAMETER_CHAR
  kTime,        // int; inside objects |v| <= 10 years (other than -1) is relative to now
  kIntEnum,     // member of `enum_def`, else INVALID_ENUM_VALUE
  kStringEnum,  // exact member of `enum_def`, else INVALID_ENUM_VALUE
  kObject,      // a map built as `object_def`
};

struct EnumDef {
  std::string_view name;  // e.g. "KalturaSessionType"
  std::vector<int64_t> int_values;
  std::vector<std::string_view> string_values;
};

struct ObjectDef;

struct PropertyDef {
  std::string_view name;
  Type type = Type::kString;
  const EnumDef* enum_def = nullptr;
  const ObjectDef* object_def = nullptr;
  bool readonly = false;
  bool insert_only = false;
  // String length limit in bytes (PROPERTY_VALIDATION_MAX_LENGTH); 0 = the global default.
  size_t max_length = 0;
};

struct ObjectDef {
  std::string_view name;  // "KalturaAppToken"
  const ObjectDef* parent = nullptr;
  std::vector<PropertyDef> properties;  // own properties, declaration order
  bool is_abstract = false;

  // The property `name` of this type or an ancestor, or nullptr.
  const PropertyDef* FindProperty(std::string_view name) const;
  // True if this type is `other` or derives from it.
  bool IsA(const ObjectDef& other) const;
};

struct ParamDef {
  std::string_view name;
  Type type = Type::kString;
  const EnumDef* enum_def = nullptr;
  const ObjectDef* object_def = nullptr;
  bool optional = false;
  // String length limit in bytes; 0 = kDefaultMaxStringLength.
  size_t max_length = 0;
  // Text of the default for an absent optional simple parameter, coerced like input; nullopt =
  // the PHP-cast of null (0 / "" / false), which is what the reference passes.
  std::optional<std::string_view> default_value;
};

// Longest string accepted anywhere unless a property says otherwise (bytes).
inline constexpr size_t kDefaultMaxStringLength = 64 * 1024;

// Object types registered for subclass resolution through "objectType" (§3.5 step 2).
void RegisterObjectType(const ObjectDef* def);
const ObjectDef* FindObjectType(std::string_view name);

}  // namespace ksgate::api
