#include "api/kaltura_types.h"

namespace ksgate::api::types {

const EnumDef kSessionType{"KalturaSessionType", {0, 2}, {}};
const EnumDef kAppTokenStatus{"KalturaAppTokenStatus", {1, 2, 3}, {}};
const EnumDef kAppTokenHashType{"KalturaAppTokenHashType", {}, {"SHA1", "MD5", "SHA256", "SHA512"}};

const ObjectDef kAppToken{
    "KalturaAppToken",
    nullptr,
    {
        {.name = "id", .type = Type::kString, .readonly = true, .max_length = 64},
        {.name = "token", .type = Type::kString, .readonly = true, .max_length = 64},
        {.name = "partnerId", .type = Type::kInt, .readonly = true},
        {.name = "createdAt", .type = Type::kTime, .readonly = true},
        {.name = "updatedAt", .type = Type::kTime, .readonly = true},
        {.name = "status", .type = Type::kIntEnum, .enum_def = &kAppTokenStatus, .readonly = true},
        {.name = "expiry", .type = Type::kTime},
        {.name = "sessionType", .type = Type::kIntEnum, .enum_def = &kSessionType},
        {.name = "sessionUserId", .type = Type::kString, .max_length = kMaxUserIdLength},
        {.name = "sessionDuration", .type = Type::kInt},
        {.name = "sessionPrivileges", .type = Type::kString, .max_length = kMaxPrivilegesLength},
        {.name = "hashType", .type = Type::kStringEnum, .enum_def = &kAppTokenHashType},
        {.name = "description", .type = Type::kString, .max_length = kMaxDescriptionLength},
        // ksgate's exchange policy (docs/apptokens.md), after Kaltura's properties.
        {.name = "maxSessions", .type = Type::kInt},
        {.name = "allowedCidrs", .type = Type::kString, .max_length = kMaxCidrsLength},
        {.name = "exchangesPerMinute", .type = Type::kInt},
        {.name = "maxSessionExpiry", .type = Type::kInt},
    },
    false};

const ObjectDef kFilter{"KalturaFilter",
                        nullptr,
                        {{.name = "orderBy", .type = Type::kString, .max_length = 1024}},
                        true};

const ObjectDef kAppTokenFilter{
    "KalturaAppTokenFilter",
    &kFilter,
    {
        {.name = "idEqual", .type = Type::kString, .max_length = 64},
        {.name = "idIn", .type = Type::kString},
        {.name = "createdAtGreaterThanOrEqual", .type = Type::kTime},
        {.name = "createdAtLessThanOrEqual", .type = Type::kTime},
        {.name = "updatedAtGreaterThanOrEqual", .type = Type::kTime},
        {.name = "updatedAtLessThanOrEqual", .type = Type::kTime},
        {.name = "statusEqual", .type = Type::kIntEnum, .enum_def = &kAppTokenStatus},
        {.name = "statusIn", .type = Type::kString, .max_length = 1024},
        {.name = "sessionUserIdEqual", .type = Type::kString, .max_length = kMaxUserIdLength},
    },
    false};

const ObjectDef kFilterPager{
    "KalturaFilterPager",
    nullptr,
    {{.name = "pageSize", .type = Type::kInt}, {.name = "pageIndex", .type = Type::kInt}},
    false};

const EnumDef kUserRoleStatus{"KalturaUserRoleStatus", {1, 2, 3}, {}};

const ObjectDef kUserRole{
    "KalturaUserRole",
    nullptr,
    {
        {.name = "id", .type = Type::kInt, .readonly = true},
        {.name = "name", .type = Type::kString, .max_length = 128},
        {.name = "systemName", .type = Type::kString, .max_length = 128},
        {.name = "description", .type = Type::kString, .max_length = kMaxDescriptionLength},
        {.name = "status", .type = Type::kIntEnum, .enum_def = &kUserRoleStatus},
        {.name = "partnerId", .type = Type::kInt, .readonly = true},
        {.name = "permissionNames", .type = Type::kString, .max_length = kMaxPrivilegesLength},
        {.name = "tags", .type = Type::kString, .max_length = 1024},
        {.name = "createdAt", .type = Type::kTime, .readonly = true},
        {.name = "updatedAt", .type = Type::kTime, .readonly = true},
    },
    false};

const ObjectDef kUserRoleFilter{
    "KalturaUserRoleFilter",
    &kFilter,
    {
        {.name = "idEqual", .type = Type::kInt},
        {.name = "idIn", .type = Type::kString, .max_length = 8192},
        {.name = "nameEqual", .type = Type::kString, .max_length = 128},
        {.name = "nameIn", .type = Type::kString, .max_length = 8192},
        {.name = "systemNameEqual", .type = Type::kString, .max_length = 128},
        {.name = "systemNameIn", .type = Type::kString, .max_length = 8192},
        {.name = "descriptionLike", .type = Type::kString, .max_length = 1024},
        {.name = "statusEqual", .type = Type::kIntEnum, .enum_def = &kUserRoleStatus},
        {.name = "statusIn", .type = Type::kString, .max_length = 1024},
        {.name = "tagsMultiLikeOr", .type = Type::kString, .max_length = 1024},
        {.name = "tagsMultiLikeAnd", .type = Type::kString, .max_length = 1024},
        {.name = "createdAtGreaterThanOrEqual", .type = Type::kTime},
        {.name = "createdAtLessThanOrEqual", .type = Type::kTime},
        {.name = "updatedAtGreaterThanOrEqual", .type = Type::kTime},
        {.name = "updatedAtLessThanOrEqual", .type = Type::kTime},
    },
    false};

const ObjectDef kPermissionFilter{"KalturaPermissionFilter",
                                  &kFilter,
                                  {{.name = "nameEqual", .type = Type::kString, .max_length = 256},
                                   {.name = "nameIn", .type = Type::kString, .max_length = 8192}},
                                  false};

void RegisterTypes() {
  for (const ObjectDef* def : {&kAppToken, &kFilter, &kAppTokenFilter, &kFilterPager, &kUserRole,
                               &kUserRoleFilter, &kPermissionFilter}) {
    RegisterObjectType(def);
  }
}

}  // namespace ksgate::api::types
