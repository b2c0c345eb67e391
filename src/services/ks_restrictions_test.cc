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

TEST(IpAllowed, PrefixIsTheNextValueOnlyWhenItIsOne) {
  struct Case {
    std::string client_ip;
    std::vector<std::string> values;
    bool allowed;
  };
  const Case cases[] = {
      // A value that is not a prefix length is a value of its own.
      {"192.0.2.7", {"10.0.0.0", "192.0.2.7"}, true},
      {"10.0.0.0", {"10.0.0.0", "33"}, true},
      {"33", {"10.0.0.0", "33"}, true},  // exact string match, as Kaltura does
      {"10.0.0.0", {"10.0.0.0", "8"}, true},
      {"8", {"10.0.0.0", "8"}, false},          // "8" was consumed as the prefix
      {"10.0.0.1", {"10.0.0.0", "-0"}, false},  // digits only
      {"10.0.0.1", {"10.0.0.0", "0"}, true},
      {"203.0.113.1", {"0.0.0.0", "0"}, true},
      {"10.0.0.1", {"10.0.0.0", "032"}, false},  // leading zeros: /32
      {"10.0.0.1", {"10.0.0.0"}, false},         // a lone address is a /32
      // Families never mix; mapped clients are IPv4.
      {"10.0.0.1", {"::", "0"}, false},
      {"::ffff:10.0.0.1", {"::", "0"}, false},
      {"2001:db8::1", {"::", "0"}, true},
      {"2001:db8::1", {"0.0.0.0", "0"}, false},
      {"10.0.0.1", {"::ffff:10.0.0.0", "8"}, true},
      {"10.0.0.1", {"::ffff:10.0.0.0", "104"}, false},  // an IPv4 block takes 0 to 32
      // A client address that is not an IP address matches exact values only.
      {"fe80::1%eth0", {"fe80::1", "64"}, false},
      {"fe80::1%eth0", {"fe80::1%eth0"}, true},
      {"", {"0.0.0.0", "0"}, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IpAllowed(c.client_ip, c.values), c.allowed) << c.client_ip;
  }
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
