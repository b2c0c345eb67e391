#include "ks/privileges.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ksgate::ks {
namespace {

using testing::ElementsAre;
using testing::IsEmpty;
using testing::Pair;

using Values = std::vector<std::string>;

TEST(Privileges, ParseSplitsNamesAndSlashSeparatedValues) {
  EXPECT_THAT(ParsePrivileges("edit:0_a/0_b,list,setrole:X"),
              ElementsAre(Pair("edit", Values{"0_a", "0_b"}), Pair("list", IsEmpty()),
                          Pair("setrole", Values{"X"})));
}

TEST(Privileges, ParseSplitsAtTheFirstColonOnly) {
  EXPECT_THAT(ParsePrivileges("urirestrict:http://a/b*"),
              ElementsAre(Pair("urirestrict", Values{"http:", "", "a", "b*"})));
}

TEST(Privileges, ParseAccumulatesRepeatedNames) {
  EXPECT_THAT(ParsePrivileges("edit:a,view:*,edit:b/c,edit"),
              ElementsAre(Pair("edit", Values{"a", "b", "c"}), Pair("view", Values{"*"})));
}

TEST(Privileges, ParseKeepsEmptyValuesAndUntrimmedNames) {
  EXPECT_THAT(
      ParsePrivileges(" a :1,b:,c:/"),
      ElementsAre(Pair(" a ", Values{"1"}), Pair("b", IsEmpty()), Pair("c", Values{"", ""})));
  // PHP explode() never yields nothing: an empty string is one empty name.
  EXPECT_THAT(ParsePrivileges(""), ElementsAre(Pair("", IsEmpty())));
  EXPECT_THAT(ParsePrivileges("a,"), ElementsAre(Pair("a", IsEmpty()), Pair("", IsEmpty())));
}

TEST(Privileges, BuildJoinsValuesWithSlashes) {
  const PrivilegeMap map = {{"edit", {"a", "b"}}, {"list", {}}, {"setrole", {"X"}}};
  EXPECT_EQ(BuildPrivileges(map), "edit:a/b,list,setrole:X");
  EXPECT_EQ(BuildPrivileges({}), "");
}

TEST(Privileges, BuildInvertsParse) {
  for (const char* s : {"edit:a/b,list,setrole:X", "*", "sessionid:0_x,apptoken:0_x,c:/"}) {
    EXPECT_EQ(BuildPrivileges(ParsePrivileges(s)), s);
  }
}

TEST(Privileges, MergeAppendsValuesAndNewNames) {
  const PrivilegeMap base = {{"sessionid", {"0_tok"}}, {"apptoken", {"0_tok"}}};
  const PrivilegeMap merged = MergePrivileges(base, ParsePrivileges("sessionid:x,setrole:R"));
  EXPECT_THAT(merged, ElementsAre(Pair("sessionid", Values{"0_tok", "x"}),
                                  Pair("apptoken", Values{"0_tok"}), Pair("setrole", Values{"R"})));
}

// The worked example of spec §2.7 (verified against PHP).
TEST(Privileges, RetrieveAllowedAppSessionPrivilegesWorkedExample) {
  const PrivilegeMap base = {{"sessionid", {"0_abcd1234"}}, {"apptoken", {"0_abcd1234"}}};
  const PrivilegeMap token =
      MergePrivileges(base, ParsePrivileges("setrole:PLAYBACK_BASE_ROLE,edit:*,myapp:1"));
  const PrivilegeMap result = RetrieveAllowedAppSessionPrivileges(
      token,
      ParsePrivileges(
          "setrole:PARTNER_ADMIN_ROLE,edit:0_entry1/0_entry2,sessionid:x,custom:abc,myapp:2"));
  EXPECT_EQ(BuildPrivileges(result),
            "sessionid:0_abcd1234,apptoken:0_abcd1234,setrole:PLAYBACK_BASE_ROLE,"
            "edit:0_entry1/0_entry2,myapp:1,custom:abc");
}

TEST(Privileges, RetrieveAllowedRejectsReservedNamesEvenWhenTrimmed) {
  const PrivilegeMap token = {{"sessionid", {"0_t"}}};
  const PrivilegeMap result =
      RetrieveAllowedAppSessionPrivileges(token, ParsePrivileges(" setrole :X,view:*,widget:1"));
  EXPECT_EQ(BuildPrivileges(result), "sessionid:0_t,view:*,widget:1");
}

TEST(Privileges, RetrieveAllowedComparesTokenNamesTrimmed) {
  const PrivilegeMap token = {{" myapp", {"1"}}};
  const PrivilegeMap result =
      RetrieveAllowedAppSessionPrivileges(token, ParsePrivileges("myapp:2"));
  EXPECT_EQ(BuildPrivileges(result), " myapp:1");
}

TEST(Privileges, RetrieveAllowedReplacesATokenWildcardWithTheRequestedValues) {
  const PrivilegeMap token = {{"sview", {"0_a", "*"}}, {"custom", {"*"}}};
  const PrivilegeMap result =
      RetrieveAllowedAppSessionPrivileges(token, ParsePrivileges("sview:0_b,custom"));
  EXPECT_EQ(BuildPrivileges(result), "sview:0_b,custom");
}

TEST(Privileges, ServerReservedNames) {
  for (const char* name : {"edit",
                           "sview",
                           "list",
                           "download",
                           "downloadasset",
                           "editplaylist",
                           "sviewplaylist",
                           "actionslimit",
                           "setrole",
                           "restrictingrole",
                           "limitentry",
                           "iprestrict",
                           "urirestrict",
                           "enableentitlement",
                           "disableentitlement",
                           "disableentitlementforentry",
                           "disableentitlementforplaylist",
                           "privacycontext",
                           "enablecategorymoderation",
                           "reftime",
                           "sessionkey",
                           "preview",
                           "sessionid",
                           "jobtype",
                           "apptoken",
                           "enablechangeaccount",
                           "edituser",
                           "enablecaptionmoderation",
                           "editadmintags",
                           "restrictexplicitliveview",
                           "virtualeventid",
                           "searchcontext",
                           "disablesessiontypecheck"}) {
    EXPECT_TRUE(IsServerReservedPrivilege(name)) << name;
  }
  for (const char* name : {"view", "widget", "all", "*", "", "Edit", " edit", "custom"}) {
    EXPECT_FALSE(IsServerReservedPrivilege(name)) << name;
  }
}

TEST(Privileges, FirstValueAndHasPrivilege) {
  const PrivilegeMap map = ParsePrivileges("sessionid:0_a/0_b,list,setrole:R");
  ASSERT_NE(FirstPrivilegeValue(map, "sessionid"), nullptr);
  EXPECT_EQ(*FirstPrivilegeValue(map, "sessionid"), "0_a");
  EXPECT_EQ(FirstPrivilegeValue(map, "list"), nullptr);
  EXPECT_EQ(FirstPrivilegeValue(map, "missing"), nullptr);
  EXPECT_TRUE(HasPrivilege(map, "list"));
  EXPECT_TRUE(HasPrivilege(map, "setrole"));
  EXPECT_FALSE(HasPrivilege(map, "missing"));
}

}  // namespace
}  // namespace ksgate::ks
