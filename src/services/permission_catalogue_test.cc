#include "services/permission_catalogue.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/matchers.h"

namespace ksgate::services {
namespace {

using ::ksgate::testing::IsOk;

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
  EXPECT_TRUE(c.Granting("nosuch.action").none());
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

}  // namespace
}  // namespace ksgate::services
