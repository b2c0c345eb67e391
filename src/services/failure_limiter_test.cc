#include "services/failure_limiter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "store/blocking.h"

namespace ksgate::services {
namespace {

constexpr int64_t kNow = 1767000000;

// Keeps every event, with copies of its text.
class RecordingEvents final : public SecurityEvents {
 public:
  struct Seen {
    SecurityEvent::Kind kind;
    LimitScope scope;
    bool first_in_window;
    std::string client_ip;
  };
  void Record(const SecurityEvent& e) override {
    std::lock_guard lock(mu_);
    seen_.push_back({e.kind, e.scope, e.first_in_window, std::string(e.client_ip)});
  }
  std::vector<Seen> limited() const {
    std::lock_guard lock(mu_);
    std::vector<Seen> out;
    for (const Seen& s : seen_) {
      if (s.kind == SecurityEvent::Kind::kLimited) out.push_back(s);
    }
    return out;
  }
  size_t failures() const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const Seen& s : seen_) n += s.kind == SecurityEvent::Kind::kAuthFailure;
    return n;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Seen> seen_;
};

Attempt TokenAttempt(std::string_view ip, std::string_view token = "0_token001") {
  return Attempt{Credential::kAppTokenHash, ip, 101, token};
}
Attempt SecretAttempt(std::string_view ip, int64_t partner = 101) {
  return Attempt{Credential::kSessionSecret, ip, partner, {}};
}

class FailureLimiterTest : public ::testing::Test {
 protected:
  // Fails `n` times from `attempt`, as a caller does that does not look at ACTION_BLOCKED:
  // attempts refused are not checked, so they are not counted. Returns how many were admitted.
  int Hammer(FailureLimiter& limiter, const Attempt& attempt, int n) {
    int admitted = 0;
    for (int i = 0; i < n; ++i) {
      if (!limiter.Admit(attempt)) continue;
      ++admitted;
      limiter.Fail(attempt, true);
    }
    return admitted;
  }

  FakeClock clock_{kNow};
  RecordingEvents events_;
};

TEST_F(FailureLimiterTest, ACallerThatDoesNotFailIsNeverTouched) {
  FailureLimiter limiter(FailureLimits{}, clock_, events_);
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(limiter.Admit(TokenAttempt("192.0.2.7")));
  EXPECT_EQ(limiter.SizeForTesting(LimitScope::kAddress), 0u);
  EXPECT_EQ(limiter.SizeForTesting(LimitScope::kToken), 0u);
  EXPECT_TRUE(events_.limited().empty());
}

TEST_F(FailureLimiterTest, AnAddressIsLimitedAfterItsBurstAndRefillsAtItsRate) {
  FailureLimits limits;
  limits.per_address = {100, 60};
  FailureLimiter limiter(limits, clock_, events_);
  EXPECT_EQ(Hammer(limiter, TokenAttempt("192.0.2.7"), 2000), 100);
  EXPECT_FALSE(limiter.Admit(TokenAttempt("192.0.2.7")));
  EXPECT_EQ(events_.limited().back().scope, LimitScope::kAddress);
  clock_.AdvanceSeconds(1);  // 60 a minute: one more failure a second
  EXPECT_EQ(Hammer(limiter, TokenAttempt("192.0.2.7"), 10), 1);
  clock_.AdvanceSeconds(200);
  EXPECT_EQ(Hammer(limiter, TokenAttempt("192.0.2.7"), 1000), 100);
}

TEST_F(FailureLimiterTest, OneAddressFailingCannotLockATokensOtherUsersOut) {
  FailureLimiter limiter(FailureLimits{}, clock_, events_);
  Hammer(limiter, TokenAttempt("127.0.0.1"), 300);
  EXPECT_FALSE(limiter.Admit(TokenAttempt("127.0.0.1")));
  EXPECT_TRUE(limiter.Admit(TokenAttempt("127.0.0.2")));
  Hammer(limiter, SecretAttempt("127.0.0.1"), 300);
  EXPECT_TRUE(limiter.Admit(SecretAttempt("127.0.0.2")));
}

TEST_F(FailureLimiterTest, ATokenFailedFromManyAddressesIsLimitedForEveryone) {
  FailureLimits limits;
  limits.per_token = {20, 6};
  FailureLimiter limiter(limits, clock_, events_);
  int admitted = 0;
  for (int i = 0; i < 50; ++i) {
    admitted += Hammer(limiter, TokenAttempt("10.0.0." + std::to_string(i)), 1);
  }
  EXPECT_EQ(admitted, 20);
  EXPECT_FALSE(limiter.Admit(TokenAttempt("10.0.1.1")));
  EXPECT_EQ(events_.limited().back().scope, LimitScope::kToken);
  EXPECT_TRUE(limiter.Admit(TokenAttempt("10.0.1.1", "0_othertok")));
  EXPECT_TRUE(limiter.Admit(SecretAttempt("10.0.1.1")));
}

TEST_F(FailureLimiterTest, APartnersSecretsAreLimitedAcrossAddresses) {
  FailureLimits limits;
  limits.per_partner = {5, 0};
  FailureLimiter limiter(limits, clock_, events_);
  for (int i = 0; i < 10; ++i) Hammer(limiter, SecretAttempt("10.0.0." + std::to_string(i)), 1);
  EXPECT_FALSE(limiter.Admit(SecretAttempt("10.9.9.9")));
  EXPECT_EQ(events_.limited().back().scope, LimitScope::kPartner);
  EXPECT_TRUE(limiter.Admit(SecretAttempt("10.9.9.9", 102)));
}

TEST_F(FailureLimiterTest, FailuresForUnknownTargetsCountOnlyAgainstTheAddress) {
  FailureLimiter limiter(FailureLimits{}, clock_, events_);
  for (int i = 0; i < 50; ++i) {
    const std::string id = "0_nosuch" + std::to_string(i);
    limiter.Fail(TokenAttempt("192.0.2.7", id), false);
  }
  EXPECT_EQ(limiter.SizeForTesting(LimitScope::kAddress), 1u);
  EXPECT_EQ(limiter.SizeForTesting(LimitScope::kToken), 0u);
  EXPECT_EQ(events_.failures(), 50u);
}

TEST_F(FailureLimiterTest, ALimitedCallerIsReportedOncePerWindow) {
  FailureLimits limits;
  limits.per_address = {3, 0};
  limits.log_window_seconds = 60;
  FailureLimiter limiter(limits, clock_, events_);
  Hammer(limiter, SecretAttempt("192.0.2.7"), 100);
  std::vector<RecordingEvents::Seen> limited = events_.limited();
  ASSERT_EQ(limited.size(), 97u);
  EXPECT_TRUE(limited.front().first_in_window);
  for (size_t i = 1; i < limited.size(); ++i) EXPECT_FALSE(limited[i].first_in_window);
  clock_.AdvanceSeconds(61);
  EXPECT_FALSE(limiter.Admit(SecretAttempt("192.0.2.7")));
  EXPECT_TRUE(events_.limited().back().first_in_window);
}

TEST_F(FailureLimiterTest, MemoryStaysBoundedWhateverTheNumberOfAddresses) {
  FailureLimits limits;
  limits.max_keys = 160;
  FailureLimiter limiter(limits, clock_, events_);
  for (int i = 0; i < 100000; ++i) {
    const std::string ip = "10." + std::to_string(i >> 16) + "." + std::to_string((i >> 8) & 255) +
                           "." + std::to_string(i & 255);
    limiter.Fail(TokenAttempt(ip, "0_t" + std::to_string(i)), true);
  }
  EXPECT_LE(limiter.SizeForTesting(LimitScope::kAddress), 160u + 16u);
  EXPECT_LE(limiter.SizeForTesting(LimitScope::kToken), 160u + 16u);
}

TEST_F(FailureLimiterTest, WhenFullTheCallersThatFailedMostAreKept) {
  FailureLimits limits;
  limits.max_keys = 160;
  limits.per_address = {100, 0};
  FailureLimiter limiter(limits, clock_, events_);
  Hammer(limiter, SecretAttempt("192.0.2.7"), 1000);
  for (int i = 0; i < 10000; ++i) {
    limiter.Fail(SecretAttempt("10.1." + std::to_string(i >> 8) + "." + std::to_string(i & 255)),
                 false);
  }
  EXPECT_FALSE(limiter.Admit(SecretAttempt("192.0.2.7")));
}

TEST_F(FailureLimiterTest, AnIpv6HostIsItsSlash64) {
  FailureLimits limits;
  limits.per_address = {10, 0};
  FailureLimiter limiter(limits, clock_, events_);
  for (int i = 0; i < 10; ++i) {
    limiter.Fail(SecretAttempt("2001:db8:1:2::" + std::to_string(i + 1)), true);
  }
  EXPECT_FALSE(limiter.Admit(SecretAttempt("2001:db8:1:2:ffff::1")));
  EXPECT_TRUE(limiter.Admit(SecretAttempt("2001:db8:1:3::1")));
}

// A dual-stack listener sees an IPv4 client as ::ffff:a.b.c.d: the same host, the same bucket.
TEST_F(FailureLimiterTest, AnIpv4MappedAddressIsItsIpv4Host) {
  FailureLimits limits;
  limits.per_address = {10, 0};
  FailureLimiter limiter(limits, clock_, events_);
  for (int i = 0; i < 5; ++i) limiter.Fail(SecretAttempt("192.0.2.7"), true);
  for (int i = 0; i < 5; ++i) limiter.Fail(SecretAttempt("::ffff:192.0.2.7"), true);
  EXPECT_FALSE(limiter.Admit(SecretAttempt("192.0.2.7")));
  EXPECT_FALSE(limiter.Admit(SecretAttempt("::ffff:c000:207")));
  EXPECT_TRUE(limiter.Admit(SecretAttempt("192.0.2.8")));
  EXPECT_EQ(limiter.SizeForTesting(LimitScope::kAddress), 1u);
}

TEST_F(FailureLimiterTest, ABurstOfZeroTurnsALimitOff) {
  FailureLimits limits;
  limits.per_address = {0, 0};
  limits.per_partner = {0, 0};
  FailureLimiter limiter(limits, clock_, events_);
  EXPECT_EQ(Hammer(limiter, SecretAttempt("192.0.2.7"), 5000), 5000);
  EXPECT_EQ(limiter.SizeForTesting(LimitScope::kAddress), 0u);
}

TEST_F(FailureLimiterTest, AFailureThatWillRunAgainOnAStoreThreadIsNotCounted) {
  FailureLimits limits;
  limits.per_address = {1, 0};
  FailureLimiter limiter(limits, clock_, events_);
  {
    store::InlineScope inline_scope;
    static_cast<void>(store::RefuseToBlock(store::Access::kRead));
    limiter.Fail(SecretAttempt("192.0.2.7"), true);
    static_cast<void>(store::TakeWouldBlock());
  }
  EXPECT_TRUE(limiter.Admit(SecretAttempt("192.0.2.7")));
  limiter.Fail(SecretAttempt("192.0.2.7"), true);
  EXPECT_FALSE(limiter.Admit(SecretAttempt("192.0.2.7")));
}

}  // namespace
}  // namespace ksgate::services
