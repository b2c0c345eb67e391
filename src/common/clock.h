// Clock: where "now" comes from. Injected so tests can move time (leveldb's Env idea).
#pragma once

#include <atomic>
#include <cstdint>

namespace ksgate {

// Ten years in seconds, Kaltura's max_relative_time: a time value this close to zero is relative
// to now, and no session, token duration or expiry offset may be longer (so now + offset never
// overflows).
inline constexpr int64_t kMaxRelativeSeconds = 315360000;

class Clock {
 public:
  virtual ~Clock() = default;
  // Unix time in whole seconds. Thread-safe.
  virtual int64_t NowSeconds() const = 0;
  // Unix time in microseconds (for execution-time reporting). Thread-safe.
  virtual int64_t NowMicros() const = 0;
  // NowMicros as the system's coarse clock tells it: a clock tick or so (milliseconds) behind,
  // and much cheaper to read. For ages measured against bounds far longer than a tick
  // (cache entries). Thread-safe.
  virtual int64_t NowCoarseMicros() const { return NowMicros(); }
};

// The system's real-time clock. Thread-safe; one shared instance is enough.
//
// NowSeconds reads the precise clock (CLOCK_REALTIME), not the coarse one time(2) reads: the
// times it gives are stamped on sessions and tokens and compared with clients' own readings, and
// the coarse clock gives the previous second for a tick (milliseconds) after each second turns,
// so a client that read the time before its request could get a KS that expires before the
// reading plus its duration. NowCoarseMicros serves what only the server compares (cache ages).
class SystemClock final : public Clock {
 public:
  int64_t NowSeconds() const override;
  int64_t NowMicros() const override;
  int64_t NowCoarseMicros() const override;
  static const SystemClock& Instance();
};

// A clock that only moves when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_seconds) : micros_(now_seconds * 1000000) {}
  int64_t NowSeconds() const override { return micros_.load() / 1000000; }
  int64_t NowMicros() const override { return micros_.load(); }
  void SetSeconds(int64_t s) { micros_.store(s * 1000000); }
  void AdvanceSeconds(int64_t s) { micros_.fetch_add(s * 1000000); }

 private:
  std::atomic<int64_t> micros_;
};

}  // namespace ksgate
