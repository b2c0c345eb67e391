#include "ks/php_encoding.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace ksgate::ks {
namespace {

using testing::ElementsAre;
using testing::Optional;
using testing::Pair;

TEST(Base64, EncodesWithPadding) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode(std::string("\xfb\xff\xbf", 3)), "+/+/");
}

TEST(Base64, DecodesWithOrWithoutPadding) {
  EXPECT_THAT(Base64DecodeStrict("Zg=="), Optional(std::string("f")));
  EXPECT_THAT(Base64DecodeStrict("Zg"), Optional(std::string("f")));
  EXPECT_THAT(Base64DecodeStrict("Zm8="), Optional(std::string("fo")));
  EXPECT_THAT(Base64DecodeStrict("Zm8"), Optional(std::string("fo")));
  EXPECT_THAT(Base64DecodeStrict("Zm9v"), Optional(std::string("foo")));
  EXPECT_THAT(Base64DecodeStrict(""), Optional(std::string()));
}

TEST(Base64, SkipsPhpWhitespaceOnly) {
  EXPECT_THAT(Base64DecodeStrict(" Zm\t9\r\nv "), Optional(std::string("foo")));
  EXPECT_THAT(Base64DecodeStrict("Zg== \n"), Optional(std::string("f")));
  EXPECT_FALSE(Base64DecodeStrict("Zm9v\v").has_value());
  EXPECT_FALSE(Base64DecodeStrict("Zm9v\f").has_value());
}

TEST(Base64, StrictModeRejectsMalformedInput) {
  EXPECT_FALSE(Base64DecodeStrict("Z").has_value());         // lone sextet
  EXPECT_FALSE(Base64DecodeStrict("Zm9vY").has_value());     // lone sextet after a quantum
  EXPECT_FALSE(Base64DecodeStrict("Zg=").has_value());       // incomplete padding
  EXPECT_FALSE(Base64DecodeStrict("Zg===").has_value());     // too much padding
  EXPECT_FALSE(Base64DecodeStrict("Zm9v=").has_value());     // padding after a full quantum
  EXPECT_FALSE(Base64DecodeStrict("Zg==Zg==").has_value());  // data after padding
  EXPECT_FALSE(Base64DecodeStrict("=Zg").has_value());
  EXPECT_FALSE(Base64DecodeStrict("Zm9v!").has_value());
  EXPECT_FALSE(Base64DecodeStrict(std::string("Zm\09v", 5)).has_value());
  EXPECT_FALSE(Base64DecodeStrict("Zm9\x80").has_value());
}

TEST(Base64, IgnoresUnusedLowBitsLikePhp) {
  EXPECT_THAT(Base64DecodeStrict("Zh=="), Optional(std::string("f")));
}

TEST(Base64, UrlSafeCharactersNeedTheUrlSafeAlphabet) {
  EXPECT_FALSE(Base64DecodeStrict("-_-_").has_value());
  EXPECT_THAT(Base64DecodeStrict("-_-_", Base64Alphabet::kStandardOrUrlSafe),
              Optional(std::string("\xfb\xff\xbf", 3)));
  EXPECT_THAT(Base64DecodeStrict("+/-_", Base64Alphabet::kStandardOrUrlSafe),
              Optional(std::string("\xfb\xff\xbf", 3)));
}

TEST(Base64, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); n += 37) {
    const std::string data = all.substr(0, n);
    EXPECT_THAT(Base64DecodeStrict(Base64Encode(data)), Optional(data));
  }
}

std::string UrlEncode(std::string_view value) {
  std::string out;
  AppendPhpUrlEncoded(value, &out);
  return out;
}

TEST(PhpUrlEncode, KeepsUnreservedAndEncodesTheRest) {
  EXPECT_EQ(UrlEncode("AZaz09._-"), "AZaz09._-");
  EXPECT_EQ(UrlEncode("a b"), "a+b");
  EXPECT_EQ(UrlEncode("*~@/:,"), "%2A%7E%40%2F%3A%2C");
  EXPECT_EQ(UrlEncode(std::string("\0\xff+%", 4)), "%00%FF%2B%25");
}

TEST(PhpUrlDecode, DecodesPlusAndPercentEscapes) {
  EXPECT_EQ(PhpUrlDecode("a+b%2a%2A%40"), "a b**@");
  EXPECT_EQ(PhpUrlDecode("%zz%4%"), "%zz%4%");
  EXPECT_EQ(PhpUrlDecode("%00x"), std::string("\0x", 2));
  EXPECT_EQ(PhpUrlDecode("%4"), "%4");
}

TEST(PhpParseStr, SplitsDecodesAndKeepsFirstPosition) {
  EXPECT_THAT(PhpParseStr("a=1&b=x+y&a=2&c&d=&&e=%2A"),
              Optional(ElementsAre(Pair("a", "2"), Pair("b", "x y"), Pair("c", ""), Pair("d", ""),
                                   Pair("e", "*"))));
}

TEST(PhpParseStr, MangleNamesLikePhp) {
  EXPECT_THAT(PhpParseStr("a.b=1&c+d=2&%20%20e=3&f%2Eg=4&=5&+=6&h=a=b"),
              Optional(ElementsAre(Pair("a_b", "1"), Pair("c_d", "2"), Pair("e", "3"),
                                   Pair("f_g", "4"), Pair("h", "a=b"))));
}

TEST(PhpParseStr, UnterminatedBracketBecomesUnderscore) {
  EXPECT_THAT(PhpParseStr("a[b.c[d=1&a.b[=2"),
              Optional(ElementsAre(Pair("a_b_c_d", "1"), Pair("a_b_", "2"))));
}

TEST(PhpParseStr, RejectsArraySyntax) {
  EXPECT_FALSE(PhpParseStr("a[b]=1").has_value());
  EXPECT_FALSE(PhpParseStr("x=1&a[]=1").has_value());
  // A name that starts with '[' is dropped before PHP looks at the brackets.
  EXPECT_THAT(PhpParseStr("[a]=1&x=2"), Optional(ElementsAre(Pair("x", "2"))));
}

TEST(PhpParseStr, NulEndsTheQueryAndNames) {
  EXPECT_THAT(PhpParseStr(std::string("a=1\0&b=2", 8)), Optional(ElementsAre(Pair("a", "1"))));
  EXPECT_THAT(PhpParseStr("a%00b=x%00y"), Optional(ElementsAre(Pair("a", std::string("x\0y", 3)))));
}

TEST(PhpParseStr, DropsNamesMangledIntoCookiePrefixes) {
  EXPECT_THAT(PhpParseStr("..Host-x=1&__Host-y=2&..Secure-z=3"),
              Optional(ElementsAre(Pair("__Host-y", "2"))));
}

TEST(PhpParseStr, StopsAtMaxInputVars) {
  std::string query;
  for (size_t i = 0; i < kPhpMaxInputVars + 5; ++i) {
    // Appended piece by piece: "literal" + std::to_string() trips GCC 12's -Wrestrict at -O3.
    query.append("v").append(std::to_string(i)).append("=1&");
  }
  const auto fields = PhpParseStr(query);
  ASSERT_TRUE(fields.has_value());
  EXPECT_EQ(fields->size(), kPhpMaxInputVars);
}

}  // namespace
}  // namespace ksgate::ks
