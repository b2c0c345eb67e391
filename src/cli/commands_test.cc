#include "cli/commands.h"

#include <gtest/gtest.h>

namespace ksgate::cli {
namespace {

TEST(ParseListen, AcceptsHostAndPort) {
  std::string host;
  uint16_t port = 1;
  ASSERT_TRUE(ParseListen("127.0.0.1:8080", &host, &port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8080);
  ASSERT_TRUE(ParseListen("[::1]:0", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 0);
}

TEST(ParseListen, RejectsMalformedValues) {
  std::string host;
  uint16_t port;
  for (const char* bad :
       {"", "8080", ":8080", "host:", "host:99999", "host:80x", "::1:80", "[::1:80", "host:-1"}) {
    EXPECT_FALSE(ParseListen(bad, &host, &port)) << bad;
  }
}

TEST(ParseRateLimit, ReadsBurstAndRefillPerMinuteOrZero) {
  services::RateLimit limit;
  ASSERT_TRUE(ParseRateLimit("100/60", &limit));
  EXPECT_EQ(limit.burst, 100);
  EXPECT_EQ(limit.per_minute, 60);
  ASSERT_TRUE(ParseRateLimit("5/0", &limit));
  EXPECT_EQ(limit.per_minute, 0);
  ASSERT_TRUE(ParseRateLimit("0", &limit));
  EXPECT_FALSE(limit.enabled());
}

TEST(ParseRateLimit, RejectsMalformedValues) {
  services::RateLimit limit;
  for (const char* bad : {"", "100", "/60", "100/", "0/60", "-1/60", "10/-1", "1.5/60", "a/b",
                          "100/60/1", " 100/60", "9999999999999/1"}) {
    EXPECT_FALSE(ParseRateLimit(bad, &limit)) << bad;
  }
}

}  // namespace
}  // namespace ksgate::cli
