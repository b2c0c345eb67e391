// A schema-upgrade check shared by the SQL backends' tests (sqlite/sqlite_store_test.cc,
// postgres/pg_store_test.cc): data written at the previous schema version survives Migrate().
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "store/records.h"
#include "store/store.h"
#include "store/test_util.h"
#include "testing/matchers.h"

namespace ksgate::store::testing {

using ::ksgate::testing::IsOk;
using ::ksgate::testing::StatusIs;

// A partner as the schema before the newest migration holds it: what it takes to write one.
struct OldPartner {
  std::string name;
  std::string admin_secrets;  // newline-joined, primary first
  std::string secret;
  int64_t now = 0;
};

// `store` holds a fresh, unmigrated database; `migrate_to(v)` applies the migrations up to v
// (the backend's MigrateToForTesting); `previous` and `latest` are the two newest versions.
// Migrates to `previous`, writes a partner with `insert_old_partner` (raw SQL in the old
// schema's columns, as the Store's own statements need the newest schema; it returns the id,
// or 0 on failure), then tokens (one deleted), revocations, an actions-limit counter and roles
// (one deleted) through the Store API, migrates fully, then expects every record as written,
// the partner's newer settings at their defaults, the counters where they were, the latest
// version in force and the next ids where they belong.
inline void ExpectUpgradeKeepsData(
    Store& store, const std::function<Result<int>(int)>& migrate_to, int previous, int latest,
    const std::function<int64_t(const OldPartner&)>& insert_old_partner) {
  constexpr int64_t kNow = 1'700'000'000;
  Result<int> before = migrate_to(previous);
  ASSERT_THAT(before, IsOk());
  ASSERT_EQ(*before, previous);

  NewPartner np;
  np.name = "old";
  np.admin_secrets = {"primary", "secondary"};
  np.secret = "user";
  const int64_t partner_id = insert_old_partner({np.name, "primary\nsecondary", np.secret, kNow});
  ASSERT_GT(partner_id, 0);
  AppToken token;
  token.id = "0_upgrade1";
  token.token = "0123456789abcdef0123456789abcdef";
  token.partner_id = partner_id;
  token.created_at = kNow - 1;
  token.updated_at = kNow;
  token.session_user_id = "someone";
  token.description = "kept";
  ASSERT_THAT(store.InsertAppToken(token), IsOk());
  AppToken gone = token;
  gone.id = "0_upgrade2";
  ASSERT_THAT(store.InsertAppToken(gone), IsOk());
  Revocation deleted_key{"deleted-token-key", RevocationType::kKsHash, std::nullopt};
  ASSERT_THAT(store.DeleteAppToken(partner_id, gone.id, deleted_key, kNow), IsOk());
  ASSERT_THAT(store.Revoke({"session-key", RevocationType::kSessionId, kNow + 60}, kNow), IsOk());
  ASSERT_THAT(store.ConsumeAction("counted", 2, kNow + 60, kNow), IsOk());
  UserRole role;
  role.partner_id = partner_id;
  role.name = "Editor";
  role.system_name = "EDITOR";
  role.permission_names = "A,B";
  role.created_at = kNow;
  role.updated_at = kNow;
  Result<UserRole> kept = store.InsertUserRole(role);
  ASSERT_THAT(kept, IsOk());
  UserRole old_role = role;
  old_role.name = "Old";
  old_role.system_name = "";
  Result<UserRole> deleted = store.InsertUserRole(old_role);
  ASSERT_THAT(deleted, IsOk());
  UserRole deleting = *deleted;
  deleting.status = UserRoleStatus::kDeleted;
  ASSERT_THAT(store.UpdateUserRole(*deleted, deleting), IsOk());

  Result<int> after = store.Migrate();
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(*after, latest);

  Result<Partner> partner_after = store.GetPartner(partner_id);
  ASSERT_THAT(partner_after, IsOk());
  EXPECT_EQ(partner_after->name, "old");
  EXPECT_EQ(partner_after->admin_secrets, np.admin_secrets);
  EXPECT_EQ(partner_after->secret, "user");
  EXPECT_EQ(partner_after->status, PartnerStatus::kActive);
  EXPECT_EQ(partner_after->created_at, kNow);
  EXPECT_EQ(partner_after->user_secret_setrole, UserSecretSetRole::kAllow);
  Result<AppToken> token_after = store.GetAppToken(partner_id, token.id);
  ASSERT_THAT(token_after, IsOk());
  EXPECT_EQ(*token_after, token);
  EXPECT_THAT(store.GetAppToken(partner_id, gone.id), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store.InsertAppToken(gone), StatusIs(StatusCode::kAlreadyExists));
  for (const char* key : {"deleted-token-key", "session-key"}) {
    std::vector<std::string> keys = {key};
    Result<bool> revoked = store.IsRevoked(keys, kNow);
    ASSERT_THAT(revoked, IsOk());
    EXPECT_TRUE(*revoked) << key;
  }
  // The counter continues where it was: one use of two left.
  for (ActionsLimitState expected : {ActionsLimitState::kAllowed, ActionsLimitState::kExceeded}) {
    Result<ActionsLimitState> state = store.ConsumeAction("counted", 2, kNow + 60, kNow);
    ASSERT_THAT(state, IsOk());
    EXPECT_EQ(static_cast<int>(*state), static_cast<int>(expected));
  }

  Result<UserRole> role_after = store.GetUserRole(partner_id, kept->id);
  ASSERT_THAT(role_after, IsOk());
  EXPECT_EQ(*role_after, *kept);
  EXPECT_THAT(store.FindUserRoleBySystemName(partner_id, "EDITOR"), IsOk());
  EXPECT_THAT(store.GetUserRole(partner_id, deleted->id), StatusIs(StatusCode::kNotFound));
  // Ids go on after the deleted role's; the newest migration (0004: live role names are unique)
  // is in force.
  UserRole again = role;
  again.system_name = "";
  EXPECT_THAT(store.InsertUserRole(again), StatusIs(StatusCode::kAlreadyExists));
  again.name = "Another";
  Result<UserRole> next = store.InsertUserRole(again);
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->id, deleted->id + 1);
  NewPartner second = np;
  second.name = "new";
  Result<Partner> next_partner = store.CreatePartner(second, kNow);
  ASSERT_THAT(next_partner, IsOk());
  EXPECT_EQ(next_partner->id, partner_id + 1);
}

}  // namespace ksgate::store::testing
