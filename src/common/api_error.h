// ApiError: an error a client sees, as a KalturaAPIException (code, message, args).
//
// Every error ksgate can return is declared once below, with Kaltura's code, argument names
// and message template (api_v3/lib/KalturaErrors.php and APIErrors.class.php). Build one with
// ApiError::Of(errors::kAppTokenIdNotFound, {id}); only api/ serialises it.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ksgate {

// One catalogue entry. `arg_names` is comma-separated, in substitution order.
struct ErrorDef {
  std::string_view code;
  std::string_view arg_names;
  std::string_view message_template;  // "@NAME@" placeholders
};

struct ApiError {
  std::string code;
  std::string message;
  // (name, value) in declaration order; empty for errors without arguments.
  std::vector<std::pair<std::string, std::string>> args;

  // Fills the template. Values are used in order; a missing value becomes "N/A"; each value
  // has HTML tags stripped (as PHP strip_tags does), then is clipped by ClipEcho, before
  // substitution: an error never echoes more than kMaxEchoLength bytes of any value.
  static ApiError Of(const ErrorDef& def, std::initializer_list<std::string_view> values = {});
  static ApiError Of(const ErrorDef& def, const std::vector<std::string>& values);

  friend bool operator==(const ApiError&, const ApiError&) = default;
};

// Removes HTML/PHP tags the way PHP strip_tags does for ordinary text ("a<b>c" -> "ac").
std::string StripTags(std::string_view s);

// Longest error argument value, in bytes, before it is clipped (docs/security.md): error
// arguments echo caller input (a KS, a service name, a widget id), and an echo must not let a
// request make a large answer.
inline constexpr size_t kMaxEchoLength = 128;

// `s` when it has at most kMaxEchoLength bytes; else its first kMaxEchoLength bytes, shortened
// to the last whole UTF-8 character, followed by "...".
std::string ClipEcho(std::string_view s);

namespace errors {
// Framework / dispatch.
inline constexpr ErrorDef kServiceNotSpecified{
    "SERVICE_NOT_SPECIFIED", "", "Service name was not specified, please specify one"};
inline constexpr ErrorDef kServiceDoesNotExists{"SERVICE_DOES_NOT_EXISTS", "SRV_NAME",
                                                "Service \"@SRV_NAME@\" does not exists"};
inline constexpr ErrorDef kActionNotSpecified{"ACTION_NOT_SPECIFIED", "",
                                              "Action name was not specified, please specify one"};
inline constexpr ErrorDef kActionDoesNotExists{
    "ACTION_DOES_NOT_EXISTS", "ACTION_NAME,SERVICE_NAME",
    "Action \"@ACTION_NAME@\" does not exists for service \"@SERVICE_NAME@\""};
inline constexpr ErrorDef kMissingMandatoryParameter{"MISSING_MANDATORY_PARAMETER", "PARAM_NAME",
                                                     "Missing parameter \"@PARAM_NAME@\""};
inline constexpr ErrorDef kInvalidEnumValue{
    "INVALID_ENUM_VALUE", "ENUM_VAL,PARAM_NAME,ENUM_TYPE",
    "Invalid enumeration value \"@ENUM_VAL@\" for parameter \"@PARAM_NAME@\", expecting "
    "enumeration type \"@ENUM_TYPE@\""};
inline constexpr ErrorDef kObjectTypeAbstract{
    "OBJECT_TYPE_ABSTRACT", "OBJ_TYPE",
    "The object type \"@OBJ_TYPE@\" is abstract, use one of the object implementations"};
inline constexpr ErrorDef kPropertyValidationWrongFormat{
    "PROPERTY_VALIDATION_WRONG_FORMAT", "PROP_NAME,FORMAT",
    "The property \"@PROP_NAME@\" must match format @FORMAT@"};
inline constexpr ErrorDef kInvalidParameterChar{"INVALID_PARAMETER_CHAR", "XML_FIELD",
                                                "Invalid char in \"@XML_FIELD@\" field"};
inline constexpr ErrorDef kPropertyValidationCannotBeNull{
    "PROPERTY_VALIDATION_CANNOT_BE_NULL", "PROP_NAME",
    "The property \"@PROP_NAME@\" cannot be null"};
inline constexpr ErrorDef kPropertyValidationNotUpdatable{
    "PROPERTY_VALIDATION_NOT_UPDATABLE", "PROP_NAME",
    "The property \"@PROP_NAME@\" cannot be updated"};
inline constexpr ErrorDef kPropertyValidationMinLength{
    "PROPERTY_VALIDATION_MIN_LENGTH", "PROP_NAME,MIN_LEN",
    "The property \"@PROP_NAME@\" must have a min length of @MIN_LEN@ characters"};
inline constexpr ErrorDef kPropertyValidationMaxLength{
    "PROPERTY_VALIDATION_MAX_LENGTH", "PROP_NAME,MAX_LEN",
    "The property \"@PROP_NAME@\" cannot have more than @MAX_LEN@ characters"};
inline constexpr ErrorDef kPropertyValidationMinValue{
    "PROPERTY_VALIDATION_MIN_VALUE", "PROP_NAME,MIN_VAL",
    "The property \"@PROP_NAME@\" must have a min value of @MIN_VAL@"};
inline constexpr ErrorDef kPropertyValidationMaxValue{
    "PROPERTY_VALIDATION_MAX_VALUE", "PROP_NAME,MAX_VAL",
    "The property \"@PROP_NAME@\" must have a max value of @MAX_VAL@"};
inline constexpr ErrorDef kInvalidFieldValue{"INVALID_FIELD_VALUE", "FIELD_NAME",
                                             "value in field [@FIELD_NAME@] is not valid"};
inline constexpr ErrorDef kInternalServerError{"INTERNAL_SERVERL_ERROR", "",
                                               "Internal server error occurred"};
inline constexpr ErrorDef kInternalDatabaseError{"INTERNAL_DATABASE_ERROR", "",
                                                 "Internal database error"};
// ksgate's own: a request that exceeds a documented limit (see docs/operations.md).
inline constexpr ErrorDef kRequestTooLarge{"REQUEST_LIMIT_EXCEEDED", "LIMIT,MAX",
                                           "Request exceeds the limit @LIMIT@ (maximum @MAX@)"};
inline constexpr ErrorDef kInvalidJson{"INVALID_JSON", "REASON",
                                       "The request body is not valid JSON: @REASON@"};
// ksgate's own: the store executor's queue is full (docs/operations.md); nothing was done.
inline constexpr ErrorDef kServerBusy{
    "SERVER_BUSY", "", "The server is too busy to handle the request now; try again"};
// ksgate's own, the gate (docs/gateway.md): an upstream service did not answer a call.
inline constexpr ErrorDef kUpstreamUnavailable{"UPSTREAM_UNAVAILABLE", "SERVICE",
                                               "Service [@SERVICE@] is unavailable"};
inline constexpr ErrorDef kUpstreamTimeout{"UPSTREAM_TIMEOUT", "SERVICE",
                                           "Service [@SERVICE@] did not answer in time"};
// ksgate's own: the authorize endpoint found no --route for a request (docs/gateway.md).
inline constexpr ErrorDef kRouteNotFound{"ROUTE_NOT_FOUND", "METHOD,PATH",
                                         "No route names the call [@METHOD@ @PATH@]"};
inline constexpr ErrorDef kUpstreamBadAnswer{
    "UPSTREAM_BAD_ANSWER", "SERVICE", "Service [@SERVICE@] gave an answer that could not be read"};

// Sessions and KS.
inline constexpr ErrorDef kMissingKs{"MISSING_KS", "", "Missing KS, session not established"};
inline constexpr ErrorDef kInvalidKs{"INVALID_KS", "KSID,ERR_CODE,ERR_DESC",
                                     "Invalid KS \"@KSID@\", Error \"@ERR_CODE@,@ERR_DESC@\""};
inline constexpr ErrorDef kServiceForbidden{"SERVICE_FORBIDDEN", "SERVICE",
                                            "The access to service [@SERVICE@] is forbidden"};
inline constexpr ErrorDef kServiceForbiddenContentBlocked{
    "SERVICE_FORBIDDEN_CONTENT_BLOCKED", "",
    "The access to this service is forbidden since the specified partner is blocked"};
inline constexpr ErrorDef kStartSessionError{"START_SESSION_ERROR", "PID",
                                             "Error while starting session for partner [@PID@]"};
inline constexpr ErrorDef kInvalidWidgetId{"INVALID_WIDGET_ID", "WIDGET_ID",
                                           "Unknown widget [@WIDGET_ID@]"};
inline constexpr ErrorDef kPartnerAccessForbidden{
    "PARTNER_ACCESS_FORBIDDEN", "ACCESSING_PID,ACCESSED_PID",
    "Partner [@ACCESSING_PID@] cannot access partner [@ACCESSED_PID@]"};
inline constexpr ErrorDef kInvalidActionsLimit{"INVALID_ACTIONS_LIMIT", "",
                                               "Invalid actions limit"};
inline constexpr ErrorDef kInvalidSetRole{"INVALID_SET_ROLE", "", "Invalid set role id"};
inline constexpr ErrorDef kUnknownRoleId{"UNKNOWN_ROLE_ID", "", "Unknown role id"};
inline constexpr ErrorDef kInvalidObjectId{"INVALID_OBJECT_ID", "ID", "Invalid object id [@ID@]"};

// App tokens.
inline constexpr ErrorDef kAppTokenIdNotFound{"APP_TOKEN_ID_NOT_FOUND", "ID",
                                              "Application token id \"@ID@\" not found"};
inline constexpr ErrorDef kAppTokenNotActive{"APP_TOKEN_NOT_ACTIVE", "ID",
                                             "Application token id \"@ID@\" not active"};
inline constexpr ErrorDef kAppTokenExpired{"APP_TOKEN_EXPIRED", "ID",
                                           "Application token id \"@ID@\" expired"};
inline constexpr ErrorDef kInvalidAppTokenHash{"INVALID_APP_TOKEN_HASH", "",
                                               "Invalid application token hash"};
// Kaltura's rate-limit error (KalturaErrors.php), for a token's exchangesPerMinute and for the
// brute-force limits on secrets and token hashes (docs/security.md).
inline constexpr ErrorDef kActionBlocked{
    "ACTION_BLOCKED", "ACTION_NAME,SERVICE_NAME",
    "Action \"@ACTION_NAME@\" in service \"@SERVICE_NAME@\" is blocked"};
// ksgate's own app token controls (docs/apptokens.md).
inline constexpr ErrorDef kAppTokenUsageExceeded{
    "APP_TOKEN_USAGE_EXCEEDED", "ID",
    "Application token id \"@ID@\" has started the most sessions it may start"};
inline constexpr ErrorDef kAppTokenIpNotAllowed{
    "APP_TOKEN_IP_NOT_ALLOWED", "ID,IP",
    "Application token id \"@ID@\" cannot start sessions from [@IP@]"};
inline constexpr ErrorDef kAppTokenExceedsCallerRole{
    "APP_TOKEN_EXCEEDS_CALLER_ROLE", "PERMISSION",
    "The application token would grant permission [@PERMISSION@], which the caller's role does "
    "not have"};

// User roles and permissions.
inline constexpr ErrorDef kPermissionNotFound{"PERMISSION_NOT_FOUND", "ERR_TEXT", "@ERR_TEXT@"};
inline constexpr ErrorDef kRoleNameAlreadyExists{"ROLE_NAME_ALREADY_EXISTS", "",
                                                 "A role with the same name already exists"};
inline constexpr ErrorDef kSystemNameAlreadyExists{"SYSTEM_NAME_ALREADY_EXISTS", "SYS_NAME",
                                                   "System name [@SYS_NAME@] already exists"};

// Every entry above, in declaration order: for tools that enumerate the codes a client can see
// (the metrics' bounded label set). A test checks that it lists them all.
std::span<const ErrorDef* const> All();

}  // namespace errors

}  // namespace ksgate
