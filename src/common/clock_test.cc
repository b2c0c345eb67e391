#include "common/clock.h"

#include <gtest/gtest.h>
#include <time.h>

namespace ksgate {
namespace {

// The coarse readings are never ahead of the precise clock, and behind it by a few ticks at most
// (a tick is 1-10 ms; a tickless kernel may update the coarse time a little late, and this
// bound is loose on purpose: what the coarse clock serves measures seconds). NowSeconds is
// within the same bounds.
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

// A time the server stamps (a KS's expiry, a token's createdAt) is never earlier than the system
// clock as another process read it before the request: a client that reads the time, then
// starts a session for an hour, gets an expiry at least an hour after its reading. The coarse
// clock breaks this for a tick after each second turns, so NowSeconds reads the precise one.
// Checked right after a second turns, where a lagging clock still gives the second before.
TEST(SystemClockTest, NowSecondsIsNeverBehindAnEarlierReadingOfTheSystemClock) {
  const SystemClock& clock = SystemClock::Instance();
  for (int turn = 0; turn < 2; ++turn) {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    // Sleep to 2 ms before the next second, then read until it turns.
    const long to_next = 1'000'000'000L - now.tv_nsec;
    if (to_next > 2'000'000L) {
      const timespec nap{0, to_next - 2'000'000L};
      ::nanosleep(&nap, nullptr);
    }
    const time_t next = now.tv_sec + 1;
    timespec read{};
    do {
      ::clock_gettime(CLOCK_REALTIME, &read);
    } while (read.tv_sec < next);  // (a late wake-up finds it turned already)
    EXPECT_GE(clock.NowSeconds(), read.tv_sec) << "turn " << turn;
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
