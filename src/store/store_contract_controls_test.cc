// The Store contract for ksgate's app token controls (docs/apptokens.md): partner settings
// (SetPartnerSettings), the session cap's counter (ClaimAppTokenSession) and session cut-offs
// (SetSessionCutoff, GetSessionCutoff), run against every backend listed in
// store_contract_backends_test.cc and postgres/pg_contract_test.cc. The token's own control
// fields are covered with every other field by FullToken in store_contract_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "store/records.h"
#include "store/store.h"
#include "store/store_contract_test.h"
#include "testing/matchers.h"

namespace ksgate::store {
namespace {

using ::ksgate::store::testing::kNow;
using ::ksgate::store::testing::StoreContractTest;
using ::ksgate::testing::IsOk;
using ::ksgate::testing::IsOkAndHolds;
using ::ksgate::testing::StatusIs;
using ::testing::Field;

TEST_P(StoreContractTest, PartnerSettingsStartOffAndAreReplaced) {
  const Partner p = AddPartner();
  EXPECT_EQ(p.settings, PartnerSettings{});
  EXPECT_THAT(store_->GetPartner(p.id), IsOkAndHolds(Field(&Partner::settings, PartnerSettings{})));

  const PartnerSettings on{.app_token_privilege_ceiling = true, .app_token_show_once = true};
  ASSERT_THAT(store_->SetPartnerSettings(p.id, on, kNow + 5), IsOk());
  KSGATE_ASSERT_OK_AND_ASSIGN(const Partner read, store_->GetPartner(p.id));
  EXPECT_EQ(read.settings, on);
  EXPECT_EQ(read.updated_at, kNow + 5);
  EXPECT_EQ(read.admin_secrets, p.admin_secrets) << "nothing else changes";

  const PartnerSettings one{.app_token_privilege_ceiling = false, .app_token_show_once = true};
  ASSERT_THAT(store_->SetPartnerSettings(p.id, one, kNow + 6), IsOk());
  KSGATE_ASSERT_OK_AND_ASSIGN(const std::vector<Partner> all, store_->ListPartners());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].settings, one);

  EXPECT_THAT(store_->SetPartnerSettings(p.id + 100, on, kNow), StatusIs(StatusCode::kNotFound));
}

TEST_P(StoreContractTest, ClaimAppTokenSessionCountsUpToTheCap) {
  const Partner p = AddPartner();
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(store_->ClaimAppTokenSession(p.id, "0_capped00", 3), IsOkAndHolds(true)) << i;
  }
  EXPECT_THAT(store_->ClaimAppTokenSession(p.id, "0_capped00", 3), IsOkAndHolds(false));
  // A raised cap counts on from the sessions already started.
  EXPECT_THAT(store_->ClaimAppTokenSession(p.id, "0_capped00", 4), IsOkAndHolds(true));
  EXPECT_THAT(store_->ClaimAppTokenSession(p.id, "0_capped00", 4), IsOkAndHolds(false));
  // Tokens count apart; a cap of 0 starts nothing.
  EXPECT_THAT(store_->ClaimAppTokenSession(p.id, "0_other000", 1), IsOkAndHolds(true));
  EXPECT_THAT(store_->ClaimAppTokenSession(p.id, "0_zero0000", 0), IsOkAndHolds(false));
  EXPECT_THAT(store_->ClaimAppTokenSession(p.id, "0_zero0000", 1), IsOkAndHolds(true));

  EXPECT_THAT(store_->ClaimAppTokenSession(p.id, "", 3), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->ClaimAppTokenSession(p.id, "0_capped00", -1),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST_P(StoreContractTest, ClaimAppTokenSessionNeverCountsPastTheCapUnderConcurrency) {
  const Partner p = AddPartner();
  constexpr int kThreads = 6;
  constexpr int kPerThread = 15;
  constexpr int64_t kCap = 40;
  std::atomic<int> claimed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        Result<bool> r = store_->ClaimAppTokenSession(p.id, "0_racing00", kCap);
        EXPECT_THAT(r, IsOk());
        if (r.ok() && *r) claimed.fetch_add(1);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(claimed.load(), kCap);
}

TEST_P(StoreContractTest, SessionCutoffsOnlyMoveForward) {
  EXPECT_THAT(store_->GetSessionCutoff("u:1:alice"), IsOkAndHolds(0));
  ASSERT_THAT(store_->SetSessionCutoff({"u:1:alice", kNow}, kNow), IsOk());
  EXPECT_THAT(store_->GetSessionCutoff("u:1:alice"), IsOkAndHolds(kNow));
  ASSERT_THAT(store_->SetSessionCutoff({"u:1:alice", kNow - 100}, kNow), IsOk());
  EXPECT_THAT(store_->GetSessionCutoff("u:1:alice"), IsOkAndHolds(kNow)) << "never moves back";
  ASSERT_THAT(store_->SetSessionCutoff({"u:1:alice", kNow + 100}, kNow), IsOk());
  EXPECT_THAT(store_->GetSessionCutoff("u:1:alice"), IsOkAndHolds(kNow + 100));
  // Keys are exact: another user, another partner, another case.
  EXPECT_THAT(store_->GetSessionCutoff("u:1:Alice"), IsOkAndHolds(0));
  EXPECT_THAT(store_->GetSessionCutoff("u:2:alice"), IsOkAndHolds(0));

  EXPECT_THAT(store_->SetSessionCutoff({"", kNow}, kNow), StatusIs(StatusCode::kInvalidArgument));
}

TEST_P(StoreContractTest, ReopenedFileStoreKeepsTheControls) {
  if (!GetParam().persistent) GTEST_SKIP() << "not a file backend";
  const Partner p = AddPartner();
  const PartnerSettings on{.app_token_privilege_ceiling = true, .app_token_show_once = false};
  ASSERT_THAT(store_->SetPartnerSettings(p.id, on, kNow), IsOk());
  ASSERT_THAT(store_->SetSessionCutoff({"u:1:bob", kNow}, kNow), IsOk());
  ASSERT_THAT(store_->ClaimAppTokenSession(p.id, "0_durable0", 1), IsOkAndHolds(true));
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_THAT(store_->GetPartner(p.id), IsOkAndHolds(Field(&Partner::settings, on)));
  EXPECT_THAT(store_->GetSessionCutoff("u:1:bob"), IsOkAndHolds(kNow));
  EXPECT_THAT(store_->ClaimAppTokenSession(p.id, "0_durable0", 1), IsOkAndHolds(false));
}

}  // namespace
}  // namespace ksgate::store
