// The Store contract for app token usage (AddAppTokenUsage, ListAppTokenUsage), run against
// every backend listed in store_contract_backends_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
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
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST_P(StoreContractTest, AppTokenUsageAddsCountsAndKeepsTheLatestTime) {
  const Partner p = AddPartner();
  const std::vector<AppTokenUsage> first = {{"0_aaaaaaaa", p.id, 3, kNow + 10},
                                            {"0_bbbbbbbb", p.id, 1, kNow}};
  ASSERT_THAT(store_->AddAppTokenUsage(first), IsOk());
  // A later batch with an earlier time (another node's, flushed late) keeps the latest.
  const std::vector<AppTokenUsage> second = {{"0_aaaaaaaa", p.id, 2, kNow + 5}};
  ASSERT_THAT(store_->AddAppTokenUsage(second), IsOk());
  EXPECT_THAT(store_->ListAppTokenUsage(p.id),
              IsOkAndHolds(ElementsAre(AppTokenUsage{"0_aaaaaaaa", p.id, 5, kNow + 10},
                                       AppTokenUsage{"0_bbbbbbbb", p.id, 1, kNow})));
}

TEST_P(StoreContractTest, AppTokenUsageIsListedPerPartner) {
  const Partner a = AddPartner("a");
  const Partner b = AddPartner("b");
  const std::vector<AppTokenUsage> usage = {{"0_aaaaaaaa", a.id, 1, kNow},
                                            {"0_bbbbbbbb", b.id, 7, kNow}};
  ASSERT_THAT(store_->AddAppTokenUsage(usage), IsOk());
  EXPECT_THAT(store_->ListAppTokenUsage(b.id),
              IsOkAndHolds(ElementsAre(AppTokenUsage{"0_bbbbbbbb", b.id, 7, kNow})));
  EXPECT_THAT(store_->ListAppTokenUsage(999), IsOkAndHolds(IsEmpty()));
}

TEST_P(StoreContractTest, AppTokenUsageRefusesBadEntriesAndWritesNothing) {
  const Partner p = AddPartner();
  const std::vector<AppTokenUsage> negative = {{"0_aaaaaaaa", p.id, 1, kNow},
                                               {"0_bbbbbbbb", p.id, -1, kNow}};
  EXPECT_THAT(store_->AddAppTokenUsage(negative), StatusIs(StatusCode::kInvalidArgument));
  const std::vector<AppTokenUsage> no_id = {{"", p.id, 1, kNow}};
  EXPECT_THAT(store_->AddAppTokenUsage(no_id), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->ListAppTokenUsage(p.id), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(store_->AddAppTokenUsage({}), IsOk());
}

TEST_P(StoreContractTest, ReopenedFileStoreKeepsAppTokenUsage) {
  if (!GetParam().persistent) GTEST_SKIP() << "not a file backend";
  const Partner p = AddPartner();
  const std::vector<AppTokenUsage> usage = {{"0_aaaaaaaa", p.id, 4, kNow}};
  ASSERT_THAT(store_->AddAppTokenUsage(usage), IsOk());
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_THAT(store_->ListAppTokenUsage(p.id),
              IsOkAndHolds(ElementsAre(AppTokenUsage{"0_aaaaaaaa", p.id, 4, kNow})));
}

}  // namespace
}  // namespace ksgate::store
