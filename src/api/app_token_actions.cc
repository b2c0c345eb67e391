#include "api/kaltura_types.h"
#include "api/object_reader.h"
#include "api/register.h"

namespace ksgate::api {

namespace {

services::AppTokenPatch ToPatch(const ObjectValue& o) {
  services::AppTokenPatch p;
  ReadPatch(o, "expiry", &p.expiry);
  ReadPatch(o, "sessionType", &p.session_type);
  ReadPatch(o, "sessionUserId", &p.session_user_id);
  ReadPatch(o, "sessionDuration", &p.session_duration);
  ReadPatch(o, "sessionPrivileges", &p.session_privileges);
  ReadPatch(o, "hashType", &p.hash_type);
  ReadPatch(o, "description", &p.description);
  ReadPatch(o, "id", &p.id);
  ReadPatch(o, "token", &p.token);
  ReadPatch(o, "partnerId", &p.partner_id);
  ReadPatch(o, "createdAt", &p.created_at);
  ReadPatch(o, "updatedAt", &p.updated_at);
  ReadPatch(o, "status", &p.status);
  return p;
}

Value OptionalString(const std::optional<std::string>& s) {
  return s ? Value::String(*s) : Value::Null();
}

Value OptionalInt(const std::optional<int64_t>& i) { return i ? Value::Int(*i) : Value::Null(); }

}  // namespace

Value ListResponseToValue(std::string_view class_name, int64_t total_count, Value objects) {
  Value v = Value::Object(std::string(class_name));
  v.Add("relatedObjects", Value::Null());
  v.Add("totalCount", Value::Int(total_count));
  v.Add("objects", std::move(objects));
  return v;
}

Value AppTokenToValue(const store::AppToken& t) {
  Value v = Value::Object("KalturaAppToken");
  v.Add("relatedObjects", Value::Null());
  v.Add("id", Value::String(t.id));
  v.Add("token", Value::String(t.token));
  v.Add("partnerId", Value::Int(t.partner_id));
  v.Add("createdAt", Value::Int(t.created_at));
  v.Add("updatedAt", Value::Int(t.updated_at));
  v.Add("status", Value::Int(static_cast<int>(t.status)));
  v.Add("expiry", OptionalInt(t.expiry));
  v.Add("sessionType", t.session_type ? Value::Int(*t.session_type) : Value::Null());
  v.Add("sessionUserId", OptionalString(t.session_user_id));
  v.Add("sessionDuration", OptionalInt(t.session_duration));
  v.Add("sessionPrivileges", OptionalString(t.session_privileges));
  v.Add("hashType", OptionalString(t.hash_type));
  v.Add("description", OptionalString(t.description));
  return v;
}

void RegisterAppTokenActions(ActionTable& table, const services::AppTokenService& tokens) {
  types::RegisterTypes();
  const ParamDef kId{.name = "id", .type = Type::kString};

  table.Add(ActionDef{
      "appToken",
      "add",
      {{.name = "appToken", .type = Type::kObject, .object_def = &types::kAppToken}},
      /*needs_ks=*/true,
      [&tokens](const CallContext& c, const Args& args) -> Result<Value, ApiError> {
        KSGATE_ASSIGN_OR_RETURN(store::AppToken t,
                                tokens.Add(c.caller.partner, ToPatch(*args.Object("appToken"))));
        return AppTokenToValue(t);
      }});

  table.Add(ActionDef{"appToken",
                      "get",
                      {kId},
                      /*needs_ks=*/true,
                      [&tokens](const CallContext& c, const Args& args) -> Result<Value, ApiError> {
                        KSGATE_ASSIGN_OR_RETURN(store::AppToken t,
                                                tokens.Get(c.partner_id, args.String("id")));
                        return AppTokenToValue(t);
                      }});

  table.Add(ActionDef{
      "appToken",
      "update",
      {kId, {.name = "appToken", .type = Type::kObject, .object_def = &types::kAppToken}},
      /*needs_ks=*/true,
      [&tokens](const CallContext& c, const Args& args) -> Result<Value, ApiError> {
        KSGATE_ASSIGN_OR_RETURN(
            store::AppToken t,
            tokens.Update(c.caller.partner, args.String("id"), ToPatch(*args.Object("appToken"))));
        return AppTokenToValue(t);
      }});

  table.Add(ActionDef{"appToken",
                      "delete",
                      {kId},
                      /*needs_ks=*/true,
                      [&tokens](const CallContext& c, const Args& args) -> Result<Value, ApiError> {
                        KSGATE_ASSIGN_OR_RETURN(Void done,
                                                tokens.Delete(c.partner_id, args.String("id")));
                        (void)done;
                        return Value::Null();
                      }});

  table.Add(ActionDef{
      "appToken",
      "list",
      {{.name = "filter",
        .type = Type::kObject,
        .object_def = &types::kAppTokenFilter,
        .optional = true},
       {.name = "pager",
        .type = Type::kObject,
        .object_def = &types::kFilterPager,
        .optional = true}},
      /*needs_ks=*/true,
      [&tokens](const CallContext& c, const Args& args) -> Result<Value, ApiError> {
        const ObjectValue* f = args.Object("filter");
        const ObjectValue* p = args.Object("pager");
        services::AppTokenListRequest request;
        request.id_equal = ReadOptional<std::string>(f, "idEqual");
        request.id_in = ReadOptional<std::string>(f, "idIn");
        request.created_at_gte = ReadOptional<int64_t>(f, "createdAtGreaterThanOrEqual");
        request.created_at_lte = ReadOptional<int64_t>(f, "createdAtLessThanOrEqual");
        request.updated_at_gte = ReadOptional<int64_t>(f, "updatedAtGreaterThanOrEqual");
        request.updated_at_lte = ReadOptional<int64_t>(f, "updatedAtLessThanOrEqual");
        request.status_equal = ReadOptional<int>(f, "statusEqual");
        request.status_in = ReadOptional<std::string>(f, "statusIn");
        request.session_user_id_equal = ReadOptional<std::string>(f, "sessionUserIdEqual");
        request.order_by = ReadOptional<std::string>(f, "orderBy");
        request.page_size = ReadOptional<int64_t>(p, "pageSize");
        request.page_index = ReadOptional<int64_t>(p, "pageIndex");
        KSGATE_ASSIGN_OR_RETURN(store::AppTokenPage page, tokens.List(c.partner_id, request));
        Value objects = Value::Array();
        for (const store::AppToken& t : page.objects) objects.Push(AppTokenToValue(t));
        return ListResponseToValue("KalturaAppTokenListResponse", page.total_count,
                                   std::move(objects));
      }});

  table.Add(ActionDef{
      "appToken",
      "startSession",
      {kId,
       {.name = "tokenHash", .type = Type::kString},
       {.name = "userId", .type = Type::kString, .optional = true},
       {.name = "type", .type = Type::kIntEnum, .enum_def = &types::kSessionType, .optional = true},
       {.name = "expiry", .type = Type::kInt, .optional = true},
       {.name = "sessionPrivileges", .type = Type::kString, .optional = true}},
      /*needs_ks=*/true,
      [&tokens](const CallContext& c, const Args& args) -> Result<Value, ApiError> {
        services::StartAppTokenSessionRequest request;
        request.id = args.String("id");
        request.token_hash = args.String("tokenHash");
        request.user_id = args.String("userId");
        if (args.Get("type").is_set()) request.type = static_cast<int>(args.Int("type"));
        request.expiry = args.Int("expiry");
        request.session_privileges = args.String("sessionPrivileges");
        request.client_ip = std::string(c.client_ip);
        KSGATE_ASSIGN_OR_RETURN(services::SessionInfo info, tokens.StartSession(c.caller, request));
        return SessionInfoToValue(info);
      }});
}

}  // namespace ksgate::api
