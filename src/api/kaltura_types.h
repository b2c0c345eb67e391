// Declarations of the Kaltura enums and object types ksgate's actions take and return
// (names, members and property order as in api_v3/lib/types of the reference server).
#pragma once

#include "api/schema.h"

namespace ksgate::api::types {

extern const EnumDef kSessionType;       // KalturaSessionType: USER 0, ADMIN 2
extern const EnumDef kAppTokenStatus;    // KalturaAppTokenStatus: DISABLED 1, ACTIVE 2, DELETED 3
extern const EnumDef kAppTokenHashType;  // KalturaAppTokenHashType: SHA1, MD5, SHA256, SHA512

extern const ObjectDef kAppToken;        // KalturaAppToken (plus ksgate's optional policy fields)
extern const ObjectDef kFilter;          // KalturaFilter (abstract)
extern const ObjectDef kAppTokenFilter;  // KalturaAppTokenFilter
extern const ObjectDef kFilterPager;     // KalturaFilterPager

extern const EnumDef kUserRoleStatus;      // KalturaUserRoleStatus: ACTIVE 1, BLOCKED 2, DELETED 3
extern const ObjectDef kUserRole;          // KalturaUserRole
extern const ObjectDef kUserRoleFilter;    // KalturaUserRoleFilter
extern const ObjectDef kPermissionFilter;  // KalturaPermissionFilter

// Longest KalturaAppToken::description / sessionPrivileges / sessionUserId accepted (bytes).
inline constexpr size_t kMaxDescriptionLength = 4096;
inline constexpr size_t kMaxPrivilegesLength = 4096;
inline constexpr size_t kMaxUserIdLength = 320;
// Longest KalturaAppToken::allowedCidrs accepted (bytes).
inline constexpr size_t kMaxCidrsLength = 4096;

// Registers every object type above for objectType resolution. Idempotent.
void RegisterTypes();

}  // namespace ksgate::api::types
