#include "services/permission_catalogue.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/matchers.h"

namespace ksgate::services {
namespace {

using ::ksgate::testing::IsOk;
using ::ksgate::testing::StatusIs;

TEST(PermissionCatalogue, BuiltInParsesWithTheKalturaRoles) {
  const PermissionCatalogue& c = PermissionCatalogue::BuiltIn();
  for (const char* name :
       {"PARTNER_ADMIN_ROLE", "BASE_USER_SESSION_ROLE", "WIDGET_SESSION_ROLE", "NO_SESSION_ROLE"}) {
    EXPECT_NE(c.FindRoleBySystemName(name), nullptr) << name;
  }
  EXPECT_EQ(c.FindRoleBySystemName("PARTNER_ADMIN_ROLE")->permission_names, "*");
  EXPECT_EQ(c.FindRoleById(1)->system_name, "PARTNER_ADMIN_ROLE");
  for (const auto& role : c.roles()) EXPECT_LT(role.id, store::kFirstUserRoleId);
}

TEST(PermissionCatalogue, GrantingIsCaseInsensitiveOnTheActionKey) {
  const PermissionCatalogue& c = PermissionCatalogue::BuiltIn();
  PermissionSet add = c.Granting("apptoken.add");
  ASSERT_TRUE(add.any());
  EXPECT_TRUE(add.test(*c.Find("APP_TOKEN_ADD")));
  EXPECT_FALSE(add.test(*c.Find("APP_TOKEN_BASE")));
  // An action no permission names is granted by the permission list "*" alone.
  PermissionSet every_action;
  every_action.set(PermissionCatalogue::kEveryActionBit);
  EXPECT_EQ(c.Granting("nosuch.action"), every_action);
}

TEST(PermissionCatalogue, FromNamesExpandsTheWildcardAndSkipsUnknownNames) {
  const PermissionCatalogue& c = PermissionCatalogue::BuiltIn();
  EXPECT_EQ(c.FromNames("*"), c.All());
  PermissionSet two = c.FromNames(" APP_TOKEN_ADD ,, NOPE,APP_TOKEN_BASE");
  EXPECT_EQ(two.count(), 2u);
  EXPECT_EQ(c.FirstUnknown("APP_TOKEN_ADD, NOPE"), "NOPE");
  EXPECT_FALSE(c.FirstUnknown("*,APP_TOKEN_ADD,").has_value());
}

TEST(PermissionCatalogue, ParseReportsTheLineOfAnError) {
  auto bad = [](const char* text) {
    Result<PermissionCatalogue> r = PermissionCatalogue::Parse(text);
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? std::string() : r.error().message();
  };
  EXPECT_NE(bad("[permission A]\nactions = x\n").find("line 2"), std::string::npos);
  bad("[permission A]\n[permission A]\n");
  bad("[role R]\nid = 1\npermissions = NOPE\n");
  bad("[role R]\nid = 100\n");
  bad("[role R]\nname = x\n");
  bad("key = value\n");
  bad("[thing X]\n");
  bad("[permission A\n");
}

TEST(PermissionCatalogue, ParseAcceptsCommentsAndBlankLines) {
  Result<PermissionCatalogue> r = PermissionCatalogue::Parse(
      "# c\n\n[permission P]\ndescription = d\nactions = a.b  c.d\n[role R]\nid = 7\n"
      "permissions = P\n");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->permissions().at(0).actions, (std::vector<std::string>{"a.b", "c.d"}));
  EXPECT_TRUE(r->Granting("c.d").test(0));
  EXPECT_EQ(r->FindRoleById(7)->permission_names, "P");
}

TEST(PermissionCatalogue, ExtendAddsPermissionsForUpstreamActionsAndToBuiltInRoles) {
  const PermissionCatalogue& built_in = PermissionCatalogue::BuiltIn();
  Result<PermissionCatalogue> r = built_in.Extend(
      "# the partner's media API\n"
      "[permission MEDIA_READ]\ndescription = read media\nactions = media.list media.get\n"
      "[permission REPORTS]\nactions = report.*\n"
      "[role BASE_USER_SESSION_ROLE]\npermissions = MEDIA_READ\n");
  ASSERT_THAT(r, IsOk());
  const std::optional<size_t> media = r->Find("MEDIA_READ");
  ASSERT_TRUE(media.has_value());
  EXPECT_TRUE(r->Granting("media.list").test(*media));
  EXPECT_FALSE(r->Granting("media.delete").test(*media));
  // A wildcard grants every action of its service, and only of it.
  const std::optional<size_t> reports = r->Find("REPORTS");
  ASSERT_TRUE(reports.has_value());
  EXPECT_TRUE(r->Granting("report.gettotal").test(*reports));
  EXPECT_FALSE(r->Granting("reporting.x").test(*reports));
  // The built-in role keeps its permissions and gains the new one.
  const store::UserRole* user = r->FindRoleBySystemName("BASE_USER_SESSION_ROLE");
  ASSERT_NE(user, nullptr);
  const PermissionSet granted = r->FromNames(user->permission_names);
  EXPECT_TRUE(granted.test(*media));
  EXPECT_TRUE(granted.test(*r->Find("BASE_USER_SESSION_PERMISSION")));
  // The built-in catalogue itself is unchanged.
  EXPECT_FALSE(built_in.Find("MEDIA_READ").has_value());
}

TEST(PermissionCatalogue, EveryActionIsGrantedByTheWildcardListOnly) {
  const PermissionCatalogue& c = PermissionCatalogue::BuiltIn();
  // "*" (PARTNER_ADMIN_ROLE) reaches an upstream action nothing names...
  EXPECT_TRUE((c.FromNames("*") & c.Granting("media.delete")).any());
  // ...which no other permission does.
  EXPECT_FALSE((c.FromNames("APP_TOKEN_ADD,KMC_READ_ONLY") & c.Granting("media.delete")).any());
  // Once a permission names an action, only permissions that name it grant it.
  Result<PermissionCatalogue> r = c.Extend("[permission M]\nactions = media.list\n");
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->Granting("media.list").test(PermissionCatalogue::kEveryActionBit));
  EXPECT_TRUE((r->FromNames("*") & r->Granting("media.list")).any());
}

TEST(PermissionCatalogue, AWildcardTakesItsServiceAwayFromTheEveryActionBitWhateverItsCase) {
  Result<PermissionCatalogue> r =
      PermissionCatalogue::BuiltIn().Extend("[permission ANY_MEDIA]\nactions = Media.*\n");
  ASSERT_THAT(r, IsOk());
  const std::optional<size_t> any_media = r->Find("ANY_MEDIA");
  ASSERT_TRUE(any_media.has_value());
  for (const char* action : {"media.delete", "media.list", "media.anything"}) {
    const PermissionSet granting = r->Granting(action);
    EXPECT_TRUE(granting.test(*any_media)) << action;
    EXPECT_FALSE(granting.test(PermissionCatalogue::kEveryActionBit)) << action;
    EXPECT_TRUE((r->FromNames("*") & granting).any()) << "the partner admin keeps " << action;
    EXPECT_FALSE((r->FromNames("APP_TOKEN_ADD") & granting).any()) << action;
  }
  // Other services, even with the same prefix, are untouched.
  PermissionSet every_action;
  every_action.set(PermissionCatalogue::kEveryActionBit);
  EXPECT_EQ(r->Granting("mediax.list"), every_action);
  EXPECT_EQ(r->Granting("medi.list"), every_action);
}

TEST(PermissionCatalogue, ExtendReportsTheLineOfAnError) {
  const PermissionCatalogue& c = PermissionCatalogue::BuiltIn();
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"[role NOT_A_ROLE]\npermissions = X\n", "permissions file line 1: unknown role NOT_A_ROLE"},
      {"[permission P]\nactions = media.list\n[role PARTNER_ADMIN_ROLE]\nid = 3\n",
       "permissions file line 4: a role of the permissions file takes only 'permissions'"},
      {"[permission APP_TOKEN_ADD]\n", "permissions file line 1: duplicate permission"},
      {"\n[role BASE_USER_SESSION_ROLE]\npermissions = NOPE\n",
       "permissions file line 3: role names unknown permission NOPE"},
      {"[permission P]\nactions = media\n", "permissions file line 2: bad action"},
      {"[permission P]\nactions = media.a*\n", "permissions file line 2: bad action"},
      {"garbage\n", "permissions file line 1: expected key = value"},
  };
  for (const Case& k : cases) {
    EXPECT_THAT(c.Extend(k.text),
                StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr(k.message)))
        << k.text;
  }
}

}  // namespace
}  // namespace ksgate::services
