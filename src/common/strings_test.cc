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

TEST(TrimChars, TrimsBothEnds) {
  EXPECT_EQ(TrimChars(" \tab c\t ", kSpaceOrTab), "ab c");
  EXPECT_EQ(TrimChars("xxx", "x"), "");
  EXPECT_EQ(TrimChars("", " "), "");
  EXPECT_EQ(TrimChars("abc", ""), "abc");
}

TEST(Hex, EncodesLowercaseAndReadsBothCases) {
  EXPECT_EQ(HexEncode(std::string("\x00\x0f\xf0\xff", 4)), "000ff0ff");
  EXPECT_EQ(HexEncode(""), "");
  EXPECT_EQ(HexDigitValue('0'), 0);
  EXPECT_EQ(HexDigitValue('a'), 10);
  EXPECT_EQ(HexDigitValue('F'), 15);
  EXPECT_EQ(HexDigitValue('g'), -1);
  EXPECT_EQ(HexDigitValue('\0'), -1);
}

}  // namespace
}  // namespace ksgate
