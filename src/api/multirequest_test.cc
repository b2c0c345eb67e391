#include "api/multirequest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testing/matchers.h"

namespace ksgate::api {
namespace {

using ::ksgate::testing::ApiErrorIs;
using ::ksgate::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::Pair;

// A map holding one string parameter `name`.
Param ItemWith(const std::string& name, const std::string& text) {
  Param item = Param::Map();
  item.Set("service", Param::String("system"));
  item.Set("action", Param::String("ping"));
  item.Set(name, Param::String(text));
  return item;
}

std::string Repeat(const std::string& s, size_t times) {
  std::string out;
  for (size_t i = 0; i < times; ++i) out += s;
  return out;
}

TEST(ResolveReferences, ReplacesEveryReferenceInAValue) {
  std::vector<CallResult> results = {Value::String("ks1"), Value::Int(7)};
  Param p = ItemWith("x", "a{1:result}b{2:result}c{1:result}{3:result}");
  ASSERT_THAT(ResolveReferences(&p, results, ReferenceLimits{}), IsOk());
  EXPECT_EQ(p.ScalarAt("x"), "aks1b7cks1{3:result}");
}

TEST(ResolveReferences, WalksPathsIntoObjectsAndArrays) {
  Value list = Value::Object("KalturaAppTokenListResponse");
  Value objects = Value::Array();
  objects.Push(Value::Object("KalturaAppToken").Add("id", Value::String("0_a")));
  objects.Push(Value::Object("KalturaAppToken").Add("id", Value::String("0_b")));
  list.Add("objects", std::move(objects));
  std::vector<CallResult> results = {std::move(list)};
  Param p = ItemWith("x", "{1:result:objects:1:id}|{1:result:objects:_all:id}");
  ASSERT_THAT(ResolveReferences(&p, results, ReferenceLimits{}), IsOk());
  EXPECT_EQ(p.ScalarAt("x"), "0_b|0_a,0_b,");
}

TEST(ResolveReferences, AValueMayGrowUpToTheStringLimit) {
  std::vector<CallResult> results = {Value::String(std::string(100, 'k'))};
  Param p = ItemWith("x", Repeat("{1:result}", 10));
  ASSERT_THAT(ResolveReferences(&p, results, {.max_value = 1000, .max_item = 5000}), IsOk());
  EXPECT_EQ(p.ScalarAt("x"), std::string(1000, 'k'));
}

TEST(ResolveReferences, AValuePastTheStringLimitIsRequestLimitExceeded) {
  std::vector<CallResult> results = {Value::String(std::string(100, 'k'))};
  Param p = ItemWith("x", Repeat("{1:result}", 11));
  EXPECT_THAT(ResolveReferences(&p, results, {.max_value = 1000, .max_item = 5000}),
              ApiErrorIs(errors::kRequestTooLarge,
                         ElementsAre(Pair("LIMIT", "max_string_length"), Pair("MAX", "1000"))));
}

TEST(ResolveReferences, ValuesTogetherPastTheBodyLimitAreRequestLimitExceeded) {
  // The 60,000-character userId attack, scaled down: each value is under the string limit, the
  // item's values together are not.
  std::vector<CallResult> results = {Value::String(std::string(900, 'k'))};
  Param p = Param::Map();
  for (int i = 0; i < 6; ++i) p.Set("p" + std::to_string(i), Param::String("{1:result}"));
  EXPECT_THAT(ResolveReferences(&p, results, {.max_value = 1000, .max_item = 5000}),
              ApiErrorIs(errors::kRequestTooLarge,
                         ElementsAre(Pair("LIMIT", "body_limit"), Pair("MAX", "5000"))));
  p.Erase("p5");
  EXPECT_THAT(ResolveReferences(&p, results, {.max_value = 1000, .max_item = 5000}), IsOk());
}

TEST(ResolveReferences, ValuesWithoutReferencesDoNotCountAgainstTheBodyLimit) {
  std::vector<CallResult> results = {Value::String("k")};
  Param p = ItemWith("big", std::string(4000, 'x') + "{no reference}");
  p.Set("small", Param::String("{1:result}"));
  EXPECT_THAT(ResolveReferences(&p, results, {.max_value = 5000, .max_item = 100}), IsOk());
  EXPECT_EQ(p.ScalarAt("small"), "k");
}

TEST(ResolveReferences, StopsAtTheLimitWithoutBuildingTheWholeValue) {
  // 5,000 references to a 60,000-byte result would be 300 MB; the walk must stop at 64 KiB.
  std::vector<CallResult> results = {Value::String(std::string(60000, 'k'))};
  Param p = ItemWith("ks", Repeat("{1:result}", 5000));
  EXPECT_THAT(ResolveReferences(&p, results, ReferenceLimits{}),
              ApiErrorIs(errors::kRequestTooLarge));
}

TEST(PrepareItem, InheritsKsAndReportsLimitErrors) {
  Param multi = Param::Map();
  multi.Set("ks", Param::String("common-ks"));
  std::vector<CallResult> results = {Value::String(std::string(70 * 1024, 'k'))};
  Result<Param, ApiError> ok = PrepareItem(ItemWith("x", "y"), multi, results, ReferenceLimits{});
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(ok->ScalarAt("ks"), "common-ks");
  EXPECT_THAT(PrepareItem(ItemWith("x", "{1:result}"), multi, results, ReferenceLimits{}),
              ApiErrorIs(errors::kRequestTooLarge));
}

}  // namespace
}  // namespace ksgate::api
