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

}  // namespace
}  // namespace ksgate::cli
