#include "services/authorizer.h"

#include <charconv>
#include <string>
#include <utility>

#include "common/strings.h"
#include "services/store_calls.h"

namespace ksgate::services {

namespace {

PermissionSet BuiltInRolePermissions(const PermissionCatalogue& catalogue,
                                     std::string_view system_name) {
  const store::UserRole* role = catalogue.FindRoleBySystemName(system_name);
  return role != nullptr ? catalogue.FromNames(role->permission_names) : PermissionSet();
}

// True for PHP is_numeric-style integers (optional sign, digits).
bool ParseInteger(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto [ptr, ec] =
      std::from_chars(s.data() + (s.front() == '+' ? 1 : 0), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

Authorizer::Authorizer(std::shared_ptr<const PermissionCatalogue> catalogue,
                       const store::Store& store)
    : owned_catalogue_(std::move(catalogue)), catalogue_(*owned_catalogue_), store_(store) {
  if (std::optional<size_t> i = catalogue_.Find("ALWAYS_ALLOWED_ACTIONS")) always_allowed_.set(*i);
  no_session_ = BuiltInRolePermissions(catalogue_, "NO_SESSION_ROLE") | always_allowed_;
  widget_ = BuiltInRolePermissions(catalogue_, "WIDGET_SESSION_ROLE");
  user_ = BuiltInRolePermissions(catalogue_, "BASE_USER_SESSION_ROLE");
  admin_ = BuiltInRolePermissions(catalogue_, "PARTNER_ADMIN_ROLE");
}

PermissionSet Authorizer::RolePermissions(const store::UserRole& role) const {
  if (role.status != store::UserRoleStatus::kActive) return PermissionSet();
  return catalogue_.FromNames(role.permission_names);
}

Result<store::UserRole, ApiError> Authorizer::FindRole(int64_t partner_id,
                                                       std::string_view id_or_name) const {
  int64_t id = 0;
  if (ParseInteger(id_or_name, &id)) {
    if (id < 0) return ApiError::Of(errors::kInvalidSetRole);
    if (const store::UserRole* role = catalogue_.FindRoleById(id)) return *role;
    return FromStore(store_.GetUserRole(partner_id, id),
                     [] { return ApiError::Of(errors::kInvalidObjectId); });
  }
  if (const store::UserRole* role = catalogue_.FindRoleBySystemName(id_or_name)) return *role;
  if (id_or_name.empty()) return ApiError::Of(errors::kInvalidObjectId);
  return FromStore(store_.FindUserRoleBySystemName(partner_id, id_or_name),
                   [] { return ApiError::Of(errors::kInvalidObjectId); });
}

bool Authorizer::GrantsMoreThanUserRole(const store::UserRole& role) const {
  const PermissionSet user = user_ | always_allowed_;
  const PermissionSet extra = RolePermissions(role) & ~user;
  if (extra[PermissionCatalogue::kEveryActionBit]) return true;
  const std::vector<PermissionDef>& defs = catalogue_.permissions();
  for (size_t i = 0; i < defs.size(); ++i) {
    if (!extra[i]) continue;
    for (const std::string& action : defs[i].actions) {
      if (action.ends_with(".*")) return true;
      if ((catalogue_.Granting(AsciiLower(action)) & user).none()) return true;
    }
  }
  return false;
}

Result<PermissionSet, ApiError> Authorizer::Permissions(const Caller& caller) const {
  if (!caller.has_ks()) return no_session_;

  PermissionSet permissions;
  if (const std::string* set_role = ks::FirstPrivilegeValue(caller.privileges(), "setrole")) {
    if (*set_role != "null") {
      KSGATE_ASSIGN_OR_RETURN(store::UserRole role, FindRole(caller.partner_id(), *set_role));
      permissions = RolePermissions(role);
    }
  } else {
    // No setrole (or one without a value, which Kaltura's getRole() reads as empty).
    permissions = caller.kind == SessionKind::kWidget  ? widget_
                  : caller.kind == SessionKind::kAdmin ? admin_
                                                       : user_;
  }
  permissions |= always_allowed_;

  if (const std::string* restricting =
          ks::FirstPrivilegeValue(caller.privileges(), "restrictingrole")) {
    int64_t id = 0;
    const store::UserRole* builtin = ParseInteger(*restricting, &id)
                                         ? catalogue_.FindRoleById(id)
                                         : catalogue_.FindRoleBySystemName(*restricting);
    if (builtin != nullptr) {
      permissions &= ~catalogue_.FromNames(builtin->permission_names);
    } else if (ParseInteger(*restricting, &id) && id > 0) {
      Result<store::UserRole> role = store_.GetUserRole(caller.partner_id(), id);
      if (role.ok()) {
        permissions &= ~catalogue_.FromNames(role->permission_names);
      } else if (role.error().code() != StatusCode::kNotFound) {
        return DatabaseError(role.error());
      }
    }
    // An unknown restricting role restricts nothing, as in Kaltura.
  }
  return permissions;
}

}  // namespace ksgate::services
