#include "services/user_role_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/test_fixture.h"
#include "testing/matchers.h"

namespace ksgate::services {
namespace {

using ::ksgate::testing::ApiErrorIs;
using ::ksgate::testing::IsOk;
using ::ksgate::testing::IsOkAndHolds;
using ::testing::_;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::Pair;

// Matches a page of roles whose first role has id `id`.
MATCHER_P(FirstRoleIdIs, id, "whose first role has id " + ::testing::PrintToString(id)) {
  return !arg.objects.empty() && arg.objects[0].id == id;
}

class UserRoleServiceTest : public ServicesTest {
 protected:
  UserRolePatch Named(const std::string& name, const std::string& permissions = "APP_TOKEN_BASE") {
    return UserRolePatch{.name = Patch<std::string>::Of(name),
                         .permission_names = Patch<std::string>::Of(permissions)};
  }
};

TEST_F(UserRoleServiceTest, AddStoresTheRole) {
  UserRolePatch p = Named("Viewer");
  p.system_name = Patch<std::string>::Of("VIEWER");
  p.description = Patch<std::string>::Of("reads");
  p.tags = Patch<std::string>::Of("a,b");
  KSGATE_ASSERT_OK_AND_ASSIGN(store::UserRole r, roles_.Add(a_.id, p));
  EXPECT_GE(r.id, store::kFirstUserRoleId);
  EXPECT_EQ(r.partner_id, a_.id);
  EXPECT_EQ(r.status, store::UserRoleStatus::kActive);
  EXPECT_EQ(r.created_at, kNow);
  EXPECT_THAT(roles_.Get(a_.id, r.id), IsOkAndHolds(r));
}

TEST_F(UserRoleServiceTest, AddValidates) {
  EXPECT_THAT(roles_.Add(a_.id, {}), ApiErrorIs(errors::kPropertyValidationCannotBeNull));
  EXPECT_THAT(
      roles_.Add(a_.id, Named("x", "APP_TOKEN_BASE,NOPE")),
      ApiErrorIs(errors::kPermissionNotFound, _,
                 "Permission [NOPE] was not found for partner [" + std::to_string(a_.id) + "]"));
  UserRolePatch p = Named("x");
  p.id = Patch<int64_t>::Of(5);
  EXPECT_THAT(roles_.Add(a_.id, p), ApiErrorIs(errors::kPropertyValidationNotUpdatable));
  ASSERT_THAT(roles_.Add(a_.id, Named("dup")), IsOk());
  EXPECT_THAT(roles_.Add(a_.id, Named("dup")), ApiErrorIs(errors::kRoleNameAlreadyExists));
  EXPECT_THAT(roles_.Add(b_.id, Named("dup")), IsOk());
  p = Named("y");
  p.system_name = Patch<std::string>::Of("PARTNER_ADMIN_ROLE");
  EXPECT_THAT(roles_.Add(a_.id, p), ApiErrorIs(errors::kSystemNameAlreadyExists));
  p.system_name = Patch<std::string>::Of("MINE");
  ASSERT_THAT(roles_.Add(a_.id, p), IsOk());
  p.name = Patch<std::string>::Of("z");
  EXPECT_THAT(roles_.Add(a_.id, p), ApiErrorIs(errors::kSystemNameAlreadyExists));
}

TEST_F(UserRoleServiceTest, BuiltInRolesAreReadableButNotWritable) {
  EXPECT_THAT(roles_.Get(a_.id, 1),
              IsOkAndHolds(Field(&store::UserRole::system_name, "PARTNER_ADMIN_ROLE")));
  EXPECT_THAT(roles_.Update(a_.id, 1, Named("x")), ApiErrorIs(errors::kInvalidObjectId));
  EXPECT_THAT(roles_.Delete(a_.id, 1), ApiErrorIs(errors::kInvalidObjectId));
}

TEST_F(UserRoleServiceTest, RolesOfAnotherPartnerAreInvisible) {
  KSGATE_ASSERT_OK_AND_ASSIGN(store::UserRole r, roles_.Add(a_.id, Named("mine")));
  EXPECT_THAT(roles_.Get(b_.id, r.id), ApiErrorIs(errors::kInvalidObjectId));
  EXPECT_THAT(roles_.Update(b_.id, r.id, Named("x")), ApiErrorIs(errors::kInvalidObjectId));
  EXPECT_THAT(roles_.Delete(b_.id, r.id), ApiErrorIs(errors::kInvalidObjectId));
  EXPECT_THAT(roles_.Clone(b_.id, r.id), ApiErrorIs(errors::kInvalidObjectId));
  EXPECT_THAT(roles_.List(b_.id, {}), IsOkAndHolds(TotalCountIs(0)));
}

TEST_F(UserRoleServiceTest, UpdateChangesFieldsAndTime) {
  KSGATE_ASSERT_OK_AND_ASSIGN(store::UserRole r, roles_.Add(a_.id, Named("r")));
  clock_.AdvanceSeconds(5);
  UserRolePatch p{.name = Patch<std::string>::Of("r2"),
                  .description = Patch<std::string>::Of("d"),
                  .status = Patch<int>::Of(2),
                  .permission_names = Patch<std::string>::Of("*")};
  KSGATE_ASSERT_OK_AND_ASSIGN(store::UserRole u, roles_.Update(a_.id, r.id, p));
  EXPECT_EQ(u.name, "r2");
  EXPECT_EQ(u.description, "d");
  EXPECT_EQ(u.status, store::UserRoleStatus::kBlocked);
  EXPECT_EQ(u.permission_names, "*");
  EXPECT_EQ(u.updated_at, kNow + 5);
  EXPECT_THAT(roles_.Update(a_.id, r.id, {.description = Patch<std::string>::Null()}),
              IsOkAndHolds(Field(&store::UserRole::description, std::nullopt)));
  EXPECT_THAT(roles_.Update(a_.id, r.id, {.name = Patch<std::string>::Null()}),
              ApiErrorIs(errors::kPropertyValidationCannotBeNull));
}

TEST_F(UserRoleServiceTest, DeleteReturnsTheDeletedRoleAndHidesIt) {
  KSGATE_ASSERT_OK_AND_ASSIGN(store::UserRole r, roles_.Add(a_.id, Named("gone")));
  KSGATE_ASSERT_OK_AND_ASSIGN(store::UserRole d, roles_.Delete(a_.id, r.id));
  EXPECT_EQ(d.status, store::UserRoleStatus::kDeleted);
  EXPECT_THAT(roles_.Get(a_.id, r.id), ApiErrorIs(errors::kInvalidObjectId));
  EXPECT_THAT(roles_.Delete(a_.id, r.id), ApiErrorIs(errors::kInvalidObjectId));
  EXPECT_THAT(roles_.Add(a_.id, Named("gone")), IsOk());  // the name is free again
}

TEST_F(UserRoleServiceTest, CloneCopiesIntoThePartner) {
  KSGATE_ASSERT_OK_AND_ASSIGN(store::UserRole c, roles_.Clone(a_.id, 3));  // WIDGET_SESSION_ROLE
  EXPECT_EQ(c.partner_id, a_.id);
  EXPECT_EQ(c.permission_names, "WIDGET_SESSION_PERMISSION");
  EXPECT_EQ(c.system_name, "");
  EXPECT_EQ(c.name.rfind("Widget Session Role copy (", 0), 0u) << c.name;
  EXPECT_GE(c.id, store::kFirstUserRoleId);
}

TEST_F(UserRoleServiceTest, ClonesInTheSameSecondGetDistinctNames) {
  KSGATE_ASSERT_OK_AND_ASSIGN(store::UserRole first, roles_.Clone(a_.id, 3));
  KSGATE_ASSERT_OK_AND_ASSIGN(store::UserRole second, roles_.Clone(a_.id, 3));
  EXPECT_NE(first.name, second.name);
  EXPECT_EQ(second.name, first.name + " 2");
}

TEST_F(UserRoleServiceTest, ARoleCannotBeAddedAsDeleted) {
  UserRolePatch p = Named("ghost");
  p.status = Patch<int>::Of(3);
  EXPECT_THAT(roles_.Add(a_.id, p),
              ApiErrorIs(errors::kInvalidFieldValue, ElementsAre(Pair("FIELD_NAME", "status"))));
}

TEST_F(UserRoleServiceTest, ListFiltersAndOrders) {
  KSGATE_ASSERT_OK_AND_ASSIGN(store::UserRole r1, roles_.Add(a_.id, Named("alpha")));
  clock_.AdvanceSeconds(1);
  UserRolePatch p = Named("beta");
  p.tags = Patch<std::string>::Of("x,y");
  KSGATE_ASSERT_OK_AND_ASSIGN(store::UserRole r2, roles_.Add(a_.id, p));
  EXPECT_THAT(roles_.List(a_.id, {}), IsOkAndHolds(TotalCountIs(2)));
  EXPECT_THAT(roles_.List(a_.id, {.name_equal = "beta"}), IsOkAndHolds(FirstRoleIdIs(r2.id)));
  EXPECT_THAT(roles_.List(a_.id, {.id_in = std::to_string(r1.id) + ",999"}),
              IsOkAndHolds(TotalCountIs(1)));
  EXPECT_THAT(roles_.List(a_.id, {.tags_multi_like_or = "y,q"}),
              IsOkAndHolds(FirstRoleIdIs(r2.id)));
  EXPECT_THAT(roles_.List(a_.id, {.order_by = "-name"}), IsOkAndHolds(FirstRoleIdIs(r2.id)));
  EXPECT_THAT(roles_.List(a_.id, {.order_by = "+createdAt", .page_size = 1, .page_index = 2}),
              IsOkAndHolds(FirstRoleIdIs(r2.id)));
}

TEST_F(UserRoleServiceTest, SessionStartRejectsAnUnknownSetRole) {
  StartSessionRequest r{
      .secret = "adminA", .type = 2, .partner_id = a_.id, .privileges = "setrole:NOPE"};
  EXPECT_THAT(sessions_.Start(r), ApiErrorIs(errors::kUnknownRoleId));
  r.privileges = "setrole:PLAYBACK_BASE_ROLE";
  EXPECT_THAT(sessions_.Start(r), IsOk());
  KSGATE_ASSERT_OK_AND_ASSIGN(store::UserRole mine, roles_.Add(a_.id, Named("mine")));
  r.privileges = "setrole:" + std::to_string(mine.id);
  EXPECT_THAT(sessions_.Start(r), IsOk());
}

}  // namespace
}  // namespace ksgate::services
