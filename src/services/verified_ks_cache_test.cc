#include "services/verified_ks_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "services/test_fixture.h"
#include "testing/matchers.h"

namespace ksgate::services {
namespace {

using ::ksgate::testing::ApiErrorIs;
using ::ksgate::testing::IsOk;

std::shared_ptr<const VerifiedKs> Entry(std::string ks, std::string secret = "s") {
  auto entry = std::make_shared<VerifiedKs>();
  entry->ks = std::move(ks);
  entry->secret = std::move(secret);
  return entry;
}

TEST(VerifiedKsCacheTest, FindsOnlyTheExactKs) {
  VerifiedKsCache cache;
  const std::string ks = "djJ8MTAxfGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MDEyMzQ1";
  EXPECT_EQ(cache.Find(ks), nullptr);
  cache.Remember(Entry(ks));
  ASSERT_NE(cache.Find(ks), nullptr);
  EXPECT_EQ(cache.Find(ks)->ks, ks);
  std::string other = ks;
  other.back() = 'X';
  EXPECT_EQ(cache.Find(other), nullptr);
  EXPECT_EQ(cache.Find(ks.substr(0, ks.size() - 1)), nullptr);
  EXPECT_EQ(cache.Find(ks + "A"), nullptr);
}

TEST(VerifiedKsCacheTest, HoldsAtMostItsCapacity) {
  VerifiedKsCache cache;
  for (size_t i = 0; i < 4 * VerifiedKsCache::kCapacity; ++i) {
    cache.Remember(Entry("ks-" + std::to_string(i)));
  }
  EXPECT_LE(cache.Size(), VerifiedKsCache::kCapacity);
  EXPECT_GT(cache.Size(), VerifiedKsCache::kCapacity / 2);  // direct-mapped, mostly full
  // The newest KS is always there: it replaced whatever held its slot.
  const std::string newest = "ks-" + std::to_string(4 * VerifiedKsCache::kCapacity - 1);
  EXPECT_NE(cache.Find(newest), nullptr);
}

// The Authenticator keeps what a KS decoded to; what can change since is checked every time.
using VerifiedKsAuthenticatorTest = ServicesTest;

TEST_F(VerifiedKsAuthenticatorTest, ASecondParseOfAKsGivesTheSameCaller) {
  const std::string ks = StartKs(a_, 2, "adminA2", "privacycontext:pc,sessionid:s1");
  KSGATE_ASSERT_OK_AND_ASSIGN(Caller first, authenticator_.Parse(ks));
  KSGATE_ASSERT_OK_AND_ASSIGN(Caller second, authenticator_.Parse(ks));
  EXPECT_EQ(second.ks(), ks);
  EXPECT_EQ(second.kind, first.kind);
  EXPECT_EQ(second.parsed().hash, first.parsed().hash);
  EXPECT_EQ(second.parsed().rand, first.parsed().rand);
  EXPECT_EQ(second.parsed().fields.privileges, first.parsed().fields.privileges);
  EXPECT_EQ(second.secret_index, 1);
  EXPECT_EQ(second.privileges(), first.privileges());
  EXPECT_EQ(second.partner_id(), a_.id);
  EXPECT_EQ(second.verified.get(), first.verified.get()) << "the cached KS, shared, not copied";
}

TEST_F(VerifiedKsAuthenticatorTest, AKsWhoseSecretWasRotatedAwayIsRefusedAfterItWasCached) {
  const std::string ks = StartKs(a_, 2, "adminA2");
  ASSERT_THAT(authenticator_.Parse(ks), IsOk());
  ASSERT_THAT(store_.SetPartnerAdminSecrets(a_.id, {"adminA"}, kNow), IsOk());
  EXPECT_THAT(authenticator_.Parse(ks), ApiErrorIs(errors::kInvalidKs));
}

TEST_F(VerifiedKsAuthenticatorTest, AKsWhoseSecretMovedReportsWhereItIsNow) {
  const std::string ks = StartKs(a_, 2, "adminA2");
  ASSERT_THAT(authenticator_.Parse(ks), IsOk());
  ASSERT_THAT(store_.SetPartnerAdminSecrets(a_.id, {"adminA2", "adminNew"}, kNow), IsOk());
  KSGATE_ASSERT_OK_AND_ASSIGN(Caller caller, authenticator_.Parse(ks));
  EXPECT_EQ(caller.secret_index, 0);
}

TEST_F(VerifiedKsAuthenticatorTest, ACachedKsOfABlockedPartnerIsRefused) {
  const std::string ks = StartKs(a_, 2, "adminA");
  KSGATE_ASSERT_OK_AND_ASSIGN(Caller before, authenticator_.Parse(ks));
  ASSERT_THAT(authenticator_.Validate(before), IsOk());
  ASSERT_THAT(store_.SetPartnerStatus(a_.id, store::PartnerStatus::kBlocked, kNow), IsOk());
  KSGATE_ASSERT_OK_AND_ASSIGN(Caller after, authenticator_.Parse(ks));
  EXPECT_THAT(authenticator_.Validate(after), ApiErrorIs(errors::kServiceForbiddenContentBlocked));
}

TEST_F(VerifiedKsAuthenticatorTest, ACachedKsStillExpiresAndIsStillRevoked) {
  const std::string ks = StartKs(a_, 2, "adminA");
  KSGATE_ASSERT_OK_AND_ASSIGN(Caller caller, authenticator_.Parse(ks));
  ASSERT_THAT(sessions_.End(caller), IsOk());
  KSGATE_ASSERT_OK_AND_ASSIGN(Caller again, authenticator_.Parse(ks));
  EXPECT_THAT(authenticator_.Validate(again), IsInvalidKs("LOGOUT"));

  const std::string other = StartKs(a_, 2, "adminA");
  ASSERT_THAT(authenticator_.Parse(other), IsOk());
  clock_.AdvanceSeconds(3 * 3600);  // past the partner's 7200 s maximum
  KSGATE_ASSERT_OK_AND_ASSIGN(Caller late, authenticator_.Parse(other));
  EXPECT_THAT(authenticator_.Validate(late), IsInvalidKs("EXPIRED"));
}

TEST_F(VerifiedKsAuthenticatorTest, AnotherPartnersSecretNeverVerifiesAfterACachedKs) {
  const std::string ks = StartKs(b_, 2, "adminB");
  ASSERT_THAT(authenticator_.Parse(ks), IsOk());
  // A KS naming A but signed with B's (cached) secret does not parse.
  ks::KsFields forged{.partner_id = a_.id, .valid_until = kNow + 60, .type = 2};
  EXPECT_THAT(authenticator_.Parse(ks::EncodeV2(forged, "adminB", {})),
              ApiErrorIs(errors::kInvalidKs));
}

}  // namespace
}  // namespace ksgate::services
