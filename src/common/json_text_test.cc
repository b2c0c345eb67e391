#include "common/json_text.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdio>
#include <random>
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

// The escaping one byte at a time, as the header states it: what the word-at-a-time version
// must give for any input.
std::string Reference(std::string_view s) {
  std::string out = "\"";
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      std::string one;
      AppendJsonQuoted(s.substr(i, 4), &one);  // 4 bytes at most: a sequence or not
      // How long a valid sequence starting here is, found with the function itself on a
      // lone sequence (checked above by the explicit cases).
      size_t len = 0;
      for (size_t n = 2; n <= 4 && i + n <= s.size(); ++n) {
        std::string probe;
        AppendJsonQuoted(s.substr(i, n), &probe);
        if (probe == "\"" + std::string(s.substr(i, n)) + "\"") len = n;
      }
      if (len != 0) {
        out.append(s.substr(i, len));
        i += len;
      } else {
        out += "\\ufffd";
        ++i;
      }
      continue;
    }
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\b') {
      out += "\\b";
    } else if (c == '\f') {
      out += "\\f";
    } else if (c < 0x20 || c == 0x7f) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", c);
      out += esc;
    } else {
      out.push_back(static_cast<char>(c));
    }
    ++i;
  }
  return out + "\"";
}

TEST(AppendJsonQuoted, AgreesWithTheByteByByteRuleOnRandomInput) {
  // Mostly plain text (the fast path) with every kind of byte that needs care in between, at
  // every offset within a word.
  const std::string pieces[] = {"a",
                                "Z",
                                "0",
                                " ",
                                "~",
                                "\"",
                                "\\",
                                "\n",
                                std::string(1, '\0'),
                                "\x1f",
                                "\x7f",
                                "\x80",
                                "\xc3\xa9",
                                "\xe2\x82\xac",
                                "\xf0\x9f\x98\x80",
                                "\xc3",
                                "\xed\xa0\x80",
                                "/"};
  std::mt19937 random(42);
  for (int round = 0; round < 5000; ++round) {
    std::string s;
    const size_t length = random() % 40;
    for (size_t i = 0; i < length; ++i) {
      s += random() % 3 != 0 ? std::string(1, static_cast<char>('a' + random() % 26))
                             : pieces[random() % std::size(pieces)];
    }
    ASSERT_EQ(Quoted(s), Reference(s)) << "round " << round;
  }
}

// WriteJsonEscaped into a buffer of exactly its stated bound, guarded on both sides.
std::string Written(std::string_view s) {
  std::string buffer(6 * s.size() + 16, '#');
  char* begin = buffer.data() + 8;
  char* end = WriteJsonEscaped(s, begin);
  EXPECT_LE(end - begin, static_cast<std::ptrdiff_t>(6 * s.size()));
  EXPECT_EQ(buffer.substr(0, 8), "########");
  EXPECT_EQ(buffer.substr(buffer.size() - 8), "########");
  return std::string(begin, end);
}

std::string Appended(std::string_view s) {
  std::string out;
  AppendJsonEscaped(s, &out);
  return out;
}

TEST(WriteJsonEscaped, WritesWhatAppendJsonEscapedAppends) {
  EXPECT_EQ(Written(""), "");
  EXPECT_EQ(Written("ok"), "ok");
  EXPECT_EQ(Written("a\"b\\c\x01\x80\xc3\xa9"), "a\\\"b\\\\c\\u0001\\ufffd\xc3\xa9");
  // The worst case fills the whole bound: 6 bytes out per byte in.
  EXPECT_EQ(Written(std::string(20, '\x01')).size(), 120u);
  EXPECT_EQ(Written(std::string(20, '\xff')).size(), 120u);
}

TEST(WriteJsonEscaped, FindsAByteToEscapeAtEveryOffset) {
  // The plain test reads 16 bytes at a time (8 without SSE2), the last ones as the block that
  // ends the string, and 8 to 15 bytes as two overlapping halves: a byte to escape must be
  // found wherever it falls, first, last or in between, in strings of every length.
  for (const char special : {'"', '\\', '\n', '\x7f', '\x80'}) {
    // Two bytes out ("\\\"", "\\\\", "\\n") or six ("\\u007f", "\\ufffd").
    const size_t escape = special == '"' || special == '\\' || special == '\n' ? 2 : 6;
    for (size_t length = 1; length <= 40; ++length) {
      for (size_t at = 0; at < length; ++at) {
        std::string s(length, 'x');
        s[at] = special;
        const std::string escaped = Written(s);
        ASSERT_EQ(escaped, Appended(s)) << length << " " << at;
        ASSERT_EQ(escaped.size(), length - 1 + escape) << length << " " << at;
      }
    }
  }
}

TEST(WriteJsonEscaped, AgreesWithAppendJsonEscapedOnRandomInput) {
  const std::string pieces[] = {
      "\"",   "\\",       "\n",           std::string(1, '\0'), "\x1f", "\x7f",
      "\x80", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",   "\xc3", "\xed\xa0\x80"};
  std::mt19937 random(7);
  for (int round = 0; round < 5000; ++round) {
    std::string s;
    const size_t length = random() % 70;
    for (size_t i = 0; i < length; ++i) {
      s += random() % 8 != 0 ? std::string(1, static_cast<char>('a' + random() % 26))
                             : pieces[random() % std::size(pieces)];
    }
    ASSERT_EQ(Written(s), Appended(s)) << "round " << round;
    ASSERT_EQ(Quoted(s), Reference(s)) << "round " << round;
  }
}

}  // namespace
}  // namespace ksgate
