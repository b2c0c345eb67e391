#include "api/args.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/matchers.h"

namespace ksgate::api {
namespace {

using ::ksgate::testing::ApiErrorIs;
using ::ksgate::testing::IsOk;
using ::testing::_;
using ::testing::ElementsAre;
using ::testing::Pair;

const EnumDef kColor{"KalturaColor", {1, 2}, {}};
const EnumDef kHash{"KalturaHash", {}, {"SHA1", "SHA256"}};
const ObjectDef kBase{"KalturaThing",
                      nullptr,
                      {{.name = "id", .type = Type::kString, .readonly = true},
                       {.name = "color", .type = Type::kIntEnum, .enum_def = &kColor},
                       {.name = "hash", .type = Type::kStringEnum, .enum_def = &kHash},
                       {.name = "expiry", .type = Type::kTime},
                       {.name = "note", .type = Type::kString, .max_length = 5}},
                      false};
const ObjectDef kAbstract{"KalturaAbstractThing", nullptr, {}, true};
const ObjectDef kSub{"KalturaSpecialThing", &kBase, {{.name = "extra", .type = Type::kInt}}, false};

Param Str(std::string s) { return Param::String(std::move(s)); }

Param Num(std::string s) { return Param{Param::Kind::kNumber, std::move(s), {}}; }

TEST(PhpIntCast, FollowsPhpRules) {
  EXPECT_EQ(PhpIntCast(Str("12abc")), 12);
  EXPECT_EQ(PhpIntCast(Str("abc")), 0);
  EXPECT_EQ(PhpIntCast(Str("1e3")), 1000);
  EXPECT_EQ(PhpIntCast(Str("  -7")), -7);
  EXPECT_EQ(PhpIntCast(Str("3.9")), 3);
  EXPECT_EQ(PhpIntCast(Str("99999999999999999999")), INT64_MAX);
  EXPECT_EQ(PhpIntCast(Str("-99999999999999999999")), INT64_MIN);
  EXPECT_EQ(PhpIntCast(Num("1e400")), INT64_MAX);
  EXPECT_EQ(PhpIntCast(Param{Param::Kind::kBool, "true", {}}), 1);
  EXPECT_EQ(PhpIntCast(Str("")), 0);
}

std::vector<ParamDef> SimpleDefs() {
  return {{.name = "n", .type = Type::kInt},
          {.name = "b", .type = Type::kBool, .optional = true},
          {.name = "s", .type = Type::kString, .optional = true, .default_value = "dflt"},
          {.name = "c", .type = Type::kIntEnum, .enum_def = &kColor, .optional = true}};
}

TEST(BuildArgs, MissingMandatoryParameter) {
  auto defs = SimpleDefs();
  EXPECT_THAT(BuildArgs(defs, Param::Map(), {}),
              ApiErrorIs(errors::kMissingMandatoryParameter, ElementsAre(Pair("PARAM_NAME", "n"))));
}

TEST(BuildArgs, DefaultsApplyToAbsentOptionals) {
  auto defs = SimpleDefs();
  Param p = Param::Map();
  p.Set("n", Str("4"));
  auto r = BuildArgs(defs, p, {});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->Int("n"), 4);
  EXPECT_EQ(r->Int("b"), 0);
  EXPECT_EQ(r->String("s"), "dflt");
  EXPECT_FALSE(r->Get("c").is_set());
}

// An absent optional parameter without a default is absent, with what coercing "" gives (0,
// false, ""); sent as "" it is the same value, but set. A string enum's "" is still checked
// against its values.
TEST(BuildArgs, AbsentOptionalsWithoutADefaultAreTheZeroValue) {
  static const EnumDef kMode{"KalturaMode", {}, {"on", "off"}};
  const std::vector<ParamDef> defs = {
      {.name = "i", .type = Type::kInt, .optional = true},
      {.name = "t", .type = Type::kTime, .optional = true},
      {.name = "f", .type = Type::kFloat, .optional = true},
      {.name = "b", .type = Type::kBool, .optional = true},
      {.name = "s", .type = Type::kString, .optional = true},
      {.name = "e", .type = Type::kIntEnum, .enum_def = &kColor, .optional = true}};
  auto absent = BuildArgs(defs, Param::Map(), {.now = 1'700'000'000});
  ASSERT_THAT(absent, IsOk());
  Param empty = Param::Map();
  for (const char* name : {"i", "t", "f", "b", "s"}) empty.Set(name, Str(""));
  auto sent = BuildArgs(defs, empty, {.now = 1'700'000'000});
  ASSERT_THAT(sent, IsOk());
  for (const char* name : {"i", "t", "f", "b", "s", "e"}) {
    const ArgValue& a = absent->Get(name);
    EXPECT_EQ(a.state, ArgValue::State::kAbsent) << name;
    EXPECT_EQ(a.int_value, 0) << name;
    EXPECT_EQ(a.float_value, 0) << name;
    EXPECT_EQ(a.string_value, "") << name;
    if (std::string_view(name) == "e") continue;  // "" is no int enum value
    const ArgValue& s = sent->Get(name);
    EXPECT_TRUE(s.is_set()) << name;
    EXPECT_EQ(s.int_value, a.int_value) << name;
    EXPECT_EQ(s.float_value, a.float_value) << name;
    EXPECT_EQ(s.string_value, a.string_value) << name;
  }
  const std::vector<ParamDef> enum_defs = {
      {.name = "m", .type = Type::kStringEnum, .enum_def = &kMode, .optional = true}};
  EXPECT_THAT(BuildArgs(enum_defs, Param::Map(), {}), ApiErrorIs(errors::kInvalidEnumValue));
}

TEST(BuildArgs, BoolCoercion) {
  auto defs = SimpleDefs();
  for (auto [text, expected] : std::vector<std::pair<std::string, int>>{
           {"false", 0}, {"FALSE", 0}, {"0", 0}, {"", 0}, {"1", 1}, {"true", 1}, {"no", 1}}) {
    Param p = Param::Map();
    p.Set("n", Str("1"));
    p.Set("b", Str(text));
    auto r = BuildArgs(defs, p, {});
    ASSERT_THAT(r, IsOk()) << text;
    EXPECT_EQ(r->Int("b"), expected) << text;
  }
}

TEST(BuildArgs, IntEnumUsesLooseEquality) {
  auto defs = SimpleDefs();
  for (const char* ok : {"2", "2.0", " 2"}) {
    Param p = Param::Map();
    p.Set("n", Str("1"));
    p.Set("c", Str(ok));
    auto r = BuildArgs(defs, p, {});
    ASSERT_THAT(r, IsOk()) << ok;
    EXPECT_EQ(r->Int("c"), 2);
  }
  for (const char* bad : {"3", "two", "", "2.5"}) {
    Param p = Param::Map();
    p.Set("n", Str("1"));
    p.Set("c", Str(bad));
    EXPECT_THAT(BuildArgs(defs, p, {}), ApiErrorIs(errors::kInvalidEnumValue)) << bad;
  }
}

TEST(BuildArgs, JsonNullCountsAsAbsent) {
  auto defs = SimpleDefs();
  Param p = Param::Map();
  p.Set("n", Param{});
  EXPECT_THAT(BuildArgs(defs, p, {}), ApiErrorIs(errors::kMissingMandatoryParameter));
}

std::vector<ParamDef> ObjectDefs() {
  return {{.name = "thing", .type = Type::kObject, .object_def = &kBase, .optional = true}};
}

TEST(BuildArgs, ObjectPropertiesAreCoercedAndNullMarked) {
  RegisterObjectType(&kSub);
  auto defs = ObjectDefs();
  Param thing = Param::Map();
  thing.Set("color", Str("1"));
  thing.Set("hash", Str("SHA256"));
  thing.Set("note__null", Str(""));
  thing.Set("unknown", Str("ignored"));
  Param p = Param::Map();
  p.Set("thing", thing);
  auto r = BuildArgs(defs, p, CoercionContext{1000});
  ASSERT_THAT(r, IsOk());
  const ObjectValue* o = r->Object("thing");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->type, &kBase);
  EXPECT_EQ(o->Get("color").int_value, 1);
  EXPECT_EQ(o->Get("hash").string_value, "SHA256");
  EXPECT_TRUE(o->Get("note").is_null());
  EXPECT_FALSE(o->Get("id").is_set());
  EXPECT_EQ(o->properties.size(), 3u);
}

TEST(BuildArgs, StringEnumIsCaseSensitive) {
  auto defs = ObjectDefs();
  Param thing = Param::Map();
  thing.Set("hash", Str("sha256"));
  Param p = Param::Map();
  p.Set("thing", thing);
  EXPECT_THAT(BuildArgs(defs, p, {}),
              ApiErrorIs(errors::kInvalidEnumValue, ElementsAre(_, Pair("PARAM_NAME", "hash"),
                                                                Pair("ENUM_TYPE", "KalturaHash"))));
}

TEST(BuildArgs, TimeInsideObjectsIsRelativeWhenSmall) {
  auto defs = ObjectDefs();
  for (auto [in, out] : std::vector<std::pair<std::string, int64_t>>{{"3600", 1003600},
                                                                     {"-60", 999940},
                                                                     {"-1", -1},
                                                                     {"0", 0},
                                                                     {"", 0},
                                                                     {"1767225600", 1767225600}}) {
    Param thing = Param::Map();
    thing.Set("expiry", Str(in));
    Param p = Param::Map();
    p.Set("thing", thing);
    auto r = BuildArgs(defs, p, CoercionContext{1000000});
    ASSERT_THAT(r, IsOk()) << in;
    ASSERT_NE(r->Object("thing"), nullptr) << in;
    EXPECT_EQ(r->Object("thing")->Get("expiry").int_value, out) << in;
  }
}

TEST(BuildArgs, ObjectTypeSelectsAKnownSubclassOnly) {
  RegisterObjectType(&kSub);
  RegisterObjectType(&kAbstract);
  auto defs = ObjectDefs();
  Param thing = Param::Map();
  thing.Set("objectType", Str("KalturaSpecialThing"));
  thing.Set("extra", Str("5"));
  Param p = Param::Map();
  p.Set("thing", thing);
  auto r = BuildArgs(defs, p, {});
  ASSERT_THAT(r, IsOk());
  ASSERT_NE(r->Object("thing"), nullptr);
  EXPECT_EQ(r->Object("thing")->type, &kSub);
  EXPECT_EQ(r->Object("thing")->Get("extra").int_value, 5);

  thing.Set("objectType", Str("KalturaAbstractThing"));  // unrelated: ignored
  p.Set("thing", thing);
  auto base = BuildArgs(defs, p, {});
  ASSERT_THAT(base, IsOk());
  ASSERT_NE(base->Object("thing"), nullptr);
  EXPECT_EQ(base->Object("thing")->type, &kBase);
}

TEST(BuildArgs, AbstractDeclaredTypeNeedsAConcreteObjectType) {
  std::vector<ParamDef> defs = {{.name = "a", .type = Type::kObject, .object_def = &kAbstract}};
  Param p = Param::Map();
  p.Set("a", Param::Map());
  EXPECT_THAT(BuildArgs(defs, p, {}), ApiErrorIs(errors::kObjectTypeAbstract));
}

TEST(BuildArgs, ScalarForAnObjectIsWrongFormat) {
  auto defs = ObjectDefs();
  Param p = Param::Map();
  p.Set("thing", Str("abc"));
  EXPECT_THAT(BuildArgs(defs, p, {}), ApiErrorIs(errors::kPropertyValidationWrongFormat));
}

TEST(BuildArgs, TooLongStringNamesClassAndProperty) {
  auto defs = ObjectDefs();
  Param thing = Param::Map();
  thing.Set("note", Str("123456"));
  Param p = Param::Map();
  p.Set("thing", thing);
  EXPECT_THAT(
      BuildArgs(defs, p, {}),
      ApiErrorIs(errors::kPropertyValidationMaxLength,
                 ElementsAre(Pair("PROP_NAME", "KalturaThing::note"), Pair("MAX_LEN", "5"))));
}

TEST(BuildArgs, InvalidUtf8StringIsInvalidChar) {
  auto defs = SimpleDefs();
  Param p = Param::Map();
  p.Set("n", Str("1"));
  p.Set("s", Str("\xff"));
  EXPECT_THAT(BuildArgs(defs, p, {}), ApiErrorIs(errors::kInvalidParameterChar));
  p.Set("s", Str(std::string("a\x01", 2)));
  EXPECT_THAT(BuildArgs(defs, p, {}), ApiErrorIs(errors::kInvalidParameterChar));
}

}  // namespace
}  // namespace ksgate::api
