#include "api/json_value.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "testing/matchers.h"

namespace ksgate::api {
namespace {

using ::ksgate::testing::ApiErrorIs;
using ::ksgate::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

constexpr size_t kDepth = 64;

const ApiError& BadAnswer() {
  static const ApiError bad = ApiError::Of(errors::kUpstreamBadAnswer, {"media"});
  return bad;
}

Result<Value, ApiError> Read(std::string_view text, size_t max_depth = kDepth) {
  return ValueFromJson(text, max_depth, BadAnswer());
}

// The value read back as JSON text (AppendJson), for compact expectations. Nulls vanish from
// objects and maps there, as they do in ksgate's answers.
std::string RoundTrip(std::string_view text) {
  Result<Value, ApiError> v = Read(text);
  EXPECT_THAT(v, IsOk()) << text;
  if (!v.ok()) return "<error>";
  std::string out;
  AppendJson(*v, &out);
  return out;
}

std::string ParamJson(const Param& p) {
  std::string out;
  AppendParamJson(p, &out);
  return out;
}

// --- AppendParamJson --------------------------------------------------------------------------

TEST(AppendParamJson, WritesScalarsByKind) {
  EXPECT_EQ(ParamJson(Param()), "null");
  EXPECT_EQ(ParamJson(Param::String("a\"b\\c/\n\xc3\xa9")), "\"a\\\"b\\\\c\\/\\n\xc3\xa9\"");
  EXPECT_EQ(ParamJson(Param::String("12")), "\"12\"") << "a string stays a string";
  EXPECT_EQ(ParamJson(Param(Param::Kind::kNumber, "1e3")), "1e3");
  EXPECT_EQ(ParamJson(Param(Param::Kind::kNumber, "-0.5")), "-0.5");
  EXPECT_EQ(ParamJson(Param(Param::Kind::kBool, "true")), "true");
  EXPECT_EQ(ParamJson(Param(Param::Kind::kBool, "false")), "false");
}

TEST(AppendParamJson, WritesMapsAsObjectsWithKeysInOrder) {
  Param p = Param::Map();
  p.Set("service", Param::String("media"));
  p.Set("z", Param(Param::Kind::kNumber, "1"));
  Param inner = Param::Map();
  inner.Set("objectType", Param::String("KalturaMediaEntry"));
  inner.Set("k\"ey", Param());
  p.Set("entry", inner);
  p.Set("empty", Param::Map());
  p.Set("a", Param(Param::Kind::kBool, "true"));
  EXPECT_EQ(ParamJson(p),
            "{\"service\":\"media\",\"z\":1,\"entry\":{\"objectType\":\"KalturaMediaEntry\","
            "\"k\\\"ey\":null},\"empty\":{},\"a\":true}");
}

TEST(AppendParamJson, AppendsToWhatIsThere) {
  std::string out = "x";
  AppendParamJson(Param::String("y"), &out);
  EXPECT_EQ(out, "x\"y\"");
}

// What the gate sends upstream reads back as the same parameters.
TEST(AppendParamJson, ReadsBackThroughTheRequestDecoder) {
  Param p = Param::Map();
  p.Set("s", Param::String("\x01\xe2\x80\xa8 \"q\""));
  p.Set("n", Param(Param::Kind::kNumber, "-12.5e-1"));
  Param m = Param::Map();
  m.Set("0", Param::String("first"));
  m.Set("x:y", Param::String("colon"));
  p.Set("m", m);
  Request r;
  r.method = "POST";
  r.target = "/";
  r.content_type = "application/json";
  AppendParamJson(p, &r.body);
  KSGATE_ASSERT_OK_AND_ASSIGN(Param back, DecodeRequestParams(r, {}));
  EXPECT_EQ(back.ScalarAt("s"), "\x01\xe2\x80\xa8 \"q\"");
  ASSERT_NE(back.Find("n"), nullptr);
  EXPECT_EQ(back.Find("n")->kind, Param::Kind::kNumber);
  EXPECT_EQ(back.ScalarAt("n"), "-12.5e-1");
  ASSERT_NE(back.Find("m"), nullptr);
  EXPECT_EQ(back.Find("m")->ScalarAt("0"), "first");
}

// --- ValueFromJson: values --------------------------------------------------------------------

TEST(ValueFromJson, ReadsScalars) {
  KSGATE_ASSERT_OK_AND_ASSIGN(Value t, Read("true"));
  EXPECT_EQ(t.kind(), Value::Kind::kBool);
  EXPECT_TRUE(t.bool_value());
  KSGATE_ASSERT_OK_AND_ASSIGN(Value f, Read(" false "));
  EXPECT_EQ(f.kind(), Value::Kind::kBool);
  EXPECT_FALSE(f.bool_value());
  KSGATE_ASSERT_OK_AND_ASSIGN(Value n, Read("null"));
  EXPECT_TRUE(n.is_null());
  KSGATE_ASSERT_OK_AND_ASSIGN(Value s, Read("\"a\\u00e9\\n\\ud83d\\ude00\""));
  EXPECT_EQ(s.kind(), Value::Kind::kString);
  EXPECT_EQ(s.string_value(), "a\xc3\xa9\n\xf0\x9f\x98\x80");
}

TEST(ValueFromJson, ReadsIntegersAsIntsAndEverythingElseAsFloats) {
  struct IntCase {
    std::string text;
    int64_t want;
  };
  for (const IntCase& c : std::vector<IntCase>{
           {"0", 0},
           {"-0", 0},
           {"42", 42},
           {"-7", -7},
           {"9223372036854775807", std::numeric_limits<int64_t>::max()},
           {"-9223372036854775808", std::numeric_limits<int64_t>::min()},
       }) {
    KSGATE_ASSERT_OK_AND_ASSIGN(Value v, Read(c.text));
    EXPECT_EQ(v.kind(), Value::Kind::kInt) << c.text;
    EXPECT_EQ(v.int_value(), c.want) << c.text;
  }
  struct FloatCase {
    std::string text;
    double want;
  };
  for (const FloatCase& c : std::vector<FloatCase>{
           {"1.0", 1.0},
           {"-2.5", -2.5},
           {"1e3", 1000.0},
           {"1E-2", 0.01},
           {"0.1", 0.1},
           {"9223372036854775808", 9223372036854775808.0},  // past int64
           {"-9223372036854775809", -9223372036854775809.0},
           {"123456789012345678901234567890", 1.2345678901234568e29},
       }) {
    KSGATE_ASSERT_OK_AND_ASSIGN(Value v, Read(c.text));
    EXPECT_EQ(v.kind(), Value::Kind::kFloat) << c.text;
    EXPECT_DOUBLE_EQ(v.float_value(), c.want) << c.text;
  }
}

TEST(ValueFromJson, ReadsArraysAndObjectsWithoutATypeAsMapsInOrder) {
  KSGATE_ASSERT_OK_AND_ASSIGN(Value v, Read("{\"b\":[1,\"x\",null,[]],\"a\":{},\"c\":1.5}"));
  ASSERT_EQ(v.kind(), Value::Kind::kMap);
  ASSERT_EQ(v.fields().size(), 3u);
  EXPECT_EQ(v.fields()[0].first, "b");
  EXPECT_EQ(v.fields()[1].first, "a");
  EXPECT_EQ(v.fields()[2].first, "c");
  const Value& b = v.fields()[0].second;
  ASSERT_EQ(b.kind(), Value::Kind::kArray);
  ASSERT_EQ(b.elements().size(), 4u);
  EXPECT_EQ(b.elements()[0].int_value(), 1);
  EXPECT_EQ(b.elements()[1].string_value(), "x");
  EXPECT_TRUE(b.elements()[2].is_null());
  EXPECT_EQ(b.elements()[3].kind(), Value::Kind::kArray);
  EXPECT_EQ(v.fields()[1].second.kind(), Value::Kind::kMap);
  EXPECT_EQ(v.fields()[2].second.kind(), Value::Kind::kFloat);
}

TEST(ValueFromJson, ReadsAnObjectWithAStringObjectTypeAsAKalturaObject) {
  KSGATE_ASSERT_OK_AND_ASSIGN(
      Value v, Read("{\"id\":\"0_a\",\"objectType\":\"KalturaMediaEntry\",\"views\":3,"
                    "\"tags\":{\"objectType\":\"KalturaTag\",\"n\":\"t\"},\"m\":{\"k\":1}}"));
  ASSERT_EQ(v.kind(), Value::Kind::kObject);
  EXPECT_EQ(v.string_value(), "KalturaMediaEntry");
  ASSERT_EQ(v.fields().size(), 4u) << "objectType is the class, not a field";
  EXPECT_EQ(v.fields()[0].first, "id");
  EXPECT_EQ(v.fields()[1].first, "views");
  EXPECT_EQ(v.fields()[2].first, "tags");
  EXPECT_EQ(v.fields()[2].second.kind(), Value::Kind::kObject);
  EXPECT_EQ(v.fields()[2].second.string_value(), "KalturaTag");
  EXPECT_EQ(v.fields()[3].second.kind(), Value::Kind::kMap);
  // Written back as ksgate writes objects: objectType last.
  EXPECT_EQ(RoundTrip("{\"objectType\":\"KalturaX\",\"a\":1,\"b\":\"s\"}"),
            "{\"a\":1,\"b\":\"s\",\"objectType\":\"KalturaX\"}");
}

TEST(ValueFromJson, AnObjectTypeThatIsNotAStringLeavesAMap) {
  KSGATE_ASSERT_OK_AND_ASSIGN(Value v, Read("{\"objectType\":5,\"a\":1}"));
  EXPECT_EQ(v.kind(), Value::Kind::kMap);
  ASSERT_NE(v.Find("objectType"), nullptr);
  EXPECT_EQ(v.Find("objectType")->int_value(), 5);
}

TEST(ValueFromJson, AKalturaApiExceptionInsideAResultIsAnObjectNotAnError) {
  KSGATE_ASSERT_OK_AND_ASSIGN(
      Value v, Read("[{\"code\":\"X\",\"message\":\"m\",\"objectType\":\"KalturaAPIException\"}]"));
  ASSERT_EQ(v.kind(), Value::Kind::kArray);
  ASSERT_EQ(v.elements().size(), 1u);
  EXPECT_EQ(v.elements()[0].kind(), Value::Kind::kObject);
  EXPECT_EQ(v.elements()[0].string_value(), "KalturaAPIException");
}

// --- ValueFromJson: errors --------------------------------------------------------------------

TEST(ValueFromJson, ATopLevelKalturaApiExceptionIsTheErrorItDescribes) {
  EXPECT_THAT(
      Read("{\"code\":\"ENTRY_ID_NOT_FOUND\",\"message\":\"Entry id \\\"0_x\\\" not "
           "found\",\"objectType\":\"KalturaAPIException\",\"args\":{\"ENTRY_ID\":\"0_x\"}}"),
      ApiErrorIs(ErrorDef{"ENTRY_ID_NOT_FOUND", "", ""}, ElementsAre(Pair("ENTRY_ID", "0_x")),
                 "Entry id \"0_x\" not found"));
  // args [] (PHP's empty array) is no args; members in any order.
  EXPECT_THAT(Read("{\"objectType\":\"KalturaAPIException\",\"args\":[],\"message\":\"m\","
                   "\"code\":\"SOME_CODE\"}"),
              ApiErrorIs(ErrorDef{"SOME_CODE", "", ""}, IsEmpty(), "m"));
  // No args at all; a numeric code and arg are read as their text.
  EXPECT_THAT(Read("{\"objectType\":\"KalturaAPIException\",\"code\":17,\"message\":\"m\","
                   "\"args\":{\"N\":3,\"S\":\"s\"}}"),
              ApiErrorIs(ErrorDef{"17", "", ""}, ElementsAre(Pair("N", "3"), Pair("S", "s")), "m"));
}

TEST(ValueFromJson, AKalturaApiExceptionWithoutACodeIsABadAnswer) {
  EXPECT_THAT(Read("{\"objectType\":\"KalturaAPIException\",\"message\":\"m\"}"),
              ApiErrorIs(errors::kUpstreamBadAnswer, ElementsAre(Pair("SERVICE", "media"))));
  EXPECT_THAT(Read("{\"objectType\":\"KalturaAPIException\",\"code\":\"\"}"),
              ApiErrorIs(errors::kUpstreamBadAnswer));
}

TEST(ValueFromJson, TextThatIsNotOneJsonValueIsABadAnswer) {
  for (const char* text : {
           "",
           "   ",
           "{",
           "[1,2",
           "{\"a\":}",
           "{'a':1}",
           "[1,]",
           "01",
           "1.",
           ".5",
           "+1",
           "NaN",
           "Infinity",
           "tru",
           "\"unterminated",
           "\"bad escape \\x\"",
           "{\"a\":1}{\"b\":2}",  // two values
           "{} x",                // trailing garbage
           "1 2",
           "true false",
           "[1]]",
           "<?xml version=\"1.0\"?><xml/>",
           "\"\\ud800\"",         // an unpaired high surrogate
           "\"\\udc00\"",         // an unpaired low surrogate
           "\"\\ud800\\u0041\"",  // a high surrogate followed by a non-surrogate
       }) {
    EXPECT_THAT(Read(text), ApiErrorIs(errors::kUpstreamBadAnswer)) << text;
  }
}

TEST(ValueFromJson, WhitespaceMayFollowTheValue) {
  EXPECT_THAT(Read("{} \t\r\n"), IsOk());
  EXPECT_THAT(Read("\n 7\n"), IsOk());
}

TEST(ValueFromJson, InvalidUtf8InAStringOrAKeyIsABadAnswer) {
  for (const char* text : {
           "\"\xff\"",
           "\"a\xc3\"",             // truncated
           "\"\xc0\xaf\"",          // overlong '/'
           "\"\xed\xa0\x80\"",      // an encoded surrogate
           "\"\xf4\x90\x80\x80\"",  // past U+10FFFF
           "{\"k\xff\":1}",         // in a key
           "[\"ok\",\"\x80\"]",     // nested
           "{\"objectType\":\"K\xfe\"}",
       }) {
    EXPECT_THAT(Read(text), ApiErrorIs(errors::kUpstreamBadAnswer)) << text;
  }
  EXPECT_THAT(Read("\"\xe2\x82\xac \xf0\x9f\x98\x80\""), IsOk()) << "valid multi-byte UTF-8";
}

// How deep `n` nested arrays, or objects, are.
std::string Nested(size_t n, bool objects) {
  std::string text;
  for (size_t i = 0; i < n; ++i) text += objects ? "{\"k\":" : "[";
  text += "1";
  for (size_t i = 0; i < n; ++i) text += objects ? "}" : "]";
  return text;
}

TEST(ValueFromJson, NestingUpToTheDepthLimitIsReadAndDeeperIsABadAnswer) {
  for (const bool objects : {false, true}) {
    EXPECT_THAT(Read(Nested(3, objects), 3), IsOk()) << objects;
    EXPECT_THAT(Read(Nested(4, objects), 3), ApiErrorIs(errors::kUpstreamBadAnswer)) << objects;
  }
  EXPECT_THAT(Read("7", 0), IsOk()) << "a scalar has no depth";
  EXPECT_THAT(Read("[]", 0), ApiErrorIs(errors::kUpstreamBadAnswer));
  // Deep enough to overflow a recursive reader's stack: refused, not crashed.
  EXPECT_THAT(Read(Nested(100000, false), kDepth), ApiErrorIs(errors::kUpstreamBadAnswer));
  EXPECT_THAT(Read(std::string(100000, '['), kDepth), ApiErrorIs(errors::kUpstreamBadAnswer));
}

TEST(ValueFromJson, TheBadAnswerIsTheCallersError) {
  const ApiError mine = ApiError::Of(errors::kUpstreamBadAnswer, {"reports"});
  EXPECT_THAT(ValueFromJson("{", kDepth, mine),
              ApiErrorIs(errors::kUpstreamBadAnswer, ElementsAre(Pair("SERVICE", "reports"))));
}

}  // namespace
}  // namespace ksgate::api
