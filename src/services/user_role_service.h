// UserRoleService: Kaltura's `userRole` service (api_v3/services/UserRoleService.php), and the
// permission list. Roles belong to one partner; the built-in roles of the permission catalogue
// (partner 0) can be read and cloned but not changed. Thread-safe; store, authorizer (whose
// catalogue is the one in force) and clock must outlive *this.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/api_error.h"
#include "common/clock.h"
#include "common/result.h"
#include "services/audit.h"
#include "services/authorizer.h"
#include "services/patch.h"
#include "services/permission_catalogue.h"
#include "store/blocking.h"
#include "store/records.h"
#include "store/store.h"

namespace ksgate::services {

// A KalturaUserRole as sent. Enum values are already validated.
struct UserRolePatch {
  Patch<std::string> name;
  Patch<std::string> system_name;
  Patch<std::string> description;
  Patch<int> status;
  Patch<std::string> permission_names;
  Patch<std::string> tags;
  // Read-only.
  Patch<int64_t> id;
  Patch<int64_t> partner_id;
  Patch<int64_t> created_at;
  Patch<int64_t> updated_at;
};

// KalturaUserRoleFilter + KalturaFilterPager as sent.
struct UserRoleListRequest {
  std::optional<int64_t> id_equal;
  std::optional<std::string> id_in;  // CSV
  std::optional<std::string> name_equal;
  std::optional<std::string> name_in;  // CSV
  std::optional<std::string> system_name_equal;
  std::optional<std::string> system_name_in;  // CSV
  std::optional<std::string> description_like;
  std::optional<int> status_equal;
  std::optional<std::string> status_in;            // CSV
  std::optional<std::string> tags_multi_like_or;   // CSV of words
  std::optional<std::string> tags_multi_like_and;  // CSV of words
  std::optional<int64_t> created_at_gte, created_at_lte;
  std::optional<int64_t> updated_at_gte, updated_at_lte;
  std::optional<std::string> order_by;  // CSV of +id,-id,+name,-name,+createdAt,...
  std::optional<int64_t> page_size;
  std::optional<int64_t> page_index;
};

class UserRoleService {
 public:
  // `audit`, when given, receives an event for every add, update, delete and clone (audit.h),
  // which then never run on an I/O thread (inside a store::InlineScope they refuse at once,
  // having done nothing); it must outlive *this.
  UserRoleService(store::Store& store, const CurrentAuthorizer& authorizer, const Clock& clock,
                  AuditSink* audit = nullptr)
      : store_(store), authorizer_(authorizer), clock_(clock), audit_(audit) {}

  // userRole.add. PROPERTY_VALIDATION_CANNOT_BE_NULL (name), PROPERTY_VALIDATION_NOT_UPDATABLE
  // (read-only fields), INVALID_FIELD_VALUE (status DELETED), ROLE_NAME_ALREADY_EXISTS,
  // SYSTEM_NAME_ALREADY_EXISTS, PERMISSION_NOT_FOUND. Names are unique among the partner's
  // live roles even under concurrent adds.
  Result<store::UserRole, ApiError> Add(int64_t partner_id, const UserRolePatch& patch) const;
  // userRole.get: the partner's role or a built-in one. INVALID_OBJECT_ID.
  Result<store::UserRole, ApiError> Get(int64_t partner_id, int64_t id) const;
  // userRole.update: the partner's own roles only. INVALID_OBJECT_ID and the Add errors.
  Result<store::UserRole, ApiError> Update(int64_t partner_id, int64_t id,
                                           const UserRolePatch& patch) const;
  // userRole.delete: marks the role DELETED and returns it. INVALID_OBJECT_ID.
  Result<store::UserRole, ApiError> Delete(int64_t partner_id, int64_t id) const;
  // userRole.list: the partner's own roles.
  Result<store::UserRolePage, ApiError> List(int64_t partner_id,
                                             const UserRoleListRequest& request) const;
  // userRole.clone: copies the partner's or a built-in role into the partner, named
  // "<name> copy (<date>)", without a system name. INVALID_OBJECT_ID.
  Result<store::UserRole, ApiError> Clone(int64_t partner_id, int64_t id) const;

 private:
  // Add, Update, Delete and Clone, unaudited; `before` is set to the role as last read.
  Result<store::UserRole, ApiError> AddRole(int64_t partner_id, const UserRolePatch& patch) const;
  Result<store::UserRole, ApiError> UpdateRole(int64_t partner_id, int64_t id,
                                               const UserRolePatch& patch,
                                               std::optional<store::UserRole>* before) const;
  Result<store::UserRole, ApiError> DeleteRole(int64_t partner_id, int64_t id,
                                               std::optional<store::UserRole>* before) const;
  Result<store::UserRole, ApiError> CloneRole(int64_t partner_id, int64_t id) const;
  // With an audit sink, on an I/O thread: the refusal that sends the call to a store thread.
  std::optional<ApiError> RefuseInline() const;
  void Audit(std::string_view action, int64_t partner_id, int64_t id, std::string error,
             const std::optional<store::UserRole>& before,
             const Result<store::UserRole, ApiError>& after) const;
  Result<Void, ApiError> Validate(int64_t partner_id, const store::UserRole& role,
                                  const store::UserRole* existing) const;
  Result<store::UserRole, ApiError> GetOwn(int64_t partner_id, int64_t id) const;
  ApiError Clash(int64_t partner_id, const store::UserRole& role) const;
  // True if `id` is a built-in role's (of the catalogue in force).
  bool IsBuiltIn(int64_t id) const {
    return authorizer_.Get()->catalogue().FindRoleById(id) != nullptr;
  }

  store::Store& store_;
  const CurrentAuthorizer& authorizer_;
  const Clock& clock_;
  AuditSink* audit_;
};

}  // namespace ksgate::services
