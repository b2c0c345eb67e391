// The Store contract for appToken.list's total count, run against every backend like
// store_contract_test.cc: whichever way a backend counts (SQL backends: the maintained
// per-(partner, status) counts for a list filtered by status alone, else COUNT(*); and no count
// at all when a page ends the matches), total_count stays right across inserts, status changes,
// deletes, expiry and concurrent writers. The fixture is in store_contract_test.h.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"
#include "store/store_contract_test.h"
#include "store/test_util.h"
#include "testing/matchers.h"

namespace ksgate::store {
namespace {

using ::ksgate::store::testing::kNow;
using ::ksgate::store::testing::StoreContractTest;
using ::ksgate::testing::IsOk;

constexpr int kDisabled = static_cast<int>(AppTokenStatus::kDisabled);
constexpr int kActive = static_cast<int>(AppTokenStatus::kActive);
constexpr int kDeleted = static_cast<int>(AppTokenStatus::kDeleted);

std::string TokenId(int i) {
  char id[16];
  std::snprintf(id, sizeof id, "0_c%07d", i);
  return id;
}

// The total of `query` as a one-row page reports it (so that the backend counts, rather than
// reading it off a page that ends the matches), checked against the number of matches a page
// without limit returns.
int64_t Counted(Store& store, int64_t partner_id, AppTokenQuery query) {
  query.limit = 1;
  query.offset = 0;
  Result<AppTokenPage> one = store.ListAppTokens(partner_id, query);
  EXPECT_THAT(one, IsOk());
  query.limit = 0;
  Result<AppTokenPage> all = store.ListAppTokens(partner_id, query);
  EXPECT_THAT(all, IsOk());
  if (!one.ok() || !all.ok()) return -1;
  EXPECT_EQ(one->total_count, static_cast<int64_t>(all->objects.size()));
  EXPECT_EQ(all->total_count, static_cast<int64_t>(all->objects.size()));
  return one->total_count;
}

AppTokenQuery ByStatus(std::optional<int> equal, std::optional<std::vector<int>> in = {}) {
  AppTokenQuery q;
  q.status_equal = equal;
  q.status_in = std::move(in);
  return q;
}

// Expects `active` active and `disabled` disabled tokens of `partner_id`, by every status filter.
void ExpectCounts(Store& store, int64_t partner_id, int64_t active, int64_t disabled) {
  EXPECT_EQ(Counted(store, partner_id, AppTokenQuery()), active + disabled);
  EXPECT_EQ(Counted(store, partner_id, ByStatus(kActive)), active);
  EXPECT_EQ(Counted(store, partner_id, ByStatus(kDisabled)), disabled);
  EXPECT_EQ(Counted(store, partner_id, ByStatus(kDeleted)), 0);
  EXPECT_EQ(Counted(store, partner_id, ByStatus({}, std::vector<int>{kDisabled, kActive})),
            active + disabled);
  EXPECT_EQ(Counted(store, partner_id, ByStatus({}, std::vector<int>{kActive, kDeleted})), active);
  EXPECT_EQ(Counted(store, partner_id, ByStatus(kDisabled, std::vector<int>{kDisabled, kActive})),
            disabled);
  EXPECT_EQ(Counted(store, partner_id, ByStatus(kActive, std::vector<int>{kDisabled})), 0);
}

void SetStatus(Store& store, int64_t partner_id, const std::string& id, AppTokenStatus status) {
  Result<AppToken> read = store.GetAppToken(partner_id, id);
  ASSERT_THAT(read, IsOk());
  AppToken changed = *read;
  changed.status = status;
  changed.updated_at = read->updated_at + 1;
  ASSERT_THAT(store.UpdateAppToken(*read, changed), IsOk());
}

TEST_P(StoreContractTest, AppTokenCountFollowsInsertsStatusChangesAndDeletes) {
  Partner p = AddPartner();
  Partner other = AddPartner("other");
  ExpectCounts(*store_, p.id, 0, 0);
  for (int i = 0; i < 5; ++i) ASSERT_THAT(store_->InsertAppToken(Token(p.id, TokenId(i))), IsOk());
  ASSERT_THAT(store_->InsertAppToken(Token(other.id, TokenId(99))), IsOk());
  ExpectCounts(*store_, p.id, 5, 0);

  SetStatus(*store_, p.id, TokenId(0), AppTokenStatus::kDisabled);
  SetStatus(*store_, p.id, TokenId(1), AppTokenStatus::kDisabled);
  ExpectCounts(*store_, p.id, 3, 2);
  SetStatus(*store_, p.id, TokenId(1), AppTokenStatus::kActive);
  ExpectCounts(*store_, p.id, 4, 1);

  // An update that keeps the status changes no count.
  Result<AppToken> read = store_->GetAppToken(p.id, TokenId(2));
  ASSERT_THAT(read, IsOk());
  AppToken described = *read;
  described.description = "still active";
  ASSERT_THAT(store_->UpdateAppToken(*read, described), IsOk());
  ExpectCounts(*store_, p.id, 4, 1);

  ASSERT_THAT(store_->DeleteAppToken(p.id, TokenId(0), Revoke("k0"), kNow), IsOk());
  ASSERT_THAT(store_->DeleteAppToken(p.id, TokenId(2), Revoke("k2"), kNow), IsOk());
  ExpectCounts(*store_, p.id, 3, 0);
  // Failed writes change nothing: a second delete, an insert of a taken id.
  EXPECT_FALSE(store_->DeleteAppToken(p.id, TokenId(0), Revoke("k0"), kNow).ok());
  EXPECT_FALSE(store_->InsertAppToken(Token(p.id, TokenId(2))).ok());
  ExpectCounts(*store_, p.id, 3, 0);
  ExpectCounts(*store_, other.id, 1, 0);
}

TEST_P(StoreContractTest, AppTokenCountExpiredTokensAreListedAndCountedUntilDeleted) {
  Partner p = AddPartner();
  AppToken expired = Token(p.id, TokenId(1));
  expired.expiry = kNow - 3600;
  ASSERT_THAT(store_->InsertAppToken(expired), IsOk());
  AppToken live = Token(p.id, TokenId(2));
  live.expiry = kNow + 3600;
  ASSERT_THAT(store_->InsertAppToken(live), IsOk());
  ExpectCounts(*store_, p.id, 2, 0);
  ASSERT_THAT(store_->DeleteAppToken(p.id, TokenId(1), Revoke("k"), kNow), IsOk());
  ExpectCounts(*store_, p.id, 1, 0);
}

TEST_P(StoreContractTest, AppTokenCountOtherFiltersCountTheirMatches) {
  Partner p = AddPartner();
  InsertFour(p.id);  // a, c active; b, d disabled
  AppTokenQuery q;
  q.created_at_gte = 100;
  q.created_at_lte = 200;
  EXPECT_EQ(Counted(*store_, p.id, q), 3);
  q.status_equal = kDisabled;
  EXPECT_EQ(Counted(*store_, p.id, q), 1);
  AppTokenQuery by_user;
  by_user.session_user_id_equal = "u1";
  EXPECT_EQ(Counted(*store_, p.id, by_user), 2);
  AppTokenQuery by_ids;
  by_ids.id_in = std::vector<std::string>{"0_aaaaaaaa", "0_dddddddd", "0_zzzzzzzz"};
  EXPECT_EQ(Counted(*store_, p.id, by_ids), 2);
}

TEST_P(StoreContractTest, AppTokenCountAPageThatEndsTheMatchesGivesTheSameTotalAsACount) {
  Partner p = AddPartner();
  for (int i = 0; i < 7; ++i) ASSERT_THAT(store_->InsertAppToken(Token(p.id, TokenId(i))), IsOk());
  SetStatus(*store_, p.id, TokenId(3), AppTokenStatus::kDisabled);
  for (int64_t limit : {0, 1, 2, 3, 7, 30}) {
    for (int64_t offset : {0, 1, 5, 6, 7, 100}) {
      AppTokenQuery q;
      q.limit = limit;
      q.offset = offset;
      EXPECT_EQ(TotalCount(p.id, q), 7) << "limit " << limit << " offset " << offset;
      q.status_equal = kActive;
      EXPECT_EQ(TotalCount(p.id, q), 6) << "limit " << limit << " offset " << offset;
    }
  }
}

TEST_P(StoreContractTest, AppTokenCountConcurrentInsertsAndStatusChangesAreAllCounted) {
  Partner p = AddPartner();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int n = t * kPerThread + i;
        AppToken token = Token(p.id, TokenId(n));
        // Retry what a busy backend refuses: the test is about counting, not contention.
        Status inserted;
        for (int attempt = 0; attempt < 50; ++attempt) {
          inserted = store_->InsertAppToken(token);
          if (inserted.code() != StatusCode::kUnavailable) break;
        }
        EXPECT_THAT(inserted, IsOk());
        if (n % 2 == 1) {
          // Every odd token is disabled, half of them enabled again: the counts of both
          // statuses move in both directions at once across threads.
          AppToken disabled = token;
          disabled.status = AppTokenStatus::kDisabled;
          EXPECT_THAT(store_->UpdateAppToken(token, disabled), IsOk());
          if (n % 4 == 1) {
            EXPECT_THAT(store_->UpdateAppToken(disabled, token), IsOk());
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  constexpr int kAll = kThreads * kPerThread;
  ExpectCounts(*store_, p.id, kAll - kAll / 4, kAll / 4);
}

}  // namespace
}  // namespace ksgate::store
