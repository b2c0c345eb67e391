// What the backends' tests of deep-page marks share (sqlite/list_marks_test.cc,
// postgres/pg_list_marks_test.cc): a partner's tokens inserted by several writers at once, a
// page's ids, SQL that changes a list behind the triggers' back, and the test that a deep page
// starts at a mark. Test targets only.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "store/list_marks.h"
#include "store/store.h"
#include "testing/matchers.h"

namespace ksgate::store::testing {

// Inserts `count` tokens of `partner_id` ("0_m" + a number), eight writers at once (their
// inserts share commits).
inline void InsertTokensAtOnce(Store& store, int64_t partner_id, int count) {
  std::vector<Status> results(count);
  std::vector<std::thread> threads;
  for (int w = 0; w < 8; ++w) {
    threads.emplace_back([&, w] {
      for (int i = w; i < count; i += 8) {
        AppToken t;
        t.id = "0_m" + std::to_string(10000 + i);
        t.token = "0123456789abcdef0123456789abcdef";
        t.partner_id = partner_id;
        t.created_at = t.updated_at = 1'700'000'000;
        results[i] = store.InsertAppToken(t);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const Status& s : results) ASSERT_THAT(s, ::ksgate::testing::IsOk());
}

// The ids of the page of 30 at `offset` of `partner_id`'s list by `shape` (its filter and
// order).
inline std::vector<std::string> PageIds(const Store& store, int64_t partner_id, int64_t offset,
                                        AppTokenQuery shape = {}) {
  shape.offset = offset;
  shape.limit = 30;
  Result<AppTokenPage> page = store.ListAppTokens(partner_id, shape);
  EXPECT_THAT(page, ::ksgate::testing::IsOk());
  std::vector<std::string> ids;
  if (page.ok()) {
    for (const AppToken& t : page->objects) ids.push_back(t.id);
  }
  return ids;
}

// SQL (several statements, for one connection) that deletes the partner's first token as no
// writer would: the triggers count the change, and then the partner's change count is put
// back as it was. A page that starts at a mark made before is one row off after it.
inline std::string DeleteFirstTokenUncountedSql(int64_t partner_id) {
  const std::string p = std::to_string(partner_id);
  return "CREATE TEMP TABLE kept AS SELECT partner_id, status, shard, changes"
         " FROM app_token_counts WHERE partner_id = " +
         p +
         ";"
         " UPDATE app_tokens SET status = 3 WHERE seq = (SELECT MIN(seq) FROM app_tokens"
         " WHERE partner_id = " +
         p +
         " AND status <> 3);"
         " UPDATE app_token_counts SET changes = COALESCE((SELECT k.changes FROM kept k WHERE"
         " k.partner_id = app_token_counts.partner_id AND k.status = app_token_counts.status"
         " AND k.shard = app_token_counts.shard), 0) WHERE partner_id = " +
         p +
         ";"
         " DROP TABLE kept;";
}

// SQL that counts one change of the partner's tokens, as the triggers would.
inline std::string CountAChangeSql(int64_t partner_id) {
  return "UPDATE app_token_counts SET changes = changes + 1 WHERE partner_id = " +
         std::to_string(partner_id) + " AND status = 2 AND shard = 0";
}

// Over `partner_id`'s InsertTokensAtOnce tokens (more than 1,070; all created and updated at
// one second, so that every order is a run of ties in insertion order): a page below
// ListMarks::kMinOffset leaves no marks and a deep one does; a deep page starts at such a mark
// while the partner's change count holds (the list changed uncounted by `exec`, which runs SQL
// on a connection of the store's database: the page is one row off) and walks from the start
// once the count moved. For insertion order, each order either way, and a status filter.
inline void ExpectDeepPagesStartAtMarksWhileTheCountHolds(
    const Store& store, const ListMarks& marks, int64_t partner_id,
    const std::function<Status(const std::string&)>& exec) {
  std::vector<AppTokenQuery> shapes(6);
  shapes[1].order_by = {{AppTokenOrderField::kCreatedAt, true}};
  shapes[2].order_by = {{AppTokenOrderField::kCreatedAt, false}};
  shapes[3].order_by = {{AppTokenOrderField::kUpdatedAt, true}};
  shapes[4].order_by = {{AppTokenOrderField::kUpdatedAt, false}};
  shapes[5].status_equal = static_cast<int>(AppTokenStatus::kActive);
  EXPECT_EQ(PageIds(store, partner_id, 999).size(), 30u);
  EXPECT_EQ(marks.Lists(), 0u);
  for (size_t i = 0; i < shapes.size(); ++i) {
    SCOPED_TRACE("shape " + std::to_string(i));
    const std::vector<std::string> before = PageIds(store, partner_id, 1000, shapes[i]);
    ASSERT_EQ(before.size(), 30u);
    EXPECT_EQ(marks.Lists(), i + 1);

    ASSERT_THAT(exec(DeleteFirstTokenUncountedSql(partner_id)), ::ksgate::testing::IsOk());
    EXPECT_EQ(PageIds(store, partner_id, 1000, shapes[i]), before);

    ASSERT_THAT(exec(CountAChangeSql(partner_id)), ::ksgate::testing::IsOk());
    const std::vector<std::string> after = PageIds(store, partner_id, 1000, shapes[i]);
    ASSERT_EQ(after.size(), 30u);
    EXPECT_EQ(std::vector<std::string>(after.begin(), after.end() - 1),
              std::vector<std::string>(before.begin() + 1, before.end()));
    EXPECT_EQ(PageIds(store, partner_id, 1000, shapes[i]), after);  // from the mark it left
  }
}

}  // namespace ksgate::store::testing
