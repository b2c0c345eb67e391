#include "services/session_service.h"

#include <gtest/gtest.h>

#include "services/test_fixture.h"

namespace ksgate::services {
namespace {

using SessionServiceTest = ServicesTest;

TEST_F(SessionServiceTest, StartCapsExpiryAtThePartnersMaximum) {
  StartSessionRequest r{
      .secret = "adminA", .user_id = "u1", .type = 2, .partner_id = a_.id, .expiry = 999999};
  Caller c = CallerOf(*sessions_.Start(r));
  EXPECT_EQ(c.parsed.fields.valid_until, kNow + 7200);
  EXPECT_EQ(c.parsed.fields.user, "u1");
  EXPECT_EQ(c.kind, SessionKind::kAdmin);
}

TEST_F(SessionServiceTest, NegativeExpiryGivesAKsBornExpired) {
  StartSessionRequest r{.secret = "adminA", .partner_id = a_.id, .expiry = -10};
  Caller c = CallerOf(*sessions_.Start(r));
  EXPECT_EQ(c.parsed.fields.valid_until, kNow - 10);
  EXPECT_EQ(authenticator_.Validate(c).error().args[0].second, "EXPIRED");
}

TEST_F(SessionServiceTest, AdditionalAdminSecretSignsItsOwnAdminKs) {
  Caller c = CallerOf(StartKs(a_, 2, "adminA2"));
  EXPECT_EQ(c.parsed.secret_index, 1);
  Caller user = CallerOf(StartKs(a_, 0, "adminA2"));
  EXPECT_EQ(user.parsed.secret_index, 0);  // USER sessions are signed with the primary secret
}

TEST_F(SessionServiceTest, UserSecretStartsOnlyUserSessions) {
  EXPECT_EQ(CallerOf(StartKs(a_, 0, "userA")).kind, SessionKind::kUser);
  StartSessionRequest r{.secret = "userA", .type = 2, .partner_id = a_.id};
  EXPECT_EQ(sessions_.Start(r).error().code, "START_SESSION_ERROR");
}

TEST_F(SessionServiceTest, AnotherPartnersSecretIsRejected) {
  StartSessionRequest r{.secret = "adminB", .type = 2, .partner_id = a_.id};
  ApiError e = sessions_.Start(r).error();
  EXPECT_EQ(e.code, "START_SESSION_ERROR");
  EXPECT_EQ(e.args[0].second, std::to_string(a_.id));
}

TEST_F(SessionServiceTest, BlockedPartnerCannotStartSessions) {
  ASSERT_TRUE(store_.SetPartnerStatus(a_.id, store::PartnerStatus::kBlocked, kNow).ok());
  StartSessionRequest r{.secret = "adminA", .type = 2, .partner_id = a_.id};
  EXPECT_EQ(sessions_.Start(r).error().code, "START_SESSION_ERROR");
  EXPECT_EQ(sessions_.StartWidgetSession("_" + std::to_string(a_.id), 60).error().code,
            "SERVICE_FORBIDDEN_CONTENT_BLOCKED");
}

TEST_F(SessionServiceTest, WidgetSessionIsAnAnonymousUserKs) {
  Result<WidgetSession, ApiError> w =
      sessions_.StartWidgetSession("_" + std::to_string(a_.id), 86400);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->partner_id, a_.id);
  EXPECT_EQ(w->user_id, "0");
  Caller c = CallerOf(w->ks);
  EXPECT_EQ(c.kind, SessionKind::kWidget);
  EXPECT_EQ(c.parsed.fields.privileges, "view:*,widget:1");
  EXPECT_EQ(c.parsed.fields.valid_until, kNow + 7200);  // capped by ks_max_expiry
}

TEST_F(SessionServiceTest, KsVersionFollowsThePartner) {
  store::NewPartner p{.name = "v1", .admin_secrets = {"s1"}, .secret = "u1", .ks_version = 1};
  store::Partner v1 = *store_.CreatePartner(p, kNow);
  Caller c = CallerOf(StartKs(v1, 2, "s1"));
  EXPECT_EQ(c.parsed.version, 1);
  EXPECT_EQ(CallerOf(StartKs(a_, 2, "adminA")).parsed.version, 2);
}

TEST_F(SessionServiceTest, GetDescribesAKsWithoutCheckingExpiry) {
  std::string ks = StartKs(a_, 2, "adminA", "privacycontext:x,edit:*");
  clock_.AdvanceSeconds(100000);
  Result<SessionInfo, ApiError> info = sessions_.Get(CallerOf(ks), "");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->partner_id, a_.id);
  EXPECT_EQ(info->session_type, 2);
  EXPECT_EQ(info->expiry, kNow + 7200);
  EXPECT_EQ(info->privileges, "privacycontext:x,edit:*");
  EXPECT_FALSE(info->ks.has_value());
}

TEST_F(SessionServiceTest, GetRejectsAnotherPartnersKs) {
  Caller mine = CallerOf(StartKs(a_, 2, "adminA"));
  ApiError e = sessions_.Get(mine, StartKs(b_, 2, "adminB")).error();
  EXPECT_EQ(e.code, "PARTNER_ACCESS_FORBIDDEN");
  EXPECT_EQ(e.args[1].second, std::to_string(b_.id));
}

TEST_F(SessionServiceTest, EndRevokesTheKsAndItsSessionId) {
  Caller c = CallerOf(StartKs(a_, 0, "adminA", "sessionid:s1"));
  Caller sibling = CallerOf(StartKs(a_, 0, "adminA", "sessionid:s1"));
  Caller other = CallerOf(StartKs(a_, 0, "adminA", "sessionid:s2"));
  ASSERT_TRUE(sessions_.End(c).ok());
  EXPECT_EQ(authenticator_.Validate(c).error().args[0].second, "LOGOUT");
  EXPECT_EQ(authenticator_.Validate(sibling).error().args[0].second, "LOGOUT");
  EXPECT_TRUE(authenticator_.Validate(other).ok());
}

TEST_F(SessionServiceTest, EndWithoutKsDoesNothing) { EXPECT_TRUE(sessions_.End(Caller{}).ok()); }

TEST_F(SessionServiceTest, ParseRejectsTamperedAndForeignKss) {
  std::string ks = StartKs(a_, 2, "adminA");
  std::string tampered = ks;
  tampered[20] = tampered[20] == 'A' ? 'B' : 'A';
  EXPECT_EQ(authenticator_.Parse(tampered).error().code, "INVALID_KS");
  EXPECT_EQ(authenticator_.Parse(ks.substr(0, ks.size() / 2)).error().code, "INVALID_KS");
  ks::KsFields f{.partner_id = b_.id, .valid_until = kNow + 60, .type = 2};
  EXPECT_EQ(authenticator_.Parse(ks::EncodeV2(f, "adminA", {})).error().code, "INVALID_KS");
}

}  // namespace
}  // namespace ksgate::services
