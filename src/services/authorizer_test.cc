#include "services/authorizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/test_fixture.h"
#include "testing/matchers.h"

namespace ksgate::services {
namespace {

using ::ksgate::testing::ApiErrorIs;
using ::ksgate::testing::IsOk;
using ::testing::_;

class AuthorizerTest : public ServicesTest {
 protected:
  PermissionSet Of(const std::string& ks) {
    Result<PermissionSet, ApiError> p = authorizer_.Permissions(CallerOf(ks));
    EXPECT_THAT(p, IsOk());
    return p.ok() ? *p : PermissionSet();
  }
  bool Allows(const std::string& ks, const char* action) {
    return authorizer_.Allows(Of(ks), action);
  }
  std::string UserKs(const std::string& privileges) { return StartKsUnchecked(a_, 0, privileges); }
  // Mints a KS without session.start's setrole validation.
  std::string StartKsUnchecked(const store::Partner& p, int type, const std::string& privileges) {
    ks::KsFields f{.partner_id = p.id,
                   .valid_until = kNow + 600,
                   .type = type,
                   .user = "u",
                   .privileges = privileges};
    return issuer_.Issue(p, f);
  }
  store::UserRole AddRole(const std::string& name, const std::string& permissions,
                          const std::string& system_name = "") {
    UserRolePatch patch{.name = Patch<std::string>::Of(name)};
    if (!system_name.empty()) patch.system_name = Patch<std::string>::Of(system_name);
    patch.permission_names = Patch<std::string>::Of(permissions);
    Result<store::UserRole, ApiError> r = roles_.Add(a_.id, patch);
    EXPECT_THAT(r, IsOk());
    return r.ok() ? *r : store::UserRole{};
  }
};

TEST_F(AuthorizerTest, NoKsGetsOnlyTheAlwaysAllowedActions) {
  KSGATE_ASSERT_OK_AND_ASSIGN(PermissionSet p, authorizer_.Permissions(Caller{}));
  EXPECT_TRUE(authorizer_.Allows(p, "session.start"));
  EXPECT_TRUE(authorizer_.Allows(p, "system.ping"));
  EXPECT_FALSE(authorizer_.Allows(p, "apptoken.startsession"));
  EXPECT_FALSE(authorizer_.Allows(p, "session.get"));
}

TEST_F(AuthorizerTest, DefaultRolesFollowTheSessionKind) {
  std::string admin = StartKs(a_, 2, "adminA");
  std::string user = StartKs(a_, 0, "adminA");
  std::string widget = WidgetKs(a_);
  EXPECT_TRUE(Allows(admin, "apptoken.add"));
  EXPECT_TRUE(Allows(admin, "userrole.delete"));
  EXPECT_TRUE(Allows(user, "apptoken.startsession"));
  EXPECT_FALSE(Allows(user, "apptoken.list"));
  EXPECT_FALSE(Allows(user, "session.get"));
  EXPECT_TRUE(Allows(widget, "apptoken.startsession"));
  EXPECT_FALSE(Allows(widget, "apptoken.get"));
}

TEST_F(AuthorizerTest, SetRoleByIdOrSystemNameReplacesTheDefault) {
  store::UserRole role = AddRole("Lister", "SESSION_READ_PERMISSION,APP_TOKEN_BASE", "LISTER");
  for (const std::string& ref : {std::to_string(role.id), std::string("LISTER")}) {
    std::string ks = StartKsUnchecked(a_, 2, "setrole:" + ref);
    EXPECT_TRUE(Allows(ks, "apptoken.list")) << ref;
    EXPECT_TRUE(Allows(ks, "session.get")) << ref;
    EXPECT_FALSE(Allows(ks, "apptoken.add")) << ref;  // even on an ADMIN KS
    EXPECT_TRUE(Allows(ks, "system.ping")) << ref;    // always allowed
  }
}

TEST_F(AuthorizerTest, SetRoleNamesABuiltInRole) {
  EXPECT_TRUE(Allows(UserKs("setrole:PARTNER_ADMIN_ROLE"), "apptoken.add"));
  EXPECT_TRUE(Allows(UserKs("setrole:1"), "apptoken.add"));
  EXPECT_FALSE(Allows(UserKs("setrole:WIDGET_SESSION_ROLE"), "session.get"));
}

TEST_F(AuthorizerTest, UnknownSetRoleIsInvalidObjectId) {
  EXPECT_THAT(authorizer_.Permissions(CallerOf(UserKs("setrole:NOPE"))),
              ApiErrorIs(errors::kInvalidObjectId, _, "Invalid object id [N/A]"));
  EXPECT_THAT(authorizer_.Permissions(CallerOf(UserKs("setrole:-3"))),
              ApiErrorIs(errors::kInvalidSetRole));
}

TEST_F(AuthorizerTest, AnotherPartnersRoleIsUnknown) {
  store::UserRole role = AddRole("Mine", "APP_TOKEN_BASE", "MINE");
  std::string ks = StartKsUnchecked(b_, 2, "setrole:" + std::to_string(role.id));
  EXPECT_THAT(authorizer_.Permissions(CallerOf(ks)), ApiErrorIs(errors::kInvalidObjectId));
  ks = StartKsUnchecked(b_, 2, "setrole:MINE");
  EXPECT_THAT(authorizer_.Permissions(CallerOf(ks)), ApiErrorIs(errors::kInvalidObjectId));
}

TEST_F(AuthorizerTest, DeletedOrBlockedRoles) {
  store::UserRole role = AddRole("Temp", "APP_TOKEN_BASE", "TEMP");
  std::string ks = StartKsUnchecked(a_, 0, "setrole:TEMP");
  ASSERT_THAT(roles_.Update(a_.id, role.id, {.status = Patch<int>::Of(2)}), IsOk());
  EXPECT_FALSE(Allows(ks, "apptoken.list"));
  EXPECT_TRUE(Allows(ks, "system.ping"));
  ASSERT_THAT(roles_.Delete(a_.id, role.id), IsOk());
  EXPECT_THAT(authorizer_.Permissions(CallerOf(ks)), ApiErrorIs(errors::kInvalidObjectId));
}

TEST_F(AuthorizerTest, SetRoleNullLeavesOnlyAlwaysAllowed) {
  std::string ks = StartKsUnchecked(a_, 2, "setrole:null");
  EXPECT_FALSE(Allows(ks, "apptoken.add"));
  EXPECT_TRUE(Allows(ks, "session.start"));
}

TEST_F(AuthorizerTest, RestrictingRoleRemovesItsPermissions) {
  store::UserRole no_writes =
      AddRole("NoWrites", "APP_TOKEN_ADD,APP_TOKEN_UPDATE,APP_TOKEN_DELETE");
  std::string ks = StartKsUnchecked(a_, 2, "restrictingrole:" + std::to_string(no_writes.id));
  EXPECT_FALSE(Allows(ks, "apptoken.add"));
  EXPECT_FALSE(Allows(ks, "apptoken.delete"));
  EXPECT_TRUE(Allows(ks, "apptoken.list"));
  // A built-in restricting role by system name.
  EXPECT_FALSE(
      Allows(StartKsUnchecked(a_, 2, "restrictingrole:NO_SESSION_ROLE"), "system.gettime"));
  // An unknown restricting role restricts nothing.
  EXPECT_TRUE(Allows(StartKsUnchecked(a_, 2, "restrictingrole:NOPE"), "apptoken.add"));
}

TEST_F(AuthorizerTest, GrantsMoreThanUserRoleComparesActionsNotPermissionNames) {
  auto builtin = [&](const char* name) {
    return *authorizer_.catalogue().FindRoleBySystemName(name);
  };
  EXPECT_TRUE(authorizer_.GrantsMoreThanUserRole(builtin("PARTNER_ADMIN_ROLE")));
  EXPECT_FALSE(authorizer_.GrantsMoreThanUserRole(builtin("BASE_USER_SESSION_ROLE")));
  EXPECT_FALSE(authorizer_.GrantsMoreThanUserRole(builtin("WIDGET_SESSION_ROLE")));
  EXPECT_FALSE(authorizer_.GrantsMoreThanUserRole(builtin("PLAYBACK_BASE_ROLE")));
  EXPECT_FALSE(authorizer_.GrantsMoreThanUserRole(builtin("NO_SESSION_ROLE")));
  EXPECT_TRUE(authorizer_.GrantsMoreThanUserRole(AddRole("Reader", "KMC_READ_ONLY")));
  EXPECT_TRUE(
      authorizer_.GrantsMoreThanUserRole(AddRole("Session reader", "SESSION_READ_PERMISSION")));
  EXPECT_FALSE(authorizer_.GrantsMoreThanUserRole(AddRole("Player", "PLAYBACK_BASE_PERMISSION")));
  store::UserRole blocked = AddRole("Blocked admin", "*");
  blocked.status = store::UserRoleStatus::kBlocked;
  EXPECT_FALSE(authorizer_.GrantsMoreThanUserRole(blocked));
}

}  // namespace
}  // namespace ksgate::services
