// ksgate's app token controls beyond Kaltura (docs/apptokens.md), at the service level:
// disable/enable, rotation with grace, the exchange policy, the privilege ceiling, session
// cut-offs and the partner settings.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>

#include "ks/crypto.h"
#include "services/app_token_service.h"
#include "services/test_fixture.h"
#include "testing/matchers.h"

namespace ksgate::services {
namespace {

using ::ksgate::testing::ApiErrorIs;
using ::ksgate::testing::IsOk;
using ::ksgate::testing::IsOkAndHolds;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::Optional;
using ::testing::Pair;

class AppTokenControlsTest : public ServicesTest {
 protected:
  store::AppToken Add(AppTokenPatch patch = {}) {
    Result<store::AppToken, ApiError> t = tokens_.Add(a_, patch);
    EXPECT_THAT(t, IsOk());
    return t.ok() ? *t : store::AppToken{};
  }

  // appToken.startSession from a fresh widget KS of partner A, hashed over `value` (the token's
  // own by default) and coming from `ip`.
  Result<SessionInfo, ApiError> Start(const store::AppToken& t, StartAppTokenSessionRequest r = {},
                                      const std::string& value = "") {
    const std::string widget = WidgetKs(a_);
    r.id = t.id;
    r.token_hash =
        ks::HexDigest(ks::HashAlgorithm::kSha256, widget + (value.empty() ? t.token : value));
    if (r.client_ip.empty()) r.client_ip = "192.0.2.10";
    return tokens_.StartSession(CallerOf(widget), r);
  }

  std::string MintedKs(const store::AppToken& t) {
    Result<SessionInfo, ApiError> info = Start(t);
    EXPECT_THAT(info, IsOk());
    return info.ok() ? info->ks.value_or("") : "";
  }

  Result<Void, ApiError> Validate(const std::string& ks) {
    return authenticator_.Validate(CallerOf(ks));
  }

  // A USER KS of partner A for `user` from session.start.
  std::string UserKs(const std::string& user) {
    StartSessionRequest r;
    r.partner_id = a_.id;
    r.secret = "userA";
    r.user_id = user;
    Result<std::string, ApiError> ks = sessions_.Start(r);
    EXPECT_THAT(ks, IsOk());
    return ks.ok() ? *ks : "";
  }

  void SetSettings(const store::PartnerSettings& settings) {
    ASSERT_THAT(store_.SetPartnerSettings(a_.id, settings, kNow), IsOk());
    KSGATE_ASSERT_OK_AND_ASSIGN(a_, store_.GetPartner(a_.id));
  }
};

auto Status(store::AppTokenStatus status) {
  return IsOkAndHolds(Field(&store::AppToken::status, status));
}

// --- Disable and enable ------------------------------------------------------------------------

TEST_F(AppTokenControlsTest, ADisabledTokenStartsNoSessionAndItsKssStopUntilEnabled) {
  const store::AppToken t = Add();
  const std::string ks = MintedKs(t);
  ASSERT_THAT(Validate(ks), IsOk());

  EXPECT_THAT(tokens_.SetEnabled(a_.id, t.id, false), Status(store::AppTokenStatus::kDisabled));
  EXPECT_THAT(Start(t), ApiErrorIs(errors::kAppTokenNotActive));
  EXPECT_THAT(Validate(ks), IsInvalidKs("APP_TOKEN_DISABLED"));
  EXPECT_THAT(tokens_.SetEnabled(a_.id, t.id, false), Status(store::AppTokenStatus::kDisabled))
      << "disabling twice is no error";

  EXPECT_THAT(tokens_.SetEnabled(a_.id, t.id, true), Status(store::AppTokenStatus::kActive));
  EXPECT_THAT(Validate(ks), IsOk());
  EXPECT_THAT(Start(t), IsOk());
}

TEST_F(AppTokenControlsTest, DisableFindsOnlyThePartnersLiveTokens) {
  const store::AppToken t = Add();
  EXPECT_THAT(tokens_.SetEnabled(b_.id, t.id, false), ApiErrorIs(errors::kAppTokenIdNotFound));
  ASSERT_THAT(tokens_.Delete(a_.id, t.id), IsOk());
  EXPECT_THAT(tokens_.SetEnabled(a_.id, t.id, true), ApiErrorIs(errors::kAppTokenIdNotFound));
}

TEST_F(AppTokenControlsTest, StatusStaysReadOnlyThroughUpdate) {
  const store::AppToken t = Add();
  EXPECT_THAT(tokens_.Update(a_, t.id, {.status = Patch<int>::Of(1)}),
              ApiErrorIs(errors::kPropertyValidationNotUpdatable));
}

// --- Rotation ----------------------------------------------------------------------------------

TEST_F(AppTokenControlsTest, RotationKeepsTheOldValueForTheGracePeriodOnly) {
  const store::AppToken old = Add();
  const std::string minted_before = MintedKs(old);
  KSGATE_ASSERT_OK_AND_ASSIGN(const store::AppToken rotated,
                              tokens_.Rotate(a_, old.id, {.grace_seconds = 60}));
  EXPECT_NE(rotated.token, old.token);
  EXPECT_EQ(rotated.token.size(), 32u);
  EXPECT_EQ(rotated.id, old.id);
  EXPECT_EQ(rotated.previous_token_until, kNow + 60);
  EXPECT_THAT(tokens_.Get(a_.id, old.id), IsOkAndHolds(rotated));

  EXPECT_THAT(Start(rotated), IsOk());
  EXPECT_THAT(Start(rotated, {}, old.token), IsOk()) << "within the grace period";
  clock_.AdvanceSeconds(59);
  EXPECT_THAT(Start(rotated, {}, old.token), IsOk());
  clock_.AdvanceSeconds(1);
  EXPECT_THAT(Start(rotated, {}, old.token), ApiErrorIs(errors::kInvalidAppTokenHash));
  EXPECT_THAT(Start(rotated), IsOk());
  EXPECT_THAT(Validate(minted_before), IsOk()) << "KSs already minted are unaffected";
}

TEST_F(AppTokenControlsTest, RotationWithoutGraceStopsTheOldValueAtOnce) {
  const store::AppToken old = Add();
  KSGATE_ASSERT_OK_AND_ASSIGN(const store::AppToken rotated, tokens_.Rotate(a_, old.id, {}));
  EXPECT_EQ(rotated.previous_token, std::nullopt);
  EXPECT_THAT(Start(rotated, {}, old.token), ApiErrorIs(errors::kInvalidAppTokenHash));
  // A second rotation drops the grace of the first.
  KSGATE_ASSERT_OK_AND_ASSIGN(const store::AppToken second,
                              tokens_.Rotate(a_, old.id, {.grace_seconds = 30}));
  KSGATE_ASSERT_OK_AND_ASSIGN(const store::AppToken third, tokens_.Rotate(a_, old.id, {}));
  EXPECT_THAT(Start(third, {}, second.token), ApiErrorIs(errors::kInvalidAppTokenHash));
  EXPECT_THAT(Start(third), IsOk());
}

TEST_F(AppTokenControlsTest, RotationCanRevokeTheKssAlreadyMinted) {
  const store::AppToken old = Add();
  const std::string minted_before = MintedKs(old);
  KSGATE_ASSERT_OK_AND_ASSIGN(const store::AppToken rotated,
                              tokens_.Rotate(a_, old.id, {.revoke_sessions = true}));
  EXPECT_THAT(Validate(minted_before), IsInvalidKs("LOGOUT"));
  clock_.AdvanceSeconds(1);
  EXPECT_THAT(Validate(MintedKs(rotated)), IsOk()) << "KSs minted afterwards work";
}

TEST_F(AppTokenControlsTest, RotationChecksTheGracePeriod) {
  const store::AppToken t = Add();
  EXPECT_THAT(tokens_.Rotate(a_, t.id, {.grace_seconds = -1}),
              ApiErrorIs(errors::kPropertyValidationMinValue));
  EXPECT_THAT(tokens_.Rotate(a_, t.id, {.grace_seconds = kMaxRelativeSeconds + 1}),
              ApiErrorIs(errors::kPropertyValidationMaxValue));
  EXPECT_THAT(tokens_.Rotate(b_, t.id, {}), ApiErrorIs(errors::kAppTokenIdNotFound));
}

// --- Exchange policy ---------------------------------------------------------------------------

TEST_F(AppTokenControlsTest, ASessionCapCountsOnlySessionsStarted) {
  const store::AppToken t = Add({.max_sessions = Patch<int64_t>::Of(2)});
  EXPECT_EQ(t.max_sessions, 2);
  EXPECT_THAT(Start(t, {}, "00000000000000000000000000000000"),
              ApiErrorIs(errors::kInvalidAppTokenHash));
  EXPECT_THAT(Start(t), IsOk());
  EXPECT_THAT(Start(t), IsOk());
  EXPECT_THAT(Start(t), ApiErrorIs(errors::kAppTokenUsageExceeded, ElementsAre(Pair("ID", t.id))));
  // Raising the cap lets more start; clearing it removes it.
  ASSERT_THAT(tokens_.Update(a_, t.id, {.max_sessions = Patch<int64_t>::Of(3)}), IsOk());
  EXPECT_THAT(Start(t), IsOk());
  EXPECT_THAT(Start(t), ApiErrorIs(errors::kAppTokenUsageExceeded));
  ASSERT_THAT(tokens_.Update(a_, t.id, {.max_sessions = Patch<int64_t>::Null()}), IsOk());
  EXPECT_THAT(Start(t), IsOk());
}

TEST_F(AppTokenControlsTest, ExchangesMustComeFromTheAllowedBlocks) {
  const store::AppToken t =
      Add({.allowed_cidrs = Patch<std::string>::Of(" 10.1.2.3/8 , 2001:db8::/32,192.0.2.7")});
  EXPECT_EQ(t.allowed_cidrs, "10.0.0.0/8,2001:db8::/32,192.0.2.7/32");
  EXPECT_THAT(Start(t, {.client_ip = "10.200.0.1"}), IsOk());
  EXPECT_THAT(Start(t, {.client_ip = "2001:db8::5"}), IsOk());
  EXPECT_THAT(Start(t, {.client_ip = "192.0.2.7"}), IsOk());
  EXPECT_THAT(Start(t, {.client_ip = "192.0.2.8"}),
              ApiErrorIs(errors::kAppTokenIpNotAllowed,
                         ElementsAre(Pair("ID", t.id), Pair("IP", "192.0.2.8"))));
  EXPECT_THAT(Start(t, {.client_ip = "not an ip"}), ApiErrorIs(errors::kAppTokenIpNotAllowed));
}

TEST_F(AppTokenControlsTest, PolicyValuesAreChecked) {
  EXPECT_THAT(
      tokens_.Add(a_, {.allowed_cidrs = Patch<std::string>::Of("10.0.0.0/33")}),
      ApiErrorIs(errors::kInvalidFieldValue, ElementsAre(Pair("FIELD_NAME", "allowedCidrs"))));
  EXPECT_THAT(tokens_.Add(a_, {.allowed_cidrs = Patch<std::string>::Of("")}),
              ApiErrorIs(errors::kInvalidFieldValue));
  EXPECT_THAT(tokens_.Add(a_, {.max_sessions = Patch<int64_t>::Of(-1)}),
              ApiErrorIs(errors::kPropertyValidationMinValue));
  EXPECT_THAT(tokens_.Add(a_, {.exchanges_per_minute = Patch<int64_t>::Of(0)}),
              ApiErrorIs(errors::kPropertyValidationMinValue));
  EXPECT_THAT(tokens_.Add(a_, {.max_session_expiry = Patch<int64_t>::Of(kMaxRelativeSeconds + 1)}),
              ApiErrorIs(errors::kPropertyValidationMaxValue));
}

TEST_F(AppTokenControlsTest, TheRateLimitBlocksExchangesPastItOnThisNode) {
  const store::AppToken t = Add({.exchanges_per_minute = Patch<int64_t>::Of(2)});
  EXPECT_THAT(Start(t), IsOk());
  EXPECT_THAT(Start(t), IsOk());
  EXPECT_THAT(Start(t),
              ApiErrorIs(errors::kActionBlocked, ElementsAre(Pair("ACTION_NAME", "startSession"),
                                                             Pair("SERVICE_NAME", "appToken"))));
  // A wrong hash is refused before the limit: it takes nothing from the bucket.
  clock_.AdvanceSeconds(30);
  EXPECT_THAT(Start(t, {}, "00000000000000000000000000000000"),
              ApiErrorIs(errors::kInvalidAppTokenHash));
  EXPECT_THAT(Start(t), IsOk());
  EXPECT_THAT(Start(t), ApiErrorIs(errors::kActionBlocked));
}

TEST_F(AppTokenControlsTest, TheExpiryCapBoundsEveryKsTheTokenGives) {
  const store::AppToken t = Add({.max_session_expiry = Patch<int64_t>::Of(600)});
  EXPECT_THAT(Start(t), IsOkAndHolds(Field(&SessionInfo::expiry, kNow + 600)));
  EXPECT_THAT(Start(t, {.expiry = 3600}), IsOkAndHolds(Field(&SessionInfo::expiry, kNow + 600)));
  EXPECT_THAT(Start(t, {.expiry = 100}), IsOkAndHolds(Field(&SessionInfo::expiry, kNow + 100)));
  EXPECT_EQ(t.session_duration, 7200) << "the token's own duration is unchanged";
}

// --- Privilege ceiling -------------------------------------------------------------------------

class PrivilegeCeilingTest : public AppTokenControlsTest {
 protected:
  void SetUp() override {
    AppTokenControlsTest::SetUp();
    UserRolePatch role;
    role.name = Patch<std::string>::Of("Minter");
    role.system_name = Patch<std::string>::Of("MINTER");
    role.permission_names = Patch<std::string>::Of(
        "APP_TOKEN_ADD,APP_TOKEN_UPDATE,APP_TOKEN_ROTATE,PLAYBACK_BASE_PERMISSION,"
        "WIDGET_SESSION_PERMISSION");
    ASSERT_THAT(roles_.Add(a_.id, role), IsOk());
    minter_ = CallerOf(StartKs(a_, 2, "adminA", "setrole:MINTER"));
    admin_ = CallerOf(StartKs(a_, 2, "adminA"));
  }

  static AppTokenPatch Playback() {
    return {.session_type = Patch<int>::Of(0),
            .session_privileges = Patch<std::string>::Of("setrole:PLAYBACK_BASE_ROLE")};
  }

  Caller minter_;
  Caller admin_;
};

auto Exceeds(const std::string& permission) {
  return ApiErrorIs(errors::kAppTokenExceedsCallerRole,
                    ElementsAre(Pair("PERMISSION", permission)));
}

TEST_F(PrivilegeCeilingTest, OffByDefaultAnyCallerMayMintAnyToken) {
  EXPECT_THAT(tokens_.Add(a_, {.session_type = Patch<int>::Of(2)}, &minter_), IsOk());
  EXPECT_THAT(
      tokens_.Add(a_, {.session_privileges = Patch<std::string>::Of("setrole:PARTNER_ADMIN_ROLE")},
                  &minter_),
      IsOk());
}

TEST_F(PrivilegeCeilingTest, OnACallerMayNotMintMoreThanItsRole) {
  SetSettings({.app_token_privilege_ceiling = true});
  // The issue's example: an ADMIN token with setrole:PARTNER_ADMIN_ROLE. PARTNER_ADMIN_ROLE has
  // every permission; the first the minter lacks is reported.
  EXPECT_THAT(
      tokens_.Add(a_,
                  {.session_type = Patch<int>::Of(2),
                   .session_privileges = Patch<std::string>::Of("setrole:PARTNER_ADMIN_ROLE")},
                  &minter_),
      Exceeds("BASE_USER_SESSION_PERMISSION"));
  // An ADMIN token without a setrole mints PARTNER_ADMIN_ROLE KSs; so does one without a
  // session type (the startSession caller may ask for ADMIN).
  EXPECT_THAT(tokens_.Add(a_, {.session_type = Patch<int>::Of(2)}, &minter_),
              Exceeds("BASE_USER_SESSION_PERMISSION"));
  EXPECT_THAT(tokens_.Add(a_, {}, &minter_), Exceeds("BASE_USER_SESSION_PERMISSION"));
  // A setrole the startSession caller may replace counts as every permission.
  EXPECT_THAT(tokens_.Add(a_,
                          {.session_type = Patch<int>::Of(0),
                           .session_privileges = Patch<std::string>::Of("setrole:*")},
                          &minter_),
              Exceeds("BASE_USER_SESSION_PERMISSION"));
  // Within the role: a playback token, or one with the minter's own role.
  KSGATE_ASSERT_OK_AND_ASSIGN(const store::AppToken playback,
                              tokens_.Add(a_, Playback(), &minter_));
  EXPECT_THAT(tokens_.Add(a_,
                          {.session_type = Patch<int>::Of(0),
                           .session_privileges = Patch<std::string>::Of("setrole:MINTER")},
                          &minter_),
              IsOk());
  // Update checks the token as updated, and rotation (which hands out the value) checks too.
  EXPECT_THAT(
      tokens_.Update(a_, playback.id,
                     {.session_privileges = Patch<std::string>::Of("setrole:PARTNER_ADMIN_ROLE")},
                     &minter_),
      Exceeds("BASE_USER_SESSION_PERMISSION"));
  EXPECT_THAT(tokens_.Get(a_.id, playback.id), IsOkAndHolds(playback)) << "nothing written";
  EXPECT_THAT(tokens_.Update(a_, playback.id,
                             {.description = Patch<std::string>::Of("still playback")}, &minter_),
              IsOk());
  EXPECT_THAT(tokens_.Rotate(a_, playback.id, {}, &minter_), IsOk());
}

TEST_F(PrivilegeCeilingTest, TheAdminSecretsSessionKeepsFullPower) {
  SetSettings({.app_token_privilege_ceiling = true});
  KSGATE_ASSERT_OK_AND_ASSIGN(
      const store::AppToken admin_token,
      tokens_.Add(a_,
                  {.session_type = Patch<int>::Of(2),
                   .session_privileges = Patch<std::string>::Of("setrole:PARTNER_ADMIN_ROLE")},
                  &admin_));
  EXPECT_THAT(tokens_.Rotate(a_, admin_token.id, {}, &minter_),
              Exceeds("BASE_USER_SESSION_PERMISSION"))
      << "a weaker caller may not take a stronger token's value by rotating it";
  EXPECT_THAT(tokens_.Rotate(a_, admin_token.id, {}, &admin_), IsOk());
  // The operator (no caller: the CLI) is not limited either.
  EXPECT_THAT(tokens_.Add(a_, {.session_type = Patch<int>::Of(2)}), IsOk());
}

TEST_F(PrivilegeCeilingTest, TokenPermissionsFollowTheRoleTheKssWouldGet) {
  store::AppToken t;
  t.id = "0_perms000";
  t.partner_id = a_.id;
  t.session_type = 0;
  const PermissionCatalogue& catalogue = authorizer_.catalogue();
  auto has = [&](const PermissionSet& set, const char* name) {
    return set.test(*catalogue.Find(name));
  };
  // USER without setrole: BASE_USER_SESSION_ROLE.
  KSGATE_ASSERT_OK_AND_ASSIGN(PermissionSet user, TokenPermissions(authorizer_, a_, t));
  EXPECT_TRUE(has(user, "BASE_USER_SESSION_PERMISSION"));
  EXPECT_FALSE(has(user, "APP_TOKEN_ADD"));
  // A restrictingrole removes permissions, unless the caller may replace it.
  t.session_privileges = "setrole:PLAYBACK_BASE_ROLE,restrictingrole:WIDGET_SESSION_ROLE";
  KSGATE_ASSERT_OK_AND_ASSIGN(PermissionSet restricted, TokenPermissions(authorizer_, a_, t));
  EXPECT_TRUE(has(restricted, "PLAYBACK_BASE_PERMISSION"));
  EXPECT_FALSE(has(restricted, "WIDGET_SESSION_PERMISSION"));
  t.session_privileges = "setrole:PLAYBACK_BASE_ROLE,restrictingrole:*";
  KSGATE_ASSERT_OK_AND_ASSIGN(PermissionSet replaceable, TokenPermissions(authorizer_, a_, t));
  EXPECT_TRUE(has(replaceable, "WIDGET_SESSION_PERMISSION"));
  // A role that does not exist grants nothing but what everyone has.
  t.session_privileges = "setrole:NO_SUCH_ROLE";
  KSGATE_ASSERT_OK_AND_ASSIGN(PermissionSet none, TokenPermissions(authorizer_, a_, t));
  EXPECT_TRUE(none.none());
}

// --- Session cut-offs --------------------------------------------------------------------------

TEST_F(AppTokenControlsTest, RevokingATokensSessionsRefusesTheKssMintedBefore) {
  const store::AppToken t = Add();
  const std::string early = MintedKs(t);
  clock_.AdvanceSeconds(10);
  const std::string later = MintedKs(t);
  EXPECT_THAT(tokens_.RevokeSessions(a_.id, {.token_id = t.id, .issued_before = kNow + 5}),
              IsOkAndHolds(Field(&RevokedSessions::issued_before, Optional(kNow + 5))));
  EXPECT_THAT(Validate(early), IsInvalidKs("LOGOUT"));
  EXPECT_THAT(Validate(later), IsOk());
  EXPECT_THAT(tokens_.Get(a_.id, t.id),
              IsOkAndHolds(Field(&store::AppToken::sessions_revoked_before, Optional(kNow + 5))));

  // The default cut-off is the end of this second: every KS minted so far.
  EXPECT_THAT(tokens_.RevokeSessions(a_.id, {.token_id = t.id}),
              IsOkAndHolds(Field(&RevokedSessions::issued_before, Optional(kNow + 10 + 1))));
  EXPECT_THAT(Validate(later), IsInvalidKs("LOGOUT"));
  // A cut-off never moves back.
  ASSERT_THAT(tokens_.RevokeSessions(a_.id, {.token_id = t.id, .issued_before = kNow}), IsOk());
  EXPECT_THAT(Validate(later), IsInvalidKs("LOGOUT"));
  clock_.AdvanceSeconds(1);
  EXPECT_THAT(Validate(MintedKs(t)), IsOk()) << "the token itself keeps working";
}

TEST_F(AppTokenControlsTest, RevokingAUsersSessionsRefusesEveryKsOfThatUser) {
  const std::string alice = UserKs("alice");
  const std::string bob = UserKs("bob");
  // A KS without an issue time (minted by Kaltura, say) counts as older than any cut-off.
  ks::KsFields fields;
  fields.valid_until = kNow + 600;
  fields.user = "alice";
  fields.additional_data = "from elsewhere";
  const std::string foreign = issuer_.Issue(a_, fields);
  ASSERT_THAT(Validate(foreign), IsOk());

  ASSERT_THAT(tokens_.RevokeSessions(a_.id, {.user_id = "alice"}), IsOk());
  EXPECT_THAT(Validate(alice), IsInvalidKs("LOGOUT"));
  EXPECT_THAT(Validate(foreign), IsInvalidKs("LOGOUT"));
  EXPECT_THAT(Validate(bob), IsOk());
  clock_.AdvanceSeconds(1);
  EXPECT_THAT(Validate(UserKs("alice")), IsOk()) << "the user may start new sessions";
  // App-token KSs carry the token's user.
  const store::AppToken t = Add({.session_user_id = Patch<std::string>::Of("carol")});
  const std::string carol = MintedKs(t);
  ASSERT_THAT(tokens_.RevokeSessions(a_.id, {.user_id = "carol"}), IsOk());
  EXPECT_THAT(Validate(carol), IsInvalidKs("LOGOUT"));
  // Another partner's user of the same name is another user.
  ASSERT_THAT(tokens_.RevokeSessions(b_.id, {.user_id = "bob"}), IsOk());
  EXPECT_THAT(Validate(bob), IsOk());
}

TEST_F(AppTokenControlsTest, RevokingOneKsByItsHash) {
  const std::string one = UserKs("dave");
  const std::string other = UserKs("dave");
  std::string hash = CallerOf(one).parsed().hash;
  for (char& c : hash) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  KSGATE_ASSERT_OK_AND_ASSIGN(const RevokedSessions revoked,
                              tokens_.RevokeSessions(a_.id, {.ks_hash = hash}));
  EXPECT_EQ(revoked.ks_hash, CallerOf(one).parsed().hash) << "hex in any case, stored lowercase";
  EXPECT_EQ(revoked.revoked_until, kNow + kMaxRelativeSeconds);
  EXPECT_EQ(revoked.issued_before, std::nullopt);
  EXPECT_THAT(Validate(one), IsInvalidKs("LOGOUT"));
  EXPECT_THAT(Validate(other), IsOk());
}

TEST_F(AppTokenControlsTest, RevokeSessionsNeedsExactlyOneTarget) {
  const store::AppToken t = Add();
  EXPECT_THAT(tokens_.RevokeSessions(a_.id, {}), ApiErrorIs(errors::kMissingMandatoryParameter));
  EXPECT_THAT(tokens_.RevokeSessions(a_.id, {.token_id = t.id, .user_id = "x"}),
              ApiErrorIs(errors::kInvalidFieldValue, ElementsAre(Pair("FIELD_NAME", "userId"))));
  EXPECT_THAT(tokens_.RevokeSessions(a_.id, {.ks_hash = "abc"}),
              ApiErrorIs(errors::kInvalidFieldValue, ElementsAre(Pair("FIELD_NAME", "ksHash"))));
  EXPECT_THAT(
      tokens_.RevokeSessions(a_.id, {.ks_hash = std::string(40, 'a'), .issued_before = 1}),
      ApiErrorIs(errors::kInvalidFieldValue, ElementsAre(Pair("FIELD_NAME", "issuedBefore"))));
  EXPECT_THAT(
      tokens_.RevokeSessions(a_.id, {.token_id = t.id, .issued_before = kNow + 2}),
      ApiErrorIs(errors::kInvalidFieldValue, ElementsAre(Pair("FIELD_NAME", "issuedBefore"))));
  EXPECT_THAT(tokens_.RevokeSessions(a_.id, {.user_id = ""}),
              ApiErrorIs(errors::kInvalidFieldValue));
  EXPECT_THAT(tokens_.RevokeSessions(b_.id, {.token_id = t.id}),
              ApiErrorIs(errors::kAppTokenIdNotFound));
}

TEST_F(AppTokenControlsTest, EveryKsCarriesItsIssueTime) {
  const std::string ks = UserKs("erin");
  EXPECT_EQ(IssuedAt(CallerOf(ks).parsed().fields), kNow);
  EXPECT_EQ(IssuedAt(CallerOf(WidgetKs(a_)).parsed().fields), kNow);
  // session.get answers stay Kaltura-shaped: nothing about it.
  KSGATE_ASSERT_OK_AND_ASSIGN(const SessionInfo info, sessions_.Get(CallerOf(ks), ""));
  EXPECT_EQ(info.privileges, "");
  ks::KsFields none;
  EXPECT_EQ(IssuedAt(none), std::nullopt);
  none.additional_data = "iat:12x";
  EXPECT_EQ(IssuedAt(none), std::nullopt);
}

// --- Partner settings --------------------------------------------------------------------------

TEST_F(AppTokenControlsTest, PartnerSettingsChangeOneAtATime) {
  const PartnerService& partners = app_.partners();
  KSGATE_ASSERT_OK_AND_ASSIGN(store::Partner p,
                              partners.UpdateSettings(a_.id, {.app_token_show_once = true}));
  EXPECT_EQ(p.settings, (store::PartnerSettings{.app_token_show_once = true}));
  KSGATE_ASSERT_OK_AND_ASSIGN(
      p, partners.UpdateSettings(a_.id, {.app_token_privilege_ceiling = true}));
  EXPECT_EQ(p.settings, (store::PartnerSettings{true, true}));
  KSGATE_ASSERT_OK_AND_ASSIGN(p, partners.UpdateSettings(a_.id, {.app_token_show_once = false}));
  EXPECT_EQ(p.settings, (store::PartnerSettings{true, false}));
  EXPECT_THAT(partners.Get(a_.id), IsOkAndHolds(Field(&store::Partner::settings, p.settings)));
  EXPECT_THAT(partners.UpdateSettings(999, {}), ::ksgate::testing::StatusIs(StatusCode::kNotFound));
}

}  // namespace
}  // namespace ksgate::services
