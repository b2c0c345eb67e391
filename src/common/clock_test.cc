#include "common/clock.h"

#include <gtest/gtest.h>
#include <time.h>

namespace ksgate {
namespace {

// The coarse readings are never ahead of the precise clock, and behind it by a few ticks at most
// (a tick is 1-10 ms; a tickless kernel may update the coarse time a little late, and this
// bound is loose on purpose: what the coarse clock serves measures seconds).
TEST(SystemClockTest, CoarseReadingsAgreeWithThePreciseClock) {
  const SystemClock& clock = SystemClock::Instance();
  timespec tick{};
  ASSERT_EQ(::clock_getres(CLOCK_REALTIME_COARSE, &tick), 0);
  const int64_t tick_micros = int64_t{tick.tv_sec} * 1000000 + tick.tv_nsec / 1000;
  const int64_t slack = 5 * tick_micros + 50'000;
  for (int i = 0; i < 100; ++i) {
    const int64_t before = clock.NowMicros();
    const int64_t coarse = clock.NowCoarseMicros();
    const int64_t seconds = clock.NowSeconds();
    const int64_t after = clock.NowMicros();
    EXPECT_LE(coarse, after);
    EXPECT_GE(coarse, before - slack);
    EXPECT_LE(seconds, after / 1000000);
    EXPECT_GE(seconds, (before - slack) / 1000000);
  }
}

TEST(FakeClockTest, CoarseIsThePreciseReading) {
  FakeClock clock(1'700'000'000);
  EXPECT_EQ(clock.NowCoarseMicros(), clock.NowMicros());
  clock.AdvanceSeconds(3);
  EXPECT_EQ(clock.NowCoarseMicros(), 1'700'000'003'000'000);
}

}  // namespace
}  // namespace ksgate
