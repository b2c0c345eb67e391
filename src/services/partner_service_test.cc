#include "services/partner_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/test_fixture.h"

namespace ksgate::services {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class PartnerServiceTest : public ServicesTest {
 protected:
  const PartnerService& partners_ = app_.partners();
};

TEST_F(PartnerServiceTest, CreateGivesFreshHexSecrets) {
  Result<store::Partner> p = partners_.Create({"Acme", 1, 3600});
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_EQ(p->name, "Acme");
  EXPECT_EQ(p->ks_version, 1);
  EXPECT_EQ(p->ks_max_expiry, 3600);
  EXPECT_EQ(p->status, store::PartnerStatus::kActive);
  ASSERT_EQ(p->admin_secrets.size(), 1u);
  EXPECT_THAT(p->admin_secrets[0], MatchesRegex("[0-9a-f]{32}"));
  EXPECT_THAT(p->secret, MatchesRegex("[0-9a-f]{32}"));
  EXPECT_NE(p->admin_secrets[0], p->secret);
  Result<store::Partner> q = partners_.Create({"Other"});
  ASSERT_TRUE(q.ok());
  EXPECT_NE(q->admin_secrets[0], p->admin_secrets[0]);
}

TEST_F(PartnerServiceTest, CreateRefusesValuesOutOfRange) {
  for (const NewPartnerRequest& bad :
       {NewPartnerRequest{""}, NewPartnerRequest{std::string(257, 'x')}, NewPartnerRequest{"x", 3},
        NewPartnerRequest{"x", 2, 0}, NewPartnerRequest{"x", 2, kMaxRelativeSeconds + 1}}) {
    Result<store::Partner> p = partners_.Create(bad);
    ASSERT_FALSE(p.ok()) << bad.name;
    EXPECT_EQ(p.error().code(), StatusCode::kInvalidArgument);
  }
}

TEST_F(PartnerServiceTest, RotateAddsAPrimaryAndKeepsTheOldSecrets) {
  Result<store::Partner> rotated = partners_.RotateAdminSecret(a_.id);
  ASSERT_TRUE(rotated.ok());
  ASSERT_EQ(rotated->admin_secrets.size(), 3u);
  EXPECT_THAT(rotated->admin_secrets[0], MatchesRegex("[0-9a-f]{32}"));
  EXPECT_EQ(rotated->admin_secrets[1], "adminA");
  EXPECT_EQ(rotated->admin_secrets[2], "adminA2");
  Result<store::Partner> stored = partners_.Get(a_.id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->admin_secrets, rotated->admin_secrets);
  // A KS signed with an old secret still verifies; the new primary signs new KSs.
  EXPECT_TRUE(authenticator_.Parse(StartKs(*stored, 2, "adminA2")).ok());
}

TEST_F(PartnerServiceTest, RetireKeepsOnlyThePrimary) {
  Result<size_t> retired = partners_.RetireAdminSecrets(a_.id);
  ASSERT_TRUE(retired.ok());
  EXPECT_EQ(*retired, 1u);
  Result<store::Partner> stored = partners_.Get(a_.id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->admin_secrets, std::vector<std::string>{"adminA"});
}

TEST_F(PartnerServiceTest, SetStatusBlocksAndUnblocks) {
  ASSERT_TRUE(partners_.SetStatus(b_.id, store::PartnerStatus::kBlocked).ok());
  Result<store::Partner> blocked = partners_.Get(b_.id);
  ASSERT_TRUE(blocked.ok());
  EXPECT_EQ(blocked->status, store::PartnerStatus::kBlocked);
  ASSERT_TRUE(partners_.SetStatus(b_.id, store::PartnerStatus::kActive).ok());
  EXPECT_EQ(partners_.Get(b_.id)->status, store::PartnerStatus::kActive);
}

TEST_F(PartnerServiceTest, UnknownPartnerIsNotFoundByNumber) {
  const Status get = partners_.Get(999).status();
  EXPECT_EQ(get.code(), StatusCode::kNotFound);
  EXPECT_EQ(get.message(), "no partner 999");
  EXPECT_EQ(partners_.SetStatus(999, store::PartnerStatus::kBlocked).message(), "no partner 999");
  EXPECT_THAT(partners_.RotateAdminSecret(999).status().message(), HasSubstr("no partner 999"));
  EXPECT_EQ(partners_.RetireAdminSecrets(999).status().code(), StatusCode::kNotFound);
}

TEST_F(PartnerServiceTest, ListIsById) {
  Result<std::vector<store::Partner>> all = partners_.List();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, a_.id);
  EXPECT_EQ((*all)[1].id, b_.id);
}

}  // namespace
}  // namespace ksgate::services
