#include "common/strings.h"

#include <gtest/gtest.h>

#include <string>

namespace ksgate {
namespace {

TEST(AsciiLower, LowersAsciiLettersOnly) {
  EXPECT_EQ(AsciiLower("AppToken.StartSession"), "apptoken.startsession");
  EXPECT_EQ(AsciiLower("\xc3\x89@[`{"), "\xc3\x89@[`{");
  EXPECT_EQ(AsciiLower('Z'), 'z');
  EXPECT_EQ(AsciiLower('['), '[');
}

TEST(EqualsIgnoreCase, ComparesLettersWithoutCase) {
  EXPECT_TRUE(EqualsIgnoreCase("Content-Type", "content-TYPE"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "abcd"));
  // Only letters fold: '@' (0x40) and '`' (0x60) differ by the case bit but are not letters.
  EXPECT_FALSE(EqualsIgnoreCase("@", "`"));
  EXPECT_FALSE(EqualsIgnoreCase("[", "{"));
}

// The word-at-a-time comparison against the byte-at-a-time definition: every pair of bytes, at
// every position of a word and of a tail, amid letters of either case.
TEST(EqualsIgnoreCase, AgreesWithFoldingEachByteForEveryPairOfBytes) {
  const auto folded_equal = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
    }
    return true;
  };
  for (size_t size : {1, 7, 8, 13, 16}) {
    for (size_t at = 0; at < size; at += (size > 8 ? 3 : 1)) {
      std::string a(size, 'q');
      std::string b(size, 'Q');
      for (int x = 0; x < 256; ++x) {
        for (int y = 0; y < 256; ++y) {
          a[at] = static_cast<char>(x);
          b[at] = static_cast<char>(y);
          ASSERT_EQ(EqualsIgnoreCase(a, b), folded_equal(a, b))
              << "size " << size << " at " << at << " bytes " << x << ", " << y;
        }
      }
    }
  }
}

TEST(TrimChars, TrimsBothEnds) {
  EXPECT_EQ(TrimChars(" \tab c\t ", kSpaceOrTab), "ab c");
  EXPECT_EQ(TrimChars("xxx", "x"), "");
  EXPECT_EQ(TrimChars("", " "), "");
  EXPECT_EQ(TrimChars("abc", ""), "abc");
}

TEST(Hex, EncodesLowercaseAndReadsBothCases) {
  EXPECT_EQ(HexEncode(std::string("\x00\x0f\xf0\xff", 4)), "000ff0ff");
  EXPECT_EQ(HexEncode(""), "");
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));
  const std::string hex = HexEncode(all_bytes);
  ASSERT_EQ(hex.size(), 512u);
  for (size_t b = 0; b < 256; ++b) {
    EXPECT_EQ(HexDigitValue(hex[2 * b]) * 16 + HexDigitValue(hex[2 * b + 1]), static_cast<int>(b));
    EXPECT_FALSE(hex[2 * b] >= 'A' && hex[2 * b] <= 'F');
    EXPECT_FALSE(hex[2 * b + 1] >= 'A' && hex[2 * b + 1] <= 'F');
  }
  EXPECT_EQ(HexDigitValue('0'), 0);
  EXPECT_EQ(HexDigitValue('a'), 10);
  EXPECT_EQ(HexDigitValue('F'), 15);
  EXPECT_EQ(HexDigitValue('g'), -1);
  EXPECT_EQ(HexDigitValue('\0'), -1);
}

// A word-at-a-time test against the plain rule `counts`: every byte value at every position of
// every length up to 24 (whole words, tails, both), among `fills` that do not count (bytes >=
// 0x80 among them, which borrows must not make count).
template <typename Test, typename Counts>
void ExpectAgreesWithTheByteRule(Test test, Counts counts, std::string_view fills) {
  EXPECT_FALSE(test(""));
  for (size_t length = 1; length <= 24; ++length) {
    for (const char fill : fills) {
      const std::string s(length, fill);
      EXPECT_FALSE(test(s)) << length;
      for (size_t i = 0; i < length; ++i) {
        for (int v = 0; v < 256; ++v) {
          std::string t = s;
          t[i] = static_cast<char>(v);
          EXPECT_EQ(test(t), counts(static_cast<unsigned char>(v)))
              << length << " " << i << " " << v;
        }
      }
    }
  }
}

TEST(HasControlOrSpace, AgreesWithTheByteRuleAtEveryPositionAndValue) {
  ExpectAgreesWithTheByteRule(
      HasControlOrSpace, [](unsigned char b) { return b <= 0x20 || b == 0x7f; }, "a\x80\xff!~");
}

TEST(HasCrLfOrNul, AgreesWithTheByteRuleAtEveryPositionAndValue) {
  ExpectAgreesWithTheByteRule(
      HasCrLfOrNul, [](unsigned char b) { return b == '\r' || b == '\n' || b == 0; },
      "a\x01\x0b\x0e\x80\xff\t ");
}

}  // namespace
}  // namespace ksgate
