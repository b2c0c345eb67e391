#include "services/user_role_service.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <limits>

#include "services/list_query.h"
#include "services/store_calls.h"

namespace ksgate::services {

namespace {

constexpr int kCloneNameAttempts = 50;

ApiError NotUpdatable(std::string_view field) {
  return ApiError::Of(errors::kPropertyValidationNotUpdatable,
                      {"KalturaUserRole::" + std::string(field)});
}

ApiError InvalidId(int64_t id) {
  return ApiError::Of(errors::kInvalidObjectId, {std::to_string(id)});
}
}  // namespace

ApiError UserRoleService::Clash(int64_t partner_id, const store::UserRole& role) const {
  // The store refused a name or system name a concurrent request took first: say which.
  store::UserRoleQuery same_name;
  same_name.name_equal = role.name;
  same_name.limit = 2;
  Result<store::UserRolePage> page = store_.ListUserRoles(partner_id, same_name);
  if (!page.ok()) return DatabaseError(page.error());
  for (const store::UserRole& other : page->objects) {
    if (other.id != role.id) return ApiError::Of(errors::kRoleNameAlreadyExists);
  }
  return ApiError::Of(errors::kSystemNameAlreadyExists, {role.system_name});
}

Result<Void, ApiError> UserRoleService::Validate(int64_t partner_id, const store::UserRole& role,
                                                 const store::UserRole* existing) const {
  if (role.name.empty()) {
    return ApiError::Of(errors::kPropertyValidationCannotBeNull, {"KalturaUserRole::name"});
  }
  if (existing == nullptr || existing->name != role.name) {
    store::UserRoleQuery same_name;
    same_name.name_equal = role.name;
    same_name.limit = 1;
    KSGATE_ASSIGN_OR_RETURN(const store::UserRolePage page,
                            FromStore(store_.ListUserRoles(partner_id, same_name)));
    if (page.total_count > 0) return ApiError::Of(errors::kRoleNameAlreadyExists);
  }
  const std::shared_ptr<const Authorizer> authorizer = authorizer_.Get();  // the catalogue in force
  const PermissionCatalogue& catalogue = authorizer->catalogue();
  if (!role.system_name.empty() && catalogue.FindRoleBySystemName(role.system_name) != nullptr) {
    return ApiError::Of(errors::kSystemNameAlreadyExists, {role.system_name});
  }
  if (std::optional<std::string> unknown = catalogue.FirstUnknown(role.permission_names)) {
    return ApiError::Of(errors::kPermissionNotFound,
                        {"Permission [" + *unknown + "] was not found for partner [" +
                         std::to_string(partner_id) + "]"});
  }
  return Void{};
}

std::optional<ApiError> UserRoleService::RefuseInline() const {
  if (audit_ == nullptr || !store::InInlineScope()) return std::nullopt;
  return DatabaseError(store::RefuseToBlock(store::Access::kWrite));
}

void UserRoleService::Audit(std::string_view action, int64_t partner_id, int64_t id,
                            std::string error, const std::optional<store::UserRole>& before,
                            const Result<store::UserRole, ApiError>& after) const {
  if (audit_ == nullptr) return;
  AuditEvent event{.action = action,
                   .error = std::move(error),
                   .partner_id = partner_id,
                   .object_type = "userRole",
                   .object_id = id != 0 ? std::to_string(id) : ""};
  if (before) event.before = AuditFieldsOf(*before);
  if (after.ok()) event.after = AuditFieldsOf(*after);
  audit_->Record(event);
}

Result<store::UserRole, ApiError> UserRoleService::Add(int64_t partner_id,
                                                       const UserRolePatch& patch) const {
  if (std::optional<ApiError> refused = RefuseInline()) return *refused;
  Result<store::UserRole, ApiError> added = AddRole(partner_id, patch);
  Audit("userRole.add", partner_id, added.ok() ? added->id : 0, AuditError(added), std::nullopt,
        added);
  return added;
}

Result<store::UserRole, ApiError> UserRoleService::Update(int64_t partner_id, int64_t id,
                                                          const UserRolePatch& patch) const {
  if (std::optional<ApiError> refused = RefuseInline()) return *refused;
  std::optional<store::UserRole> before;
  Result<store::UserRole, ApiError> updated = UpdateRole(partner_id, id, patch, &before);
  Audit("userRole.update", partner_id, id, AuditError(updated), before, updated);
  return updated;
}

Result<store::UserRole, ApiError> UserRoleService::Delete(int64_t partner_id, int64_t id) const {
  if (std::optional<ApiError> refused = RefuseInline()) return *refused;
  std::optional<store::UserRole> before;
  Result<store::UserRole, ApiError> deleted = DeleteRole(partner_id, id, &before);
  Audit("userRole.delete", partner_id, id, AuditError(deleted), before, deleted);
  return deleted;
}

Result<store::UserRole, ApiError> UserRoleService::Clone(int64_t partner_id, int64_t id) const {
  if (std::optional<ApiError> refused = RefuseInline()) return *refused;
  Result<store::UserRole, ApiError> cloned = CloneRole(partner_id, id);
  Audit("userRole.clone", partner_id, cloned.ok() ? cloned->id : 0, AuditError(cloned),
        std::nullopt, cloned);
  return cloned;
}

Result<store::UserRole, ApiError> UserRoleService::AddRole(int64_t partner_id,
                                                           const UserRolePatch& patch) const {
  if (patch.id.is_set()) return NotUpdatable("id");
  if (patch.partner_id.is_set()) return NotUpdatable("partnerId");
  if (patch.created_at.is_set()) return NotUpdatable("createdAt");
  if (patch.updated_at.is_set()) return NotUpdatable("updatedAt");
  store::UserRole role;
  role.partner_id = partner_id;
  role.name = patch.name.is_set() ? patch.name.value : "";
  role.system_name = patch.system_name.is_set() ? patch.system_name.value : "";
  if (patch.description.is_set()) role.description = patch.description.value;
  role.status = patch.status.is_set() ? static_cast<store::UserRoleStatus>(patch.status.value)
                                      : store::UserRoleStatus::kActive;
  if (role.status == store::UserRoleStatus::kDeleted) {
    return ApiError::Of(errors::kInvalidFieldValue, {"status"});  // a role cannot be born deleted
  }
  role.permission_names = patch.permission_names.is_set() ? patch.permission_names.value : "";
  if (patch.tags.is_set()) role.tags = patch.tags.value;
  KSGATE_ASSIGN_OR_RETURN(Void ok, Validate(partner_id, role, nullptr));
  (void)ok;
  role.created_at = role.updated_at = clock_.NowSeconds();
  Result<store::UserRole> inserted = store_.InsertUserRole(role);
  if (!inserted.ok()) {
    if (inserted.error().code() == StatusCode::kAlreadyExists) return Clash(partner_id, role);
    return DatabaseError(inserted.error());
  }
  return std::move(inserted).value();
}

Result<store::UserRole, ApiError> UserRoleService::GetOwn(int64_t partner_id, int64_t id) const {
  return FromStore(store_.GetUserRole(partner_id, id), [&] { return InvalidId(id); });
}

Result<store::UserRole, ApiError> UserRoleService::Get(int64_t partner_id, int64_t id) const {
  const std::shared_ptr<const Authorizer> authorizer = authorizer_.Get();
  if (const store::UserRole* builtin = authorizer->catalogue().FindRoleById(id)) return *builtin;
  return GetOwn(partner_id, id);
}

Result<store::UserRole, ApiError> UserRoleService::UpdateRole(
    int64_t partner_id, int64_t id, const UserRolePatch& patch,
    std::optional<store::UserRole>* before) const {
  if (IsBuiltIn(id)) return InvalidId(id);
  store::UserRole attempted;  // the role the last write tried to store
  return CompareAndSetLoop<store::UserRole>(
      "user role update",
      [&]() -> Result<CasStep<store::UserRole>, ApiError> {
        before->reset();
        KSGATE_ASSIGN_OR_RETURN(store::UserRole existing, GetOwn(partner_id, id));
        *before = existing;
        if (Differs(patch.id, existing.id)) return NotUpdatable("id");
        if (Differs(patch.partner_id, existing.partner_id)) return NotUpdatable("partnerId");
        if (Differs(patch.created_at, existing.created_at)) return NotUpdatable("createdAt");
        if (Differs(patch.updated_at, existing.updated_at)) return NotUpdatable("updatedAt");

        store::UserRole role = existing;
        if (patch.name.is_set()) role.name = patch.name.value;
        if (patch.name.is_null()) role.name.clear();
        if (!patch.system_name.absent()) role.system_name = patch.system_name.value;
        if (patch.description.is_set()) role.description = patch.description.value;
        if (patch.description.is_null()) role.description.reset();
        if (patch.status.is_set()) {
          role.status = static_cast<store::UserRoleStatus>(patch.status.value);
        }
        if (!patch.permission_names.absent()) role.permission_names = patch.permission_names.value;
        if (patch.tags.is_set()) role.tags = patch.tags.value;
        if (patch.tags.is_null()) role.tags.reset();
        KSGATE_ASSIGN_OR_RETURN(Void ok, Validate(partner_id, role, &existing));
        (void)ok;
        if (role == existing) return CasStep<store::UserRole>{std::move(existing), nullptr};
        role.updated_at = clock_.NowSeconds();
        attempted = role;
        return CasStep<store::UserRole>{
            role, [this, existing, role] { return store_.UpdateUserRole(existing, role); }};
      },
      [&](const Status& s) {
        // A name taken meanwhile: say which.
        if (s.code() == StatusCode::kAlreadyExists) return Clash(partner_id, attempted);
        return StoreError(s, [&] { return InvalidId(id); });
      });
}

Result<store::UserRole, ApiError> UserRoleService::DeleteRole(
    int64_t partner_id, int64_t id, std::optional<store::UserRole>* before) const {
  if (IsBuiltIn(id)) return InvalidId(id);
  return CompareAndSetLoop<store::UserRole>(
      "user role delete",
      [&]() -> Result<CasStep<store::UserRole>, ApiError> {
        before->reset();
        KSGATE_ASSIGN_OR_RETURN(store::UserRole existing, GetOwn(partner_id, id));
        *before = existing;
        store::UserRole role = existing;
        role.status = store::UserRoleStatus::kDeleted;
        role.updated_at = clock_.NowSeconds();
        return CasStep<store::UserRole>{
            role, [this, existing, role] { return store_.UpdateUserRole(existing, role); }};
      },
      [&](const Status& s) { return StoreError(s, [&] { return InvalidId(id); }); });
}

Result<store::UserRolePage, ApiError> UserRoleService::List(int64_t partner_id,
                                                            const UserRoleListRequest& r) const {
  store::UserRoleQuery q;
  q.id_equal = r.id_equal;
  if (r.id_in) q.id_in = CsvIntegers<int64_t>(*r.id_in);
  q.name_equal = r.name_equal;
  if (r.name_in) q.name_in = CsvStrings(*r.name_in);
  q.system_name_equal = r.system_name_equal;
  if (r.system_name_in) q.system_name_in = CsvStrings(*r.system_name_in);
  q.description_like = r.description_like;
  q.status_equal = r.status_equal;
  if (r.status_in) q.status_in = CsvIntegers<int>(*r.status_in);
  if (r.tags_multi_like_or) q.tags_multi_like_or = CsvStrings(*r.tags_multi_like_or);
  if (r.tags_multi_like_and) q.tags_multi_like_and = CsvStrings(*r.tags_multi_like_and);
  q.created_at_gte = r.created_at_gte;
  q.created_at_lte = r.created_at_lte;
  q.updated_at_gte = r.updated_at_gte;
  q.updated_at_lte = r.updated_at_lte;
  if (r.order_by) {
    q.order_by = ParseOrderBy<store::UserRoleOrder>(
        *r.order_by, {{"id", store::UserRoleOrderField::kId},
                      {"name", store::UserRoleOrderField::kName},
                      {"createdAt", store::UserRoleOrderField::kCreatedAt},
                      {"updatedAt", store::UserRoleOrderField::kUpdatedAt}});
  }
  const PageWindow window = ResolvePager(r.page_size, r.page_index);
  q.limit = window.limit;
  q.offset = window.offset;
  return FromStore(store_.ListUserRoles(partner_id, q));
}

Result<store::UserRole, ApiError> UserRoleService::CloneRole(int64_t partner_id, int64_t id) const {
  KSGATE_ASSIGN_OR_RETURN(store::UserRole source, Get(partner_id, id));
  store::UserRole copy = source;
  copy.partner_id = partner_id;
  copy.system_name.clear();
  const int64_t now = clock_.NowSeconds();
  std::time_t t = static_cast<std::time_t>(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%a %e %b %Y, %H:%M:%S", &tm);
  std::string when = date;
  if (when.size() > 4 && when[4] == ' ')
    when.erase(4, 1);  // "%e" pads with a space; PHP's "j" does not
  copy.created_at = copy.updated_at = now;
  // Two clones in the same second would get the same name: number the later ones.
  for (int n = 1; n <= kCloneNameAttempts; ++n) {
    copy.name = source.name + " copy (" + when + ")" + (n > 1 ? " " + std::to_string(n) : "");
    Result<store::UserRole> inserted = store_.InsertUserRole(copy);
    if (inserted.ok()) return std::move(inserted).value();
    if (inserted.error().code() != StatusCode::kAlreadyExists) {
      return DatabaseError(inserted.error());
    }
  }
  return ApiError::Of(errors::kRoleNameAlreadyExists);
}

}  // namespace ksgate::services
