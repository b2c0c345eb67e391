// The Store contract for deep pages of appToken.list, run against every backend like
// store_contract_test.cc: a page far into a list is the same rows as that stretch of the whole
// list, for every order and filter a list is read in index order with, however pages before it
// were read (the SQL backends start such a page at a mark a page before it left,
// store/list_marks.h), and after every kind of write that moves rows. The fixture is in
// store_contract_test.h.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "store/store.h"
#include "store/store_contract_test.h"
#include "testing/matchers.h"

namespace ksgate::store {
namespace {

using ::ksgate::store::testing::kNow;
using ::ksgate::store::testing::StoreContractTest;
using ::ksgate::testing::IsOk;

constexpr int kTokens = 1250;  // past ListMarks::kMinOffset (1,000) in every shape below

std::string PageTokenId(int i) {
  char id[16];
  std::snprintf(id, sizeof id, "0_p%07d", i);
  return id;
}

struct Shape {
  std::string name;
  AppTokenQuery query;
};

std::vector<Shape> Shapes() {
  auto ordered = [](AppTokenOrderField field, bool ascending) {
    AppTokenQuery q;
    q.order_by = {AppTokenOrder{field, ascending}};
    return q;
  };
  std::vector<Shape> shapes = {
      {"insertion order", AppTokenQuery()},
      {"+createdAt", ordered(AppTokenOrderField::kCreatedAt, true)},
      {"-createdAt", ordered(AppTokenOrderField::kCreatedAt, false)},
      {"+updatedAt", ordered(AppTokenOrderField::kUpdatedAt, true)},
      {"-updatedAt", ordered(AppTokenOrderField::kUpdatedAt, false)},
  };
  AppTokenQuery active;
  active.status_equal = static_cast<int>(AppTokenStatus::kActive);
  shapes.push_back({"statusEqual=2", active});
  active.order_by = {AppTokenOrder{AppTokenOrderField::kCreatedAt, false}};
  shapes.push_back({"statusEqual=2, -createdAt", active});
  AppTokenQuery range = ordered(AppTokenOrderField::kCreatedAt, true);
  range.created_at_gte = kNow - 950;
  shapes.push_back({"createdAt >= , +createdAt", range});
  AppTokenQuery range_desc = ordered(AppTokenOrderField::kUpdatedAt, false);
  range_desc.updated_at_lte = kNow + 4;
  shapes.push_back({"updatedAt <= , -updatedAt", range_desc});
  return shapes;
}

TEST_P(StoreContractTest, DeepPagesAreTheWholeListsRowsAcrossReadsAndWrites) {
  Partner p = AddPartner();
  Partner other = AddPartner("other");
  // kTokens tokens: created_at in a scrambled order with about three tokens on each second,
  // updated_at on six seconds only (long runs of ties, each in insertion order), one in ten
  // disabled; and a token of the other partner after every 40th.
  for (int i = 0; i < kTokens; ++i) {
    AppToken t = Token(p.id, PageTokenId(i), kNow - 1000 + (i * 7) % 401, kNow + i % 6);
    if (i % 10 == 0) t.status = AppTokenStatus::kDisabled;
    ASSERT_THAT(store_->InsertAppToken(t), IsOk());
    if (i % 40 == 0) {
      ASSERT_THAT(store_->InsertAppToken(Token(other.id, PageTokenId(100000 + i))), IsOk());
    }
  }

  // Pages at, just before, just after and between the marks earlier pages left, again, and past
  // the end.
  const std::vector<int64_t> offsets = {1000, 1030, 1000, 1029, 1005, 1060, 1031,
                                        1090, 1250, 1010, 1100, 1099, 1001};
  auto expect_pages = [&](const std::string& when) {
    for (const Shape& shape : Shapes()) {
      AppTokenQuery all = shape.query;
      all.limit = 0;
      const std::vector<std::string> whole = ListIds(p.id, all);
      ASSERT_GT(whole.size(), 1030u) << shape.name;
      for (int64_t offset : offsets) {
        AppTokenQuery q = shape.query;
        q.limit = 30;
        q.offset = offset;
        const auto begin = static_cast<size_t>(std::min<int64_t>(offset, whole.size()));
        const size_t end = std::min(begin + 30, whole.size());
        Result<AppTokenPage> page = store_->ListAppTokens(p.id, q);
        ASSERT_THAT(page, IsOk());
        std::vector<std::string> ids;
        for (const AppToken& t : page->objects) ids.push_back(t.id);
        EXPECT_EQ(ids, std::vector<std::string>(whole.begin() + begin, whole.begin() + end))
            << when << ", " << shape.name << ", offset " << offset;
        EXPECT_EQ(page->total_count, static_cast<int64_t>(whole.size()))
            << when << ", " << shape.name << ", offset " << offset;
      }
    }
  };
  ASSERT_NO_FATAL_FAILURE(expect_pages("as inserted"));

  // A token first in creation order and last in insertion order.
  ASSERT_THAT(store_->InsertAppToken(Token(p.id, PageTokenId(kTokens), kNow - 2000, kNow)), IsOk());
  ASSERT_NO_FATAL_FAILURE(expect_pages("after an insert"));

  ASSERT_THAT(store_->DeleteAppToken(p.id, PageTokenId(3), Revoke("k3"), kNow), IsOk());
  ASSERT_NO_FATAL_FAILURE(expect_pages("after a delete"));

  // An update that keeps the status: only updated_at moves the token.
  Result<AppToken> read = store_->GetAppToken(p.id, PageTokenId(5));
  ASSERT_THAT(read, IsOk());
  AppToken touched = *read;
  touched.updated_at = kNow - 1;
  touched.description = "moved";
  ASSERT_THAT(store_->UpdateAppToken(*read, touched), IsOk());
  ASSERT_NO_FATAL_FAILURE(expect_pages("after an update"));

  read = store_->GetAppToken(p.id, PageTokenId(20));
  ASSERT_THAT(read, IsOk());
  AppToken enabled = *read;
  enabled.status = AppTokenStatus::kActive;
  ASSERT_THAT(store_->UpdateAppToken(*read, enabled), IsOk());
  ASSERT_NO_FATAL_FAILURE(expect_pages("after a status change"));

  // Another partner's writes move nothing in this partner's lists.
  ASSERT_THAT(store_->InsertAppToken(Token(other.id, PageTokenId(200000), kNow - 5000, kNow)),
              IsOk());
  ASSERT_NO_FATAL_FAILURE(expect_pages("after another partner's insert"));
}

TEST_P(StoreContractTest, ARangeListedInAnotherOrderIsTheRangesTokensInThatOrder) {
  // (SQLite reads such a list with an index hint: each range column, each order either way.)
  Partner p = AddPartner();
  struct Row {
    std::string id;
    int64_t created, updated;
  };
  std::vector<Row> rows;
  for (int i = 0; i < 60; ++i) {
    rows.push_back({PageTokenId(i), kNow + (i * 7) % 23, kNow + (i * 11) % 17});
    ASSERT_THAT(store_->InsertAppToken(
                    Token(p.id, rows.back().id, rows.back().created, rows.back().updated)),
                IsOk());
  }
  for (const bool by_created : {true, false}) {
    for (int order = 0; order < 5; ++order) {  // none, +created, -created, +updated, -updated
      AppTokenQuery q;
      q.limit = 10;
      q.offset = 3;
      if (by_created) {
        q.created_at_gte = kNow + 5;
        q.created_at_lte = kNow + 15;
      } else {
        q.updated_at_gte = kNow + 4;
        q.updated_at_lte = kNow + 12;
      }
      if (order > 0) {
        q.order_by = {AppTokenOrder{
            order <= 2 ? AppTokenOrderField::kCreatedAt : AppTokenOrderField::kUpdatedAt,
            order % 2 == 1}};
      }
      std::vector<std::pair<int64_t, size_t>> keyed;  // (order key, insertion index)
      for (size_t i = 0; i < rows.size(); ++i) {
        const int64_t v = by_created ? rows[i].created : rows[i].updated;
        if (v < (by_created ? kNow + 5 : kNow + 4) || v > (by_created ? kNow + 15 : kNow + 12)) {
          continue;
        }
        int64_t key = 0;
        if (order == 1 || order == 2) key = rows[i].created;
        if (order == 3 || order == 4) key = rows[i].updated;
        if (order == 2 || order == 4) key = -key;
        keyed.emplace_back(key, i);
      }
      std::sort(keyed.begin(), keyed.end());
      std::vector<std::string> expected;
      for (size_t k = 3; k < keyed.size() && expected.size() < 10; ++k) {
        expected.push_back(rows[keyed[k].second].id);
      }
      EXPECT_EQ(ListIds(p.id, q), expected)
          << (by_created ? "createdAt" : "updatedAt") << " range, order " << order;
      EXPECT_EQ(TotalCount(p.id, q), static_cast<int64_t>(keyed.size()));
    }
  }
}

}  // namespace
}  // namespace ksgate::store
