#include "services/exchange_limiter.h"

#include <gtest/gtest.h>

#include <string>

#include "common/clock.h"

namespace ksgate::services {
namespace {

constexpr int64_t kNow = 1767000000;

TEST(ExchangeLimiter, AllowsABurstUpToTheLimitThenRefillsOverTheMinute) {
  FakeClock clock(kNow);
  ExchangeLimiter limiter(clock);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.TryAcquire("1/0_a", 3)) << i;
  EXPECT_FALSE(limiter.TryAcquire("1/0_a", 3));
  clock.AdvanceSeconds(19);  // 19 s of a 3-a-minute rate: less than one exchange back
  EXPECT_FALSE(limiter.TryAcquire("1/0_a", 3));
  clock.AdvanceSeconds(1);  // 20 s: one
  EXPECT_TRUE(limiter.TryAcquire("1/0_a", 3));
  EXPECT_FALSE(limiter.TryAcquire("1/0_a", 3));
  clock.AdvanceSeconds(3600);  // never more than the limit at once
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.TryAcquire("1/0_a", 3)) << i;
  EXPECT_FALSE(limiter.TryAcquire("1/0_a", 3));
}

TEST(ExchangeLimiter, KeysAreLimitedApart) {
  FakeClock clock(kNow);
  ExchangeLimiter limiter(clock);
  EXPECT_TRUE(limiter.TryAcquire("1/0_a", 1));
  EXPECT_FALSE(limiter.TryAcquire("1/0_a", 1));
  EXPECT_TRUE(limiter.TryAcquire("1/0_b", 1));
  EXPECT_TRUE(limiter.TryAcquire("2/0_a", 1));
}

TEST(ExchangeLimiter, ANonPositiveLimitAllowsNothing) {
  FakeClock clock(kNow);
  ExchangeLimiter limiter(clock);
  EXPECT_FALSE(limiter.TryAcquire("1/0_a", 0));
  EXPECT_FALSE(limiter.TryAcquire("1/0_a", -5));
}

TEST(ExchangeLimiter, MemoryStaysBoundedHoweverManyKeys) {
  FakeClock clock(kNow);
  ExchangeLimiter limiter(clock, /*max_buckets=*/10);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(limiter.TryAcquire("1/0_" + std::to_string(i), 5));
    EXPECT_LE(limiter.SizeForTesting(), 10u);
  }
  // Idle buckets go first: a busy one keeps its count while the others are dropped.
  ExchangeLimiter busy(clock, /*max_buckets=*/2);
  EXPECT_TRUE(busy.TryAcquire("hot", 1));
  clock.AdvanceSeconds(61);
  EXPECT_TRUE(busy.TryAcquire("idle", 1));
  EXPECT_TRUE(busy.TryAcquire("hot", 1));  // refilled after a minute
  EXPECT_TRUE(busy.TryAcquire("new", 1));  // makes room: "idle" and "hot" are not idle yet
  EXPECT_LE(busy.SizeForTesting(), 2u);
}

}  // namespace
}  // namespace ksgate::services
