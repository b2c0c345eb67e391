#include "api/args.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "api/utf8.h"
#include "common/clock.h"
#include "common/php.h"
#include "common/strings.h"

namespace ksgate::api {

namespace {

const ArgValue kAbsent{};

std::string_view TrimSpace(std::string_view s) { return TrimChars(s, php::kNumericWhitespace); }

int64_t SaturatingFromDouble(double d) {
  if (std::isnan(d)) return 0;
  if (d >= 9.2233720368547758e18) return std::numeric_limits<int64_t>::max();
  if (d <= -9.2233720368547758e18) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(d);
}

// Length of the leading PHP numeric string in `s` (after leading whitespace), and whether it
// has a fraction or exponent.
size_t NumericPrefix(std::string_view s, bool* is_float) {
  size_t i = 0;
  *is_float = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    size_t j = i + 1, frac = 0;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j, ++frac;
    if (digits + frac > 0) {
      i = j;
      digits += frac;
      *is_float = frac > 0 || *is_float;
    }
  }
  if (digits == 0) return 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    size_t exp_digits = 0;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j, ++exp_digits;
    if (exp_digits > 0) {
      i = j;
      *is_float = true;
    }
  }
  return i;
}

int64_t PhpIntCastText(std::string_view text) {
  text.remove_prefix(std::min(text.size(), text.find_first_not_of(php::kNumericWhitespace)));
  bool is_float = false;
  size_t n = NumericPrefix(text, &is_float);
  if (n == 0) return 0;
  std::string_view num = text.substr(0, n);
  if (!is_float) {
    if (num.front() == '+') num.remove_prefix(1);
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
    if (ec == std::errc::result_out_of_range) {
      return num.front() == '-' ? std::numeric_limits<int64_t>::min()
                                : std::numeric_limits<int64_t>::max();
    }
    if (ec == std::errc()) return v;
    // e.g. "5." parses as int prefix "5"
  }
  std::string copy(num);
  return SaturatingFromDouble(std::strtod(copy.c_str(), nullptr));
}

// True if `text` is, whole (surrounding whitespace allowed), a PHP numeric string; sets *value.
bool StrictNumber(std::string_view text, double* value) {
  text = TrimSpace(text);
  bool is_float = false;
  size_t n = NumericPrefix(text, &is_float);
  if (n == 0 || n != text.size()) return false;
  std::string copy(text);
  *value = std::strtod(copy.c_str(), nullptr);
  return true;
}

std::string ScalarText(const Param& p) {
  if (p.kind == Param::Kind::kBool) return p.text == "true" ? "1" : "";
  return p.text;
}

struct Builder {
  const CoercionContext& context;

  Result<ArgValue, ApiError> Simple(std::string_view name, std::string_view qualified_name,
                                    Type type, const EnumDef* enum_def, size_t max_length,
                                    const Param& p, bool in_object) {
    ArgValue v;
    v.state = ArgValue::State::kSet;
    if (p.is_map()) {
      return ApiError::Of(errors::kPropertyValidationWrongFormat, {qualified_name, "scalar"});
    }
    switch (type) {
      case Type::kInt:
        v.int_value = PhpIntCast(p);
        return v;
      case Type::kTime: {
        if (p.kind != Param::Kind::kBool && TrimSpace(p.text).empty()) {
          v.int_value = 0;
          return v;
        }
        int64_t t = PhpIntCast(p);
        if (in_object && t != -1 && t != 0 && t >= -kMaxRelativeSeconds &&
            t <= kMaxRelativeSeconds) {
          t += context.now;
        }
        v.int_value = t;
        return v;
      }
      case Type::kFloat: {
        double d = 0;
        if (p.kind == Param::Kind::kBool) {
          d = p.text == "true" ? 1 : 0;
        } else {
          std::string_view t = TrimSpace(p.text);
          bool is_float = false;
          size_t n = NumericPrefix(t, &is_float);
          std::string copy(t.substr(0, n));
          d = n ? std::strtod(copy.c_str(), nullptr) : 0;
        }
        v.float_value = d;
        return v;
      }
      case Type::kBool: {
        bool b;
        if (p.kind == Param::Kind::kBool) {
          b = p.text == "true";
        } else if (EqualsIgnoreCase(p.text, "false")) {
          b = false;
        } else if (p.kind == Param::Kind::kNumber) {
          double d = 0;
          b = StrictNumber(p.text, &d) ? d != 0 : true;
        } else {
          b = !(p.text.empty() || p.text == "0");
        }
        v.int_value = b ? 1 : 0;
        return v;
      }
      case Type::kString: {
        v.string_value = ScalarText(p);
        if (!IsXmlSafeUtf8(v.string_value)) {
          return ApiError::Of(errors::kInvalidParameterChar, {name});
        }
        size_t limit = max_length ? max_length : kDefaultMaxStringLength;
        if (v.string_value.size() > limit) {
          return ApiError::Of(errors::kPropertyValidationMaxLength,
                              {qualified_name, std::to_string(limit)});
        }
        return v;
      }
      case Type::kIntEnum: {
        int64_t iv = 0;
        bool ok = false;
        if (p.kind == Param::Kind::kBool || EqualsIgnoreCase(p.text, "true") ||
            EqualsIgnoreCase(p.text, "false")) {
          iv = (p.text == "true" || EqualsIgnoreCase(p.text, "true")) ? 1 : 0;
          ok = true;
        } else {
          double d = 0;
          if (StrictNumber(p.text, &d) && d == std::floor(d)) {
            iv = SaturatingFromDouble(d);
            ok = static_cast<double>(iv) == d;
          }
        }
        if (ok && enum_def != nullptr) {
          ok = std::find(enum_def->int_values.begin(), enum_def->int_values.end(), iv) !=
               enum_def->int_values.end();
        }
        if (!ok) {
          std::string shown = ScalarText(p);
          if (!IsXmlSafeUtf8(shown)) shown = "?";
          return ApiError::Of(errors::kInvalidEnumValue,
                              {shown, name, enum_def ? enum_def->name : "int"});
        }
        v.int_value = iv;
        return v;
      }
      case Type::kStringEnum: {
        std::string s = ScalarText(p);
        bool ok = enum_def != nullptr &&
                  std::find(enum_def->string_values.begin(), enum_def->string_values.end(), s) !=
                      enum_def->string_values.end();
        if (!ok) {
          if (!IsXmlSafeUtf8(s)) s = "?";
          return ApiError::Of(errors::kInvalidEnumValue,
                              {s, name, enum_def ? enum_def->name : "string"});
        }
        v.string_value = std::move(s);
        return v;
      }
      case Type::kObject:
        break;
    }
    return ApiError::Of(errors::kInternalServerError);
  }

  Result<ArgValue, ApiError> Object(std::string_view name, const ObjectDef& declared,
                                    const Param& p) {
    if (!p.is_map()) {
      return ApiError::Of(errors::kPropertyValidationWrongFormat, {name, "array"});
    }
    const ObjectDef* type = &declared;
    if (const Param* object_type = p.Find("objectType");
        object_type != nullptr && object_type->is_scalar() &&
        !EqualsIgnoreCase(object_type->text, declared.name)) {
      const ObjectDef* sub = FindObjectType(object_type->text);
      if (sub != nullptr && sub->IsA(declared)) type = sub;
    }
    if (type->is_abstract) return ApiError::Of(errors::kObjectTypeAbstract, {type->name});

    auto object = std::make_shared<ObjectValue>();
    object->type = type;
    for (const auto& [raw_key, value] : p.members) {
      std::string_view key = raw_key;
      bool explicit_null = false;
      constexpr std::string_view kNullSuffix = "__null";
      if (key.size() > kNullSuffix.size() && key.ends_with(kNullSuffix)) {
        key.remove_suffix(kNullSuffix.size());
        explicit_null = true;
      }
      if (key == "objectType") continue;
      const PropertyDef* prop = type->FindProperty(key);
      if (prop == nullptr) continue;
      ArgValue arg;
      if (explicit_null) {
        arg.state = ArgValue::State::kNull;
      } else if (value.kind == Param::Kind::kNull) {
        continue;  // JSON null on a property = not provided
      } else if (prop->type == Type::kObject) {
        if (!value.is_map() || prop->object_def == nullptr) continue;  // scalars are ignored
        std::string nested = std::string(name) + ":" + std::string(prop->name);
        KSGATE_ASSIGN_OR_RETURN(arg, Object(nested, *prop->object_def, value));
      } else {
        std::string qualified = std::string(type->name) + "::" + std::string(prop->name);
        KSGATE_ASSIGN_OR_RETURN(arg, Simple(prop->name, qualified, prop->type, prop->enum_def,
                                            prop->max_length, value, /*in_object=*/true));
      }
      auto existing = std::find_if(object->properties.begin(), object->properties.end(),
                                   [&](const auto& e) { return e.first == prop; });
      if (existing != object->properties.end()) {
        existing->second = std::move(arg);
      } else {
        object->properties.emplace_back(prop, std::move(arg));
      }
    }
    ArgValue out;
    out.state = ArgValue::State::kSet;
    out.object = std::move(object);
    return out;
  }
};

// Whether an absent optional parameter of `type` without a default is the zero value (0, 0.0,
// false, ""), as PHP's cast of null: what coercing "" gives the plain types, and an int enum's
// absence (whose "" would fail the enum check). A string enum's "" is still checked against
// its values.
bool AbsentIsZero(Type type) {
  switch (type) {
    case Type::kInt:
    case Type::kTime:
    case Type::kFloat:
    case Type::kBool:
    case Type::kString:
    case Type::kIntEnum:
      return true;
    case Type::kStringEnum:
    case Type::kObject:
      return false;
  }
  return false;
}

}  // namespace

int64_t PhpIntCast(const Param& value) {
  switch (value.kind) {
    case Param::Kind::kNull:
      return 0;
    case Param::Kind::kBool:
      return value.text == "true" ? 1 : 0;
    case Param::Kind::kMap:
      return value.members.empty() ? 0 : 1;
    case Param::Kind::kString:
    case Param::Kind::kNumber:
      return PhpIntCastText(value.text);
  }
  return 0;
}

const ArgValue& ObjectValue::Get(std::string_view name) const {
  for (const auto& [prop, value] : properties) {
    if (prop->name == name) return value;
  }
  return kAbsent;
}

const ArgValue& Args::Get(std::string_view name) const {
  if (defs_ != nullptr) {
    for (size_t i = 0; i < defs_->size() && i < values_.size(); ++i) {
      if ((*defs_)[i].name == name) return values_[i];
    }
  }
  std::abort();  // an action asked for a parameter it did not declare
}

Result<Args, ApiError> BuildArgs(const std::vector<ParamDef>& defs, const Param& params,
                                 const CoercionContext& context) {
  Builder builder{context};
  std::vector<ArgValue> values;
  values.reserve(defs.size());
  for (const ParamDef& def : defs) {
    const Param* p = params.Find(def.name);
    if (p != nullptr && p->kind == Param::Kind::kNull) p = nullptr;  // JSON null = absent
    if (p == nullptr) {
      if (!def.optional) {
        return ApiError::Of(errors::kMissingMandatoryParameter, {def.name});
      }
      ArgValue v;
      if (def.type != Type::kObject) {
        if (!def.default_value && AbsentIsZero(def.type)) {
          v.state = ArgValue::State::kAbsent;  // 0, false or "": no coercion needed per call
        } else {
          Param fallback = Param::String(std::string(def.default_value.value_or("")));
          KSGATE_ASSIGN_OR_RETURN(v, builder.Simple(def.name, def.name, def.type, def.enum_def, 0,
                                                    fallback, /*in_object=*/false));
          if (!def.default_value) v.state = ArgValue::State::kAbsent;
        }
      }
      values.push_back(std::move(v));
      continue;
    }
    if (def.type == Type::kObject) {
      KSGATE_ASSIGN_OR_RETURN(ArgValue v, builder.Object(def.name, *def.object_def, *p));
      values.push_back(std::move(v));
    } else {
      KSGATE_ASSIGN_OR_RETURN(ArgValue v, builder.Simple(def.name, def.name, def.type, def.enum_def,
                                                         def.max_length, *p, false));
      values.push_back(std::move(v));
    }
  }
  return Args(&defs, std::move(values));
}

}  // namespace ksgate::api
