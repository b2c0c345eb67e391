// PermissionCatalogue: permission names, the API actions each grants, and the built-in roles,
// read from data (permissions.ini, embedded at build time), optionally extended by an
// operator's permissions file (--permissions: permissions for the services behind the gate,
// and more permissions for the built-in roles). Immutable once built; thread-safe.
//
// An action is "service.action" as declared, or "service.*" for every action of a service.
// The permission list "*" (PARTNER_ADMIN_ROLE's) grants every permission, and so every action
// a permission names, and also every action no permission names (an upstream service's), which
// nothing else grants.
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
#include "common/strings.h"
#include "store/records.h"

namespace ksgate::services {

// Bits of a PermissionSet; the last one means "every action" (the permission list "*"), so a
// catalogue defines at most kMaxPermissions - 1 permissions.
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
  // The PermissionSet bit that every action is granted by.
  static constexpr size_t kEveryActionBit = kMaxPermissions - 1;

  // Parses catalogue text. kInvalidArgument, naming the line, for a syntax error, a duplicate
  // name or id, a role naming an unknown permission, or more than kMaxPermissions - 1
  // permissions.
  static Result<PermissionCatalogue> Parse(std::string_view text);

  // This catalogue plus an operator's permissions file, in the same format, where
  // `[permission NAME]` sections add permissions (a name already defined is an error) and
  // `[role SYSTEM_NAME]` sections add `permissions = A,B` to a role this catalogue defines (no
  // other key). kInvalidArgument "permissions file line N: why" for a syntax error, an unknown
  // role or permission, a duplicate, or too many permissions.
  Result<PermissionCatalogue> Extend(std::string_view text) const;

  // The catalogue compiled into ksgate (src/services/permissions.ini). Aborts at start-up if
  // that text does not parse (a build defect, caught by the unit tests).
  static const PermissionCatalogue& BuiltIn();

  const std::vector<PermissionDef>& permissions() const { return permissions_; }
  // Built-in roles (partner 0), in file order. Their system names are their section names.
  const std::vector<store::UserRole>& roles() const { return roles_; }

  // Index of permission `name`, or nullopt.
  std::optional<size_t> Find(std::string_view name) const;
  // Every permission, and every action (the permission list "*").
  PermissionSet All() const;
  // The permissions a role's CSV grants ("*" = All()); unknown names are skipped.
  PermissionSet FromNames(std::string_view csv) const;
  // The first unknown name in `csv`, or nullopt when all are known ("*" is known; empty
  // entries are skipped).
  std::optional<std::string> FirstUnknown(std::string_view csv) const;
  // The permissions that grant `service_action`, given lower-case ("apptoken.add"): those that
  // name it or "service.*"; when none does, the every-action bit alone.
  PermissionSet Granting(std::string_view service_action_lower) const;

  const store::UserRole* FindRoleById(int64_t id) const;
  const store::UserRole* FindRoleBySystemName(std::string_view system_name) const;

 private:
  static Status ParseInto(std::string_view text, bool extension, PermissionCatalogue& c);

  std::vector<PermissionDef> permissions_;
  // Heterogeneous lookup, so hot-path lookups by string_view allocate nothing.
  std::unordered_map<std::string, size_t, StringViewHash, std::equal_to<>> by_name_;
  // lower-case "service.action" -> the permissions granting it
  std::unordered_map<std::string, PermissionSet, StringViewHash, std::equal_to<>> granting_;
  std::vector<store::UserRole> roles_;
  bool has_wildcards_ = false;  // some permission grants "service.*"
};

}  // namespace ksgate::services
