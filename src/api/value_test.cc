#include "api/value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <string_view>

#include "api/params.h"
#include "api/utf8.h"

namespace ksgate::api {
namespace {

std::string Json(const Value& v) {
  std::string out;
  AppendJson(v, &out);
  return out;
}

std::string Xml(const Value& v, bool ignore_null = false) {
  std::string out;
  AppendXml(v, ignore_null, &out);
  return out;
}

std::string JsonError(const ApiError& e) {
  std::string out;
  AppendJsonError(e, &out);
  return out;
}

std::string XmlError(const ApiError& e) {
  std::string out;
  AppendXmlError(e, &out);
  return out;
}

// Strict JSON check, reusing the request decoder (RapidJSON plus UTF-8 validation).
bool IsValidJson(const std::string& text) {
  Request r;
  r.target = "/";
  r.content_type = "application/json";
  r.body = "{\"v\":" + text + "}";
  return DecodeRequestParams(r, {}).ok();
}

// The KalturaAppToken of spec §10 example A, with its two null members.
Value AppToken() {
  Value v = Value::Object("KalturaAppToken");
  v.Add("relatedObjects", Value::Null())
      .Add("id", Value::String("0_mq3kd8zp"))
      .Add("token", Value::String("5c0b4d1e8f7a4a3b9e2d6c1f0a9b8e7d"))
      .Add("partnerId", Value::Int(101))
      .Add("createdAt", Value::Int(1714200000))
      .Add("updatedAt", Value::Int(1714200000))
      .Add("status", Value::Int(2))
      .Add("expiry", Value::Null())
      .Add("sessionType", Value::Int(0))
      .Add("sessionUserId", Value::Null())
      .Add("sessionDuration", Value::Int(86400))
      .Add("sessionPrivileges", Value::String("view:*"))
      .Add("hashType", Value::String("SHA256"))
      .Add("description", Value::String("demo token"));
  return v;
}

// --- Value ----------------------------------------------------------------------------------

TEST(Value, FactoriesSetKindAndPayload) {
  EXPECT_TRUE(Value().is_null());
  EXPECT_EQ(Value::Null().kind(), Value::Kind::kNull);
  EXPECT_TRUE(Value::Bool(true).bool_value());
  EXPECT_FALSE(Value::Bool(false).bool_value());
  EXPECT_EQ(Value::Int(-7).int_value(), -7);
  EXPECT_EQ(Value::Float(1.5).float_value(), 1.5);
  EXPECT_EQ(Value::String("s").string_value(), "s");
  EXPECT_EQ(Value::Object("KalturaX").kind(), Value::Kind::kObject);
  EXPECT_EQ(Value::Object("KalturaX").string_value(), "KalturaX");
  EXPECT_EQ(Value::Array().kind(), Value::Kind::kArray);
  EXPECT_EQ(Value::Map().kind(), Value::Kind::kMap);
}

TEST(Value, AddAndPushChainAndKeepOrder) {
  Value o = Value::Object("T");
  o.Add("b", Value::Int(1)).Add("a", Value::Null());
  ASSERT_EQ(o.fields().size(), 2u);
  EXPECT_EQ(o.fields()[0].first, "b");
  EXPECT_EQ(o.fields()[1].first, "a");
  ASSERT_NE(o.Find("a"), nullptr);
  EXPECT_TRUE(o.Find("a")->is_null());
  EXPECT_EQ(o.Find("c"), nullptr);

  Value a = Value::Array();
  a.Push(Value::Int(1)).Push(Value::Int(2));
  ASSERT_EQ(a.elements().size(), 2u);
  EXPECT_EQ(a.elements()[1].int_value(), 2);
}

TEST(Value, ReservedRoomKeepsFieldsAndElementsInPlace) {
  Value o = Value::Object("T");
  o.Reserve(3).Add("a", Value::Int(1));
  const Value* first = &o.fields()[0].second;
  o.Add("b", Value::Int(2)).Add("c", Value::Int(3));
  EXPECT_EQ(&o.fields()[0].second, first) << "three fields fit: none moved";
  EXPECT_EQ(o.Find("c")->int_value(), 3);

  Value a = Value::Array();
  a.Reserve(2).Push(Value::Int(1));
  const Value* element = &a.elements()[0];
  a.Push(Value::Int(2));
  EXPECT_EQ(&a.elements()[0], element);
  EXPECT_TRUE(a.fields().empty());
}

// --- JSON (§6.4) ----------------------------------------------------------------------------

TEST(AppendJson, Scalars) {
  EXPECT_EQ(Json(Value::Null()), "null");
  EXPECT_EQ(Json(Value::Bool(true)), "true");
  EXPECT_EQ(Json(Value::Bool(false)), "false");
  EXPECT_EQ(Json(Value::Int(0)), "0");
  EXPECT_EQ(Json(Value::Int(-9223372036854775807LL - 1)), "-9223372036854775808");
  EXPECT_EQ(Json(Value::String("djJ8MTAx")), "\"djJ8MTAx\"");
}

TEST(AppendJson, FloatsUseTheShortestExactForm) {
  EXPECT_EQ(Json(Value::Float(0.1)), "0.1");
  EXPECT_EQ(Json(Value::Float(1.5)), "1.5");
  EXPECT_EQ(Json(Value::Float(3)), "3");
  EXPECT_EQ(Json(Value::Float(1e20)), "1e+20");
  EXPECT_EQ(Json(Value::Float(-2.5e-7)), "-2.5e-07");
  EXPECT_EQ(Json(Value::Float(0.1 + 0.2)), "0.30000000000000004");
  EXPECT_EQ(Json(Value::Float(std::nan(""))), "0");
  EXPECT_EQ(Json(Value::Float(std::numeric_limits<double>::infinity())), "0");
}

TEST(AppendJson, AppendsToWhatIsThere) {
  std::string out = "[";
  AppendJson(Value::Int(1), &out);
  EXPECT_EQ(out, "[1");
}

TEST(AppendJson, EscapesQuotesBackslashesSlashesAndControls) {
  EXPECT_EQ(Json(Value::String("a\"b\\c/d")), R"("a\"b\\c\/d")");
  EXPECT_EQ(Json(Value::String("\b\f\n\r\t")), R"("\b\f\n\r\t")");
  EXPECT_EQ(Json(Value::String(std::string("\0\x01\x1f\x7f", 4))), "\"\\u0000\\u0001\\u001f\x7f\"");
  EXPECT_EQ(Json(Value::String("http://x/y")), R"("http:\/\/x\/y")");
}

TEST(AppendJson, KeepsUtf8AndEscapesLineSeparators) {
  EXPECT_EQ(Json(Value::String("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80")),
            "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"");
  EXPECT_EQ(Json(Value::String("a\xE2\x80\xA8"
                               "b\xE2\x80\xA9")),
            R"("a\u2028b\u2029")");
}

TEST(AppendJson, ReplacesInvalidUtf8WithReplacementCharacter) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(Json(Value::String("a\xFF"
                               "b")),
            "\"a" + r + "b\"");
  EXPECT_EQ(Json(Value::String("\xE2\x82")), "\"" + r + "\"");              // truncated
  EXPECT_EQ(Json(Value::String("\xE2\x82x")), "\"" + r + "x\"");            // one per char
  EXPECT_EQ(Json(Value::String("\xC0\x80")), "\"" + r + r + "\"");          // overlong
  EXPECT_EQ(Json(Value::String("\xED\xA0\x80")), "\"" + r + r + r + "\"");  // surrogate
  EXPECT_EQ(Json(Value::String("\x80\"")), "\"" + r + "\\\"\"");
}

TEST(AppendJson, OutputIsAlwaysValidJson) {
  ASSERT_FALSE(IsValidJson("\"\xFF\""));  // the checker itself is strict
  ASSERT_FALSE(IsValidJson("\"a\nb\""));
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 2000; ++round) {
    std::string s(static_cast<size_t>(round % 40), '\0');
    for (char& c : s) c = static_cast<char>(byte(rng));
    Value v = Value::Map();
    v.Add(s, Value::String(s));
    std::string out = Json(v);
    ASSERT_TRUE(IsValidJson(out)) << out;
  }
}

TEST(AppendJson, ObjectOmitsNullsAndPutsObjectTypeLast) {
  EXPECT_EQ(Json(AppToken()),
            R"({"id":"0_mq3kd8zp","token":"5c0b4d1e8f7a4a3b9e2d6c1f0a9b8e7d","partnerId":101,)"
            R"("createdAt":1714200000,"updatedAt":1714200000,"status":2,"sessionType":0,)"
            R"("sessionDuration":86400,"sessionPrivileges":"view:*","hashType":"SHA256",)"
            R"("description":"demo token","objectType":"KalturaAppToken"})");
}

TEST(AppendJson, ObjectWithOnlyNullsStillHasObjectType) {
  Value v = Value::Object("KalturaSessionInfo");
  v.Add("ks", Value::Null());
  EXPECT_EQ(Json(v), R"({"objectType":"KalturaSessionInfo"})");
}

TEST(AppendJson, KeepsEmptyStringsZerosAndFalse) {
  Value v = Value::Object("T");
  v.Add("s", Value::String("")).Add("i", Value::Int(0)).Add("b", Value::Bool(false));
  EXPECT_EQ(Json(v), R"({"s":"","i":0,"b":false,"objectType":"T"})");
}

TEST(AppendJson, NestedObjectsAndArrays) {
  Value inner = Value::Object("KalturaString");
  inner.Add("value", Value::String("x")).Add("gone", Value::Null());
  Value list = Value::Array();
  list.Push(inner).Push(Value::Object("KalturaString"));
  Value response = Value::Object("KalturaAppTokenListResponse");
  response.Add("totalCount", Value::Int(2)).Add("objects", std::move(list));
  EXPECT_EQ(Json(response),
            R"({"totalCount":2,"objects":[{"value":"x","objectType":"KalturaString"},)"
            R"({"objectType":"KalturaString"}],"objectType":"KalturaAppTokenListResponse"})");
}

TEST(AppendJson, ArraysKeepNullElements) {
  Value a = Value::Array();
  EXPECT_EQ(Json(a), "[]");
  a.Push(Value::Int(1)).Push(Value::Null()).Push(Value::Array());
  EXPECT_EQ(Json(a), "[1,null,[]]");
}

TEST(AppendJson, MapsAreObjectsAndEmptyMapsAreArrays) {
  Value m = Value::Map();
  EXPECT_EQ(Json(m), "[]");
  m.Add("a", Value::Null());
  EXPECT_EQ(Json(m), "[]");  // nothing left once nulls are gone
  m.Add("k/1", Value::Int(1)).Add("k2", Value::Map());
  EXPECT_EQ(Json(m), R"({"k\/1":1,"k2":[]})");
}

TEST(AppendJsonError, WithoutArgsMatchesSpecExampleB) {
  EXPECT_EQ(JsonError(ApiError::Of(errors::kInvalidAppTokenHash)),
            R"({"code":"INVALID_APP_TOKEN_HASH","message":"Invalid application token hash",)"
            R"("objectType":"KalturaAPIException","args":[]})");
}

TEST(AppendJsonError, WithArgsMatchesSpecExampleB) {
  EXPECT_EQ(JsonError(ApiError::Of(errors::kAppTokenIdNotFound, {"0_nosuch"})),
            R"({"code":"APP_TOKEN_ID_NOT_FOUND",)"
            R"("message":"Application token id \"0_nosuch\" not found",)"
            R"("objectType":"KalturaAPIException","args":{"ID":"0_nosuch"}})");
}

TEST(AppendJsonError, ArgsKeepDeclarationOrderAndAreEscaped) {
  ApiError e = ApiError::Of(errors::kInvalidKs, {"a\"b", "-1", "INVALID_STR"});
  EXPECT_EQ(JsonError(e),
            R"({"code":"INVALID_KS","message":"Invalid KS \"a\"b\", Error \"-1,INVALID_STR\"",)"
            R"("objectType":"KalturaAPIException",)"
            R"("args":{"KSID":"a\"b","ERR_CODE":"-1","ERR_DESC":"INVALID_STR"}})");
}

// --- XML (§6.5) -----------------------------------------------------------------------------

TEST(AppendXml, Scalars) {
  EXPECT_EQ(Xml(Value::Null()), "");
  EXPECT_EQ(Xml(Value::Bool(true)), "1");
  EXPECT_EQ(Xml(Value::Bool(false)), "0");
  EXPECT_EQ(Xml(Value::Int(-42)), "-42");
  EXPECT_EQ(Xml(Value::Float(0.25)), "0.25");
  EXPECT_EQ(Xml(Value::Float(std::nan(""))), "NAN");
  EXPECT_EQ(Xml(Value::Float(-std::numeric_limits<double>::infinity())), "-INF");
  EXPECT_EQ(Xml(Value::String("djJ8")), "djJ8");
}

TEST(AppendXml, EscapesMarkupCharacters) {
  EXPECT_EQ(Xml(Value::String("a&b\"c<d>e'f/g")), "a&amp;b&quot;c&lt;d&gt;e&apos;f/g");
}

TEST(AppendXml, ReplacesWhatXmlForbids) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(Xml(Value::String(std::string("a\0b\x01\x1f", 5))), "a" + r + "b" + r + r);
  EXPECT_EQ(Xml(Value::String("\t\r\n")), "\t\r\n");
  EXPECT_EQ(Xml(Value::String("\xEF\xBF\xBE\xEF\xBF\xBF")), r + r);  // U+FFFE, U+FFFF
  EXPECT_EQ(Xml(Value::String("\xFF\xC3\xA9\xE2\x82")), r + "\xC3\xA9" + r);
}

TEST(AppendXml, OutputTextIsAlwaysXmlSafe) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 2000; ++round) {
    std::string s(static_cast<size_t>(round % 40), '\0');
    for (char& c : s) c = static_cast<char>(byte(rng));
    std::string out = Xml(Value::String(s));
    ASSERT_TRUE(IsXmlSafeUtf8(out));
    EXPECT_EQ(out.find_first_of("<>\"'"), std::string::npos);
  }
}

TEST(AppendXml, ObjectTypeFirstAndNullsAsEmptyElements) {
  Value v = Value::Object("KalturaSessionInfo");
  v.Add("ks", Value::Null())
      .Add("sessionType", Value::Int(0))
      .Add("partnerId", Value::Int(101))
      .Add("userId", Value::String(""))
      .Add("expiry", Value::Int(1714286400))
      .Add("privileges", Value::String("view:*,widget:1"));
  EXPECT_EQ(Xml(v),
            "<objectType>KalturaSessionInfo</objectType><ks></ks><sessionType>0</sessionType>"
            "<partnerId>101</partnerId><userId></userId><expiry>1714286400</expiry>"
            "<privileges>view:*,widget:1</privileges>");
}

TEST(AppendXml, IgnoreNullSkipsNullFieldsOnly) {
  Value v = Value::Object("T");
  v.Add("a", Value::Null()).Add("b", Value::String("")).Add("c", Value::Bool(false));
  EXPECT_EQ(Xml(v, /*ignore_null=*/true), "<objectType>T</objectType><b></b><c>0</c>");
  EXPECT_EQ(Xml(v, /*ignore_null=*/false), "<objectType>T</objectType><a></a><b></b><c>0</c>");
}

TEST(AppendXml, ArraysAreItems) {
  Value a = Value::Array();
  EXPECT_EQ(Xml(a), "");
  Value s = Value::Object("KalturaString");
  s.Add("value", Value::String("x"));
  a.Push(s).Push(Value::Int(2)).Push(Value::Null());
  EXPECT_EQ(Xml(a),
            "<item><objectType>KalturaString</objectType><value>x</value></item>"
            "<item>2</item><item></item>");
}

TEST(AppendXml, MapsAreItemsWithItemKey) {
  Value m = Value::Map();
  m.Add("a&b", Value::String("1")).Add("n", Value::Null());
  EXPECT_EQ(Xml(m), "<item><itemKey>a&amp;b</itemKey>1</item><item><itemKey>n</itemKey></item>");
}

TEST(AppendXml, NestedListResponse) {
  Value token = Value::Object("KalturaAppToken");
  token.Add("id", Value::String("0_a")).Add("expiry", Value::Null());
  Value objects = Value::Array();
  objects.Push(token);
  Value response = Value::Object("KalturaAppTokenListResponse");
  response.Add("objects", std::move(objects)).Add("totalCount", Value::Int(1));
  EXPECT_EQ(Xml(response, /*ignore_null=*/true),
            "<objectType>KalturaAppTokenListResponse</objectType><objects><item>"
            "<objectType>KalturaAppToken</objectType><id>0_a</id></item></objects>"
            "<totalCount>1</totalCount>");
}

TEST(AppendXmlError, WithoutArgsInEnvelopeMatchesSpecExampleB) {
  std::string inner;
  AppendXmlError(ApiError::Of(errors::kInvalidAppTokenHash), &inner);
  EXPECT_EQ(XmlEnvelope(inner, 0.0131),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><xml><result><error>"
            "<code>INVALID_APP_TOKEN_HASH</code><message>Invalid application token hash</message>"
            "<objectType>KalturaAPIException</objectType><args></args></error></result>"
            "<executionTime>0.0131</executionTime></xml>");
}

TEST(AppendXmlError, ArgsAreItems) {
  EXPECT_EQ(XmlError(ApiError::Of(errors::kAppTokenIdNotFound, {"0_<x>&"})),
            "<error><code>APP_TOKEN_ID_NOT_FOUND</code>"
            "<message>Application token id &quot;0_&amp;&quot; not found</message>"
            "<objectType>KalturaAPIException</objectType><args><item>"
            "<objectType>KalturaApiExceptionArg</objectType><name>ID</name>"
            "<value>0_&amp;</value></item></args></error>");
}

TEST(XmlEnvelope, WrapsResultWithExecutionTime) {
  EXPECT_EQ(XmlEnvelope("<item>1</item>", 2.0),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><xml><result><item>1</item></result>"
            "<executionTime>2</executionTime></xml>");
  EXPECT_EQ(XmlEnvelope("", 0),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><xml><result></result>"
            "<executionTime>0</executionTime></xml>");
}

TEST(XmlEnvelope, ExecutionTimeIsMicrosecondsWithoutExponent) {
  auto time_of = [](double s) {
    std::string doc = XmlEnvelope("", s);
    size_t b = doc.find("<executionTime>") + 15;
    return doc.substr(b, doc.find("</executionTime>") - b);
  };
  EXPECT_EQ(time_of(0.0123), "0.0123");
  EXPECT_EQ(time_of(0.000001), "0.000001");
  EXPECT_EQ(time_of(0.0000004), "0");
  EXPECT_EQ(time_of(12.5), "12.5");
  EXPECT_EQ(time_of(1.0000004), "1");
  EXPECT_EQ(time_of(-1), "0");
  EXPECT_EQ(time_of(std::nan("")), "0");
  EXPECT_EQ(time_of(std::numeric_limits<double>::infinity()), "0");
}

// The plain runs are found 16 bytes at a time: a byte to escape at any place of a string of any
// length around the block size, among plain bytes, is escaped there and only there.
TEST(AppendJsonString, EscapesAByteToEscapeWhereverItIsInAPlainRun) {
  const std::pair<std::string, std::string> specials[] = {
      {"\"", "\\\""},   {"\\", "\\\\"},           {"/", "\\/"},
      {"\n", "\\n"},    {"\x01", "\\u0001"},      {"\x1f", "\\u001f"},
      {"\x7f", "\x7f"}, {"\xc3\xa9", "\xc3\xa9"}, {"\xff", "\xef\xbf\xbd"}};
  for (size_t length = 1; length <= 40; ++length) {
    for (size_t at = 0; at < length; ++at) {
      for (const auto& [raw, escaped] : specials) {
        const std::string before(at, 'a');
        const std::string after(length - at - 1, 'Z');
        std::string out = "x";
        AppendJsonString(before + raw + after, &out);
        EXPECT_EQ(out, "x\"" + before + escaped + after + "\"") << length << " " << at;
      }
    }
  }
}

}  // namespace
}  // namespace ksgate::api
