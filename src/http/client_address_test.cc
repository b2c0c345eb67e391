#include "http/client_address.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ksgate::http {
namespace {

IpAddress Ip(std::string_view text) {
  std::optional<IpAddress> ip = ParseIpAddress(text);
  if (!ip) ADD_FAILURE() << "not an address: " << text;
  return ip.value_or(IpAddress::FromV4Bytes({0, 0, 0, 0}));
}

std::vector<CidrBlock> Trusted(const std::vector<std::string>& entries) {
  Result<std::vector<CidrBlock>> blocks = ParseTrustedProxies(entries);
  if (!blocks.ok()) ADD_FAILURE() << blocks.status().ToString();
  return blocks.ok() ? *blocks : std::vector<CidrBlock>();
}

TEST(ParseTrustedProxies, KeepsEntriesInOrder) {
  Result<std::vector<CidrBlock>> blocks =
      ParseTrustedProxies({"127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8", "::ffff:192.0.2.0/24"});
  ASSERT_TRUE(blocks.ok()) << blocks.status().ToString();
  std::vector<std::string> printed;
  for (const CidrBlock& block : *blocks) printed.push_back(block.ToString());
  EXPECT_EQ(printed, (std::vector<std::string>{"127.0.0.1/32", "10.0.0.0/8", "::1/128", "fd00::/8",
                                               "192.0.2.0/24"}));
  EXPECT_TRUE(ParseTrustedProxies({}).ok());
  EXPECT_TRUE(ParseTrustedProxies({})->empty());
}

TEST(ParseTrustedProxies, NamesTheFirstBadEntry) {
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"bogus"},
       R"(INVALID_ARGUMENT: http: trusted proxy: not an IP address or CIDR block: "bogus")"},
      {{"10.0.0.0/8", "10.0.0.0/33", "nonsense"},
       R"(INVALID_ARGUMENT: http: trusted proxy: bad prefix length in CIDR block "10.0.0.0/33": )"
       R"(want 0 to 32)"},
      {{"10.0.0.0/"},
       R"(INVALID_ARGUMENT: http: trusted proxy: bad prefix length in CIDR block "10.0.0.0/": )"
       R"(want 0 to 32)"},
      {{"::/129"},
       R"(INVALID_ARGUMENT: http: trusted proxy: bad prefix length in CIDR block "::/129": want )"
       R"(0 to 128)"},
      {{"1.2.3.4/x"},
       R"(INVALID_ARGUMENT: http: trusted proxy: bad prefix length in CIDR block "1.2.3.4/x": )"
       R"(want 0 to 32)"},
      {{"localhost"},
       R"(INVALID_ARGUMENT: http: trusted proxy: not an IP address or CIDR block: "localhost")"},
      {{""}, R"(INVALID_ARGUMENT: http: trusted proxy: not an IP address or CIDR block: "")"},
  };
  for (const auto& [entries, error] : cases) {
    EXPECT_EQ(ParseTrustedProxies(entries).status().ToString(), error) << entries.back();
  }
}

TEST(IsTrustedProxy, MatchesAnyBlock) {
  const std::vector<CidrBlock> trusted = Trusted({"127.0.0.1", "10.0.0.0/8", "fd00::/8"});
  EXPECT_TRUE(IsTrustedProxy(trusted, Ip("127.0.0.1")));
  EXPECT_TRUE(IsTrustedProxy(trusted, Ip("::ffff:127.0.0.1")));
  EXPECT_TRUE(IsTrustedProxy(trusted, Ip("10.9.8.7")));
  EXPECT_TRUE(IsTrustedProxy(trusted, Ip("fd12::1")));
  EXPECT_FALSE(IsTrustedProxy(trusted, Ip("127.0.0.2")));
  EXPECT_FALSE(IsTrustedProxy(trusted, Ip("::1")));
  EXPECT_FALSE(IsTrustedProxy({}, Ip("127.0.0.1")));
}

TEST(ClientAddress, FollowsTheTrustedProxyRule) {
  struct Case {
    const char* what;
    std::vector<std::string> trusted;
    std::string peer;
    std::vector<std::string_view> forwarded_for;
    std::string client;
  };
  const std::vector<std::string> kLocal = {"127.0.0.1"};
  const std::vector<std::string> kLocalAndTen = {"127.0.0.1", "10.0.0.0/8"};
  const Case cases[] = {
      {"no proxies: the peer", {}, "203.0.113.1", {"198.51.100.1"}, "203.0.113.1"},
      {"untrusted peer: header ignored", kLocalAndTen, "203.0.113.1", {"10.0.0.1"}, "203.0.113.1"},
      {"trusted peer, no header", kLocal, "127.0.0.1", {}, "127.0.0.1"},
      {"one hop", kLocal, "127.0.0.1", {"198.51.100.1"}, "198.51.100.1"},
      {"rightmost untrusted",
       kLocalAndTen,
       "127.0.0.1",
       {"198.51.100.1, 203.0.113.7, 10.1.2.3"},
       "203.0.113.7"},
      {"exact proxy stops at the first hop",
       kLocal,
       "127.0.0.1",
       {"203.0.113.7, 10.1.2.3"},
       "10.1.2.3"},
      {"all trusted: the leftmost",
       kLocalAndTen,
       "127.0.0.1",
       {"10.0.0.1, 10.0.0.2, 127.0.0.1"},
       "10.0.0.1"},
      {"lines concatenate left to right",
       kLocalAndTen,
       "127.0.0.1",
       {"10.0.0.1", "10.0.0.2"},
       "10.0.0.1"},
      {"lines concatenate, walk crosses them",
       kLocalAndTen,
       "127.0.0.1",
       {"198.51.100.1, 203.0.113.7", "10.1.2.3", "10.0.0.9"},
       "203.0.113.7"},
      {"garbage ends the walk at the last good",
       kLocalAndTen,
       "127.0.0.1",
       {"203.0.113.9, nonsense, 10.0.0.5"},
       "10.0.0.5"},
      {"garbage on the right: the peer",
       kLocalAndTen,
       "127.0.0.1",
       {"203.0.113.9, nonsense"},
       "127.0.0.1"},
      {"garbage in a later line", kLocalAndTen, "127.0.0.1", {"10.0.0.7", "unknown"}, "127.0.0.1"},
      {"empty entry ends the walk",
       kLocalAndTen,
       "127.0.0.1",
       {"203.0.113.9,,10.0.0.5"},
       "10.0.0.5"},
      {"trailing comma", kLocalAndTen, "127.0.0.1", {"203.0.113.9,"}, "127.0.0.1"},
      {"empty line", kLocalAndTen, "127.0.0.1", {""}, "127.0.0.1"},
      {"spaces and tabs trimmed",
       kLocal,
       "127.0.0.1",
       {" \t198.51.100.1 \t, \t127.0.0.1\t "},
       "198.51.100.1"},
      {"other whitespace is not", kLocal, "127.0.0.1", {"198.51.100.1\v"}, "127.0.0.1"},
      {"port is not an address", kLocal, "127.0.0.1", {"198.51.100.1:80"}, "127.0.0.1"},
      {"brackets are not an address", kLocal, "127.0.0.1", {"[2001:db8::1]"}, "127.0.0.1"},
      {"zone id is not an address", kLocal, "127.0.0.1", {"fe80::1%eth0"}, "127.0.0.1"},
      {"IPv6 client, printed canonically", kLocal, "127.0.0.1", {"2001:DB8:0::1"}, "2001:db8::1"},
      {"mapped entry is IPv4 and trusted",
       kLocalAndTen,
       "127.0.0.1",
       {"198.51.100.1, ::ffff:10.0.0.3"},
       "198.51.100.1"},
      {"mapped client printed as IPv4",
       kLocal,
       "127.0.0.1",
       {"::ffff:198.51.100.1"},
       "198.51.100.1"},
      {"IPv6 proxy", {"::1"}, "::1", {"198.51.100.1"}, "198.51.100.1"},
      {"IPv6 block of proxies", {"fd00::/8"}, "fd00::5", {"2001:db8::7, fd00::9"}, "2001:db8::7"},
      {"mapped peer is IPv4", kLocal, "::ffff:127.0.0.1", {"198.51.100.1"}, "198.51.100.1"},
      {"::/0 trusts no IPv4 peer", {"::/0"}, "127.0.0.1", {"198.51.100.1"}, "127.0.0.1"},
      {"0.0.0.0/0 trusts every IPv4",
       {"0.0.0.0/0"},
       "203.0.113.1",
       {"198.51.100.1, 192.0.2.1"},
       "198.51.100.1"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ClientAddress(Ip(c.peer), Trusted(c.trusted), c.forwarded_for).ToString(), c.client)
        << c.what;
  }
}

}  // namespace
}  // namespace ksgate::http
