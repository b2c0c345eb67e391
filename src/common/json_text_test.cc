#include "common/json_text.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace ksgate {
namespace {

std::string Quoted(std::string_view s) {
  std::string out;
  AppendJsonQuoted(s, &out);
  return out;
}

TEST(AppendJsonQuoted, PlainTextIsQuotedAsIs) {
  EXPECT_EQ(Quoted(""), "\"\"");
  EXPECT_EQ(Quoted("abc 123/xyz"), "\"abc 123/xyz\"");
}

TEST(AppendJsonQuoted, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(Quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Quoted("l1\nl2\r\t\b\f"), "\"l1\\nl2\\r\\t\\b\\f\"");
  EXPECT_EQ(Quoted(std::string_view("\0\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\\u007f\"");
  // A terminal escape sequence cannot reach a terminal that shows the log.
  EXPECT_EQ(Quoted("\x1b[31mred"), "\"\\u001b[31mred\"");
}

TEST(AppendJsonQuoted, KeepsValidUtf8) {
  EXPECT_EQ(Quoted("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

TEST(AppendJsonQuoted, ReplacesEachInvalidUtf8ByteSequence) {
  EXPECT_EQ(Quoted("a\x80z"), "\"a\\ufffdz\"");                    // stray continuation byte
  EXPECT_EQ(Quoted("a\xc3"), "\"a\\ufffd\"");                      // truncated at the end
  EXPECT_EQ(Quoted("\xc0\xaf"), "\"\\ufffd\\ufffd\"");             // overlong '/'
  EXPECT_EQ(Quoted("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // a surrogate
  EXPECT_EQ(Quoted("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  // past U+10FFFF
  EXPECT_EQ(Quoted("\xe2\x82x"), "\"\\ufffd\\ufffdx\"");  // cut short by an ASCII byte
}

}  // namespace
}  // namespace ksgate
