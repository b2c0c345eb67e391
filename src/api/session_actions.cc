#include "api/kaltura_types.h"
#include "api/register.h"

namespace ksgate::api {

Value SessionInfoToValue(services::SessionInfo info) {
  Value v = Value::Object("KalturaSessionInfo");
  v.Reserve(7);
  v.Add("relatedObjects", Value::Null());
  v.Add("ks", info.ks ? Value::String(*std::move(info.ks)) : Value::Null());
  v.Add("sessionType", Value::Int(info.session_type));
  v.Add("partnerId", Value::Int(info.partner_id));
  v.Add("userId", Value::String(std::move(info.user_id)));
  v.Add("expiry", Value::Int(info.expiry));
  v.Add("privileges", Value::String(std::move(info.privileges)));
  return v;
}

void RegisterSessionActions(ActionTable& table, const services::SessionService& sessions) {
  table.Add(ActionDef{
      "session",
      "start",
      {
          {.name = "secret", .type = Type::kString},
          {.name = "userId", .type = Type::kString, .optional = true, .default_value = ""},
          {.name = "type",
           .type = Type::kIntEnum,
           .enum_def = &types::kSessionType,
           .optional = true,
           .default_value = "0"},
          {.name = "partnerId", .type = Type::kInt, .optional = true},
          {.name = "expiry", .type = Type::kInt, .optional = true, .default_value = "86400"},
          {.name = "privileges", .type = Type::kString, .optional = true},
      },
      /*needs_ks=*/false,
      [&sessions](const CallContext& context, const Args& args) -> Result<Value, ApiError> {
        services::StartSessionRequest request;
        request.secret = args.String("secret");
        request.user_id = args.String("userId");
        request.type = static_cast<int>(args.Int("type"));
        request.partner_id = args.Int("partnerId");
        request.expiry = args.Int("expiry");
        request.privileges = args.String("privileges");
        request.client_ip = std::string(context.client_ip);
        KSGATE_ASSIGN_OR_RETURN(std::string ks, sessions.Start(request));
        return Value::String(std::move(ks));
      }});

  table.Add(ActionDef{
      "session",
      "startWidgetSession",
      {
          {.name = "widgetId", .type = Type::kString},
          {.name = "expiry", .type = Type::kInt, .optional = true, .default_value = "86400"},
      },
      /*needs_ks=*/false,
      [&sessions](const CallContext&, const Args& args) -> Result<Value, ApiError> {
        KSGATE_ASSIGN_OR_RETURN(
            services::WidgetSession session,
            sessions.StartWidgetSession(args.String("widgetId"), args.Int("expiry")));
        Value v = Value::Object("KalturaStartWidgetSessionResponse");
        v.Reserve(4);
        v.Add("relatedObjects", Value::Null());
        v.Add("partnerId", Value::Int(session.partner_id));
        v.Add("ks", Value::String(std::move(session.ks)));
        v.Add("userId", Value::String(std::move(session.user_id)));
        return v;
      }});

  table.Add(ActionDef{
      "session",
      "get",
      {{.name = "session", .type = Type::kString, .optional = true}},
      /*needs_ks=*/true,
      [&sessions](const CallContext& context, const Args& args) -> Result<Value, ApiError> {
        KSGATE_ASSIGN_OR_RETURN(services::SessionInfo info,
                                sessions.Get(context.caller, args.String("session")));
        return SessionInfoToValue(std::move(info));
      }});

  table.Add(ActionDef{
      "session",
      "end",
      {},
      /*needs_ks=*/false,
      [&sessions](const CallContext& context, const Args&) -> Result<Value, ApiError> {
        KSGATE_ASSIGN_OR_RETURN(services::EndedSession done, sessions.End(context.caller));
        (void)done;
        return Value::Null();
      }});
}

}  // namespace ksgate::api
