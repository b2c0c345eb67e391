#include <memory>
#include <set>

#include "api/kaltura_types.h"
#include "api/object_reader.h"
#include "api/register.h"
#include "services/list_query.h"

namespace ksgate::api {

namespace {

services::UserRolePatch ToPatch(const ObjectValue& o) {
  services::UserRolePatch p;
  ReadPatch(o, "name", &p.name);
  ReadPatch(o, "systemName", &p.system_name);
  ReadPatch(o, "description", &p.description);
  ReadPatch(o, "status", &p.status);
  ReadPatch(o, "permissionNames", &p.permission_names);
  ReadPatch(o, "tags", &p.tags);
  ReadPatch(o, "id", &p.id);
  ReadPatch(o, "partnerId", &p.partner_id);
  ReadPatch(o, "createdAt", &p.created_at);
  ReadPatch(o, "updatedAt", &p.updated_at);
  return p;
}

const ParamDef kRoleId{.name = "userRoleId", .type = Type::kInt};
const ParamDef kRoleObject{
    .name = "userRole", .type = Type::kObject, .object_def = &types::kUserRole};

}  // namespace

Value UserRoleToValue(const store::UserRole& r) {
  Value v = Value::Object("KalturaUserRole");
  v.Add("relatedObjects", Value::Null());
  v.Add("id", Value::Int(r.id));
  v.Add("name", Value::String(r.name));
  v.Add("systemName", Value::String(r.system_name));
  v.Add("description", r.description ? Value::String(*r.description) : Value::Null());
  v.Add("status", Value::Int(static_cast<int>(r.status)));
  v.Add("partnerId", Value::Int(r.partner_id));
  v.Add("permissionNames", Value::String(r.permission_names));
  v.Add("tags", r.tags ? Value::String(*r.tags) : Value::Null());
  v.Add("createdAt", Value::Int(r.created_at));
  v.Add("updatedAt", Value::Int(r.updated_at));
  return v;
}

void RegisterUserRoleActions(ActionTable& table, const services::UserRoleService& roles,
                             const services::CurrentAuthorizer& authorizer) {
  types::RegisterTypes();
  auto role_result = [](Result<store::UserRole, ApiError> r) -> Result<Value, ApiError> {
    if (!r.ok()) return std::move(r).error();
    return UserRoleToValue(*r);
  };

  table.Add(ActionDef{"userRole",
                      "add",
                      {kRoleObject},
                      /*needs_ks=*/true,
                      [&roles, role_result](const CallContext& c, const Args& args) {
                        return role_result(
                            roles.Add(c.partner_id, ToPatch(*args.Object("userRole"))));
                      },
                      /*writes=*/true});
  table.Add(ActionDef{"userRole",
                      "get",
                      {kRoleId},
                      /*needs_ks=*/true,
                      [&roles, role_result](const CallContext& c, const Args& args) {
                        return role_result(roles.Get(c.partner_id, args.Int("userRoleId")));
                      }});
  table.Add(ActionDef{"userRole",
                      "update",
                      {kRoleId, kRoleObject},
                      /*needs_ks=*/true,
                      [&roles, role_result](const CallContext& c, const Args& args) {
                        return role_result(roles.Update(c.partner_id, args.Int("userRoleId"),
                                                        ToPatch(*args.Object("userRole"))));
                      },
                      /*writes=*/true});
  table.Add(ActionDef{"userRole",
                      "delete",
                      {kRoleId},
                      /*needs_ks=*/true,
                      [&roles, role_result](const CallContext& c, const Args& args) {
                        return role_result(roles.Delete(c.partner_id, args.Int("userRoleId")));
                      },
                      /*writes=*/true});
  table.Add(ActionDef{"userRole",
                      "clone",
                      {kRoleId},
                      /*needs_ks=*/true,
                      [&roles, role_result](const CallContext& c, const Args& args) {
                        return role_result(roles.Clone(c.partner_id, args.Int("userRoleId")));
                      },
                      /*writes=*/true});
  table.Add(ActionDef{"userRole",
                      "list",
                      {{.name = "filter",
                        .type = Type::kObject,
                        .object_def = &types::kUserRoleFilter,
                        .optional = true},
                       {.name = "pager",
                        .type = Type::kObject,
                        .object_def = &types::kFilterPager,
                        .optional = true}},
                      /*needs_ks=*/true,
                      [&roles](const CallContext& c, const Args& args) -> Result<Value, ApiError> {
                        const ObjectValue* f = args.Object("filter");
                        const ObjectValue* p = args.Object("pager");
                        services::UserRoleListRequest r;
                        r.id_equal = ReadOptional<int64_t>(f, "idEqual");
                        r.id_in = ReadOptional<std::string>(f, "idIn");
                        r.name_equal = ReadOptional<std::string>(f, "nameEqual");
                        r.name_in = ReadOptional<std::string>(f, "nameIn");
                        r.system_name_equal = ReadOptional<std::string>(f, "systemNameEqual");
                        r.system_name_in = ReadOptional<std::string>(f, "systemNameIn");
                        r.description_like = ReadOptional<std::string>(f, "descriptionLike");
                        r.status_equal = ReadOptional<int>(f, "statusEqual");
                        r.status_in = ReadOptional<std::string>(f, "statusIn");
                        r.tags_multi_like_or = ReadOptional<std::string>(f, "tagsMultiLikeOr");
                        r.tags_multi_like_and = ReadOptional<std::string>(f, "tagsMultiLikeAnd");
                        r.created_at_gte = ReadOptional<int64_t>(f, "createdAtGreaterThanOrEqual");
                        r.created_at_lte = ReadOptional<int64_t>(f, "createdAtLessThanOrEqual");
                        r.updated_at_gte = ReadOptional<int64_t>(f, "updatedAtGreaterThanOrEqual");
                        r.updated_at_lte = ReadOptional<int64_t>(f, "updatedAtLessThanOrEqual");
                        r.order_by = ReadOptional<std::string>(f, "orderBy");
                        r.page_size = ReadOptional<int64_t>(p, "pageSize");
                        r.page_index = ReadOptional<int64_t>(p, "pageIndex");
                        KSGATE_ASSIGN_OR_RETURN(store::UserRolePage page,
                                                roles.List(c.partner_id, r));
                        Value objects = Value::Array();
                        objects.Reserve(page.objects.size());
                        for (const store::UserRole& role : page.objects)
                          objects.Push(UserRoleToValue(role));
                        return ListResponseToValue("KalturaUserRoleListResponse", page.total_count,
                                                   std::move(objects));
                      }});

  table.Add(ActionDef{
      "permission",
      "list",
      {{.name = "filter",
        .type = Type::kObject,
        .object_def = &types::kPermissionFilter,
        .optional = true},
       {.name = "pager",
        .type = Type::kObject,
        .object_def = &types::kFilterPager,
        .optional = true}},
      /*needs_ks=*/true,
      [&authorizer](const CallContext&, const Args& args) -> Result<Value, ApiError> {
        const ObjectValue* f = args.Object("filter");
        const ObjectValue* p = args.Object("pager");
        std::optional<std::string> name_equal = ReadOptional<std::string>(f, "nameEqual");
        std::optional<std::set<std::string, std::less<>>> name_in;
        if (std::optional<std::string> csv = ReadOptional<std::string>(f, "nameIn")) {
          name_in.emplace();
          for (std::string_view n : services::SplitCsv(*csv)) name_in->emplace(n);
        }
        const services::PageWindow page = services::ResolvePager(
            ReadOptional<int64_t>(p, "pageSize"), ReadOptional<int64_t>(p, "pageIndex"));
        Value objects = Value::Array();
        int64_t total = 0;
        const std::shared_ptr<const services::Authorizer> pinned = authorizer.Get();
        const auto& all = pinned->catalogue().permissions();
        for (size_t i = 0; i < all.size(); ++i) {
          const services::PermissionDef& d = all[i];
          if (name_equal && d.name != *name_equal) continue;
          if (name_in && !name_in->count(d.name)) continue;
          ++total;
          if (total <= page.offset || total > page.offset + page.limit) continue;
          Value v = Value::Object("KalturaPermission");
          v.Add("relatedObjects", Value::Null());
          v.Add("id", Value::Int(static_cast<int64_t>(i) + 1));
          v.Add("type", Value::Int(1));  // NORMAL
          v.Add("name", Value::String(d.name));
          v.Add("friendlyName", Value::String(d.name));
          v.Add("description", Value::String(d.description));
          v.Add("status", Value::Int(1));  // ACTIVE
          v.Add("partnerId", Value::Int(0));
          objects.Push(std::move(v));
        }
        return ListResponseToValue("KalturaPermissionListResponse", total, std::move(objects));
      }});
}

}  // namespace ksgate::api
