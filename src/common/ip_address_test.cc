#include "common/ip_address.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

namespace ksgate {
namespace {

IpAddress Ip(std::string_view text) {
  std::optional<IpAddress> ip = ParseIpAddress(text);
  if (!ip) ADD_FAILURE() << "not an address: " << text;
  return ip.value_or(IpAddress::FromV4Bytes({0, 0, 0, 0}));
}

// What a Result<CidrBlock> says, for one-line comparisons: "10.0.0.0/8" or the error.
std::string Describe(const Result<CidrBlock>& block) {
  return block.ok() ? block->ToString() : block.status().ToString();
}

TEST(ParseIpAddress, ReadsNumericAddressesAndPrintsThemCanonically) {
  struct Case {
    std::string text;
    std::string printed;
    bool v4;
  };
  const Case cases[] = {
      {"192.0.2.7", "192.0.2.7", true},
      {"0.0.0.0", "0.0.0.0", true},
      {"255.255.255.255", "255.255.255.255", true},
      {"::", "::", false},
      {"::1", "::1", false},
      {"2001:DB8::1", "2001:db8::1", false},
      {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1", false},
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", false},
      // IPv4-mapped IPv6 is IPv4.
      {"::ffff:192.0.2.7", "192.0.2.7", true},
      {"::FFFF:c000:0207", "192.0.2.7", true},
      {"0:0:0:0:0:ffff:10.1.2.3", "10.1.2.3", true},
      // Other IPv6 forms with an IPv4 tail stay IPv6.
      {"::192.0.2.7", "::192.0.2.7", false},
      {"64:ff9b::192.0.2.7", "64:ff9b::c000:207", false},
      {"::fffe:192.0.2.7", "::fffe:c000:207", false},
      // The longest address text there is (45 characters).
      {"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
       false},
  };
  for (const Case& c : cases) {
    std::optional<IpAddress> ip = ParseIpAddress(c.text);
    ASSERT_TRUE(ip.has_value()) << c.text;
    EXPECT_EQ(ip->ToString(), c.printed) << c.text;
    EXPECT_EQ(ip->is_v4(), c.v4) << c.text;
    EXPECT_EQ(ip->bit_length(), c.v4 ? 32 : 128) << c.text;
  }
}

TEST(ParseIpAddress, RejectsEverythingElse) {
  const std::string cases[] = {
      "",
      " 192.0.2.7",
      "192.0.2.7 ",
      "192.0.2.7\n",
      "192.0.2.7:80",
      "[::1]",
      "[::1]:80",
      "fe80::1%eth0",  // zone ids
      "fe80::1%1",
      "10.0.0.0/8",
      "192.0.2",
      "192.0.2.7.1",
      "256.0.0.1",
      "010.0.0.1",
      "0x7f.0.0.1",
      "1::2::3",
      ":::",
      "12345::",
      "1:2:3:4:5:6:7:8:9",
      "::ffff:1.2.3.04",
      "localhost",
      std::string("192.0.2.7\0", 10),  // embedded NUL
      std::string("192.0.2.7\0junk", 14),
      std::string("\0", 1),
      std::string(63, '1'),
      std::string(64, '1'),  // too long to be looked at
      "::ffff:192.0.2.7" + std::string(60, ' '),
  };
  for (const std::string& text : cases) {
    EXPECT_FALSE(ParseIpAddress(text).has_value()) << '"' << text << '"';
  }
}

TEST(IpAddress, FromBytesAgreesWithText) {
  EXPECT_EQ(IpAddress::FromV4Bytes({192, 0, 2, 7}), Ip("192.0.2.7"));
  EXPECT_EQ(IpAddress::FromV6Bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7}),
            Ip("192.0.2.7"));
  EXPECT_TRUE(
      IpAddress::FromV6Bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7}).is_v4());
  EXPECT_EQ(IpAddress::FromV6Bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}),
            Ip("2001:db8::1"));
  const std::array<uint8_t, 16> mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
  EXPECT_EQ(Ip("10.0.0.1").bytes(), mapped);
}

TEST(IpAddress, IPv4StaysDistinctFromIPv6) {
  EXPECT_EQ(Ip("::ffff:10.0.0.1"), Ip("10.0.0.1"));
  EXPECT_NE(Ip("::10.0.0.1"), Ip("10.0.0.1"));  // IPv4-compatible is plain IPv6
  EXPECT_NE(Ip("::a00:1"), Ip("10.0.0.1"));
  EXPECT_NE(Ip("::"), Ip("0.0.0.0"));
  EXPECT_NE(Ip("::1"), Ip("0.0.0.1"));
}

TEST(IpAddress, OrdersAsAMapKey) {
  std::map<IpAddress, int> seen;
  for (const char* text : {"10.0.0.1", "::ffff:10.0.0.1", "10.0.0.2", "::1", "0:0::1"}) {
    ++seen[Ip(text)];
  }
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[Ip("10.0.0.1")], 2);
  EXPECT_EQ(seen[Ip("::1")], 2);
  EXPECT_LT(Ip("10.0.0.1"), Ip("10.0.0.2"));
}

TEST(ParseCidrBlock, ReadsAddressesAndBlocks) {
  const std::pair<std::string, std::string> cases[] = {
      {"10.0.0.0/8", "10.0.0.0/8"},
      {"10.1.2.3/8", "10.0.0.0/8"},  // host bits are dropped
      {"10.0.0.255/25", "10.0.0.128/25"},
      {"1.2.3.5/31", "1.2.3.4/31"},
      {"192.0.2.7", "192.0.2.7/32"},
      {"192.0.2.7/32", "192.0.2.7/32"},
      {"0.0.0.0/0", "0.0.0.0/0"},
      {"203.0.113.9/0", "0.0.0.0/0"},
      {"10.0.0.0/008", "10.0.0.0/8"},  // leading zeros
      {"::1", "::1/128"},
      {"::1/128", "::1/128"},
      {"fd00::/8", "fd00::/8"},
      {"fd12:3456::1/8", "fd00::/8"},
      {"2001:db8::ffff/127", "2001:db8::fffe/127"},
      {"::/0", "::/0"},
      {"ffff::/0", "::/0"},
      {"::/96", "::/96"},
      // An IPv4-mapped address is IPv4: its prefix counts IPv4 bits.
      {"::ffff:10.0.0.0/8", "10.0.0.0/8"},
      {"::ffff:10.9.9.9", "10.9.9.9/32"},
  };
  for (const auto& [text, block] : cases) EXPECT_EQ(Describe(ParseCidrBlock(text)), block) << text;
}

TEST(ParseCidrBlock, SaysWhatIsWrongInOneLine) {
  const std::pair<std::string, std::string> cases[] = {
      {"bogus", R"(INVALID_ARGUMENT: not an IP address or CIDR block: "bogus")"},
      {"", R"(INVALID_ARGUMENT: not an IP address or CIDR block: "")"},
      {"/8", R"(INVALID_ARGUMENT: not an IP address or CIDR block: "/8")"},
      {"10.0.0/8", R"(INVALID_ARGUMENT: not an IP address or CIDR block: "10.0.0/8")"},
      {"10.0.0.0 /8", R"(INVALID_ARGUMENT: not an IP address or CIDR block: "10.0.0.0 /8")"},
      {"fe80::1%eth0/64",
       R"(INVALID_ARGUMENT: not an IP address or CIDR block: "fe80::1%eth0/64")"},
      {"fe80::1%eth0", R"(INVALID_ARGUMENT: not an IP address or CIDR block: "fe80::1%eth0")"},
      {"10.0.0.0/33",
       R"(INVALID_ARGUMENT: bad prefix length in CIDR block "10.0.0.0/33": want 0 to 32)"},
      {"::/129", R"(INVALID_ARGUMENT: bad prefix length in CIDR block "::/129": want 0 to 128)"},
      {"::ffff:10.0.0.0/104",
       R"(INVALID_ARGUMENT: bad prefix length in CIDR block "::ffff:10.0.0.0/104": want 0 to 32)"},
      {"10.0.0.0/",
       R"(INVALID_ARGUMENT: bad prefix length in CIDR block "10.0.0.0/": want 0 to 32)"},
      {"10.0.0.0/x",
       R"(INVALID_ARGUMENT: bad prefix length in CIDR block "10.0.0.0/x": want 0 to 32)"},
      {"10.0.0.0/-0",
       R"(INVALID_ARGUMENT: bad prefix length in CIDR block "10.0.0.0/-0": want 0 to 32)"},
      {"10.0.0.0/+8",
       R"(INVALID_ARGUMENT: bad prefix length in CIDR block "10.0.0.0/+8": want 0 to 32)"},
      {"10.0.0.0/ 8",
       R"(INVALID_ARGUMENT: bad prefix length in CIDR block "10.0.0.0/ 8": want 0 to 32)"},
      {"10.0.0.0/8 ",
       R"(INVALID_ARGUMENT: bad prefix length in CIDR block "10.0.0.0/8 ": want 0 to 32)"},
      {"10.0.0.0/8/9",
       R"(INVALID_ARGUMENT: bad prefix length in CIDR block "10.0.0.0/8/9": want 0 to 32)"},
      {"::/99999999999999999999",
       R"(INVALID_ARGUMENT: bad prefix length in CIDR block "::/99999999999999999999": want 0 to )"
       R"(128)"},
      // The input is quoted so that the message stays one line and shows what was there.
      {std::string("10.0.0.0\0/8", 11),
       R"(INVALID_ARGUMENT: not an IP address or CIDR block: "10.0.0.0\x00/8")"},
      {std::string("10.0.0.0/8\0", 11),
       R"(INVALID_ARGUMENT: bad prefix length in CIDR block "10.0.0.0/8\x00": want 0 to 32)"},
      {"10.0.0.0/8\r\nX: y",
       R"(INVALID_ARGUMENT: bad prefix length in CIDR block "10.0.0.0/8\x0D\x0AX: y": want 0 to )"
       R"(32)"},
      {R"(a"b\c)", R"(INVALID_ARGUMENT: not an IP address or CIDR block: "a\"b\\c")"},
      {"caf\xc3\xa9", R"(INVALID_ARGUMENT: not an IP address or CIDR block: "caf\xC3\xA9")"},
      {std::string(64, 'a'),
       "INVALID_ARGUMENT: not an IP address or CIDR block: \"" + std::string(64, 'a') + "\""},
      {std::string(65, 'a'),
       "INVALID_ARGUMENT: not an IP address or CIDR block: \"" + std::string(64, 'a') + "\"..."},
  };
  for (const auto& [text, error] : cases) EXPECT_EQ(Describe(ParseCidrBlock(text)), error) << text;
}

TEST(MakeCidrBlock, TakesAddressAndPrefixApart) {
  struct Case {
    std::string address;
    std::string prefix;
    std::optional<std::string> block;
  };
  const Case cases[] = {
      {"10.1.2.3", "8", "10.0.0.0/8"},
      {"10.1.2.3", "32", "10.1.2.3/32"},
      {"10.1.2.3", "0", "0.0.0.0/0"},
      {"10.1.2.3", "08", "10.0.0.0/8"},
      {"2001:db8::", "32", "2001:db8::/32"},
      {"::", "128", "::/128"},
      {"::ffff:10.0.0.0", "8", "10.0.0.0/8"},
      {"10.0.0.0", "33", std::nullopt},
      {"::ffff:10.0.0.0", "96", std::nullopt},  // an IPv4 address: 0 to 32
      {"::", "129", std::nullopt},
      {"10.0.0.0", "", std::nullopt},
      {"10.0.0.0", "-0", std::nullopt},
      {"10.0.0.0", "8/", std::nullopt},
      {"10.0.0.0", "192.0.2.7", std::nullopt},
      {"10.0.0.0", std::string("8\0", 2), std::nullopt},
  };
  for (const Case& c : cases) {
    std::optional<CidrBlock> block = MakeCidrBlock(Ip(c.address), c.prefix);
    EXPECT_EQ(block ? std::optional(block->ToString()) : std::nullopt, c.block)
        << c.address << " " << c.prefix;
  }
}

TEST(CidrBlock, ContainsAddressesOfItsFamilyOnly) {
  struct Case {
    std::string block;
    std::string address;
    bool contained;
  };
  const Case cases[] = {
      {"10.0.0.0/8", "10.0.0.0", true},
      {"10.0.0.0/8", "10.255.255.255", true},
      {"10.0.0.0/8", "::ffff:10.1.2.3", true},
      {"10.0.0.0/8", "11.0.0.0", false},
      {"10.0.0.0/8", "9.255.255.255", false},
      {"10.0.0.0/8", "::a01:203", false},  // IPv4-compatible IPv6 is not IPv4
      {"192.168.1.64/26", "192.168.1.64", true},
      {"192.168.1.64/26", "192.168.1.127", true},
      {"192.168.1.64/26", "192.168.1.63", false},
      {"192.168.1.64/26", "192.168.1.128", false},
      {"192.0.2.7", "192.0.2.7", true},
      {"192.0.2.7", "192.0.2.6", false},
      {"0.0.0.0/0", "0.0.0.0", true},
      {"0.0.0.0/0", "255.255.255.255", true},
      {"0.0.0.0/0", "::", false},
      {"0.0.0.0/0", "::1", false},
      {"::/0", "::", true},
      {"::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},
      {"::/0", "1.2.3.4", false},  // families never mix
      {"::/0", "::ffff:1.2.3.4", false},
      {"::/80", "1.2.3.4", false},
      {"::/96", "::10.0.0.1", true},
      {"::/96", "10.0.0.1", false},
      {"::1", "::1", true},
      {"::1", "::2", false},
      {"::1", "0.0.0.1", false},
      {"2001:db8::/32", "2001:db8:ffff::1", true},
      {"2001:db8::/32", "2001:db9::", false},
      {"fc00::/7", "fdff::1", true},
      {"fc00::/7", "fe00::", false},
      {"2001:db8::/127", "2001:db8::1", true},
      {"2001:db8::/127", "2001:db8::2", false},
      {"2001:db8::1/128", "2001:db8::1", true},
  };
  for (const Case& c : cases) {
    Result<CidrBlock> block = ParseCidrBlock(c.block);
    ASSERT_TRUE(block.ok()) << c.block;
    EXPECT_EQ(block->Contains(Ip(c.address)), c.contained) << c.block << " " << c.address;
  }
}

TEST(CidrBlock, OfOneAddressHoldsJustIt) {
  const CidrBlock v4(Ip("192.0.2.7"));
  EXPECT_EQ(v4.prefix_length(), 32);
  EXPECT_EQ(v4.network(), Ip("192.0.2.7"));
  EXPECT_TRUE(v4.Contains(Ip("::ffff:192.0.2.7")));
  EXPECT_FALSE(v4.Contains(Ip("192.0.2.8")));
  const CidrBlock v6(Ip("2001:db8::1"));
  EXPECT_EQ(v6.prefix_length(), 128);
  EXPECT_EQ(v6.ToString(), "2001:db8::1/128");
  EXPECT_EQ(v6, *ParseCidrBlock("2001:db8::1/128"));
  EXPECT_FALSE(v6 == *ParseCidrBlock("2001:db8::/127"));
}

}  // namespace
}  // namespace ksgate
