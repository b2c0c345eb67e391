#include "services/partner_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ks/ks.h"
#include "services/test_fixture.h"
#include "testing/matchers.h"

namespace ksgate::services {
namespace {

using ::ksgate::testing::IsOk;
using ::ksgate::testing::IsOkAndHolds;
using ::ksgate::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class PartnerServiceTest : public ServicesTest {
 protected:
  const PartnerService& partners_ = app_.partners();
};

TEST_F(PartnerServiceTest, CreateGivesFreshHexSecrets) {
  Result<store::Partner> p = partners_.Create({"Acme", 1, 3600});
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->name, "Acme");
  EXPECT_EQ(p->ks_version, 1);
  EXPECT_EQ(p->ks_max_expiry, 3600);
  EXPECT_EQ(p->status, store::PartnerStatus::kActive);
  ASSERT_EQ(p->admin_secrets.size(), 1u);
  EXPECT_THAT(p->admin_secrets[0], MatchesRegex("[0-9a-f]{32}"));
  EXPECT_THAT(p->secret, MatchesRegex("[0-9a-f]{32}"));
  EXPECT_NE(p->admin_secrets[0], p->secret);
  Result<store::Partner> q = partners_.Create({"Other"});
  ASSERT_THAT(q, IsOk());
  EXPECT_NE(q->admin_secrets[0], p->admin_secrets[0]);
}

TEST_F(PartnerServiceTest, CreateRefusesValuesOutOfRange) {
  for (const NewPartnerRequest& bad :
       {NewPartnerRequest{""}, NewPartnerRequest{std::string(257, 'x')}, NewPartnerRequest{"x", 3},
        NewPartnerRequest{"x", 2, 0}, NewPartnerRequest{"x", 2, kMaxRelativeSeconds + 1}}) {
    EXPECT_THAT(partners_.Create(bad), StatusIs(StatusCode::kInvalidArgument)) << bad.name;
  }
}

TEST_F(PartnerServiceTest, RotateAddsAPrimaryAndKeepsTheOldSecrets) {
  Result<store::Partner> rotated = partners_.RotateAdminSecret(a_.id);
  ASSERT_THAT(rotated, IsOk());
  ASSERT_EQ(rotated->admin_secrets.size(), 3u);
  EXPECT_THAT(rotated->admin_secrets[0], MatchesRegex("[0-9a-f]{32}"));
  EXPECT_EQ(rotated->admin_secrets[1], "adminA");
  EXPECT_EQ(rotated->admin_secrets[2], "adminA2");
  Result<store::Partner> stored = partners_.Get(a_.id);
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(stored->admin_secrets, rotated->admin_secrets);
  // A KS signed with an old secret still verifies; the new primary signs new KSs.
  EXPECT_THAT(authenticator_.Parse(StartKs(*stored, 2, "adminA2")), IsOk());
}

TEST_F(PartnerServiceTest, RetireKeepsOnlyThePrimary) {
  EXPECT_THAT(partners_.RetireAdminSecrets(a_.id), IsOkAndHolds(1u));
  EXPECT_THAT(partners_.Get(a_.id),
              IsOkAndHolds(Field(&store::Partner::admin_secrets, ElementsAre("adminA"))));
}

TEST_F(PartnerServiceTest, SetStatusBlocksAndUnblocks) {
  ASSERT_THAT(partners_.SetStatus(b_.id, store::PartnerStatus::kBlocked), IsOk());
  EXPECT_THAT(partners_.Get(b_.id),
              IsOkAndHolds(Field(&store::Partner::status, store::PartnerStatus::kBlocked)));
  ASSERT_THAT(partners_.SetStatus(b_.id, store::PartnerStatus::kActive), IsOk());
  EXPECT_THAT(partners_.Get(b_.id),
              IsOkAndHolds(Field(&store::Partner::status, store::PartnerStatus::kActive)));
}

TEST_F(PartnerServiceTest, UnknownPartnerIsNotFoundByNumber) {
  EXPECT_THAT(partners_.Get(999), StatusIs(StatusCode::kNotFound, "no partner 999"));
  EXPECT_THAT(partners_.SetStatus(999, store::PartnerStatus::kBlocked),
              StatusIs(StatusCode::kNotFound, "no partner 999"));
  EXPECT_THAT(partners_.RotateAdminSecret(999),
              StatusIs(StatusCode::kNotFound, HasSubstr("no partner 999")));
  EXPECT_THAT(partners_.RetireAdminSecrets(999), StatusIs(StatusCode::kNotFound));
}

TEST_F(PartnerServiceTest, ListIsById) {
  Result<std::vector<store::Partner>> all = partners_.List();
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, a_.id);
  EXPECT_EQ((*all)[1].id, b_.id);
}

TEST_F(PartnerServiceTest, UpdateSettingsChangesUserSecretSetRoleAlone) {
  EXPECT_EQ(a_.settings.user_secret_setrole, store::UserSecretSetRole::kAllow);
  KSGATE_ASSERT_OK_AND_ASSIGN(store::Partner denied,
                              partners_.UpdateSettings(a_.id, {.app_token_show_once = true}));
  KSGATE_ASSERT_OK_AND_ASSIGN(
      denied,
      partners_.UpdateSettings(a_.id, {.user_secret_setrole = store::UserSecretSetRole::kDeny}));
  EXPECT_EQ(denied.settings.user_secret_setrole, store::UserSecretSetRole::kDeny);
  EXPECT_TRUE(denied.settings.app_token_show_once) << "other settings stay as they are";
  KSGATE_ASSERT_OK_AND_ASSIGN(const store::Partner read, partners_.Get(a_.id));
  EXPECT_EQ(read.settings, denied.settings);
  KSGATE_ASSERT_OK_AND_ASSIGN(const store::Partner other, partners_.Get(b_.id));
  EXPECT_EQ(other.settings.user_secret_setrole, store::UserSecretSetRole::kAllow);
}

TEST_F(PartnerServiceTest, UpdateChangesNameKsVersionAndMaxExpiryForNewSessions) {
  const std::string before = StartKs(a_, 2, "adminA");
  KSGATE_ASSERT_OK_AND_ASSIGN(
      const store::Partner updated,
      partners_.Update(a_.id, {.name = "Acme Renamed", .ks_version = 1, .ks_max_expiry = 600}));
  EXPECT_EQ(updated.name, "Acme Renamed");
  EXPECT_EQ(updated.ks_version, 1);
  EXPECT_EQ(updated.ks_max_expiry, 600);
  EXPECT_EQ(updated.admin_secrets, a_.admin_secrets);
  EXPECT_EQ(updated.settings, a_.settings);

  // New KSs: version 1, no longer than the new maximum.
  const std::string after = StartKs(a_, 2, "adminA");
  KSGATE_ASSERT_OK_AND_ASSIGN(const ks::ParsedKs parsed, ks::Decode(after, a_.admin_secrets));
  EXPECT_EQ(parsed.version, 1);
  EXPECT_EQ(parsed.fields.valid_until, kNow + 600);
  // A KS issued before still verifies.
  EXPECT_THAT(authenticator_.Parse(before), IsOk());
}

TEST_F(PartnerServiceTest, UpdateRefusesValuesOutOfRangeAndWritesNothing) {
  for (const PartnerUpdate& bad :
       {PartnerUpdate{.name = ""}, PartnerUpdate{.name = std::string(257, 'x')},
        PartnerUpdate{.ks_version = 3}, PartnerUpdate{.ks_version = 0},
        PartnerUpdate{.ks_max_expiry = 0}, PartnerUpdate{.ks_max_expiry = -1},
        PartnerUpdate{.name = "fine", .ks_max_expiry = kMaxRelativeSeconds + 1}}) {
    EXPECT_THAT(partners_.Update(a_.id, bad), StatusIs(StatusCode::kInvalidArgument));
  }
  KSGATE_ASSERT_OK_AND_ASSIGN(const store::Partner read, partners_.Get(a_.id));
  EXPECT_EQ(read.name, "A");
  EXPECT_EQ(read.ks_version, a_.ks_version);
  EXPECT_EQ(read.ks_max_expiry, a_.ks_max_expiry);
  EXPECT_EQ(read.updated_at, a_.updated_at);
  // The bounds themselves are accepted.
  EXPECT_THAT(partners_.Update(
                  a_.id, {.name = std::string(256, 'x'), .ks_max_expiry = kMaxRelativeSeconds}),
              IsOk());
  EXPECT_THAT(partners_.Update(999, {.name = "ghost"}),
              StatusIs(StatusCode::kNotFound, "no partner 999"));
}

}  // namespace
}  // namespace ksgate::services
