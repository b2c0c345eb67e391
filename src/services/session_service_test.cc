#include "services/session_service.h"

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
using ::testing::Pair;

using SessionServiceTest = ServicesTest;

TEST_F(SessionServiceTest, StartCapsExpiryAtThePartnersMaximum) {
  StartSessionRequest r{
      .secret = "adminA", .user_id = "u1", .type = 2, .partner_id = a_.id, .expiry = 999999};
  KSGATE_ASSERT_OK_AND_ASSIGN(std::string ks, sessions_.Start(r));
  Caller c = CallerOf(ks);
  EXPECT_EQ(c.parsed().fields.valid_until, kNow + 7200);
  EXPECT_EQ(c.parsed().fields.user, "u1");
  EXPECT_EQ(c.kind, SessionKind::kAdmin);
}

TEST_F(SessionServiceTest, NegativeExpiryGivesAKsBornExpired) {
  StartSessionRequest r{.secret = "adminA", .partner_id = a_.id, .expiry = -10};
  KSGATE_ASSERT_OK_AND_ASSIGN(std::string ks, sessions_.Start(r));
  Caller c = CallerOf(ks);
  EXPECT_EQ(c.parsed().fields.valid_until, kNow - 10);
  EXPECT_THAT(authenticator_.Validate(c), IsInvalidKs("EXPIRED"));
}

TEST_F(SessionServiceTest, AdditionalAdminSecretSignsItsOwnAdminKs) {
  Caller c = CallerOf(StartKs(a_, 2, "adminA2"));
  EXPECT_EQ(c.secret_index, 1);
  Caller user = CallerOf(StartKs(a_, 0, "adminA2"));
  EXPECT_EQ(user.secret_index, 0);  // USER sessions are signed with the primary secret
}

TEST_F(SessionServiceTest, UserSecretStartsOnlyUserSessions) {
  EXPECT_EQ(CallerOf(StartKs(a_, 0, "userA")).kind, SessionKind::kUser);
  StartSessionRequest r{.secret = "userA", .type = 2, .partner_id = a_.id};
  EXPECT_THAT(sessions_.Start(r), ApiErrorIs(errors::kStartSessionError));
}

TEST_F(SessionServiceTest, AnotherPartnersSecretIsRejected) {
  StartSessionRequest r{.secret = "adminB", .type = 2, .partner_id = a_.id};
  EXPECT_THAT(sessions_.Start(r), ApiErrorIs(errors::kStartSessionError,
                                             ElementsAre(Pair("PID", std::to_string(a_.id)))));
}

TEST_F(SessionServiceTest, BlockedPartnerCannotStartSessions) {
  ASSERT_THAT(store_.SetPartnerStatus(a_.id, store::PartnerStatus::kBlocked, kNow), IsOk());
  StartSessionRequest r{.secret = "adminA", .type = 2, .partner_id = a_.id};
  EXPECT_THAT(sessions_.Start(r), ApiErrorIs(errors::kStartSessionError));
  EXPECT_THAT(sessions_.StartWidgetSession("_" + std::to_string(a_.id), 60),
              ApiErrorIs(errors::kServiceForbiddenContentBlocked));
}

TEST_F(SessionServiceTest, WidgetSessionIsAnAnonymousUserKs) {
  Result<WidgetSession, ApiError> w =
      sessions_.StartWidgetSession("_" + std::to_string(a_.id), 86400);
  ASSERT_THAT(w, IsOk());
  EXPECT_EQ(w->partner_id, a_.id);
  EXPECT_EQ(w->user_id, "0");
  Caller c = CallerOf(w->ks);
  EXPECT_EQ(c.kind, SessionKind::kWidget);
  EXPECT_EQ(c.parsed().fields.privileges, "view:*,widget:1");
  EXPECT_EQ(c.parsed().fields.valid_until, kNow + 7200);  // capped by ks_max_expiry
}

TEST_F(SessionServiceTest, KsVersionFollowsThePartner) {
  store::NewPartner p{.name = "v1", .admin_secrets = {"s1"}, .secret = "u1", .ks_version = 1};
  KSGATE_ASSERT_OK_AND_ASSIGN(store::Partner v1, store_.CreatePartner(p, kNow));
  Caller c = CallerOf(StartKs(v1, 2, "s1"));
  EXPECT_EQ(c.parsed().version, 1);
  EXPECT_EQ(CallerOf(StartKs(a_, 2, "adminA")).parsed().version, 2);
}

TEST_F(SessionServiceTest, GetDescribesAKsWithoutCheckingExpiry) {
  std::string ks = StartKs(a_, 2, "adminA", "privacycontext:x,edit:*");
  clock_.AdvanceSeconds(100000);
  Result<SessionInfo, ApiError> info = sessions_.Get(CallerOf(ks), "");
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->partner_id, a_.id);
  EXPECT_EQ(info->session_type, 2);
  EXPECT_EQ(info->expiry, kNow + 7200);
  EXPECT_EQ(info->privileges, "privacycontext:x,edit:*");
  EXPECT_FALSE(info->ks.has_value());
}

TEST_F(SessionServiceTest, GetRejectsAnotherPartnersKs) {
  Caller mine = CallerOf(StartKs(a_, 2, "adminA"));
  EXPECT_THAT(sessions_.Get(mine, StartKs(b_, 2, "adminB")),
              ApiErrorIs(errors::kPartnerAccessForbidden,
                         ElementsAre(_, Pair("ACCESSED_PID", std::to_string(b_.id)))));
}

TEST_F(SessionServiceTest, EndRevokesTheKsAndItsSessionId) {
  Caller c = CallerOf(StartKs(a_, 0, "adminA", "sessionid:s1"));
  Caller sibling = CallerOf(StartKs(a_, 0, "adminA", "sessionid:s1"));
  Caller other = CallerOf(StartKs(a_, 0, "adminA", "sessionid:s2"));
  KSGATE_ASSERT_OK_AND_ASSIGN(const EndedSession ended, sessions_.End(c));
  EXPECT_EQ(ended.ks_hash, c.parsed().hash);
  EXPECT_EQ(ended.ks_valid_until, c.parsed().fields.valid_until);
  EXPECT_EQ(ended.session_id, "s1");
  EXPECT_EQ(ended.session_id_revoked_until, kNow + 86400);
  EXPECT_THAT(authenticator_.Validate(c), IsInvalidKs("LOGOUT"));
  EXPECT_THAT(authenticator_.Validate(sibling), IsInvalidKs("LOGOUT"));
  EXPECT_THAT(authenticator_.Validate(other), IsOk());
}

TEST_F(SessionServiceTest, EndWithoutKsDoesNothing) {
  KSGATE_ASSERT_OK_AND_ASSIGN(const EndedSession ended, sessions_.End(Caller{}));
  EXPECT_EQ(ended.ks_hash, "");
  EXPECT_EQ(ended.session_id, std::nullopt);
}

TEST_F(SessionServiceTest, RevokeSessionIdRefusesEveryKsOfThatSessionIdOnly) {
  Caller one = CallerOf(StartKs(a_, 0, "adminA", "sessionid:s1"));
  Caller two = CallerOf(StartKs(a_, 2, "adminA", "sessionid:s1"));
  Caller other = CallerOf(StartKs(a_, 0, "adminA", "sessionid:s2"));
  Caller other_partner = CallerOf(StartKs(b_, 0, "adminB", "sessionid:s1"));
  EXPECT_THAT(sessions_.RevokeSessionId(a_.id, "s1"), IsOkAndHolds(kNow + kMaxRelativeSeconds));
  EXPECT_THAT(authenticator_.Validate(one), IsInvalidKs("LOGOUT"));
  EXPECT_THAT(authenticator_.Validate(two), IsInvalidKs("LOGOUT"));
  EXPECT_THAT(authenticator_.Validate(other), IsOk());
  EXPECT_THAT(authenticator_.Validate(other_partner), IsOk()) << "keys are per partner";
  // Outlives the longest KS issued now.
  clock_.AdvanceSeconds(kMaxRelativeSeconds - 1);
  EXPECT_THAT(authenticator_.IsRevoked(one), IsOkAndHolds(true));
}

TEST_F(SessionServiceTest, RevokeSessionIdRefusesAnEmptyOrOverlongId) {
  for (const std::string& bad : {std::string(), std::string(kMaxSessionIdLength + 1, 's')}) {
    EXPECT_THAT(
        sessions_.RevokeSessionId(a_.id, bad),
        ApiErrorIs(errors::kInvalidFieldValue, ElementsAre(Pair("FIELD_NAME", "sessionId"))));
  }
  EXPECT_THAT(sessions_.RevokeSessionId(a_.id, std::string(kMaxSessionIdLength, 's')), IsOk());
}

TEST_F(SessionServiceTest, ParseRejectsTamperedAndForeignKss) {
  std::string ks = StartKs(a_, 2, "adminA");
  std::string tampered = ks;
  tampered[20] = tampered[20] == 'A' ? 'B' : 'A';
  EXPECT_THAT(authenticator_.Parse(tampered), ApiErrorIs(errors::kInvalidKs));
  EXPECT_THAT(authenticator_.Parse(ks.substr(0, ks.size() / 2)), ApiErrorIs(errors::kInvalidKs));
  ks::KsFields f{.partner_id = b_.id, .valid_until = kNow + 60, .type = 2};
  EXPECT_THAT(authenticator_.Parse(ks::EncodeV2(f, "adminA", {})), ApiErrorIs(errors::kInvalidKs));
}

// Kaltura lets the user secret start a USER session that sets any role, PARTNER_ADMIN_ROLE
// included (which can list every app token's value). A partner may refuse it.
TEST_F(SessionServiceTest, UserSecretSetRoleIsAllowedUnlessThePartnerDeniesIt) {
  StartSessionRequest escalate{.secret = "userA",
                               .type = 0,
                               .partner_id = a_.id,
                               .privileges = "setrole:PARTNER_ADMIN_ROLE"};
  KSGATE_ASSERT_OK_AND_ASSIGN(std::string ks, sessions_.Start(escalate));
  KSGATE_ASSERT_OK_AND_ASSIGN(PermissionSet p, authorizer_.Permissions(CallerOf(ks)));
  EXPECT_TRUE(authorizer_.Allows(p, "apptoken.list"));

  store::PartnerSettings deny;
  deny.user_secret_setrole = store::UserSecretSetRole::kDeny;
  ASSERT_THAT(store_.SetPartnerSettings(a_.id, deny, kNow), IsOk());
  EXPECT_THAT(sessions_.Start(escalate), ApiErrorIs(errors::kInvalidSetRole));
  StartSessionRequest by_id = escalate;
  by_id.privileges = "setrole:1";
  EXPECT_THAT(sessions_.Start(by_id), ApiErrorIs(errors::kInvalidSetRole));
  StartSessionRequest second_value = escalate;
  second_value.privileges = "setrole:BASE_USER_SESSION_ROLE/PARTNER_ADMIN_ROLE";
  EXPECT_THAT(sessions_.Start(second_value), ApiErrorIs(errors::kInvalidSetRole));
  // Roles within a user's actions, and the admin secret, still work.
  StartSessionRequest playback = escalate;
  playback.privileges = "setrole:PLAYBACK_BASE_ROLE";
  EXPECT_THAT(sessions_.Start(playback), IsOk());
  StartSessionRequest plain = escalate;
  plain.privileges = "";
  EXPECT_THAT(sessions_.Start(plain), IsOk());
  StartSessionRequest admin = escalate;
  admin.secret = "adminA";
  EXPECT_THAT(sessions_.Start(admin), IsOk());
  // Partner B is untouched.
  StartSessionRequest other = escalate;
  other.secret = "userB";
  other.partner_id = b_.id;
  EXPECT_THAT(sessions_.Start(other), IsOk());
}

TEST_F(SessionServiceTest, WrongSecretsFromOneAddressAreBlockedAndOthersAreNot) {
  StartSessionRequest wrong{.secret = "guess", .type = 2, .partner_id = a_.id};
  wrong.client_ip = "192.0.2.7";
  for (int i = 0; i < 100; ++i) {
    ASSERT_THAT(sessions_.Start(wrong), ApiErrorIs(errors::kStartSessionError)) << i;
  }
  EXPECT_THAT(sessions_.Start(wrong),
              ApiErrorIs(errors::kActionBlocked, ElementsAre(Pair("ACTION_NAME", "start"),
                                                             Pair("SERVICE_NAME", "session"))));
  StartSessionRequest right = wrong;
  right.secret = "adminA";
  EXPECT_THAT(sessions_.Start(right), ApiErrorIs(errors::kActionBlocked));
  right.client_ip = "192.0.2.8";
  EXPECT_THAT(sessions_.Start(right), IsOk());
}

TEST_F(SessionServiceTest, UnknownPartnersCountAsFailuresOfTheAddress) {
  StartSessionRequest unknown{.secret = "guess", .type = 2, .partner_id = 9999};
  unknown.client_ip = "192.0.2.9";
  for (int i = 0; i < 100; ++i) {
    unknown.partner_id = 9999 + i;
    ASSERT_THAT(sessions_.Start(unknown), ApiErrorIs(errors::kStartSessionError)) << i;
  }
  EXPECT_THAT(sessions_.Start(unknown), ApiErrorIs(errors::kActionBlocked));
  EXPECT_EQ(app_.failure_limiter().SizeForTesting(LimitScope::kPartner), 0u);
}

}  // namespace
}  // namespace ksgate::services
