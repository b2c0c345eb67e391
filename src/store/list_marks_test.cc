#include "store/list_marks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ksgate::store {
namespace {

using ::testing::Eq;
using ::testing::Optional;

constexpr int64_t kNow = 5000;

ListMark At(int64_t position) {
  return ListMark{.position = position, .value = position * 10, .seq = position + 7};
}

TEST(ListMarksTest, NearestIsTheMarkWithTheLargestPositionAtOrBeforeTheOffset) {
  ListMarks marks;
  EXPECT_EQ(marks.Nearest("a", 1, 1000, kNow), std::nullopt);
  const std::vector<ListMark> made = {At(1000), At(1029), At(2000)};
  marks.Record("a", 1, made, kNow);
  EXPECT_EQ(marks.Nearest("a", 1, 999, kNow), std::nullopt);
  EXPECT_THAT(marks.Nearest("a", 1, 1000, kNow), Optional(Eq(At(1000))));
  EXPECT_THAT(marks.Nearest("a", 1, 1028, kNow), Optional(Eq(At(1000))));
  EXPECT_THAT(marks.Nearest("a", 1, 1030, kNow), Optional(Eq(At(1029))));
  EXPECT_THAT(marks.Nearest("a", 1, 5000, kNow), Optional(Eq(At(2000))));
  EXPECT_EQ(marks.Nearest("b", 1, 5000, kNow), std::nullopt);  // another list
}

TEST(ListMarksTest, AMarkHoldsOnlyAtTheChangeCountItWasMadeAt) {
  ListMarks marks;
  const std::vector<ListMark> first = {At(1000)};
  marks.Record("a", 5, first, kNow);
  EXPECT_EQ(marks.Nearest("a", 6, 1000, kNow), std::nullopt);
  EXPECT_EQ(marks.Nearest("a", 4, 1000, kNow), std::nullopt);
  // A newer count's marks replace the older's; an older count's are not kept.
  const std::vector<ListMark> newer = {At(1100)};
  marks.Record("a", 6, newer, kNow);
  EXPECT_EQ(marks.Nearest("a", 6, 1050, kNow), std::nullopt);
  EXPECT_THAT(marks.Nearest("a", 6, 1100, kNow), Optional(Eq(At(1100))));
  marks.Record("a", 5, first, kNow);
  EXPECT_EQ(marks.Nearest("a", 5, 1000, kNow), std::nullopt);
  EXPECT_THAT(marks.Nearest("a", 6, 1100, kNow), Optional(Eq(At(1100))));
}

TEST(ListMarksTest, AMarkExpiresAfterItsMaximumAge) {
  ListMarks marks;
  const std::vector<ListMark> old = {At(1000)};
  marks.Record("a", 1, old, kNow);
  const std::vector<ListMark> young = {At(2000)};
  marks.Record("a", 1, young, kNow + 30);
  const int64_t later = kNow + ListMarks::kMaxAgeSeconds + 1;
  EXPECT_EQ(marks.Nearest("a", 1, 1500, later), std::nullopt);
  EXPECT_THAT(marks.Nearest("a", 1, 2500, later), Optional(Eq(At(2000))));
  // Made again, a mark is young again.
  marks.Record("a", 1, old, later);
  EXPECT_THAT(marks.Nearest("a", 1, 1500, later), Optional(Eq(At(1000))));
}

TEST(ListMarksTest, EachListKeepsItsMostRecentlyUsedMarks) {
  ListMarks marks;
  for (int64_t i = 0; i < static_cast<int64_t>(ListMarks::kMaxMarks); ++i) {
    const std::vector<ListMark> one = {At(1000 + 100 * i)};
    marks.Record("a", 1, one, kNow);
  }
  // The first mark, used now, stays; the second, the least recently used, makes room.
  EXPECT_THAT(marks.Nearest("a", 1, 1000, kNow), Optional(Eq(At(1000))));
  const std::vector<ListMark> extra = {At(50000)};
  marks.Record("a", 1, extra, kNow);
  EXPECT_THAT(marks.Nearest("a", 1, 1150, kNow), Optional(Eq(At(1000))));
  EXPECT_THAT(marks.Nearest("a", 1, 1200, kNow), Optional(Eq(At(1200))));
  EXPECT_THAT(marks.Nearest("a", 1, 60000, kNow), Optional(Eq(At(50000))));
}

TEST(ListMarksTest, TheLeastRecentlyUsedListMakesRoomForANewOne) {
  ListMarks marks;
  const std::vector<ListMark> one = {At(1000)};
  for (size_t i = 0; i < ListMarks::kMaxLists; ++i)
    marks.Record("list" + std::to_string(i), 1, one, kNow);
  EXPECT_EQ(marks.Lists(), ListMarks::kMaxLists);
  EXPECT_TRUE(marks.Nearest("list0", 1, 1000, kNow).has_value());  // used: now the most recent
  marks.Record("new", 1, one, kNow);
  EXPECT_EQ(marks.Lists(), ListMarks::kMaxLists);
  EXPECT_TRUE(marks.Nearest("list0", 1, 1000, kNow).has_value());
  EXPECT_FALSE(marks.Nearest("list1", 1, 1000, kNow).has_value());
  EXPECT_TRUE(marks.Nearest("new", 1, 1000, kNow).has_value());
}

}  // namespace
}  // namespace ksgate::store
