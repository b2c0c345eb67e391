#include "common/php.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/strings.h"

namespace ksgate::php {
namespace {

using testing::ElementsAre;
using testing::ElementsAreArray;
using testing::Optional;
using testing::Pair;

TEST(PhpTrim, RemovesPhpDefaultCharacters) {
  EXPECT_EQ(Trim(std::string(" \t\n\r\0\x0B a b \x0B\0", 13)), "a b");
  EXPECT_EQ(Trim("\f x \f"), "\f x \f");  // form feed is not in PHP's set
  EXPECT_EQ(Trim("   "), "");
  EXPECT_EQ(Trim(""), "");
}

TEST(PhpUrlDecode, RawDecodingKeepsPlus) {
  std::string out;
  AppendUrlDecoded("a+b%20c%2b", /*plus_is_space=*/false, &out);
  EXPECT_EQ(out, "a+b c+");
}

TEST(PhpVariableName, MangledBaseAndSubscripts) {
  struct Case {
    std::string raw;
    std::string base;
    std::string subscripts;
    bool forged;
  };
  const Case cases[] = {
      {"a", "a", "", false},
      {"  a.b c", "a_b_c", "", false},
      {"a[b][]", "a", "[b][]", false},
      {"a.b[c.d]", "a_b", "[c.d]", false},
      {"a[b", "a_b", "", false},
      {"a[b.c[d", "a_b_c_d", "", false},
      {"[a]", "", "", false},
      {"   ", "", "", false},
      {std::string("ab\0cd", 5), "ab", "", false},
      {"..Host-x", "__Host-x", "", true},
      {"__Host-x", "__Host-x", "", false},
      {"..Secure-y[1]", "__Secure-y", "[1]", true},
      {" .x", "_x", "", false},
  };
  for (const Case& c : cases) {
    const VariableName name = ParseVariableName(c.raw);
    EXPECT_EQ(name.base, c.base) << c.raw;
    EXPECT_EQ(name.subscripts, c.subscripts) << c.raw;
    EXPECT_EQ(name.forged_secure_prefix, c.forged) << c.raw;
    EXPECT_EQ(IsPlainVariableName(c.raw), c.base == c.raw && c.subscripts.empty()) << c.raw;
  }
  EXPECT_FALSE(IsPlainVariableName(""));
}

std::string Encode(std::string_view value) {
  std::string out(3 * value.size(), '\0');
  out.resize(static_cast<size_t>(WriteUrlEncoded(value, out.data()) - out.data()));
  return out;
}

TEST(PhpUrlEncode, KeepsUnreservedAndEncodesTheRest) {
  EXPECT_EQ(Encode("AZaz09._-"), "AZaz09._-");
  EXPECT_EQ(Encode("a b"), "a+b");
  EXPECT_EQ(Encode("*~@/:,"), "%2A%7E%40%2F%3A%2C");
  EXPECT_EQ(Encode(std::string("\0\xff+%", 4)), "%00%FF%2B%25");
}

TEST(PhpUrlEncode, EveryByteAmidRunsOfSafeOnes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    const bool safe = std::isalnum(b) || c == '.' || c == '_' || c == '-';
    const std::string one = safe       ? std::string(1, c)
                            : c == ' ' ? std::string("+")
                                       : std::string{'%', kHex[b >> 4], kHex[b & 15]};
    EXPECT_EQ(Encode("ab" + std::string(1, c) + "cd" + std::string(1, c)), "ab" + one + "cd" + one)
        << b;
  }
}

TEST(PhpUrlDecode, DecodesPlusAndPercentEscapes) {
  EXPECT_EQ(UrlDecode("a+b%2a%2A%40"), "a b**@");
  EXPECT_EQ(UrlDecode("%zz%4%"), "%zz%4%");
  EXPECT_EQ(UrlDecode("%00x"), std::string("\0x", 2));
  EXPECT_EQ(UrlDecode("%4"), "%4");
  EXPECT_EQ(UrlDecode(""), "");
  EXPECT_EQ(UrlDecode("%E2%82%AC"), "\xE2\x82\xAC");
}

TEST(PhpUrlDecode, EscapesAtTheEndsOfRuns) {
  EXPECT_EQ(UrlDecode("+"), " ");
  EXPECT_EQ(UrlDecode("%"), "%");
  EXPECT_EQ(UrlDecode("++a++"), "  a  ");
  EXPECT_EQ(UrlDecode("%41bc%42"), "AbcB");
  EXPECT_EQ(UrlDecode("abc%4"), "abc%4");
  EXPECT_EQ(UrlDecode("abc%"), "abc%");
  EXPECT_EQ(UrlDecode("%%41%"), "%A%");
  EXPECT_EQ(UrlDecode("%+41"), "% 41");  // '+' is no hex digit
  EXPECT_EQ(UrlDecode("%4+"), "%4 ");
  EXPECT_EQ(UrlDecode("%2B+%2b"), "+ +");
  std::string raw;
  AppendUrlDecoded("%+%2B+%", /*plus_is_space=*/false, &raw);
  EXPECT_EQ(raw, "%+++%");
}

TEST(PhpUrlDecode, AppendsToWhatIsThere) {
  std::string out = "x";
  AppendUrlDecoded("a%20b", /*plus_is_space=*/true, &out);
  EXPECT_EQ(out, "xa b");
}

// AppendUrlDecoded as it was written before it searched for escapes with memchr (a test of
// every byte): the search must decode every text the same way.
void ReferenceUrlDecode(std::string_view s, bool plus_is_space, std::string* out) {
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else if (c == '%' && i + 2 < s.size() && HexDigitValue(s[i + 1]) >= 0 &&
               HexDigitValue(s[i + 2]) >= 0) {
      out->push_back(static_cast<char>(HexDigitValue(s[i + 1]) * 16 + HexDigitValue(s[i + 2])));
      i += 2;
    } else {
      out->push_back(c);
    }
  }
}

TEST(PhpUrlDecode, AgreesWithTheReferenceOnRandomText) {
  static constexpr char kBytes[] = "a%+2Fg0 \0x";
  std::mt19937 rng(29);
  for (int i = 0; i < 20000; ++i) {
    std::string text(rng() % 40, ' ');
    for (char& c : text) c = kBytes[rng() % (sizeof kBytes - 1)];
    for (bool plus_is_space : {false, true}) {
      std::string got = "p";
      std::string want = "p";
      AppendUrlDecoded(text, plus_is_space, &got);
      ReferenceUrlDecode(text, plus_is_space, &want);
      ASSERT_EQ(got, want) << testing::PrintToString(text) << " " << plus_is_space;
    }
  }
}

using QueryFields = std::vector<std::pair<std::string, std::string>>;

// ParseStr's fields copied out of the views (nullopt when it refuses the query).
std::optional<QueryFields> ParseStr(std::string_view query) {
  php::ParsedQuery parsed;
  if (!php::ParseStr(query, &parsed)) {
    EXPECT_TRUE(parsed.fields().empty());
    return std::nullopt;
  }
  QueryFields fields;
  for (const QueryField& f : parsed.fields()) fields.emplace_back(f.name, f.value);
  return fields;
}

TEST(PhpParseStr, SplitsDecodesAndKeepsFirstPosition) {
  EXPECT_THAT(ParseStr("a=1&b=x+y&a=2&c&d=&&e=%2A"),
              Optional(ElementsAre(Pair("a", "2"), Pair("b", "x y"), Pair("c", ""), Pair("d", ""),
                                   Pair("e", "*"))));
}

TEST(PhpParseStr, MangleNamesLikePhp) {
  EXPECT_THAT(ParseStr("a.b=1&c+d=2&%20%20e=3&f%2Eg=4&=5&+=6&h=a=b"),
              Optional(ElementsAre(Pair("a_b", "1"), Pair("c_d", "2"), Pair("e", "3"),
                                   Pair("f_g", "4"), Pair("h", "a=b"))));
}

TEST(PhpParseStr, UnterminatedBracketBecomesUnderscore) {
  EXPECT_THAT(ParseStr("a[b.c[d=1&a.b[=2"),
              Optional(ElementsAre(Pair("a_b_c_d", "1"), Pair("a_b_", "2"))));
}

TEST(PhpParseStr, RejectsArraySyntax) {
  EXPECT_FALSE(ParseStr("a[b]=1").has_value());
  EXPECT_FALSE(ParseStr("x=1&a[]=1").has_value());
  // A name that starts with '[' is dropped before PHP looks at the brackets.
  EXPECT_THAT(ParseStr("[a]=1&x=2"), Optional(ElementsAre(Pair("x", "2"))));
}

TEST(PhpParseStr, NulEndsTheQueryAndNames) {
  EXPECT_THAT(ParseStr(std::string("a=1\0&b=2", 8)), Optional(ElementsAre(Pair("a", "1"))));
  EXPECT_THAT(ParseStr("a%00b=x%00y"), Optional(ElementsAre(Pair("a", std::string("x\0y", 3)))));
}

TEST(PhpParseStr, DropsNamesMangledIntoCookiePrefixes) {
  EXPECT_THAT(ParseStr("..Host-x=1&__Host-y=2&..Secure-z=3"),
              Optional(ElementsAre(Pair("__Host-y", "2"))));
}

TEST(PhpParseStr, StopsAtMaxInputVarsAndSaysSo) {
  std::string query;
  for (size_t i = 0; i < kMaxInputVars; ++i) {
    // Appended piece by piece: "literal" + std::to_string() trips GCC 12's -Wrestrict at -O3.
    query.append("v").append(std::to_string(i)).append("=1&");
  }
  // The parsed fields view into the query: each text lives as long as its reading.
  const std::string at_limit = query + "&&";  // empty pieces are not counted
  const std::string past_limit = query + "late=1";
  php::ParsedQuery parsed;
  ASSERT_TRUE(php::ParseStr(at_limit, &parsed));
  EXPECT_EQ(parsed.fields().size(), kMaxInputVars);
  EXPECT_FALSE(parsed.truncated());
  ASSERT_TRUE(php::ParseStr(past_limit, &parsed));
  EXPECT_EQ(parsed.fields().size(), kMaxInputVars);
  EXPECT_EQ(parsed.fields().back().name, "v999");
  EXPECT_TRUE(parsed.truncated());
  // A parse that reads every piece leaves no mark of the one before.
  ASSERT_TRUE(php::ParseStr("a=1", &parsed));
  EXPECT_FALSE(parsed.truncated());
}

// ParseStr as it was written before its single-pass scan (the one-piece-at-a-time reading of
// the rules in php.h): the scan must decide every query the same way.
std::optional<QueryFields> ReferenceParseStr(std::string_view query) {
  query = query.substr(0, query.find('\0'));
  QueryFields fields;
  size_t count = 0;
  size_t pos = 0;
  while (pos < query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view piece = query.substr(pos, end - pos);
    pos = end + 1;
    if (piece.empty()) continue;
    if (++count > kMaxInputVars) break;
    const size_t eq = piece.find('=');
    const std::string raw_name = UrlDecode(piece.substr(0, eq));
    VariableName name = ParseVariableName(raw_name);
    if (name.base.empty() || name.forged_secure_prefix) continue;
    if (!name.subscripts.empty()) return std::nullopt;
    std::string value =
        eq == std::string_view::npos ? std::string() : UrlDecode(piece.substr(eq + 1));
    bool replaced = false;
    for (auto& [existing_name, existing_value] : fields) {
      if (existing_name == name.base) {
        existing_value = std::move(value);
        replaced = true;
        break;
      }
    }
    if (!replaced) fields.emplace_back(std::move(name.base), std::move(value));
  }
  return fields;
}

// Every field needs decoding: the decoded text fills the room reserved for it, and each view
// still reads what was decoded (a reallocation would leave them pointing at freed memory).
TEST(PhpParseStr, DecodedFieldsFillTheirTextWithoutMovingIt) {
  std::string query;
  QueryFields want;
  for (int i = 0; i < 40; ++i) {
    const std::string n = std::to_string(i);
    query.append("n%2E").append(n).append("=v+").append(n).append("%21&");
    want.emplace_back("n." + n, "v " + n + "!");
  }
  // "n." is mangled to "n_": the name is copied twice over (decoded, then mangled).
  for (auto& [name, value] : want) name[1] = '_';
  EXPECT_THAT(ParseStr(query), Optional(ElementsAreArray(want)));
}

TEST(PhpParseStr, AgreesWithTheReferenceOnRandomQueries) {
  static constexpr char kBytes[] = "ab_.=&%+2F [] 4\0x";
  std::mt19937 rng(13);
  for (int i = 0; i < 20000; ++i) {
    std::string query(rng() % 24, ' ');
    for (char& c : query) c = kBytes[rng() % (sizeof kBytes - 1)];
    ASSERT_EQ(ParseStr(query), ReferenceParseStr(query)) << testing::PrintToString(query);
  }
}

// Long plain runs with the bytes that matter sparse among them: ParseStr passes over eight
// bytes at a time that hold none of '&', '=', '%', '+', and finds the first that does at each
// position of a word. IsPlainVariableName is checked against its definition on the same text.
TEST(PhpParseStr, AgreesWithTheReferenceOnLongRunsOfPlainBytes) {
  static constexpr char kSpecial[] = "=&%+2F. [\0";
  std::mt19937 rng(17);
  for (int i = 0; i < 20000; ++i) {
    std::string query(rng() % 80, ' ');
    for (char& c : query) {
      c = rng() % 12 == 0 ? kSpecial[rng() % (sizeof kSpecial - 1)]
                          : static_cast<char>('a' + static_cast<int>(rng() % 26));
    }
    ASSERT_EQ(ParseStr(query), ReferenceParseStr(query)) << testing::PrintToString(query);
    const bool plain =
        !query.empty() && query.find_first_of(std::string_view(" .[\0", 4)) == std::string::npos;
    ASSERT_EQ(IsPlainVariableName(query), plain) << testing::PrintToString(query);
  }
}

}  // namespace
}  // namespace ksgate::php
