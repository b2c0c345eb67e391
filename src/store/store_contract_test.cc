// The Store contract, run against every backend (style.md convention 15): the backends are
// listed in store_contract_backends_test.cc (MemoryStore, SQLite ":memory:", a SQLite file, the
// caching layer over both) and postgres/pg_contract_test.cc (PostgreSQL). A backend passes only
// if it behaves exactly as store.h says. This file: migrations, partners, revocation, actions
// limit, persistence and concurrency; app tokens are in store_contract_app_tokens_test.cc, user
// roles in store_contract_user_roles_test.cc. The fixture is in store_contract_test.h.
#include "store/store_contract_test.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "store/store.h"
#include "store/test_util.h"
#include "testing/matchers.h"

namespace ksgate::store {
namespace {

using ::ksgate::store::testing::Backend;
using ::ksgate::store::testing::kNow;
using ::ksgate::store::testing::StoreContractTest;
using ::ksgate::testing::IsOk;
using ::ksgate::testing::IsOkAndHolds;
using ::ksgate::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;

// --- Migrations ------------------------------------------------------------------------------

TEST_P(StoreContractTest, MigrateTwiceKeepsTheVersionAndTheData) {
  Partner p = AddPartner();
  Result<int> first = store_->Migrate();
  Result<int> second = store_->Migrate();
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(*first, *second);
  EXPECT_THAT(store_->GetPartner(p.id), IsOk());
}

// --- Partners --------------------------------------------------------------------------------

TEST_P(StoreContractTest, CreatePartnerAssignsIdsFromOne) {
  EXPECT_EQ(AddPartner("a").id, 1);
  EXPECT_EQ(AddPartner("b").id, 2);
  EXPECT_EQ(AddPartner("c").id, 3);
}

TEST_P(StoreContractTest, CreatePartnerKeepsEveryFieldAndAdminSecretOrder) {
  NewPartner in;
  in.name = "Ünïcode Media";
  in.admin_secrets = {"zz-primary", "aa-second", "mm-third"};
  in.secret = "user-secret";
  in.ks_version = 1;
  in.ks_max_expiry = 3600;
  Result<Partner> created = store_->CreatePartner(in, kNow);
  ASSERT_THAT(created, IsOk());

  Result<Partner> got = store_->GetPartner(created->id);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->id, 1);
  EXPECT_EQ(got->name, "Ünïcode Media");
  EXPECT_THAT(got->admin_secrets, ElementsAre("zz-primary", "aa-second", "mm-third"));
  EXPECT_EQ(got->secret, "user-secret");
  EXPECT_EQ(got->status, PartnerStatus::kActive);
  EXPECT_EQ(got->ks_version, 1);
  EXPECT_EQ(got->ks_max_expiry, 3600);
  EXPECT_EQ(got->created_at, kNow);
  EXPECT_EQ(got->updated_at, kNow);
  EXPECT_EQ(created->admin_secrets, got->admin_secrets);
}

TEST_P(StoreContractTest, CreatePartnerRejectsMissingEmptyOrMultilineAdminSecrets) {
  NewPartner none;
  none.name = "none";
  EXPECT_THAT(store_->CreatePartner(none, kNow), StatusIs(StatusCode::kInvalidArgument));
  NewPartner empty = none;
  empty.admin_secrets = {"ok", ""};
  EXPECT_THAT(store_->CreatePartner(empty, kNow), StatusIs(StatusCode::kInvalidArgument));
  NewPartner multiline = none;
  multiline.admin_secrets = {"line1\nline2"};
  EXPECT_THAT(store_->CreatePartner(multiline, kNow), StatusIs(StatusCode::kInvalidArgument));
  NewPartner carriage = none;
  carriage.admin_secrets = {"a\rb"};
  EXPECT_THAT(store_->CreatePartner(carriage, kNow), StatusIs(StatusCode::kInvalidArgument));

  EXPECT_EQ(AddPartner().id, 1) << "a rejected partner must not use up an id";
}

TEST_P(StoreContractTest, GetPartnerReturnsNotFoundForAnUnknownId) {
  EXPECT_THAT(store_->GetPartner(1), StatusIs(StatusCode::kNotFound));
  AddPartner();
  EXPECT_THAT(store_->GetPartner(2), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->GetPartner(0), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->GetPartner(-1), StatusIs(StatusCode::kNotFound));
}

TEST_P(StoreContractTest, ListPartnersReturnsEveryPartnerById) {
  Result<std::vector<Partner>> empty = store_->ListPartners();
  ASSERT_THAT(empty, IsOk());
  EXPECT_THAT(*empty, IsEmpty());

  AddPartner("a");
  AddPartner("b");
  AddPartner("c");
  Result<std::vector<Partner>> all = store_->ListPartners();
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, 1);
  EXPECT_EQ((*all)[0].name, "a");
  EXPECT_EQ((*all)[1].id, 2);
  EXPECT_EQ((*all)[2].id, 3);
  EXPECT_EQ((*all)[2].name, "c");
  EXPECT_THAT((*all)[2].admin_secrets, ElementsAre("c-admin"));
}

TEST_P(StoreContractTest, SetPartnerStatusChangesStatusAndUpdatedAtOnly) {
  Partner p = AddPartner();
  ASSERT_THAT(store_->SetPartnerStatus(p.id, PartnerStatus::kBlocked, kNow + 60), IsOk());
  Result<Partner> blocked = store_->GetPartner(p.id);
  ASSERT_THAT(blocked, IsOk());
  EXPECT_EQ(blocked->status, PartnerStatus::kBlocked);
  EXPECT_EQ(blocked->updated_at, kNow + 60);
  EXPECT_EQ(blocked->created_at, kNow);
  EXPECT_EQ(blocked->admin_secrets, p.admin_secrets);

  ASSERT_THAT(store_->SetPartnerStatus(p.id, PartnerStatus::kActive, kNow + 120), IsOk());
  EXPECT_THAT(store_->GetPartner(p.id),
              IsOkAndHolds(Field(&Partner::status, PartnerStatus::kActive)));
}

TEST_P(StoreContractTest, SetPartnerStatusReturnsNotFoundForAnUnknownId) {
  EXPECT_THAT(store_->SetPartnerStatus(7, PartnerStatus::kBlocked, kNow),
              StatusIs(StatusCode::kNotFound));
}

TEST_P(StoreContractTest, APartnerAllowsUserSecretSetRoleUntilToldOtherwise) {
  Partner p = AddPartner();
  EXPECT_EQ(p.settings.user_secret_setrole, UserSecretSetRole::kAllow);
  KSGATE_ASSERT_OK_AND_ASSIGN(const Partner read, store_->GetPartner(p.id));
  EXPECT_EQ(read.settings.user_secret_setrole, UserSecretSetRole::kAllow);
}

TEST_P(StoreContractTest, UserSecretSetRoleIsStoredWithTheOtherPartnerSettings) {
  Partner p = AddPartner();
  PartnerSettings deny;
  deny.user_secret_setrole = UserSecretSetRole::kDeny;
  ASSERT_THAT(store_->SetPartnerSettings(p.id, deny, kNow + 60), IsOk());
  KSGATE_ASSERT_OK_AND_ASSIGN(const Partner denied, store_->GetPartner(p.id));
  EXPECT_EQ(denied.settings, deny);
  EXPECT_EQ(denied.updated_at, kNow + 60);
  EXPECT_EQ(denied.status, PartnerStatus::kActive);
  EXPECT_EQ(denied.secret, p.secret);
  KSGATE_ASSERT_OK_AND_ASSIGN(const std::vector<Partner> listed, store_->ListPartners());
  EXPECT_EQ(listed.front().settings.user_secret_setrole, UserSecretSetRole::kDeny);

  PartnerSettings both = deny;
  both.app_token_show_once = true;
  ASSERT_THAT(store_->SetPartnerSettings(p.id, both, kNow + 120), IsOk());
  EXPECT_THAT(store_->GetPartner(p.id), IsOkAndHolds(Field(&Partner::settings, both)));
  ASSERT_THAT(store_->SetPartnerSettings(p.id, PartnerSettings{}, kNow + 180), IsOk());
  EXPECT_THAT(store_->GetPartner(p.id), IsOkAndHolds(Field(&Partner::settings, PartnerSettings{})));
}

TEST_P(StoreContractTest, UpdatePartnerChangesOnlyTheFieldsItSets) {
  const Partner p = AddPartner();
  KSGATE_ASSERT_OK_AND_ASSIGN(const Partner renamed,
                              store_->UpdatePartner(p.id, {.name = "Acme Renamed"}, kNow + 10));
  EXPECT_EQ(renamed.name, "Acme Renamed");
  EXPECT_EQ(renamed.updated_at, kNow + 10);
  EXPECT_EQ(renamed.ks_version, p.ks_version);
  EXPECT_EQ(renamed.ks_max_expiry, p.ks_max_expiry);
  EXPECT_EQ(renamed.settings, p.settings);
  EXPECT_EQ(renamed.admin_secrets, p.admin_secrets);
  EXPECT_EQ(renamed.secret, p.secret);
  EXPECT_EQ(renamed.created_at, p.created_at);

  PartnerChanges all;
  all.ks_version = p.ks_version == 2 ? 1 : 2;
  all.ks_max_expiry = 600;
  all.app_token_privilege_ceiling = true;
  all.app_token_show_once = true;
  all.user_secret_setrole = UserSecretSetRole::kDeny;
  KSGATE_ASSERT_OK_AND_ASSIGN(const Partner changed, store_->UpdatePartner(p.id, all, kNow + 20));
  EXPECT_EQ(changed.name, "Acme Renamed") << "an unset name stays";
  EXPECT_EQ(changed.ks_version, *all.ks_version);
  EXPECT_EQ(changed.ks_max_expiry, 600);
  EXPECT_EQ(changed.settings, (PartnerSettings{.app_token_privilege_ceiling = true,
                                               .app_token_show_once = true,
                                               .user_secret_setrole = UserSecretSetRole::kDeny}));
  // What it returned is what is stored.
  KSGATE_ASSERT_OK_AND_ASSIGN(const Partner read, store_->GetPartner(p.id));
  EXPECT_EQ(read.name, changed.name);
  EXPECT_EQ(read.ks_version, changed.ks_version);
  EXPECT_EQ(read.ks_max_expiry, changed.ks_max_expiry);
  EXPECT_EQ(read.settings, changed.settings);
  EXPECT_EQ(read.updated_at, kNow + 20);

  // Turning a setting off is a change too (false is not "unset").
  KSGATE_ASSERT_OK_AND_ASSIGN(
      const Partner off, store_->UpdatePartner(p.id, {.app_token_show_once = false}, kNow + 30));
  EXPECT_FALSE(off.settings.app_token_show_once);
  EXPECT_TRUE(off.settings.app_token_privilege_ceiling);
  EXPECT_EQ(off.ks_max_expiry, 600);
}

TEST_P(StoreContractTest, UpdatePartnerOfAnUnknownIdIsNotFoundAndChangesNothing) {
  const Partner p = AddPartner();
  EXPECT_THAT(store_->UpdatePartner(p.id + 100, {.name = "ghost"}, kNow + 10),
              StatusIs(StatusCode::kNotFound));
  KSGATE_ASSERT_OK_AND_ASSIGN(const std::vector<Partner> all, store_->ListPartners());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].name, p.name);
  EXPECT_EQ(all[0].updated_at, p.updated_at);
}

TEST_P(StoreContractTest, SetPartnerAdminSecretsReplacesTheListInOrder) {
  Partner p = AddPartner();
  std::vector<std::string> rotated = {"new-primary", p.admin_secrets.front()};
  ASSERT_THAT(store_->SetPartnerAdminSecrets(p.id, rotated, kNow + 60), IsOk());
  Result<Partner> got = store_->GetPartner(p.id);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->admin_secrets, rotated);
  EXPECT_EQ(got->updated_at, kNow + 60);
  EXPECT_EQ(got->secret, p.secret);
}

TEST_P(StoreContractTest, SetPartnerAdminSecretsValidates) {
  Partner p = AddPartner();
  EXPECT_THAT(store_->SetPartnerAdminSecrets(p.id, {}, kNow),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->SetPartnerAdminSecrets(p.id, {"a", ""}, kNow),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->SetPartnerAdminSecrets(p.id, {"a\nb"}, kNow),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->SetPartnerAdminSecrets(p.id + 100, {"a"}, kNow),
              StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->GetPartner(p.id),
              IsOkAndHolds(Field(&Partner::admin_secrets, p.admin_secrets)));
}

// --- Revocation ------------------------------------------------------------------------------

TEST_P(StoreContractTest, NothingIsRevokedInAnEmptyStore) {
  EXPECT_FALSE(Revoked({"k1", "k2"}));
  EXPECT_FALSE(Revoked({}));
}

TEST_P(StoreContractTest, RevocationWithoutValidUntilLastsForever) {
  ASSERT_THAT(store_->Revoke(Revoke("k1"), kNow), IsOk());
  EXPECT_TRUE(Revoked({"k1"}, kNow));
  EXPECT_TRUE(Revoked({"k1"}, int64_t{1} << 60));
  EXPECT_FALSE(Revoked({"k2"}));
}

TEST_P(StoreContractTest, RevocationOutlivesValidUntilByTheGracePeriod) {
  ASSERT_THAT(store_->Revoke(Revoke("k1", 1000), kNow), IsOk());
  EXPECT_TRUE(Revoked({"k1"}, 0));
  EXPECT_TRUE(Revoked({"k1"}, 1000));
  EXPECT_TRUE(Revoked({"k1"}, 1000 + kRevocationGraceSeconds - 1));
  EXPECT_FALSE(Revoked({"k1"}, 1000 + kRevocationGraceSeconds));
  EXPECT_FALSE(Revoked({"k1"}, 1000 + kRevocationGraceSeconds + 1));
}

TEST_P(StoreContractTest, IsRevokedIsTrueIfAnyKeyIsRevoked) {
  ASSERT_THAT(store_->Revoke(Revoke("by-session", std::nullopt, RevocationType::kSessionId), kNow),
              IsOk());
  EXPECT_TRUE(Revoked({"by-hash", "by-session"}));
  EXPECT_TRUE(Revoked({"by-session", "by-hash"}));
  EXPECT_FALSE(Revoked({"by-hash", "other"}));
}

TEST_P(StoreContractTest, RevokeReplacesValidUntilOfTheSameKeyAndType) {
  ASSERT_THAT(store_->Revoke(Revoke("k1", 1000), kNow), IsOk());
  ASSERT_THAT(store_->Revoke(Revoke("k1", 5000), kNow), IsOk());
  EXPECT_TRUE(Revoked({"k1"}, 5000));
  // A later, shorter revocation replaces the longer one (Kaltura invalidateByKey).
  ASSERT_THAT(store_->Revoke(Revoke("k1", 100), kNow), IsOk());
  EXPECT_FALSE(Revoked({"k1"}, 100 + kRevocationGraceSeconds));
  ASSERT_THAT(store_->Revoke(Revoke("k1"), kNow), IsOk());
  EXPECT_TRUE(Revoked({"k1"}, int64_t{1} << 60));
}

TEST_P(StoreContractTest, SameKeyWithAnotherTypeIsASeparateRevocation) {
  ASSERT_THAT(store_->Revoke(Revoke("k1", std::nullopt, RevocationType::kKsHash), kNow), IsOk());
  ASSERT_THAT(store_->Revoke(Revoke("k1", 100, RevocationType::kSessionId), kNow), IsOk());
  EXPECT_TRUE(Revoked({"k1"}, int64_t{1} << 60)) << "the KS-hash row must stay unbounded";
}

TEST_P(StoreContractTest, RowsWithAnActionsLimitAreNotRevocationsUntilRevoked) {
  ASSERT_THAT(GetParam().set_actions_limit(*store_, Revoke("k1"), 10, kNow), IsOk());
  EXPECT_FALSE(Revoked({"k1"}));
  // Revoke clears the actions limit, turning the row into a revocation.
  ASSERT_THAT(store_->Revoke(Revoke("k1", kNow + 60), kNow), IsOk());
  EXPECT_TRUE(Revoked({"k1"}));
}

// --- Actions limit ---------------------------------------------------------------------------

constexpr ActionsLimitState kAllowed = ActionsLimitState::kAllowed;
constexpr ActionsLimitState kExceeded = ActionsLimitState::kExceeded;
constexpr ActionsLimitState kRevoked = ActionsLimitState::kRevoked;

TEST_P(StoreContractTest, ConsumeActionAllowsExactlyTheLimit) {
  EXPECT_EQ(Consume("ks", 3), kAllowed);
  EXPECT_EQ(Consume("ks", 3), kAllowed);
  EXPECT_EQ(Consume("ks", 3), kAllowed);
  EXPECT_EQ(Consume("ks", 3), kExceeded);
  EXPECT_EQ(Consume("ks", 3), kExceeded);
}

TEST_P(StoreContractTest, ConsumeActionWithLimitOneAllowsOneUse) {
  EXPECT_EQ(Consume("ks", 1), kAllowed);
  EXPECT_EQ(Consume("ks", 1), kExceeded);
}

TEST_P(StoreContractTest, ConsumeActionCountsEachKeySeparately) {
  EXPECT_EQ(Consume("ks-a", 2), kAllowed);
  EXPECT_EQ(Consume("ks-a", 2), kAllowed);
  EXPECT_EQ(Consume("ks-a", 2), kExceeded);
  EXPECT_EQ(Consume("ks-b", 2), kAllowed);
  EXPECT_EQ(Consume("ks-b", 2), kAllowed);
  EXPECT_EQ(Consume("ks-b", 2), kExceeded);
}

TEST_P(StoreContractTest, ConsumeActionIgnoresLimitAndValidUntilOnceTheRowExists) {
  EXPECT_EQ(Consume("ks", 2, 1000), kAllowed);
  // A larger limit on later calls does not reset the count (the first call's row counts).
  EXPECT_EQ(Consume("ks", 100, 9999), kAllowed);
  EXPECT_EQ(Consume("ks", 100, 9999), kExceeded);
}

TEST_P(StoreContractTest, ConsumeActionRowsAreNotRevocations) {
  EXPECT_EQ(Consume("ks", 1, std::nullopt), kAllowed);
  EXPECT_EQ(Consume("ks", 1, std::nullopt), kExceeded);
  EXPECT_FALSE(Revoked({"ks"})) << "an exhausted KS is not a logged-out KS";
}

TEST_P(StoreContractTest, ConsumeActionAfterRevokeIsRevoked) {
  ASSERT_THAT(store_->Revoke(Revoke("ks", kNow + 3600), kNow), IsOk());
  EXPECT_EQ(Consume("ks", 5), kRevoked);
  EXPECT_EQ(Consume("ks", 5), kRevoked);
  EXPECT_TRUE(Revoked({"ks"})) << "ConsumeAction must not touch a revocation";
}

TEST_P(StoreContractTest, RevokeStopsAKsThatIsCountingActions) {
  EXPECT_EQ(Consume("ks", 5, kNow + 3600), kAllowed);
  ASSERT_THAT(store_->Revoke(Revoke("ks", kNow + 3600), kNow), IsOk());
  EXPECT_EQ(Consume("ks", 5, kNow + 3600), kRevoked);
  EXPECT_TRUE(Revoked({"ks"}));
}

TEST_P(StoreContractTest, ConsumeActionTreatsAnExpiredRevocationAsRevoked) {
  // Kaltura's database check never expires a row; only IsRevoked applies the grace period.
  ASSERT_THAT(store_->Revoke(Revoke("ks", 1000), kNow), IsOk());
  EXPECT_FALSE(Revoked({"ks"}, kNow));
  EXPECT_EQ(Consume("ks", 5, 1000, kNow), kRevoked);
}

TEST_P(StoreContractTest, ConsumeActionIgnoresSessionIdRevocationsOfTheSameKey) {
  ASSERT_THAT(store_->Revoke(Revoke("key", std::nullopt, RevocationType::kSessionId), kNow),
              IsOk());
  EXPECT_EQ(Consume("key", 2), kAllowed);
  EXPECT_EQ(Consume("key", 2), kAllowed);
  EXPECT_EQ(Consume("key", 2), kExceeded);
  EXPECT_TRUE(Revoked({"key"})) << "the session-id revocation stays";
}

TEST_P(StoreContractTest, ConsumeActionSeesRowsWrittenWithAnActionsLimit) {
  ASSERT_THAT(GetParam().set_actions_limit(*store_, Revoke("ks"), 1, kNow), IsOk());
  EXPECT_EQ(Consume("ks", 50), kAllowed);
  EXPECT_EQ(Consume("ks", 50), kExceeded);
  ASSERT_THAT(GetParam().set_actions_limit(*store_, Revoke("used-up"), 0, kNow), IsOk());
  EXPECT_EQ(Consume("used-up", 50), kExceeded);
  ASSERT_THAT(GetParam().set_actions_limit(*store_, Revoke("negative"), -3, kNow), IsOk());
  EXPECT_EQ(Consume("negative", 50), kExceeded);
}

TEST_P(StoreContractTest, ConsumeActionRejectsANonPositiveLimitAndWritesNothing) {
  EXPECT_THAT(store_->ConsumeAction("ks", 0, std::nullopt, kNow),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->ConsumeAction("ks", -1, std::nullopt, kNow),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(Consume("ks", 1), kAllowed);
  EXPECT_EQ(Consume("ks", 1), kExceeded);
}

TEST_P(StoreContractTest, ConcurrentConsumeActionAllowsExactlyTheLimit) {
  constexpr int kThreads = 8;
  constexpr int kCallsPerThread = 50;
  constexpr int64_t kLimit = 100;
  const testing::ConsumeCounts counts = testing::ConsumeConcurrently(
      {store_.get()}, kThreads, kCallsPerThread, "shared-ks", kLimit, kNow + 3600, kNow);
  EXPECT_EQ(counts.other, 0);
  EXPECT_EQ(counts.allowed, kLimit);
  EXPECT_EQ(counts.exceeded, kThreads * kCallsPerThread - kLimit);
  EXPECT_EQ(Consume("shared-ks", kLimit), kExceeded);
}

TEST_P(StoreContractTest, ReopenedFileStoreKeepsTheActionsCount) {
  if (!GetParam().persistent) GTEST_SKIP() << GetParam().name << " does not persist";
  EXPECT_EQ(Consume("ks", 3, kNow + 3600), kAllowed);
  EXPECT_EQ(Consume("ks", 3, kNow + 3600), kAllowed);
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(Consume("ks", 3, kNow + 3600), kAllowed);
  EXPECT_EQ(Consume("ks", 3, kNow + 3600), kExceeded);
  EXPECT_FALSE(Revoked({"ks"}));
}

// --- Persistence -----------------------------------------------------------------------------

TEST_P(StoreContractTest, ReopenedFileStoreKeepsPartnersTokensAndRevocations) {
  if (!GetParam().persistent) GTEST_SKIP() << GetParam().name << " does not persist";
  NewPartner in;
  in.name = "durable";
  in.admin_secrets = {"s1", "s2"};
  in.secret = "u";
  Result<Partner> p = store_->CreatePartner(in, kNow);
  ASSERT_THAT(p, IsOk());
  ASSERT_THAT(store_->SetPartnerStatus(p->id, PartnerStatus::kBlocked, kNow + 1), IsOk());
  AppToken full = FullToken(p->id, "0_durable0");
  ASSERT_THAT(store_->InsertAppToken(full), IsOk());
  ASSERT_THAT(store_->InsertAppToken(Token(p->id, "0_deleted0")), IsOk());
  ASSERT_THAT(store_->DeleteAppToken(p->id, "0_deleted0", Revoke("deleted-key"), kNow), IsOk());
  ASSERT_THAT(store_->Revoke(Revoke("ks-hash", 5000), kNow), IsOk());

  ASSERT_NO_FATAL_FAILURE(Reopen());

  Result<Partner> again = store_->GetPartner(p->id);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->name, "durable");
  EXPECT_THAT(again->admin_secrets, ElementsAre("s1", "s2"));
  EXPECT_EQ(again->status, PartnerStatus::kBlocked);
  EXPECT_EQ(again->updated_at, kNow + 1);
  Result<AppToken> token = store_->GetAppToken(p->id, "0_durable0");
  ASSERT_THAT(token, IsOk());
  EXPECT_EQ(*token, full);
  EXPECT_THAT(store_->GetAppToken(p->id, "0_deleted0"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->InsertAppToken(Token(p->id, "0_deleted0")),
              StatusIs(StatusCode::kAlreadyExists));
  EXPECT_TRUE(Revoked({"deleted-key"}));
  EXPECT_TRUE(Revoked({"ks-hash"}, 5000));
  EXPECT_FALSE(Revoked({"ks-hash"}, 5000 + kRevocationGraceSeconds));
  EXPECT_EQ(AddPartner("next").id, p->id + 1);
}

// --- Concurrency -----------------------------------------------------------------------------

TEST_P(StoreContractTest, ConcurrentWritersAndReadersLoseNothing) {
  constexpr int kThreads = 8;
  constexpr int kPartnersPerThread = 5;
  constexpr int kTokensPerThread = 30;
  Partner shared = AddPartner("shared");

  auto id_of = [](int thread, int i) {
    char id[16];
    std::snprintf(id, sizeof id, "0_t%dn%04d", thread, i);
    return std::string(id);
  };
  auto key_of = [](int thread, int i) {
    return "key-" + std::to_string(thread) + "-" + std::to_string(i);
  };
  std::atomic<int> failures{0};
  auto check = [&](const Status& s) {
    if (!s.ok()) {
      ADD_FAILURE() << s.ToString();
      failures.fetch_add(1);
    }
  };

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kTokensPerThread; ++i) {
        if (i < kPartnersPerThread) {
          NewPartner np;
          np.name = "p" + std::to_string(t);
          np.admin_secrets = {"s"};
          check(store_->CreatePartner(np, kNow).status());
        }
        AppToken token = Token(shared.id, id_of(t, i), kNow + i, kNow + i);
        check(store_->InsertAppToken(token));
        const AppToken inserted = token;
        token.description = "updated";
        token.updated_at = kNow + 1000;
        check(store_->UpdateAppToken(inserted, token));
        if (i % 3 == 0) {
          check(store_->DeleteAppToken(shared.id, token.id, Revoke(key_of(t, i)), kNow));
        }
        check(store_->GetPartner(shared.id).status());
        check(store_->ListAppTokens(shared.id, AppTokenQuery()).status());
        std::vector<std::string> keys = {key_of(t, i)};
        check(store_->IsRevoked(keys, kNow).status());
      }
    });
  }
  for (std::thread& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);

  Result<std::vector<Partner>> partners = store_->ListPartners();
  ASSERT_THAT(partners, IsOk());
  ASSERT_EQ(partners->size(), size_t{1 + kThreads * kPartnersPerThread});
  for (size_t i = 0; i < partners->size(); ++i) {
    EXPECT_EQ((*partners)[i].id, static_cast<int64_t>(i + 1));
  }

  Result<AppTokenPage> page = store_->ListAppTokens(shared.id, AllOf());
  ASSERT_THAT(page, IsOk());
  const int deleted_per_thread = (kTokensPerThread + 2) / 3;
  EXPECT_EQ(page->total_count, kThreads * (kTokensPerThread - deleted_per_thread));
  std::set<std::string> listed;
  for (const AppToken& token : page->objects) {
    listed.insert(token.id);
    EXPECT_EQ(token.description, "updated") << token.id;
    EXPECT_EQ(token.updated_at, kNow + 1000) << token.id;
  }
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kTokensPerThread; ++i) {
      const bool deleted = i % 3 == 0;
      EXPECT_EQ(listed.contains(id_of(t, i)), !deleted) << id_of(t, i);
      EXPECT_EQ(Revoked({key_of(t, i)}), deleted) << key_of(t, i);
    }
  }
}

TEST_P(StoreContractTest, ConcurrentCompareAndSetUpdatesLoseNoIncrement) {
  constexpr int kThreads = 8;
  constexpr int kIncrementsPerThread = 50;
  Partner p = AddPartner();
  AppToken counter = Token(p.id, "0_counter0");
  counter.description = "0";
  ASSERT_THAT(store_->InsertAppToken(counter), IsOk());

  // Each attempt: read, add 1 to the counter in description, compare-and-set.
  const int64_t aborted = RunCasRetryLoops(kThreads, kIncrementsPerThread, [&]() -> Status {
    Result<AppToken> read = store_->GetAppToken(p.id, "0_counter0");
    if (!read.ok()) return read.status();
    AppToken next = *read;
    next.description = std::to_string(Counter(read->description) + 1);
    next.updated_at = read->updated_at + 1;
    return store_->UpdateAppToken(*read, next);
  });

  Result<AppToken> got = store_->GetAppToken(p.id, "0_counter0");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(Counter(got->description), kThreads * kIncrementsPerThread) << aborted << " aborted";
  EXPECT_EQ(got->updated_at, kNow + kThreads * kIncrementsPerThread);
}

}  // namespace
}  // namespace ksgate::store
