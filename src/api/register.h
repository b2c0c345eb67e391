// Registration of each service's actions into an ActionTable. Each function documents the
// actions it adds; the services passed in must outlive the table's use.
#pragma once

#include "api/action.h"
#include "common/clock.h"
#include "services/app_token_service.h"
#include "services/authorizer.h"
#include "services/session_service.h"
#include "services/user_role_service.h"
#include "store/records.h"

namespace ksgate::api {

// system.ping, system.getTime.
void RegisterSystemActions(ActionTable& table, const Clock& clock);

// session.start, session.startWidgetSession, session.get, session.end.
void RegisterSessionActions(ActionTable& table, const services::SessionService& sessions);

// KalturaSessionInfo as returned by session.get and appToken.startSession.
Value SessionInfoToValue(services::SessionInfo info);

// appToken.add, get, update, delete, list, startSession, and ksgate's controls
// (RegisterAppTokenControls). Under the partner's show-once setting, get, list, update, disable
// and enable return tokens without their value.
void RegisterAppTokenActions(ActionTable& table, const services::AppTokenService& tokens);

// ksgate's app token actions beside Kaltura's (docs/apptokens.md): appToken.disable(id),
// appToken.enable(id) -> KalturaAppToken; appToken.rotate(id, gracePeriod=0,
// revokeSessions=false) -> KalturaAppToken with its new value; appToken.revokeSessions(id |
// userId | ksHash, issuedBefore) -> null.
void RegisterAppTokenControls(ActionTable& table, const services::AppTokenService& tokens);

// A Kaltura<X>ListResponse: totalCount (all matches) and the page of objects.
Value ListResponseToValue(std::string_view class_name, int64_t total_count, Value objects);

// KalturaAppToken, with every field in declaration order; `token` is null unless with_value.
// ksgate's own fields (the exchange policy, previousTokenExpiresAt, sessionsRevokedBefore) come
// last and only when set. Never the value before a rotation.
Value AppTokenToValue(const store::AppToken& token, bool with_value = true);

// userRole.add, get, update, delete, list, clone; permission.list (the catalogue in force,
// read-only). `roles` and `authorizer` must outlive the table.
void RegisterUserRoleActions(ActionTable& table, const services::UserRoleService& roles,
                             const services::CurrentAuthorizer& authorizer);

// KalturaUserRole.
Value UserRoleToValue(const store::UserRole& role);

}  // namespace ksgate::api
