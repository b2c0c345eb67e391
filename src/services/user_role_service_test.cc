#include "services/user_role_service.h"

#include <gtest/gtest.h>

#include "services/test_fixture.h"

namespace ksgate::services {
namespace {

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
  store::UserRole r = *roles_.Add(a_.id, p);
  EXPECT_GE(r.id, store::kFirstUserRoleId);
  EXPECT_EQ(r.partner_id, a_.id);
  EXPECT_EQ(r.status, store::UserRoleStatus::kActive);
  EXPECT_EQ(r.created_at, kNow);
  EXPECT_EQ(*roles_.Get(a_.id, r.id), r);
}

TEST_F(UserRoleServiceTest, AddValidates) {
  EXPECT_EQ(roles_.Add(a_.id, {}).error().code, "PROPERTY_VALIDATION_CANNOT_BE_NULL");
  EXPECT_EQ(roles_.Add(a_.id, Named("x", "APP_TOKEN_BASE,NOPE")).error().message,
            "Permission [NOPE] was not found for partner [" + std::to_string(a_.id) + "]");
  UserRolePatch p = Named("x");
  p.id = Patch<int64_t>::Of(5);
  EXPECT_EQ(roles_.Add(a_.id, p).error().code, "PROPERTY_VALIDATION_NOT_UPDATABLE");
  ASSERT_TRUE(roles_.Add(a_.id, Named("dup")).ok());
  EXPECT_EQ(roles_.Add(a_.id, Named("dup")).error().code, "ROLE_NAME_ALREADY_EXISTS");
  EXPECT_TRUE(roles_.Add(b_.id, Named("dup")).ok());
  p = Named("y");
  p.system_name = Patch<std::string>::Of("PARTNER_ADMIN_ROLE");
  EXPECT_EQ(roles_.Add(a_.id, p).error().code, "SYSTEM_NAME_ALREADY_EXISTS");
  p.system_name = Patch<std::string>::Of("MINE");
  ASSERT_TRUE(roles_.Add(a_.id, p).ok());
  p.name = Patch<std::string>::Of("z");
  EXPECT_EQ(roles_.Add(a_.id, p).error().code, "SYSTEM_NAME_ALREADY_EXISTS");
}

TEST_F(UserRoleServiceTest, BuiltInRolesAreReadableButNotWritable) {
  EXPECT_EQ(roles_.Get(a_.id, 1)->system_name, "PARTNER_ADMIN_ROLE");
  EXPECT_EQ(roles_.Update(a_.id, 1, Named("x")).error().code, "INVALID_OBJECT_ID");
  EXPECT_EQ(roles_.Delete(a_.id, 1).error().code, "INVALID_OBJECT_ID");
}

TEST_F(UserRoleServiceTest, RolesOfAnotherPartnerAreInvisible) {
  store::UserRole r = *roles_.Add(a_.id, Named("mine"));
  EXPECT_EQ(roles_.Get(b_.id, r.id).error().code, "INVALID_OBJECT_ID");
  EXPECT_EQ(roles_.Update(b_.id, r.id, Named("x")).error().code, "INVALID_OBJECT_ID");
  EXPECT_EQ(roles_.Delete(b_.id, r.id).error().code, "INVALID_OBJECT_ID");
  EXPECT_EQ(roles_.Clone(b_.id, r.id).error().code, "INVALID_OBJECT_ID");
  EXPECT_EQ(roles_.List(b_.id, {})->total_count, 0);
}

TEST_F(UserRoleServiceTest, UpdateChangesFieldsAndTime) {
  store::UserRole r = *roles_.Add(a_.id, Named("r"));
  clock_.AdvanceSeconds(5);
  UserRolePatch p{.name = Patch<std::string>::Of("r2"),
                  .description = Patch<std::string>::Of("d"),
                  .status = Patch<int>::Of(2),
                  .permission_names = Patch<std::string>::Of("*")};
  store::UserRole u = *roles_.Update(a_.id, r.id, p);
  EXPECT_EQ(u.name, "r2");
  EXPECT_EQ(u.description, "d");
  EXPECT_EQ(u.status, store::UserRoleStatus::kBlocked);
  EXPECT_EQ(u.permission_names, "*");
  EXPECT_EQ(u.updated_at, kNow + 5);
  EXPECT_EQ(roles_.Update(a_.id, r.id, {.description = Patch<std::string>::Null()})->description,
            std::nullopt);
  EXPECT_EQ(roles_.Update(a_.id, r.id, {.name = Patch<std::string>::Null()}).error().code,
            "PROPERTY_VALIDATION_CANNOT_BE_NULL");
}

TEST_F(UserRoleServiceTest, DeleteReturnsTheDeletedRoleAndHidesIt) {
  store::UserRole r = *roles_.Add(a_.id, Named("gone"));
  store::UserRole d = *roles_.Delete(a_.id, r.id);
  EXPECT_EQ(d.status, store::UserRoleStatus::kDeleted);
  EXPECT_EQ(roles_.Get(a_.id, r.id).error().code, "INVALID_OBJECT_ID");
  EXPECT_EQ(roles_.Delete(a_.id, r.id).error().code, "INVALID_OBJECT_ID");
  EXPECT_TRUE(roles_.Add(a_.id, Named("gone")).ok());  // the name is free again
}

TEST_F(UserRoleServiceTest, CloneCopiesIntoThePartner) {
  store::UserRole c = *roles_.Clone(a_.id, 3);  // WIDGET_SESSION_ROLE
  EXPECT_EQ(c.partner_id, a_.id);
  EXPECT_EQ(c.permission_names, "WIDGET_SESSION_PERMISSION");
  EXPECT_EQ(c.system_name, "");
  EXPECT_EQ(c.name.rfind("Widget Session Role copy (", 0), 0u) << c.name;
  EXPECT_GE(c.id, store::kFirstUserRoleId);
}

TEST_F(UserRoleServiceTest, ClonesInTheSameSecondGetDistinctNames) {
  store::UserRole first = *roles_.Clone(a_.id, 3);
  store::UserRole second = *roles_.Clone(a_.id, 3);
  EXPECT_NE(first.name, second.name);
  EXPECT_EQ(second.name, first.name + " 2");
}

TEST_F(UserRoleServiceTest, ARoleCannotBeAddedAsDeleted) {
  UserRolePatch p = Named("ghost");
  p.status = Patch<int>::Of(3);
  ApiError e = roles_.Add(a_.id, p).error();
  EXPECT_EQ(e.code, "INVALID_FIELD_VALUE");
  EXPECT_EQ(e.args[0].second, "status");
}

TEST_F(UserRoleServiceTest, ListFiltersAndOrders) {
  store::UserRole r1 = *roles_.Add(a_.id, Named("alpha"));
  clock_.AdvanceSeconds(1);
  UserRolePatch p = Named("beta");
  p.tags = Patch<std::string>::Of("x,y");
  store::UserRole r2 = *roles_.Add(a_.id, p);
  EXPECT_EQ(roles_.List(a_.id, {})->total_count, 2);
  EXPECT_EQ(roles_.List(a_.id, {.name_equal = "beta"})->objects.at(0).id, r2.id);
  EXPECT_EQ(roles_.List(a_.id, {.id_in = std::to_string(r1.id) + ",999"})->total_count, 1);
  EXPECT_EQ(roles_.List(a_.id, {.tags_multi_like_or = "y,q"})->objects.at(0).id, r2.id);
  EXPECT_EQ(roles_.List(a_.id, {.order_by = "-name"})->objects.at(0).id, r2.id);
  EXPECT_EQ(roles_.List(a_.id, {.order_by = "+createdAt", .page_size = 1, .page_index = 2})
                ->objects.at(0)
                .id,
            r2.id);
}

TEST_F(UserRoleServiceTest, SessionStartRejectsAnUnknownSetRole) {
  StartSessionRequest r{
      .secret = "adminA", .type = 2, .partner_id = a_.id, .privileges = "setrole:NOPE"};
  EXPECT_EQ(sessions_.Start(r).error().code, "UNKNOWN_ROLE_ID");
  r.privileges = "setrole:PLAYBACK_BASE_ROLE";
  EXPECT_TRUE(sessions_.Start(r).ok());
  store::UserRole mine = *roles_.Add(a_.id, Named("mine"));
  r.privileges = "setrole:" + std::to_string(mine.id);
  EXPECT_TRUE(sessions_.Start(r).ok());
}

}  // namespace
}  // namespace ksgate::services
