// The parameter decoder's limits (DecodeLimits) and the Param helpers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>

#include "api/params.h"
#include "api/params_test_util.h"
#include "api/utf8.h"
#include "testing/matchers.h"

namespace ksgate::api {
namespace {

using ::ksgate::testing::IsOk;
using params_test::Decoded;
using params_test::DecodeError;
using params_test::Dump;
using params_test::Get;
using params_test::LimitError;
using params_test::Post;

// --- limits ---------------------------------------------------------------------------------

TEST(DecodeRequestParams, DeepJsonIsRejectedQuickly) {
  std::string body;
  for (int i = 0; i < 10000; ++i) body += "{\"a\":";
  body += "1";
  body += std::string(10000, '}');
  EXPECT_EQ(DecodeError(Post("/", "application/json", body)), LimitError("max_depth", "32"));

  std::string arrays = "{\"a\":" + std::string(10000, '[') + std::string(10000, ']') + "}";
  EXPECT_EQ(DecodeError(Post("/", "application/json", arrays)), LimitError("max_depth", "32"));
}

TEST(DecodeRequestParams, JsonDepthLimitCountsKeyLevels) {
  DecodeLimits limits;
  limits.max_depth = 3;
  EXPECT_EQ(Decoded(Post("/", "application/json", R"({"a":{"b":{"c":1}}})"), limits),
            "{a:{b:{c:1}}}");
  EXPECT_EQ(Decoded(Post("/", "application/json", R"({"a":{"b":{"c":{}}}})"), limits),
            "{a:{b:{c:{}}}}");
  EXPECT_EQ(DecodeError(Post("/", "application/json", R"({"a":{"b":{"c":{"d":1}}}})"), limits),
            LimitError("max_depth", "3"));
  EXPECT_EQ(DecodeError(Post("/", "application/json", R"({"a":[[[1]]]})"), limits),
            LimitError("max_depth", "3"));
}

TEST(DecodeRequestParams, GroupedDepthIsLimited) {
  DecodeLimits limits;
  limits.max_depth = 3;
  EXPECT_EQ(Decoded(Get("/?a:b:c=1&x:y:z:-="), limits), R"({a:{b:{c:"1"}},x:{y:{z:{}}}})");
  EXPECT_EQ(DecodeError(Get("/?a:b:c:d=1"), limits), LimitError("max_depth", "3"));
  EXPECT_EQ(DecodeError(Get("/?a:b[c][d]=1"), limits), LimitError("max_depth", "3"));
  EXPECT_EQ(DecodeError(Post("/", "application/json", R"({"a:b":{"c":{"d":1}}})"), limits),
            LimitError("max_depth", "3"));
  EXPECT_EQ(DecodeError(Get("/?a[b][c][d]=1"), limits), LimitError("max_depth", "3"));

  std::string deep = "/?a";
  for (int i = 0; i < 40; ++i) deep += ":a";
  EXPECT_EQ(DecodeError(Get(deep + "=1")), LimitError("max_depth", "32"));
}

TEST(DecodeRequestParams, MultirequestItemGroupingCountsTheItemLevel) {
  DecodeLimits limits;
  limits.max_depth = 3;
  EXPECT_EQ(Decoded(Post("/", "application/json", R"({"1":{"a:b":"x"}})"), limits),
            R"({1:{a:{b:"x"}}})");
  EXPECT_EQ(DecodeError(Post("/", "application/json", R"({"1":{"a:b:c":"x"}})"), limits),
            LimitError("max_depth", "3"));
}

TEST(DecodeRequestParams, HundredThousandQueryParamsAreRejected) {
  std::string target = "/api_v3/service/s/action/a?";
  for (int i = 0; i < 100000; ++i) target += "p" + std::to_string(i) + "=1&";
  EXPECT_EQ(DecodeError(Get(target)), LimitError("max_params", "10000"));
}

TEST(DecodeRequestParams, HundredThousandJsonParamsAreRejected) {
  std::string body = "{";
  for (int i = 0; i < 100000; ++i) body += "\"p" + std::to_string(i) + "\":1,";
  body.back() = '}';
  EXPECT_EQ(DecodeError(Post("/", "application/json", body)), LimitError("max_params", "10000"));

  std::string arrays = "{\"a\":[";
  for (int i = 0; i < 100000; ++i) arrays += "[],";
  arrays.back() = ']';
  arrays += "}";
  EXPECT_EQ(DecodeError(Post("/", "application/json", arrays)), LimitError("max_params", "10000"));
}

TEST(DecodeRequestParams, TenMegabytesOfRepeatedPairsAreRejectedQuickly) {
  std::string body;
  body.reserve(10 << 20);
  while (body.size() < (10u << 20)) body += "a=1&";
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(DecodeError(Post("/", "application/x-www-form-urlencoded", body)),
            LimitError("max_params", "10000"));
  EXPECT_EQ(DecodeError(Get("/?" + body)), LimitError("max_params", "10000"));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST(DecodeRequestParams, ManyDistinctKeysDecodeInLinearTime) {
  std::string body = "{";
  for (int i = 0; i < 10000; ++i) body += "\"k" + std::to_string(i) + "\":\"v\",";
  body.back() = '}';
  std::string query = "/?";
  for (int i = 0; i < 5000; ++i) query += "m[k" + std::to_string(i) + "]=1&";
  auto start = std::chrono::steady_clock::now();
  Result<Param, ApiError> r = DecodeRequestParams(Post("/", "application/json", body), {});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->members.size(), 10000u);
  EXPECT_EQ(r->members[9999].first, "k9999");
  Result<Param, ApiError> q = DecodeRequestParams(Get(query), {});
  ASSERT_THAT(q, IsOk());
  EXPECT_EQ(q->Find("m")->members.size(), 5000u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(DecodeRequestParams, MaxParamsIsInclusiveAndCountsAllSources) {
  DecodeLimits limits;
  limits.max_params = 3;
  EXPECT_EQ(Decoded(Get("/?a=1&b=2&c=3"), limits), R"({a:"1",b:"2",c:"3"})");
  EXPECT_EQ(DecodeError(Get("/?a=1&b=2&c=3&d=4"), limits), LimitError("max_params", "3"));
  EXPECT_EQ(DecodeError(Post("/?a=1&b=2", "application/json", R"({"c":1,"d":2})"), limits),
            LimitError("max_params", "3"));
  EXPECT_EQ(DecodeError(Get("/api_v3/service/s/action/a/x/y?a=1"), limits),
            LimitError("max_params", "3"));
}

TEST(DecodeRequestParams, LongKeysAreRejected) {
  const std::string ok(256, 'k');
  const std::string too_long(257, 'k');
  EXPECT_EQ(Decoded(Get("/?" + ok + "=1")), "{" + ok + ":\"1\"}");
  EXPECT_EQ(DecodeError(Get("/?" + too_long + "=1")), LimitError("max_key_length", "256"));
  EXPECT_EQ(DecodeError(Get("/?" + std::string(1 << 20, 'k') + "=1")),
            LimitError("max_key_length", "256"));
  EXPECT_EQ(DecodeError(Post("/", "application/json", "{\"" + too_long + "\":1}")),
            LimitError("max_key_length", "256"));
  EXPECT_EQ(DecodeError(Get("/api_v3/" + too_long + "/x")), LimitError("max_key_length", "256"));
}

TEST(DecodeRequestParams, LongValuesAreFine) {
  const std::string value(1 << 20, 'v');
  Result<Param, ApiError> r =
      DecodeRequestParams(Post("/", "application/json", "{\"a\":\"" + value + "\"}"), {});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->Find("a")->text, value);
}

// --- Param and helpers ----------------------------------------------------------------------

TEST(Param, SetReplacesInPlaceOrAppends) {
  Param p = Param::Map();
  p.Set("a", Param::String("1"));
  p.Set("b", Param::String("2"));
  Param& a = p.Set("a", Param::String("3"));
  EXPECT_EQ(a.text, "3");
  EXPECT_EQ(Dump(p), R"({a:"3",b:"2"})");
  ASSERT_NE(p.Find("b"), nullptr);
  EXPECT_EQ(p.Find("b")->text, "2");
  EXPECT_EQ(p.Find("c"), nullptr);
}

TEST(Param, SetMakesAScalarAMap) {
  Param p = Param::String("x");
  p.Set("k", Param{});
  EXPECT_EQ(Dump(p), "{k:null}");
  EXPECT_EQ(p.text, "");
}

TEST(Param, FindOnAScalarIsNull) {
  Param p = Param::String("x");
  EXPECT_EQ(p.Find("x"), nullptr);
}

TEST(Param, EraseRemovesOnlyThatKey) {
  Param p = Param::Map();
  p.Set("a", Param::String("1"));
  p.Set("b", Param::String("2"));
  p.Set("c", Param::String("3"));
  p.Erase("b");
  p.Erase("missing");
  EXPECT_EQ(Dump(p), R"({a:"1",c:"3"})");
}

TEST(IsXmlSafeUtf8, AcceptsTextXmlAllows) {
  EXPECT_TRUE(IsXmlSafeUtf8(""));
  EXPECT_TRUE(IsXmlSafeUtf8("plain text\twith\r\nbreaks"));
  EXPECT_TRUE(IsXmlSafeUtf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));  // é € 😀
  EXPECT_TRUE(IsXmlSafeUtf8("\xEF\xBF\xBD"));                          // U+FFFD
  EXPECT_TRUE(IsXmlSafeUtf8("\xF4\x8F\xBF\xBF"));                      // U+10FFFF
  EXPECT_TRUE(IsXmlSafeUtf8("<&>\"'"));
}

TEST(IsXmlSafeUtf8, RejectsControlsNonCharactersAndBadUtf8) {
  EXPECT_FALSE(IsXmlSafeUtf8(std::string("a\0b", 3)));
  EXPECT_FALSE(IsXmlSafeUtf8("\x01"));
  EXPECT_FALSE(IsXmlSafeUtf8("\x1F"));
  EXPECT_FALSE(IsXmlSafeUtf8("\xEF\xBF\xBE"));      // U+FFFE
  EXPECT_FALSE(IsXmlSafeUtf8("\xEF\xBF\xBF"));      // U+FFFF
  EXPECT_FALSE(IsXmlSafeUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsXmlSafeUtf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(IsXmlSafeUtf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(IsXmlSafeUtf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(IsXmlSafeUtf8("\xFF"));
  EXPECT_FALSE(IsXmlSafeUtf8("abc\xE2\x82"));  // truncated
  EXPECT_FALSE(IsXmlSafeUtf8("\x80"));         // lone continuation
}

// Long ASCII text is checked eight bytes at a time: a bad byte, or a good one that is not
// printable ASCII, is found in whatever position of a word it sits.
TEST(IsXmlSafeUtf8, JudgesEveryByteOfALongTextWhereverItSits) {
  const std::string text(40, 'k');
  EXPECT_TRUE(IsXmlSafeUtf8(text));
  for (size_t at = 0; at < text.size(); ++at) {
    for (char bad : {'\0', '\x01', '\x1F', '\x80', '\xFF'}) {
      std::string s = text;
      s[at] = bad;
      EXPECT_FALSE(IsXmlSafeUtf8(s)) << "byte " << static_cast<int>(bad) << " at " << at;
    }
    for (std::string_view good : {"\t", "\n", "\r", "\x7F", "\xC3\xA9", "\xE2\x82\xAC"}) {
      std::string s = text;
      s.replace(at, 1, good);
      EXPECT_TRUE(IsXmlSafeUtf8(s)) << "\"" << good << "\" at " << at;
    }
    std::string s = text;
    s.replace(at, 1, "\xEF\xBF\xBE");  // U+FFFE
    EXPECT_FALSE(IsXmlSafeUtf8(s)) << "U+FFFE at " << at;
  }
}

}  // namespace
}  // namespace ksgate::api
