#include "http/connection_quota.h"

#include <gtest/gtest.h>

#include <optional>
#include <string_view>
#include <thread>
#include <vector>

namespace ksgate::http {
namespace {

IpAddress Ip(std::string_view text) {
  const std::optional<IpAddress> ip = ParseIpAddress(text);
  if (!ip) ADD_FAILURE() << "not an address: " << text;
  return ip.value_or(IpAddress::FromV4Bytes({0, 0, 0, 0}));
}

TEST(ConnectionQuota, KeyOfIpv4IsTheAddress) {
  EXPECT_EQ(ConnectionQuota::KeyOf(Ip("192.0.2.7")), Ip("192.0.2.7"));
  EXPECT_EQ(ConnectionQuota::KeyOf(Ip("::ffff:192.0.2.7")), Ip("192.0.2.7"));
}

TEST(ConnectionQuota, KeyOfIpv6IsItsSlash64) {
  EXPECT_EQ(ConnectionQuota::KeyOf(Ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")), Ip("2001:db8:1:2::"));
  EXPECT_EQ(ConnectionQuota::KeyOf(Ip("2001:db8:1:2::1")),
            ConnectionQuota::KeyOf(Ip("2001:db8:1:2:ffff::9")));
  EXPECT_NE(ConnectionQuota::KeyOf(Ip("2001:db8:1:2::1")),
            ConnectionQuota::KeyOf(Ip("2001:db8:1:3::1")));
  EXPECT_EQ(ConnectionQuota::KeyOf(Ip("::1")), Ip("::"));
}

TEST(ConnectionQuota, RefusesAnAddressAtItsLimitOnly) {
  ConnectionQuota quota(2);
  const IpAddress a = Ip("10.0.0.1");
  const IpAddress b = Ip("10.0.0.2");
  EXPECT_TRUE(quota.TryAdd(a));
  EXPECT_TRUE(quota.TryAdd(a));
  EXPECT_FALSE(quota.TryAdd(a));
  EXPECT_EQ(quota.Count(a), 2u);
  EXPECT_TRUE(quota.TryAdd(b));
  EXPECT_EQ(quota.Count(b), 1u);
}

TEST(ConnectionQuota, RemoveFreesASlotAndForgetsEmptyAddresses) {
  ConnectionQuota quota(1);
  const IpAddress a = Ip("2001:db8::1");
  EXPECT_TRUE(quota.TryAdd(a));
  EXPECT_FALSE(quota.TryAdd(a));
  EXPECT_EQ(quota.keys(), 1u);
  quota.Remove(a);
  EXPECT_EQ(quota.Count(a), 0u);
  EXPECT_EQ(quota.keys(), 0u);
  EXPECT_TRUE(quota.TryAdd(a));
}

TEST(ConnectionQuota, ZeroMeansNoLimitAndNothingCounted) {
  ConnectionQuota quota(0);
  const IpAddress a = Ip("10.0.0.1");
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(quota.TryAdd(a));
  EXPECT_EQ(quota.keys(), 0u);
  quota.Remove(a);
}

TEST(ConnectionQuota, CountsStayExactAcrossThreads) {
  ConnectionQuota quota(1000000);
  const IpAddress a = Ip("10.0.0.1");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        ASSERT_TRUE(quota.TryAdd(a));
        if (i % 2 == 0) quota.Remove(a);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(quota.Count(a), 4u * 5000u);
}

}  // namespace
}  // namespace ksgate::http
