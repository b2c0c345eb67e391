#include "common/api_error.h"

namespace ksgate {

std::string StripTags(std::string_view s) {
  // PHP strip_tags drops everything from '<' to the matching '>' (and a trailing unterminated
  // tag). Quotes inside tags are not special for our purposes: argument values are ids, names
  // and numbers, and a value with '<' is either an attack or garbage.
  std::string out;
  out.reserve(s.size());
  bool in_tag = false;
  for (char c : s) {
    if (in_tag) {
      if (c == '>') in_tag = false;
    } else if (c == '<') {
      in_tag = true;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string ClipEcho(std::string_view s) {
  if (s.size() <= kMaxEchoLength) return std::string(s);
  size_t end = kMaxEchoLength;
  // Back up over UTF-8 continuation bytes (10xxxxxx) so no character is cut in two.
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  std::string out(s.substr(0, end));
  out += "...";
  return out;
}

namespace {

std::vector<std::string_view> SplitNames(std::string_view csv) {
  std::vector<std::string_view> names;
  while (!csv.empty()) {
    size_t comma = csv.find(',');
    names.push_back(csv.substr(0, comma));
    if (comma == std::string_view::npos) break;
    csv.remove_prefix(comma + 1);
  }
  return names;
}

template <typename Values>
ApiError Build(const ErrorDef& def, const Values& values) {
  ApiError e;
  e.code = std::string(def.code);
  auto it = values.begin();
  for (std::string_view name : SplitNames(def.arg_names)) {
    std::string value = it != values.end() ? ClipEcho(StripTags(*it++)) : std::string("N/A");
    e.args.emplace_back(std::string(name), std::move(value));
  }
  // One pass over the template, so a value that looks like a placeholder stays literal.
  std::string_view t = def.message_template;
  e.message.reserve(t.size() + 32);
  while (!t.empty()) {
    size_t at = t.find('@');
    e.message.append(t.substr(0, at));
    if (at == std::string_view::npos) break;
    t.remove_prefix(at);
    size_t close = t.find('@', 1);
    bool replaced = false;
    if (close != std::string_view::npos) {
      std::string_view name = t.substr(1, close - 1);
      for (const auto& [arg_name, value] : e.args) {
        if (arg_name == name) {
          e.message.append(value);
          t.remove_prefix(close + 1);
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) {
      e.message.push_back('@');
      t.remove_prefix(1);
    }
  }
  return e;
}

}  // namespace

ApiError ApiError::Of(const ErrorDef& def, std::initializer_list<std::string_view> values) {
  return Build(def, values);
}

ApiError ApiError::Of(const ErrorDef& def, const std::vector<std::string>& values) {
  return Build(def, values);
}

namespace errors {

std::span<const ErrorDef* const> All() {
  static constexpr const ErrorDef* kAll[] = {
      &kServiceNotSpecified,
      &kServiceDoesNotExists,
      &kActionNotSpecified,
      &kActionDoesNotExists,
      &kMissingMandatoryParameter,
      &kInvalidEnumValue,
      &kObjectTypeAbstract,
      &kPropertyValidationWrongFormat,
      &kInvalidParameterChar,
      &kPropertyValidationCannotBeNull,
      &kPropertyValidationNotUpdatable,
      &kPropertyValidationMinLength,
      &kPropertyValidationMaxLength,
      &kPropertyValidationMinValue,
      &kPropertyValidationMaxValue,
      &kInvalidFieldValue,
      &kInternalServerError,
      &kInternalDatabaseError,
      &kRequestTooLarge,
      &kInvalidJson,
      &kServerBusy,
      &kUpstreamUnavailable,
      &kUpstreamTimeout,
      &kRouteNotFound,
      &kUpstreamBadAnswer,
      &kMissingKs,
      &kInvalidKs,
      &kServiceForbidden,
      &kServiceForbiddenContentBlocked,
      &kStartSessionError,
      &kInvalidWidgetId,
      &kPartnerAccessForbidden,
      &kInvalidActionsLimit,
      &kInvalidSetRole,
      &kUnknownRoleId,
      &kInvalidObjectId,
      &kAppTokenIdNotFound,
      &kAppTokenNotActive,
      &kAppTokenExpired,
      &kInvalidAppTokenHash,
      &kActionBlocked,
      &kAppTokenUsageExceeded,
      &kAppTokenIpNotAllowed,
      &kAppTokenExceedsCallerRole,
      &kPermissionNotFound,
      &kRoleNameAlreadyExists,
      &kSystemNameAlreadyExists,
  };
  return kAll;
}

}  // namespace errors

}  // namespace ksgate
