// The Store contract for listing user roles (ListUserRoles: filters, order, paging), run against
// every backend listed in store_contract_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <utility>
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
using ::testing::Field;
using ::testing::IsEmpty;

// Four roles of one partner for filter and order tests, inserted in order a, b, c, d:
//   a "Alpha" ALPHA  "Can edit entries" active  tags "edit,media" created 100 updated 300
//   b "beta"  ""     (no description)   blocked tags "media"      created 200 updated 100
//   c "Gamma" GAMMA  "edit only"        active  (no tags)         created 100 updated 200
//   d "Alpha2" DELTA "Reads 100%_"      blocked tags "Edit,view"  created 300 updated 300
// (Names are unique among a partner's live roles, so a and d differ only by a suffix.)
struct FourRoles {
  int64_t a = 0, b = 0, c = 0, d = 0;
};

// --- List ------------------------------------------------------------------------------------

// Inserts the four roles described at FourRoles.
FourRoles InsertFourRoles(Store& store, int64_t partner_id) {
  UserRole a = StoreContractTest::Role(partner_id, "Alpha", "ALPHA", 100, 300);
  a.description = "Can edit entries";
  a.tags = "edit,media";
  UserRole b = StoreContractTest::Role(partner_id, "beta", "", 200, 100);
  b.status = UserRoleStatus::kBlocked;
  b.tags = "media";
  UserRole c = StoreContractTest::Role(partner_id, "Gamma", "GAMMA", 100, 200);
  c.description = "edit only";
  UserRole d = StoreContractTest::Role(partner_id, "Alpha2", "DELTA", 300, 300);
  d.description = "Reads 100%_";
  d.status = UserRoleStatus::kBlocked;
  d.tags = "Edit,view";
  FourRoles ids;
  int64_t* slots[] = {&ids.a, &ids.b, &ids.c, &ids.d};
  int i = 0;
  for (const UserRole& r : {a, b, c, d}) {
    Result<UserRole> inserted = store.InsertUserRole(r);
    EXPECT_THAT(inserted, IsOk());
    *slots[i++] = inserted.ok() ? inserted->id : 0;
  }
  return ids;
}

TEST_P(StoreContractTest, ListUserRolesWithoutOrderIsById) {
  Partner p = AddPartner();
  FourRoles r = InsertFourRoles(*store_, p.id);
  EXPECT_THAT(ListRoleIds(p.id, AllRoles()), ElementsAre(r.a, r.b, r.c, r.d));
  EXPECT_EQ(RoleTotalCount(p.id, AllRoles()), 4);
}

TEST_P(StoreContractTest, ListUserRolesReturnsFullRecords) {
  Partner p = AddPartner();
  UserRole full = AddRole(FullRole(p.id));
  Result<UserRolePage> page = store_->ListUserRoles(p.id, AllRoles());
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0], full);
}

TEST_P(StoreContractTest, ListUserRolesExcludesDeletedRolesAndOtherPartners) {
  Partner p = AddPartner();
  Partner other = AddPartner("other");
  FourRoles r = InsertFourRoles(*store_, p.id);
  UserRole theirs = AddRole(Role(other.id, "Theirs"));
  KSGATE_ASSERT_OK_AND_ASSIGN(UserRole gone, store_->GetUserRole(p.id, r.b));
  ASSERT_THAT(store_->UpdateUserRole(gone, Deleted(gone)), IsOk());

  EXPECT_THAT(ListRoleIds(p.id, AllRoles()), ElementsAre(r.a, r.c, r.d));
  EXPECT_THAT(ListRoleIds(other.id, AllRoles()), ElementsAre(theirs.id));
  EXPECT_THAT(ListRoleIds(999, AllRoles()), IsEmpty());
  UserRoleQuery q = AllRoles();
  q.status_equal = static_cast<int>(UserRoleStatus::kDeleted);
  EXPECT_THAT(ListRoleIds(p.id, q), IsEmpty());
  EXPECT_EQ(RoleTotalCount(p.id, q), 0);
  q = AllRoles();
  q.status_in = std::vector<int>{3, 2};
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.d));
  q = AllRoles();
  q.id_equal = r.b;
  EXPECT_THAT(ListRoleIds(p.id, q), IsEmpty());
  q.id_equal = theirs.id;
  EXPECT_THAT(ListRoleIds(p.id, q), IsEmpty());
}

TEST_P(StoreContractTest, ListUserRolesFiltersById) {
  Partner p = AddPartner();
  FourRoles r = InsertFourRoles(*store_, p.id);
  UserRoleQuery q = AllRoles();
  q.id_equal = r.c;
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.c));
  q.id_equal = 999;
  EXPECT_THAT(ListRoleIds(p.id, q), IsEmpty());
  q = AllRoles();
  q.id_in = std::vector<int64_t>{r.d, 999, r.a};
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.a, r.d));
  q.id_in = std::vector<int64_t>{};
  EXPECT_THAT(ListRoleIds(p.id, q), IsEmpty());
  EXPECT_EQ(RoleTotalCount(p.id, q), 0);
}

TEST_P(StoreContractTest, ListUserRolesFiltersByName) {
  Partner p = AddPartner();
  FourRoles r = InsertFourRoles(*store_, p.id);
  UserRoleQuery q = AllRoles();
  q.name_equal = "Alpha";
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.a));
  q.name_equal = "Alpha2";
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.d));
  q.name_equal = "alpha";
  EXPECT_THAT(ListRoleIds(p.id, q), IsEmpty()) << "case-sensitive";
  q.name_equal = "Alp";
  EXPECT_THAT(ListRoleIds(p.id, q), IsEmpty());
  q = AllRoles();
  q.name_in = std::vector<std::string>{"beta", "Gamma", "zeta"};
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.b, r.c));
  q.name_in = std::vector<std::string>{};
  EXPECT_THAT(ListRoleIds(p.id, q), IsEmpty());
}

TEST_P(StoreContractTest, ListUserRolesFiltersBySystemName) {
  Partner p = AddPartner();
  FourRoles r = InsertFourRoles(*store_, p.id);
  UserRoleQuery q = AllRoles();
  q.system_name_equal = "GAMMA";
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.c));
  q.system_name_equal = "gamma";
  EXPECT_THAT(ListRoleIds(p.id, q), IsEmpty());
  q.system_name_equal = "";
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.b)) << "equality is literal";
  q = AllRoles();
  q.system_name_in = std::vector<std::string>{"DELTA", "ALPHA", "NOPE"};
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.a, r.d));
  q.system_name_in = std::vector<std::string>{"", "GAMMA"};
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.b, r.c));
  q.system_name_in = std::vector<std::string>{};
  EXPECT_THAT(ListRoleIds(p.id, q), IsEmpty());
}

TEST_P(StoreContractTest, ListUserRolesFiltersByDescriptionSubstring) {
  Partner p = AddPartner();
  FourRoles r = InsertFourRoles(*store_, p.id);
  UserRoleQuery q = AllRoles();
  q.description_like = "edit";
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.a, r.c));
  q.description_like = "Edit";
  EXPECT_THAT(ListRoleIds(p.id, q), IsEmpty()) << "case-sensitive";
  q.description_like = "Reads";
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.d));
  // No wildcards: % and _ are literal characters.
  q.description_like = "%";
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.d));
  q.description_like = "_";
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.d));
  q.description_like = "e%t";
  EXPECT_THAT(ListRoleIds(p.id, q), IsEmpty());
  q.description_like = "C_n";
  EXPECT_THAT(ListRoleIds(p.id, q), IsEmpty());
  q.description_like = "Can edit entries";
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.a));
  q.description_like = "Can edit entries!";
  EXPECT_THAT(ListRoleIds(p.id, q), IsEmpty());
  q.description_like = "";
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.a, r.c, r.d))
      << "a null description never matches";
}

TEST_P(StoreContractTest, ListUserRolesFiltersByStatus) {
  Partner p = AddPartner();
  FourRoles r = InsertFourRoles(*store_, p.id);
  UserRoleQuery q = AllRoles();
  q.status_equal = static_cast<int>(UserRoleStatus::kBlocked);
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.b, r.d));
  q.status_equal = static_cast<int>(UserRoleStatus::kActive);
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.a, r.c));
  q = AllRoles();
  q.status_in = std::vector<int>{2};
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.b, r.d));
  q.status_in = std::vector<int>{2, 1};
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.a, r.b, r.c, r.d));
  q.status_in = std::vector<int>{};
  EXPECT_THAT(ListRoleIds(p.id, q), IsEmpty());
}

TEST_P(StoreContractTest, ListUserRolesFiltersByAnyTag) {
  Partner p = AddPartner();
  FourRoles r = InsertFourRoles(*store_, p.id);
  UserRoleQuery q = AllRoles();
  q.tags_multi_like_or = std::vector<std::string>{"view"};
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.d));
  q.tags_multi_like_or = std::vector<std::string>{"media", "view"};
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.a, r.b, r.d));
  q.tags_multi_like_or = std::vector<std::string>{"edit"};
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.a)) << "case-sensitive";
  q.tags_multi_like_or = std::vector<std::string>{"dit,me"};
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.a)) << "a substring of the whole tags text";
  q.tags_multi_like_or = std::vector<std::string>{"zzz", "%"};
  EXPECT_THAT(ListRoleIds(p.id, q), IsEmpty());
  q.tags_multi_like_or = std::vector<std::string>{""};
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.a, r.b, r.d)) << "null tags never match";
  q.tags_multi_like_or = std::vector<std::string>{};
  EXPECT_THAT(ListRoleIds(p.id, q), IsEmpty());
}

TEST_P(StoreContractTest, ListUserRolesFiltersByEveryTag) {
  Partner p = AddPartner();
  FourRoles r = InsertFourRoles(*store_, p.id);
  UserRoleQuery q = AllRoles();
  q.tags_multi_like_and = std::vector<std::string>{"edit", "media"};
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.a));
  q.tags_multi_like_and = std::vector<std::string>{"media"};
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.a, r.b));
  q.tags_multi_like_and = std::vector<std::string>{"Edit", "view"};
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.d));
  q.tags_multi_like_and = std::vector<std::string>{"edit", "view"};
  EXPECT_THAT(ListRoleIds(p.id, q), IsEmpty());
  q.tags_multi_like_and = std::vector<std::string>{""};
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.a, r.b, r.d)) << "null tags never match";
  q.tags_multi_like_and = std::vector<std::string>{};
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.a, r.b, r.c, r.d)) << "no words, no condition";
}

TEST_P(StoreContractTest, ListUserRolesFiltersByTimeRangesInclusively) {
  Partner p = AddPartner();
  FourRoles r = InsertFourRoles(*store_, p.id);
  UserRoleQuery q = AllRoles();
  q.created_at_gte = 200;
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.b, r.d));
  q = AllRoles();
  q.created_at_lte = 100;
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.a, r.c));
  q.created_at_gte = 100;
  q.created_at_lte = 200;
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.a, r.b, r.c));
  q.created_at_gte = 201;
  q.created_at_lte = 299;
  EXPECT_THAT(ListRoleIds(p.id, q), IsEmpty());

  q = AllRoles();
  q.updated_at_gte = 300;
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.a, r.d));
  q = AllRoles();
  q.updated_at_lte = 200;
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.b, r.c));
  q.updated_at_gte = 150;
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.c));
}

TEST_P(StoreContractTest, ListUserRolesAppliesEveryFilterTogether) {
  Partner p = AddPartner();
  FourRoles r = InsertFourRoles(*store_, p.id);
  UserRoleQuery q = AllRoles();
  q.status_equal = static_cast<int>(UserRoleStatus::kActive);
  q.tags_multi_like_or = std::vector<std::string>{"edit"};
  q.description_like = "edit";
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.a));

  q = AllRoles();
  q.name_in = std::vector<std::string>{"Alpha", "Alpha2"};
  q.status_in = std::vector<int>{2};
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.d));
  q.system_name_equal = "ALPHA";
  EXPECT_THAT(ListRoleIds(p.id, q), IsEmpty());

  // Every field set so that exactly b matches.
  q = AllRoles();
  q.id_equal = r.b;
  q.id_in = std::vector<int64_t>{r.a, r.b};
  q.name_equal = "beta";
  q.name_in = std::vector<std::string>{"beta", "Alpha"};
  q.system_name_equal = "";
  q.system_name_in = std::vector<std::string>{"", "ALPHA"};
  q.status_equal = 2;
  q.status_in = std::vector<int>{1, 2};
  q.tags_multi_like_or = std::vector<std::string>{"med", "zzz"};
  q.tags_multi_like_and = std::vector<std::string>{"me", "ia"};
  q.created_at_gte = 200;
  q.created_at_lte = 200;
  q.updated_at_gte = 100;
  q.updated_at_lte = 100;
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.b));
  q.description_like = "";
  EXPECT_THAT(ListRoleIds(p.id, q), IsEmpty()) << "b has no description";
}

TEST_P(StoreContractTest, ListUserRolesOrdersByEachFieldWithTiesById) {
  Partner p = AddPartner();
  FourRoles r = InsertFourRoles(*store_, p.id);
  auto ordered = [&](UserRoleOrderField field, bool ascending) {
    UserRoleQuery q = AllRoles();
    q.order_by = {{field, ascending}};
    return ListRoleIds(p.id, q);
  };
  EXPECT_THAT(ordered(UserRoleOrderField::kId, true), ElementsAre(r.a, r.b, r.c, r.d));
  EXPECT_THAT(ordered(UserRoleOrderField::kId, false), ElementsAre(r.d, r.c, r.b, r.a));
  // Byte-wise: upper case sorts before lower case.
  EXPECT_THAT(ordered(UserRoleOrderField::kName, true), ElementsAre(r.a, r.d, r.c, r.b));
  EXPECT_THAT(ordered(UserRoleOrderField::kName, false), ElementsAre(r.b, r.c, r.d, r.a));
  EXPECT_THAT(ordered(UserRoleOrderField::kCreatedAt, true), ElementsAre(r.a, r.c, r.b, r.d));
  EXPECT_THAT(ordered(UserRoleOrderField::kCreatedAt, false), ElementsAre(r.d, r.b, r.a, r.c));
  EXPECT_THAT(ordered(UserRoleOrderField::kUpdatedAt, true), ElementsAre(r.b, r.c, r.a, r.d));
  EXPECT_THAT(ordered(UserRoleOrderField::kUpdatedAt, false), ElementsAre(r.a, r.d, r.c, r.b));
}

TEST_P(StoreContractTest, ListUserRolesAppliesOrderEntriesInTurn) {
  Partner p = AddPartner();
  FourRoles r = InsertFourRoles(*store_, p.id);
  UserRoleQuery q = AllRoles();
  q.order_by = {{UserRoleOrderField::kCreatedAt, true}, {UserRoleOrderField::kName, false}};
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.c, r.a, r.b, r.d));
  q.order_by = {{UserRoleOrderField::kUpdatedAt, false}, {UserRoleOrderField::kId, false}};
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.d, r.a, r.c, r.b));
  q.order_by = {{UserRoleOrderField::kCreatedAt, true}, {UserRoleOrderField::kUpdatedAt, true}};
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.c, r.a, r.b, r.d));
}

TEST_P(StoreContractTest, ListUserRolesPagesWithLimitAndOffset) {
  Partner p = AddPartner();
  FourRoles r = InsertFourRoles(*store_, p.id);
  UserRoleQuery q;
  q.order_by = {{UserRoleOrderField::kId, false}};
  q.limit = 3;
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.d, r.c, r.b));
  q.offset = 3;
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.a));
  q.limit = 2;
  q.offset = 1;
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.c, r.b));
  q.offset = -5;
  EXPECT_THAT(ListRoleIds(p.id, q), ElementsAre(r.d, r.c)) << "a negative offset is 0";
  q.offset = 4;
  EXPECT_THAT(ListRoleIds(p.id, q), IsEmpty());
  q.offset = 1000;
  EXPECT_THAT(ListRoleIds(p.id, q), IsEmpty());
  EXPECT_EQ(RoleTotalCount(p.id, q), 4);
  q.offset = 0;
  q.limit = -1;
  EXPECT_EQ(ListRoleIds(p.id, q).size(), 4u) << "a negative limit is no limit";
}

TEST_P(StoreContractTest, ListUserRolesDefaultLimitIsThirtyAndZeroMeansAll) {
  Partner p = AddPartner();
  for (int i = 0; i < 45; ++i) AddRole(Role(p.id, "r" + std::to_string(i)));
  UserRoleQuery q;
  EXPECT_EQ(ListRoleIds(p.id, q).size(), 30u);
  EXPECT_EQ(RoleTotalCount(p.id, q), 45);
  q.limit = 0;
  EXPECT_EQ(ListRoleIds(p.id, q).size(), 45u);
  q.offset = 40;
  std::vector<int64_t> tail = ListRoleIds(p.id, q);
  ASSERT_EQ(tail.size(), 5u);
  EXPECT_EQ(tail.back(), kFirstUserRoleId + 44);
}

TEST_P(StoreContractTest, ListUserRolesTotalCountIgnoresPaging) {
  Partner p = AddPartner();
  Partner other = AddPartner("other");
  InsertFourRoles(*store_, p.id);
  AddRole(Role(other.id, "Theirs"));
  UserRole gone = AddRole(Role(p.id, "Gone"));
  ASSERT_THAT(store_->UpdateUserRole(gone, Deleted(gone)), IsOk());

  UserRoleQuery q;
  q.limit = 1;
  q.offset = 2;
  Result<UserRolePage> page = store_->ListUserRoles(p.id, q);
  ASSERT_THAT(page, IsOk());
  EXPECT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->total_count, 4);
  q.status_equal = static_cast<int>(UserRoleStatus::kActive);
  EXPECT_EQ(RoleTotalCount(p.id, q), 2);
  EXPECT_EQ(RoleTotalCount(other.id, AllRoles()), 1);
}

}  // namespace
}  // namespace ksgate::store
