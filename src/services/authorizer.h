// Authorizer: which API actions a caller may call (spec/apptoken-and-session.md §6; Kaltura's
// kPermissionManager::getRoleIds). Immutable and thread-safe; it shares ownership of its
// catalogue, and the store must outlive it. A reload of the permissions file builds a new one
// and puts it in force through a CurrentAuthorizer (common/current.h): whoever decides pins one
// and makes every step of the decision with it, since a PermissionSet indexes the permissions of
// the catalogue that computed it.
//
// The role is chosen per request: no KS -> NO_SESSION_ROLE; else the KS's first `setrole`
// (a role id or system name: a built-in role, or one of the KS partner's roles; "null" = no
// role); else by session kind (widget -> WIDGET_SESSION_ROLE, admin -> PARTNER_ADMIN_ROLE,
// user -> BASE_USER_SESSION_ROLE). ALWAYS_ALLOWED_ACTIONS is always added. A `restrictingrole`
// removes that role's permissions (always-allowed ones included). A role that is not active
// grants nothing beyond the always-allowed actions.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "common/api_error.h"
#include "common/current.h"
#include "common/result.h"
#include "services/caller.h"
#include "services/permission_catalogue.h"
#include "store/store.h"

namespace ksgate::services {

class Authorizer {
 public:
  Authorizer(std::shared_ptr<const PermissionCatalogue> catalogue, const store::Store& store);

  // The caller's effective permissions. Errors: INVALID_SET_ROLE for a negative numeric
  // setrole; INVALID_OBJECT_ID (ID "N/A") when the setrole names no role of the partner or
  // partner 0; INTERNAL_DATABASE_ERROR.
  Result<PermissionSet, ApiError> Permissions(const Caller& caller) const;

  // True if `permissions` grant `service_action_lower` ("apptoken.add").
  bool Allows(const PermissionSet& permissions, std::string_view service_action_lower) const {
    return (permissions & catalogue_.Granting(service_action_lower)).any();
  }

  // The role a setrole/restrictingrole value names for `partner_id`: a numeric id (built-in or
  // the partner's) or a system name (built-in first, then the partner's). INVALID_SET_ROLE for
  // a negative number; INVALID_OBJECT_ID ("N/A") when there is none.
  Result<store::UserRole, ApiError> FindRole(int64_t partner_id, std::string_view id_or_name) const;

  // True if `role` grants an action that a user session's own role (BASE_USER_SESSION_ROLE,
  // with the always-allowed actions) does not: what a partner that denies user-secret setrole
  // refuses (store::UserSecretSetRole). Actions are compared, not permission names, so
  // WIDGET_SESSION_ROLE and PLAYBACK_BASE_ROLE grant nothing more; a permission naming
  // "service.*", and "*" (every action), count as more unless the user role holds them too. A
  // role that is not active grants nothing.
  bool GrantsMoreThanUserRole(const store::UserRole& role) const;

  const PermissionCatalogue& catalogue() const { return catalogue_; }

 private:
  PermissionSet RolePermissions(const store::UserRole& role) const;

  const std::shared_ptr<const PermissionCatalogue> owned_catalogue_;
  const PermissionCatalogue& catalogue_;
  const store::Store& store_;
  PermissionSet always_allowed_;
  PermissionSet no_session_;
  PermissionSet widget_;
  PermissionSet user_;
  PermissionSet admin_;
};

// The Authorizer in force (App::Reload replaces it). Services pin one per call.
using CurrentAuthorizer = Current<Authorizer>;

}  // namespace ksgate::services
