#include "ks/base64.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ksgate::ks {
namespace {

using testing::Optional;

TEST(Base64, EncodesWithPadding) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode(std::string("\xfb\xff\xbf", 3)), "+/+/");
}

TEST(Base64, UrlEncodingIsStandardWithDashAndUnderscore) {
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg==");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8=");
  EXPECT_EQ(Base64UrlEncode(std::string("\xfb\xff\xbf\xfb\xff", 5)), "-_-_-_8=");
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  std::string expected = Base64Encode(all_bytes);
  for (char& c : expected) c = c == '+' ? '-' : c == '/' ? '_' : c;
  EXPECT_EQ(Base64UrlEncode(all_bytes), expected);
}

// Each 12-bit half of a quantum, in either place, against the alphabet read sextet by sextet.
TEST(Base64, EncodesEveryHalfQuantum) {
  constexpr std::string_view kStandard =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (uint32_t half = 0; half < 4096; ++half) {
    const uint32_t v = (half << 12) | (4095 - half);
    const std::string quantum = {static_cast<char>(v >> 16), static_cast<char>((v >> 8) & 0xff),
                                 static_cast<char>(v & 0xff)};
    std::string want;
    for (int shift = 18; shift >= 0; shift -= 6) want.push_back(kStandard[(v >> shift) & 0x3f]);
    ASSERT_EQ(Base64Encode(quantum), want) << half;
    for (char& c : want) c = c == '+' ? '-' : c == '/' ? '_' : c;
    ASSERT_EQ(Base64UrlEncode(quantum), want) << half;
  }
}

// Each alphabet character in each place of a quantum, after a whole quantum and before one, and
// each other byte there (the fast path's table gives every place its own shift).
TEST(Base64, DecodesEverySextetInEveryPlace) {
  constexpr std::string_view kStandard =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t place = 0; place < 4; ++place) {
    for (uint32_t sextet = 0; sextet < 64; ++sextet) {
      const uint32_t v = sextet << (18 - 6 * place);
      const std::string bytes = {'\xff',
                                 '\xff',
                                 '\xff',
                                 static_cast<char>(v >> 16),
                                 static_cast<char>((v >> 8) & 0xff),
                                 static_cast<char>(v & 0xff),
                                 '\0',
                                 '\0',
                                 '\0'};
      std::string text = "////AAAAAAAA";
      text[4 + place] = kStandard[sextet];
      ASSERT_THAT(Base64DecodeStrict(text), Optional(bytes)) << place << " " << sextet;
      for (char& c : text) c = c == '+' ? '-' : c == '/' ? '_' : c;
      ASSERT_THAT(Base64DecodeStrict(text, Base64Alphabet::kStandardOrUrlSafe), Optional(bytes))
          << place << " " << sextet;
    }
    for (int other = 0; other < 256; ++other) {
      if (kStandard.find(static_cast<char>(other)) != std::string_view::npos) continue;
      std::string text = "AAAAAAAAAAAA";
      text[4 + place] = static_cast<char>(other);
      const bool skipped = other == ' ' || other == '\t' || other == '\n' || other == '\r';
      const bool url_safe = other == '-' || other == '_';
      EXPECT_EQ(Base64DecodeStrict(text).has_value(), skipped) << place << " " << other;
      EXPECT_EQ(Base64DecodeStrict(text, Base64Alphabet::kStandardOrUrlSafe).has_value(),
                skipped || url_safe)
          << place << " " << other;
    }
  }
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

TEST(Base64, WholeQuantaThenAnythingElseDecodeAsOneText) {
  // Whole quanta are decoded four characters at a time up to the first other byte; what follows
  // continues from there.
  EXPECT_THAT(Base64DecodeStrict("Zm9vYmFy\nYmF6"), Optional(std::string("foobarbaz")));
  EXPECT_THAT(Base64DecodeStrict("Zm9vYmFyYg=="), Optional(std::string("foobarb")));
  EXPECT_THAT(Base64DecodeStrict("Zm9vYm Fy"), Optional(std::string("foobar")));
  EXPECT_FALSE(Base64DecodeStrict("Zm9vYmFy!").has_value());
  EXPECT_FALSE(Base64DecodeStrict("Zm9vYmFy=").has_value());
  EXPECT_FALSE(Base64DecodeStrict("Zm9vYmFyY").has_value());
  EXPECT_THAT(Base64DecodeStrict("Zm9v-_-_", Base64Alphabet::kStandardOrUrlSafe),
              Optional(std::string("foo\xfb\xff\xbf", 6)));
}

TEST(Base64, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); n += 37) {
    const std::string data = all.substr(0, n);
    EXPECT_THAT(Base64DecodeStrict(Base64Encode(data)), Optional(data));
  }
}

}  // namespace
}  // namespace ksgate::ks
