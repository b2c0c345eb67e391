#include "api/action.h"

#include <gtest/gtest.h>

#include <string>

namespace ksgate::api {
namespace {

ActionDef Def(std::string_view service, std::string_view action) {
  ActionDef def;
  def.service = service;
  def.action = action;
  return def;
}

TEST(ActionTable, FindsActionsByTheirLowerCaseNames) {
  ActionTable table;
  table.Add(Def("appToken", "startSession"));
  table.Add(Def("session", "get"));
  const ActionDef* found = table.Find("apptoken", "startsession");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->key, "apptoken.startsession");
  EXPECT_EQ(found->index, 0u);
  ASSERT_NE(table.Find("session", "get"), nullptr);
  EXPECT_EQ(table.Find("session", "get")->index, 1u);
  EXPECT_EQ(table.Find("session", "startsession"), nullptr);
  EXPECT_EQ(table.Find("apptoken", "get"), nullptr);
  EXPECT_TRUE(table.HasService("apptoken"));
  EXPECT_TRUE(table.HasService("session"));
  EXPECT_FALSE(table.HasService("media"));
}

// The lookup builds its key on the stack up to 128 bytes; longer names are found too, and a
// name longer than every registered one is refused without a lookup.
TEST(ActionTable, FindsNamesLongerThanItsStackKey) {
  ActionTable table;
  const std::string service(150, 's');
  const std::string action(40, 'a');
  table.Add(Def(service, action));
  table.Add(Def("short", "x"));
  ASSERT_NE(table.Find(service, action), nullptr);
  EXPECT_EQ(table.Find(service, action)->index, 0u);
  EXPECT_EQ(table.Find(service, action + "a"), nullptr);
  EXPECT_EQ(table.Find(service + "s", action), nullptr);
  EXPECT_NE(table.Find("short", "x"), nullptr);
  EXPECT_EQ(table.Find(std::string(300, 's'), "x"), nullptr);
}

}  // namespace
}  // namespace ksgate::api
