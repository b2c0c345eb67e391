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
  ReadPatch(o, "maxSessions", &p.max_sessions);
  ReadPatch(o, "allowedCidrs", &p.allowed_cidrs);
  ReadPatch(o, "exchangesPerMinute", &p.exchanges_per_minute);
  ReadPatch(o, "maxSessionExpiry", &p.max_session_expiry);
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

// Whether get/list/update/disable/enable may return token values to callers of `partner`
// (not under the show-once setting; add and rotate always do).
bool ShowsValue(const store::Partner& partner) { return !partner.settings.app_token_show_once; }

// The token of an action that returns one, as the partner's settings allow it to be shown.
Result<Value, ApiError> TokenResult(Result<store::AppToken, ApiError> token, bool with_value) {
  if (!token.ok()) return std::move(token).error();
  return AppTokenToValue(*token, with_value);
}

}  // namespace

Value ListResponseToValue(std::string_view class_name, int64_t total_count, Value objects) {
  Value v = Value::Object(std::string(class_name));
  v.Add("relatedObjects", Value::Null());
  v.Add("totalCount", Value::Int(total_count));
  v.Add("objects", std::move(objects));
  return v;
}

Value AppTokenToValue(const store::AppToken& t, bool with_value) {
  Value v = Value::Object("KalturaAppToken");
  v.Reserve(19);  // the 13 Kaltura fields and ksgate's 6
  v.Add("relatedObjects", Value::Null());
  v.Add("id", Value::String(t.id));
  v.Add("token", with_value ? Value::String(t.token) : Value::Null());
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
  // ksgate's own fields (docs/apptokens.md), present only when set, so that a client that does
  // not know them never sees them, in XML either.
  auto add_if = [&v](std::string_view name, Value value) {
    if (!value.is_null()) v.Add(std::string(name), std::move(value));
  };
  add_if("maxSessions", OptionalInt(t.max_sessions));
  add_if("allowedCidrs", OptionalString(t.allowed_cidrs));
  add_if("exchangesPerMinute", OptionalInt(t.exchanges_per_minute));
  add_if("maxSessionExpiry", OptionalInt(t.max_session_expiry));
  add_if("previousTokenExpiresAt", OptionalInt(t.previous_token_until));
  add_if("sessionsRevokedBefore", OptionalInt(t.sessions_revoked_before));
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
        return TokenResult(
            tokens.Add(c.caller.partner(), ToPatch(*args.Object("appToken")), &c.caller), true);
      },
      /*writes=*/true});

  table.Add(ActionDef{"appToken",
                      "get",
                      {kId},
                      /*needs_ks=*/true,
                      [&tokens](const CallContext& c, const Args& args) -> Result<Value, ApiError> {
                        return TokenResult(tokens.Get(c.partner_id, args.String("id")),
                                           ShowsValue(c.caller.partner()));
                      }});

  table.Add(
      ActionDef{"appToken",
                "update",
                {kId, {.name = "appToken", .type = Type::kObject, .object_def = &types::kAppToken}},
                /*needs_ks=*/true,
                [&tokens](const CallContext& c, const Args& args) -> Result<Value, ApiError> {
                  return TokenResult(tokens.Update(c.caller.partner(), args.String("id"),
                                                   ToPatch(*args.Object("appToken")), &c.caller),
                                     ShowsValue(c.caller.partner()));
                },
                /*writes=*/true});

  table.Add(ActionDef{"appToken",
                      "delete",
                      {kId},
                      /*needs_ks=*/true,
                      [&tokens](const CallContext& c, const Args& args) -> Result<Value, ApiError> {
                        KSGATE_ASSIGN_OR_RETURN(Void done,
                                                tokens.Delete(c.partner_id, args.String("id")));
                        (void)done;
                        return Value::Null();
                      },
                      /*writes=*/true});

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
        objects.Reserve(page.objects.size());
        for (const store::AppToken& t : page.objects) {
          objects.Push(AppTokenToValue(t, ShowsValue(c.caller.partner())));
        }
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
        return SessionInfoToValue(std::move(info));
      }});

  RegisterAppTokenControls(table, tokens);
}

void RegisterAppTokenControls(ActionTable& table, const services::AppTokenService& tokens) {
  const ParamDef kId{.name = "id", .type = Type::kString};
  for (const bool enable : {false, true}) {
    table.Add(ActionDef{
        "appToken",
        enable ? "enable" : "disable",
        {kId},
        /*needs_ks=*/true,
        [&tokens, enable](const CallContext& c, const Args& args) -> Result<Value, ApiError> {
          return TokenResult(tokens.SetEnabled(c.partner_id, args.String("id"), enable),
                             ShowsValue(c.caller.partner()));
        },
        /*writes=*/true});
  }

  table.Add(ActionDef{"appToken",
                      "rotate",
                      {kId,
                       {.name = "gracePeriod", .type = Type::kInt, .optional = true},
                       {.name = "revokeSessions", .type = Type::kBool, .optional = true}},
                      /*needs_ks=*/true,
                      [&tokens](const CallContext& c, const Args& args) -> Result<Value, ApiError> {
                        services::RotateAppTokenRequest request;
                        request.grace_seconds = args.Int("gracePeriod");
                        request.revoke_sessions = args.Int("revokeSessions") != 0;
                        return TokenResult(tokens.Rotate(c.caller.partner(), args.String("id"),
                                                         request, &c.caller),
                                           true);
                      },
                      /*writes=*/true});

  table.Add(ActionDef{
      "appToken",
      "revokeSessions",
      {{.name = "id", .type = Type::kString, .optional = true, .max_length = 64},
       {.name = "userId",
        .type = Type::kString,
        .optional = true,
        .max_length = types::kMaxUserIdLength},
       {.name = "ksHash", .type = Type::kString, .optional = true, .max_length = 64},
       {.name = "issuedBefore", .type = Type::kInt, .optional = true}},
      /*needs_ks=*/true,
      [&tokens](const CallContext& c, const Args& args) -> Result<Value, ApiError> {
        auto optional_string = [&args](std::string_view name) -> std::optional<std::string> {
          const ArgValue& v = args.Get(name);
          if (!v.is_set()) return std::nullopt;
          return v.string_value;
        };
        services::RevokeSessionsRequest request;
        request.token_id = optional_string("id");
        request.user_id = optional_string("userId");
        request.ks_hash = optional_string("ksHash");
        if (args.Get("issuedBefore").is_set()) request.issued_before = args.Int("issuedBefore");
        KSGATE_ASSIGN_OR_RETURN(services::RevokedSessions done,
                                tokens.RevokeSessions(c.partner_id, request));
        (void)done;
        return Value::Null();
      },
      /*writes=*/true});
}

}  // namespace ksgate::api
