// PermissionCatalogue: permission names, the API actions each grants, and the built-in roles,
// read from data (permissions.ini, embedded at build time). Immutable once built; thread-safe.
#pragma once

#include <bitset>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "store/records.h"

namespace ksgate::services {

// Most permissions a catalogue may define.
inline constexpr size_t kMaxPermissions = 256;
// A set of permissions, by catalogue index.
using PermissionSet = std::bitset<kMaxPermissions>;

struct PermissionDef {
  std::string name;
  std::string description;
  std::vector<std::string> actions;  // "service.action" as declared, e.g. "appToken.add"
};

class PermissionCatalogue {
 public:
  // Parses catalogue text. kInvalidArgument, naming the line, for a syntax error, a duplicate
  // name or id, a role naming an unknown permission, or more than kMaxPermissions permissions.
  static Result<PermissionCatalogue> Parse(std::string_view text);

  // The catalogue compiled into ksgate (src/services/permissions.ini). Aborts at start-up if
  // that text does not parse (a build defect, caught by the unit tests).
  static const PermissionCatalogue& BuiltIn();

  const std::vector<PermissionDef>& permissions() const { return permissions_; }
  // Built-in roles (partner 0), in file order. Their system names are their section names.
  const std::vector<store::UserRole>& roles() const { return roles_; }

  // Index of permission `name`, or nullopt.
  std::optional<size_t> Find(std::string_view name) const;
  // Every permission.
  PermissionSet All() const;
  // The permissions a role's CSV grants ("*" = All()); unknown names are skipped.
  PermissionSet FromNames(std::string_view csv) const;
  // The first unknown name in `csv`, or nullopt when all are known ("*" is known; empty
  // entries are skipped).
  std::optional<std::string> FirstUnknown(std::string_view csv) const;
  // The permissions that grant `service_action`, given lower-case ("apptoken.add").
  PermissionSet Granting(std::string_view service_action_lower) const;

  const store::UserRole* FindRoleById(int64_t id) const;
  const store::UserRole* FindRoleBySystemName(std::string_view system_name) const;

 private:
  std::vector<PermissionDef> permissions_;
  // Heterogeneous lookup, so hot-path lookups by string_view allocate nothing.
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, size_t, StringHash, std::equal_to<>> by_name_;
  // lower-case "service.action" -> the permissions granting it
  std::unordered_map<std::string, PermissionSet, StringHash, std::equal_to<>> granting_;
  std::vector<store::UserRole> roles_;
};

}  // namespace ksgate::services
