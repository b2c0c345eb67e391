// A schema-upgrade check shared by the SQL backends' tests (sqlite/sqlite_store_test.cc,
// postgres/pg_store_test.cc): data written at the previous schema version survives Migrate().
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <optional>
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

// `store` holds a fresh, unmigrated database; `migrate_to(v)` applies the migrations up to v
// (the backend's MigrateToForTesting); `exec` runs constant SQL in that database; `latest` is
// the newest version. Migrates to latest - 1 and writes, with SQL that version understands (the
// Store API may need newer columns), a partner, tokens (one deleted), revocations, an
// actions-limit counter and roles (one deleted); migrates fully, then expects every record as
// written (new columns at their defaults), the counters where they were, the latest version in
// force and the next ids where they belong. The SQL is portable (SQLite and PostgreSQL).
inline void ExpectUpgradeKeepsData(Store& store, const std::function<Result<int>(int)>& migrate_to,
                                   const std::function<Status(const std::string&)>& exec,
                                   int latest) {
  constexpr int64_t kNow = 1'700'000'000;
  Result<int> before = migrate_to(latest - 1);
  ASSERT_THAT(before, IsOk());
  ASSERT_EQ(*before, latest - 1);

  const std::string now = std::to_string(kNow);
  const std::string later = std::to_string(kNow + 60);
  // The rows as version 5 (app_token_usage) wrote them.
  ASSERT_THAT(exec("INSERT INTO partners (id, name, admin_secrets, secret, status, ks_version,"
                   " ks_max_expiry, created_at, updated_at) VALUES (1, 'old', 'primary\nsecondary',"
                   " 'user', 1, 2, 86400, " +
                   now + ", " + now + ")"),
              IsOk());
  ASSERT_THAT(exec("INSERT INTO app_tokens (id, token, partner_id, created_at, updated_at, status,"
                   " session_user_id, description) VALUES"
                   " ('0_upgrade1', '0123456789abcdef0123456789abcdef', 1, " +
                   std::to_string(kNow - 1) + ", " + now +
                   ", 2, 'someone', 'kept'),"
                   " ('0_upgrade2', '0123456789abcdef0123456789abcdef', 1, " +
                   now + ", " + now + ", 3, NULL, NULL)"),
              IsOk());
  ASSERT_THAT(
      exec("INSERT INTO invalid_sessions (key, type, valid_until, actions_limit, created_at)"
           " VALUES ('deleted-token-key', 0, NULL, NULL, " +
           now +
           "),"
           " ('session-key', 1, " +
           later + ", NULL, " + now +
           "),"
           " ('counted', 0, " +
           later + ", 1, " + now + ")"),
      IsOk());
  ASSERT_THAT(exec("INSERT INTO user_roles (id, partner_id, name, system_name, description, status,"
                   " permission_names, tags, created_at, updated_at) VALUES"
                   " (100, 1, 'Editor', 'EDITOR', NULL, 1, 'A,B', NULL, " +
                   now + ", " + now +
                   "),"
                   " (101, 1, 'Old', '', NULL, 3, 'A,B', NULL, " +
                   now + ", " + now + ")"),
              IsOk());
  NewPartner np;
  np.name = "old";
  np.admin_secrets = {"primary", "secondary"};
  np.secret = "user";
  AppToken token;
  token.id = "0_upgrade1";
  token.token = "0123456789abcdef0123456789abcdef";
  token.partner_id = 1;
  token.created_at = kNow - 1;
  token.updated_at = kNow;
  token.session_user_id = "someone";
  token.description = "kept";
  AppToken gone = token;
  gone.id = "0_upgrade2";
  UserRole role;
  role.id = 100;
  role.partner_id = 1;
  role.name = "Editor";
  role.system_name = "EDITOR";
  role.permission_names = "A,B";
  role.created_at = kNow;
  role.updated_at = kNow;
  const std::optional<UserRole> kept = role;
  const std::optional<int64_t> deleted_id = 101;
  const std::optional<Partner> partner = Partner{.id = 1};

  Result<int> after = store.Migrate();
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(*after, latest);

  Result<Partner> partner_after = store.GetPartner(partner->id);
  ASSERT_THAT(partner_after, IsOk());
  EXPECT_EQ(partner_after->name, "old");
  EXPECT_EQ(partner_after->admin_secrets, np.admin_secrets);
  EXPECT_EQ(partner_after->secret, "user");
  EXPECT_EQ(partner_after->settings, PartnerSettings{}) << "new settings start off";
  Result<AppToken> token_after = store.GetAppToken(partner->id, token.id);
  ASSERT_THAT(token_after, IsOk());
  EXPECT_EQ(*token_after, token);
  EXPECT_THAT(store.GetAppToken(partner->id, gone.id), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store.InsertAppToken(gone), StatusIs(StatusCode::kAlreadyExists));
  // The tokens are counted as they were (0008: maintained counts), and counting goes on: a
  // one-row page does not end the matches, so the total comes from the count.
  AppTokenQuery one;
  one.limit = 1;
  Result<AppTokenPage> listed = store.ListAppTokens(partner->id, one);
  ASSERT_THAT(listed, IsOk());
  EXPECT_EQ(listed->total_count, 1);
  AppToken added = token;
  added.id = "0_upgrade3";
  ASSERT_THAT(store.InsertAppToken(added), IsOk());
  listed = store.ListAppTokens(partner->id, one);
  ASSERT_THAT(listed, IsOk());
  EXPECT_EQ(listed->total_count, 2);
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

  Result<UserRole> role_after = store.GetUserRole(partner->id, kept->id);
  ASSERT_THAT(role_after, IsOk());
  EXPECT_EQ(*role_after, *kept);
  EXPECT_THAT(store.FindUserRoleBySystemName(partner->id, "EDITOR"), IsOk());
  EXPECT_THAT(store.GetUserRole(partner->id, *deleted_id), StatusIs(StatusCode::kNotFound));
  // Ids go on after the deleted role's; the newest migration (0004: live role names are unique)
  // is in force.
  UserRole again = role;
  again.system_name = "";
  EXPECT_THAT(store.InsertUserRole(again), StatusIs(StatusCode::kAlreadyExists));
  again.name = "Another";
  Result<UserRole> next = store.InsertUserRole(again);
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->id, *deleted_id + 1);
  NewPartner second = np;
  second.name = "new";
  Result<Partner> next_partner = store.CreatePartner(second, kNow);
  ASSERT_THAT(next_partner, IsOk());
  EXPECT_EQ(next_partner->id, partner->id + 1);
}

}  // namespace ksgate::store::testing
