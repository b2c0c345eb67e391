#include "services/ks_restrictions.h"

#include <gtest/gtest.h>

namespace ksgate::services {
namespace {

TEST(IpAllowed, ExactAddresses) {
  EXPECT_TRUE(IpAllowed("192.0.2.7", {"192.0.2.7"}));
  EXPECT_TRUE(IpAllowed("192.0.2.7", {"10.0.0.1", "192.0.2.7"}));
  EXPECT_FALSE(IpAllowed("192.0.2.8", {"192.0.2.7"}));
  EXPECT_FALSE(IpAllowed("", {"192.0.2.7"}));
}

TEST(IpAllowed, CidrBlocksWrittenAsAddressThenPrefix) {
  // "iprestrict:10.0.0.0/8/192.0.2.7" parses into these values.
  std::vector<std::string> values = {"10.0.0.0", "8", "192.0.2.7"};
  EXPECT_TRUE(IpAllowed("10.200.3.4", values));
  EXPECT_TRUE(IpAllowed("192.0.2.7", values));
  EXPECT_FALSE(IpAllowed("11.0.0.1", values));
  EXPECT_TRUE(IpAllowed("192.168.1.77", {"192.168.1.64", "26"}));
  EXPECT_FALSE(IpAllowed("192.168.1.128", {"192.168.1.64", "26"}));
  EXPECT_TRUE(IpAllowed("2001:db8::5", {"2001:db8::", "32"}));
  EXPECT_FALSE(IpAllowed("2001:db9::5", {"2001:db8::", "32"}));
  EXPECT_TRUE(IpAllowed("::ffff:10.1.2.3", {"10.0.0.0", "8"}));
  EXPECT_FALSE(IpAllowed("10.0.0.1", {"10.0.0.0", "33"}));  // not a prefix: "33" is ignored
}

TEST(UriAllowed, ExactAndPrefixEntries) {
  // "urirestrict:/api_v3/service/session/action/get|/api_v3/service/apptoken*" parses into
  // values split on '/'.
  std::vector<std::string> values = {"",     "api_v3", "service", "session",  "action",
                                     "get|", "api_v3", "service", "apptoken*"};
  EXPECT_TRUE(UriAllowed("/api_v3/service/session/action/get", values));
  EXPECT_FALSE(UriAllowed("/api_v3/service/session/action/get?x=1", values));
  EXPECT_TRUE(UriAllowed("/api_v3/service/apptoken/action/list", values));
  EXPECT_FALSE(UriAllowed("/api_v3/service/session/action/end", values));
}

}  // namespace
}  // namespace ksgate::services
