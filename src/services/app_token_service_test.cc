#include "services/app_token_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ks/crypto.h"
#include "services/test_fixture.h"
#include "testing/matchers.h"

namespace ksgate::services {
namespace {

using ::ksgate::testing::ApiErrorIs;
using ::ksgate::testing::IsOk;
using ::ksgate::testing::IsOkAndHolds;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::Pair;

// Matches a started session whose expiry is `expiry`.
auto ExpiresAt(int64_t expiry) { return IsOkAndHolds(Field(&SessionInfo::expiry, expiry)); }

// Matches the error for a read-only field `name` of KalturaAppToken that a patch tried to set.
auto NotUpdatable(const std::string& name) {
  return ApiErrorIs(errors::kPropertyValidationNotUpdatable,
                    ElementsAre(Pair("PROP_NAME", "KalturaAppToken::" + name)));
}

class AppTokenServiceTest : public ServicesTest {
 protected:
  store::AppToken Add(AppTokenPatch patch = {}) {
    Result<store::AppToken, ApiError> t = tokens_.Add(a_, patch);
    EXPECT_THAT(t, IsOk());
    return t.ok() ? *t : store::AppToken{};
  }

  static std::string Hash(ks::HashAlgorithm algorithm, const std::string& ks,
                          const store::AppToken& t) {
    return ks::HexDigest(algorithm, ks + t.token);
  }

  // Starts an app-token session from a fresh widget KS of partner A.
  Result<SessionInfo, ApiError> Start(const store::AppToken& t, StartAppTokenSessionRequest r = {},
                                      ks::HashAlgorithm algorithm = ks::HashAlgorithm::kSha256) {
    std::string widget = WidgetKs(a_);
    r.id = t.id;
    if (r.token_hash.empty()) r.token_hash = Hash(algorithm, widget, t);
    return tokens_.StartSession(CallerOf(widget), r);
  }

  // The KS of an app-token session of `t` (a test failure and "" if none starts).
  std::string MintedKs(const store::AppToken& t) {
    Result<SessionInfo, ApiError> info = Start(t);
    EXPECT_THAT(info, IsOkAndHolds(Field(&SessionInfo::ks, ::testing::Optional(::testing::_))));
    return info.ok() ? info->ks.value_or("") : "";
  }
};

TEST_F(AppTokenServiceTest, AddFillsGeneratedFieldsAndDefaults) {
  store::AppToken t = Add();
  EXPECT_EQ(t.id.size(), 10u);
  EXPECT_EQ(t.id.substr(0, 2), "0_");
  EXPECT_EQ(t.id.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyz", 2), std::string::npos);
  EXPECT_EQ(t.token.size(), 32u);
  EXPECT_EQ(t.token.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(t.partner_id, a_.id);
  EXPECT_EQ(t.status, store::AppTokenStatus::kActive);
  EXPECT_EQ(t.hash_type, "SHA256");
  EXPECT_EQ(t.session_duration, 7200);  // the partner's ks_max_expiry
  EXPECT_EQ(t.created_at, kNow);
  EXPECT_EQ(t.updated_at, kNow);
  EXPECT_THAT(tokens_.Get(a_.id, t.id), IsOkAndHolds(t));
}

TEST_F(AppTokenServiceTest, AddRejectsEachReadOnlyField) {
  auto check = [&](AppTokenPatch p, const std::string& field) {
    EXPECT_THAT(tokens_.Add(a_, p), NotUpdatable(field));
  };
  check({.id = Patch<std::string>::Of("0_x")}, "id");
  check({.token = Patch<std::string>::Of("abc")}, "token");
  check({.partner_id = Patch<int64_t>::Of(a_.id)}, "partnerId");
  check({.created_at = Patch<int64_t>::Of(1)}, "createdAt");
  check({.updated_at = Patch<int64_t>::Of(1)}, "updatedAt");
  check({.status = Patch<int>::Of(2)}, "status");
}

TEST_F(AppTokenServiceTest, AddValidatesValues) {
  EXPECT_THAT(tokens_.Add(a_, {.session_user_id = Patch<std::string>::Of("bad user")}),
              ApiErrorIs(errors::kInvalidFieldValue));
  EXPECT_THAT(tokens_.Add(a_, {.session_duration = Patch<int64_t>::Of(-1)}),
              ApiErrorIs(errors::kPropertyValidationMinValue));
  EXPECT_THAT(tokens_.Add(a_, {.expiry = Patch<int64_t>::Of(-5)}),
              ApiErrorIs(errors::kPropertyValidationMinValue));
}

TEST_F(AppTokenServiceTest, NullDurationOnAddUsesThePartnerDefault) {
  EXPECT_EQ(Add({.session_duration = Patch<int64_t>::Null()}).session_duration, 7200);
}

TEST_F(AppTokenServiceTest, TokensOfAnotherPartnerAreInvisible) {
  store::AppToken t = Add();
  EXPECT_THAT(tokens_.Get(b_.id, t.id), ApiErrorIs(errors::kAppTokenIdNotFound));
  EXPECT_THAT(tokens_.Update(b_, t.id, {}), ApiErrorIs(errors::kAppTokenIdNotFound));
  EXPECT_THAT(tokens_.Delete(b_.id, t.id), ApiErrorIs(errors::kAppTokenIdNotFound));
  EXPECT_THAT(tokens_.List(b_.id, {}), IsOkAndHolds(TotalCountIs(0)));
  std::string widget_b = WidgetKs(b_);
  StartAppTokenSessionRequest r{
      .id = t.id, .token_hash = ks::HexDigest(ks::HashAlgorithm::kSha256, widget_b + t.token)};
  EXPECT_THAT(tokens_.StartSession(CallerOf(widget_b), r), ApiErrorIs(errors::kAppTokenIdNotFound));
}

TEST_F(AppTokenServiceTest, UpdateChangesEachWritableField) {
  store::AppToken t = Add();
  clock_.AdvanceSeconds(10);
  AppTokenPatch p{.expiry = Patch<int64_t>::Of(kNow + 500),
                  .session_type = Patch<int>::Of(2),
                  .session_user_id = Patch<std::string>::Of("dev@example.com"),
                  .session_duration = Patch<int64_t>::Of(60),
                  .session_privileges = Patch<std::string>::Of("setrole:X"),
                  .hash_type = Patch<std::string>::Of("MD5"),
                  .description = Patch<std::string>::Of("d")};
  KSGATE_ASSERT_OK_AND_ASSIGN(store::AppToken u, tokens_.Update(a_, t.id, p));
  EXPECT_EQ(u.expiry, kNow + 500);
  EXPECT_EQ(u.session_type, 2);
  EXPECT_EQ(u.session_user_id, "dev@example.com");
  EXPECT_EQ(u.session_duration, 60);
  EXPECT_EQ(u.session_privileges, "setrole:X");
  EXPECT_EQ(u.hash_type, "MD5");
  EXPECT_EQ(u.description, "d");
  EXPECT_EQ(u.updated_at, kNow + 10);
  EXPECT_EQ(u.created_at, kNow);
  EXPECT_THAT(tokens_.Get(a_.id, t.id), IsOkAndHolds(u));
}

TEST_F(AppTokenServiceTest, UpdateWithNullClearsAField) {
  store::AppToken t = Add(
      {.session_user_id = Patch<std::string>::Of("u"), .description = Patch<std::string>::Of("x")});
  KSGATE_ASSERT_OK_AND_ASSIGN(store::AppToken u,
                              tokens_.Update(a_, t.id,
                                             {.session_user_id = Patch<std::string>::Null(),
                                              .description = Patch<std::string>::Null()}));
  EXPECT_FALSE(u.description.has_value());
  EXPECT_FALSE(u.session_user_id.has_value());
}

TEST_F(AppTokenServiceTest, UpdateToleratesUnchangedReadOnlyFields) {
  store::AppToken t = Add();
  EXPECT_THAT(tokens_.Update(a_, t.id,
                             {.id = Patch<std::string>::Of(t.id),
                              .token = Patch<std::string>::Of(t.token),
                              .status = Patch<int>::Of(2)}),
              IsOk());
  EXPECT_THAT(tokens_.Update(a_, t.id, {.token = Patch<std::string>::Of("other")}),
              NotUpdatable("token"));
}

TEST_F(AppTokenServiceTest, UpdateWithoutChangesKeepsUpdatedAt) {
  store::AppToken t = Add({.description = Patch<std::string>::Of("x")});
  clock_.AdvanceSeconds(5);
  EXPECT_THAT(tokens_.Update(a_, t.id, {.description = Patch<std::string>::Of("x")}),
              IsOkAndHolds(Field(&store::AppToken::updated_at, kNow)));
}

TEST_F(AppTokenServiceTest, DeletedTokenIsGoneEverywhere) {
  store::AppToken t = Add();
  ASSERT_THAT(tokens_.Delete(a_.id, t.id), IsOk());
  EXPECT_THAT(tokens_.Get(a_.id, t.id), ApiErrorIs(errors::kAppTokenIdNotFound));
  EXPECT_THAT(tokens_.Update(a_, t.id, {}), ApiErrorIs(errors::kAppTokenIdNotFound));
  EXPECT_THAT(tokens_.Delete(a_.id, t.id), ApiErrorIs(errors::kAppTokenIdNotFound));
  EXPECT_THAT(tokens_.List(a_.id, {}), IsOkAndHolds(TotalCountIs(0)));
  EXPECT_THAT(Start(t), ApiErrorIs(errors::kAppTokenIdNotFound));
  EXPECT_THAT(tokens_.List(a_.id, {.status_equal = 3}), IsOkAndHolds(TotalCountIs(0)));
}

TEST_F(AppTokenServiceTest, DeleteRevokesKssMintedFromTheToken) {
  store::AppToken t = Add();
  store::AppToken other = Add();
  Caller minted = CallerOf(MintedKs(t));
  Caller unrelated = CallerOf(MintedKs(other));
  ASSERT_THAT(authenticator_.Validate(minted), IsOk());
  ASSERT_THAT(tokens_.Delete(a_.id, t.id), IsOk());
  EXPECT_THAT(authenticator_.Validate(minted), IsInvalidKs("LOGOUT"));
  EXPECT_THAT(authenticator_.Validate(unrelated), IsOk());
}

TEST_F(AppTokenServiceTest, DeleteRevokesEvenAfterTheExpiryWasMovedIntoThePast) {
  store::AppToken t = Add({.expiry = Patch<int64_t>::Of(kNow + 3600)});
  Caller minted = CallerOf(MintedKs(t));
  ASSERT_THAT(tokens_.Update(a_, t.id, {.expiry = Patch<int64_t>::Of(kNow - 5000)}), IsOk());
  ASSERT_THAT(tokens_.Delete(a_.id, t.id), IsOk());
  clock_.AdvanceSeconds(1800);  // the KS is still valid; the token's expiry is long past
  EXPECT_THAT(authenticator_.Validate(minted), IsInvalidKs("LOGOUT"));
}

TEST_F(AppTokenServiceTest, StartSessionAcceptsEachHashType) {
  for (auto [name, algorithm] : std::vector<std::pair<std::string, ks::HashAlgorithm>>{
           {"MD5", ks::HashAlgorithm::kMd5},
           {"SHA1", ks::HashAlgorithm::kSha1},
           {"SHA256", ks::HashAlgorithm::kSha256},
           {"SHA512", ks::HashAlgorithm::kSha512}}) {
    store::AppToken t = Add({.hash_type = Patch<std::string>::Of(name)});
    EXPECT_THAT(Start(t, {}, algorithm), IsOk()) << name;
    ks::HashAlgorithm wrong =
        algorithm == ks::HashAlgorithm::kMd5 ? ks::HashAlgorithm::kSha1 : ks::HashAlgorithm::kMd5;
    EXPECT_THAT(Start(t, {}, wrong), ApiErrorIs(errors::kInvalidAppTokenHash)) << name;
  }
}

TEST_F(AppTokenServiceTest, HashIsOverTheCallersKsExactlyAndCaseSensitive) {
  store::AppToken t = Add();
  std::string widget = WidgetKs(a_);
  std::string good = ks::HexDigest(ks::HashAlgorithm::kSha256, widget + t.token);
  std::string upper = good;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  StartAppTokenSessionRequest r{.id = t.id, .token_hash = upper};
  EXPECT_THAT(tokens_.StartSession(CallerOf(widget), r), ApiErrorIs(errors::kInvalidAppTokenHash));
  r.token_hash = good.substr(0, 40);
  EXPECT_THAT(tokens_.StartSession(CallerOf(widget), r), ApiErrorIs(errors::kInvalidAppTokenHash));
  r.token_hash = good;
  EXPECT_THAT(tokens_.StartSession(CallerOf(widget), r), IsOk());
  // A hash over another KS of the same partner does not work for this caller.
  r.token_hash = ks::HexDigest(ks::HashAlgorithm::kSha256, WidgetKs(a_) + t.token);
  EXPECT_THAT(tokens_.StartSession(CallerOf(widget), r), ApiErrorIs(errors::kInvalidAppTokenHash));
}

// 300 wrong hashes for one token from 127.0.0.1: that address is blocked after 100 (the
// default per-address burst), the token's own bucket (1000) is not empty, so the right hash
// from 127.0.0.2 still starts a session.
TEST_F(AppTokenServiceTest, WrongHashesBlockTheirAddressNotTheTokensOtherUsers) {
  store::AppToken t = Add();
  StartAppTokenSessionRequest wrong{.id = t.id, .token_hash = std::string(64, '0')};
  wrong.client_ip = "127.0.0.1";
  int invalid = 0, blocked = 0;
  for (int i = 0; i < 300; ++i) {
    Result<SessionInfo, ApiError> r = Start(t, wrong);
    ASSERT_FALSE(r.ok());
    invalid += r.error().code == errors::kInvalidAppTokenHash.code;
    blocked += r.error().code == errors::kActionBlocked.code;
  }
  EXPECT_EQ(invalid, 100);
  EXPECT_EQ(blocked, 200);
  StartAppTokenSessionRequest right{.client_ip = "127.0.0.1"};
  EXPECT_THAT(Start(t, right),
              ApiErrorIs(errors::kActionBlocked, ElementsAre(Pair("ACTION_NAME", "startSession"),
                                                             Pair("SERVICE_NAME", "appToken"))));
  right.client_ip = "127.0.0.2";
  EXPECT_THAT(Start(t, right), IsOk());
}

TEST_F(AppTokenServiceTest, StartSessionBuildsTheTokensKs) {
  store::AppToken t = Add({.session_type = Patch<int>::Of(0),
                           .session_user_id = Patch<std::string>::Of("dev"),
                           .session_duration = Patch<int64_t>::Of(600),
                           .session_privileges = Patch<std::string>::Of("setrole:VIEWER,edit:*")});
  KSGATE_ASSERT_OK_AND_ASSIGN(SessionInfo info,
                              Start(t, {.user_id = "someone", .type = 2, .expiry = 0}));
  EXPECT_EQ(info.session_type, 0);
  EXPECT_EQ(info.user_id, "dev");
  EXPECT_EQ(info.expiry, kNow + 600);
  EXPECT_EQ(info.partner_id, a_.id);
  EXPECT_EQ(info.privileges, "sessionid:" + t.id + ",apptoken:" + t.id + ",setrole:VIEWER,edit:*");
  ASSERT_TRUE(info.ks.has_value());
  Caller c = CallerOf(*info.ks);
  EXPECT_EQ(c.parsed().fields.user, "dev");
  EXPECT_EQ(c.parsed().fields.type, 0);
  EXPECT_EQ(c.parsed().fields.privileges, info.privileges);
}

TEST_F(AppTokenServiceTest, CallerChoosesTypeAndUserWhenTheTokenDoesNot) {
  store::AppToken t = Add();
  KSGATE_ASSERT_OK_AND_ASSIGN(SessionInfo info,
                              Start(t, {.user_id = "me", .type = 2, .expiry = 60}));
  EXPECT_EQ(info.session_type, 2);
  EXPECT_EQ(info.user_id, "me");
  EXPECT_EQ(info.expiry, kNow + 60);
  ASSERT_TRUE(info.ks.has_value());
  EXPECT_EQ(CallerOf(*info.ks).kind, SessionKind::kAdmin);
  KSGATE_ASSERT_OK_AND_ASSIGN(SessionInfo defaults, Start(t));
  EXPECT_EQ(defaults.session_type, 0);
  EXPECT_EQ(defaults.user_id, "");
}

TEST_F(AppTokenServiceTest, PrivilegesOfATokenWithoutItsOwn) {
  const store::AppToken without = Add();
  const store::AppToken empty = Add({.session_privileges = Patch<std::string>::Of("")});
  for (const store::AppToken& t : {without, empty}) {
    KSGATE_ASSERT_OK_AND_ASSIGN(SessionInfo plain, Start(t));
    EXPECT_EQ(plain.privileges, "sessionid:" + t.id + ",apptoken:" + t.id);
    ASSERT_TRUE(plain.ks.has_value());
    EXPECT_EQ(CallerOf(*plain.ks).parsed().fields.privileges, plain.privileges);
    KSGATE_ASSERT_OK_AND_ASSIGN(SessionInfo asked,
                                Start(t, {.session_privileges = "sessionid:x,custom:abc,edit:e1"}));
    EXPECT_EQ(asked.privileges, "sessionid:" + t.id + ",apptoken:" + t.id + ",custom:abc");
  }
}

TEST_F(AppTokenServiceTest, RequestedPrivilegesCannotOverrideTheTokens) {
  store::AppToken t = Add(
      {.session_privileges = Patch<std::string>::Of("setrole:PLAYBACK_BASE_ROLE,edit:*,myapp:1")});
  KSGATE_ASSERT_OK_AND_ASSIGN(
      SessionInfo info, Start(t, {.session_privileges = "setrole:PARTNER_ADMIN_ROLE,edit:0_e1/0_e2,"
                                                        "sessionid:x,custom:abc,myapp:2"}));
  EXPECT_EQ(info.privileges, "sessionid:" + t.id + ",apptoken:" + t.id +
                                 ",setrole:PLAYBACK_BASE_ROLE,edit:0_e1/0_e2,myapp:1,custom:abc");
}

TEST_F(AppTokenServiceTest, ExpiryIsBoundedByTheTokensExpiryAndDuration) {
  store::AppToken t =
      Add({.expiry = Patch<int64_t>::Of(kNow + 100), .session_duration = Patch<int64_t>::Of(1000)});
  EXPECT_THAT(Start(t), ExpiresAt(kNow + 100));
  EXPECT_THAT(Start(t, {.expiry = 50}), ExpiresAt(kNow + 50));
  EXPECT_THAT(Start(t, {.expiry = 5000}), ExpiresAt(kNow + 100));
  EXPECT_THAT(Start(t, {.expiry = -30}), ExpiresAt(kNow - 30));  // born expired, as Kaltura
  clock_.AdvanceSeconds(101);
  EXPECT_THAT(Start(t), ApiErrorIs(errors::kAppTokenExpired, ElementsAre(Pair("ID", t.id))));
}

TEST_F(AppTokenServiceTest, TokenExpiringNowStillStartsAZeroLengthSession) {
  store::AppToken t = Add({.expiry = Patch<int64_t>::Of(kNow)});
  EXPECT_THAT(Start(t), ExpiresAt(kNow));
}

class AppTokenListTest : public AppTokenServiceTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(AppTokenServiceTest::SetUp());
    for (int i = 0; i < 5; ++i) {
      ids_.push_back(Add({.session_user_id = Patch<std::string>::Of(i % 2 ? "odd" : "even")}).id);
      clock_.AdvanceSeconds(10);
    }
    // Update the first one last, so updatedAt order differs from createdAt order.
    ASSERT_THAT(tokens_.Update(a_, ids_[0], {.description = Patch<std::string>::Of("x")}), IsOk());
  }
  std::vector<std::string> Ids(const AppTokenListRequest& r) {
    std::vector<std::string> ids;
    Result<store::AppTokenPage, ApiError> page = tokens_.List(a_.id, r);
    EXPECT_THAT(page, IsOk());
    if (!page.ok()) return ids;
    for (const auto& t : page->objects) ids.push_back(t.id);
    return ids;
  }
  std::vector<std::string> ids_;
};

TEST_F(AppTokenListTest, DefaultsListEverythingWithTotalCount) {
  KSGATE_ASSERT_OK_AND_ASSIGN(store::AppTokenPage page, tokens_.List(a_.id, {}));
  EXPECT_EQ(page.total_count, 5);
  EXPECT_EQ(page.objects.size(), 5u);
}

TEST_F(AppTokenListTest, OrdersByCreatedAndUpdated) {
  EXPECT_EQ(Ids({.order_by = "-createdAt"}),
            (std::vector<std::string>{ids_[4], ids_[3], ids_[2], ids_[1], ids_[0]}));
  EXPECT_EQ(Ids({.order_by = "+updatedAt"}),
            (std::vector<std::string>{ids_[1], ids_[2], ids_[3], ids_[4], ids_[0]}));
  EXPECT_EQ(Ids({.order_by = "bogus,+createdAt"}), ids_);
}

TEST_F(AppTokenListTest, PagerEdges) {
  EXPECT_EQ(Ids({.order_by = "+createdAt", .page_size = 2, .page_index = 2}),
            (std::vector<std::string>{ids_[2], ids_[3]}));
  EXPECT_EQ(Ids({.order_by = "+createdAt", .page_size = 2, .page_index = -4}),
            (std::vector<std::string>{ids_[0], ids_[1]}));
  EXPECT_EQ(Ids({.page_size = 0}).size(), 5u);
  EXPECT_EQ(Ids({.page_size = -3}).size(), 5u);
  EXPECT_EQ(Ids({.page_size = 501}).size(), 5u);
  KSGATE_ASSERT_OK_AND_ASSIGN(store::AppTokenPage past,
                              tokens_.List(a_.id, {.page_size = 2, .page_index = 100}));
  EXPECT_TRUE(past.objects.empty());
  EXPECT_EQ(past.total_count, 5);
  EXPECT_THAT(tokens_.List(a_.id, {.page_index = INT64_MAX}), IsOk());
}

TEST_F(AppTokenListTest, FiltersCombine) {
  EXPECT_EQ(Ids({.id_equal = ids_[3]}), std::vector<std::string>{ids_[3]});
  EXPECT_EQ(Ids({.id_in = ids_[1] + "," + ids_[2] + ",nosuch", .order_by = "+createdAt"}),
            (std::vector<std::string>{ids_[1], ids_[2]}));
  EXPECT_EQ(Ids({.session_user_id_equal = "odd", .order_by = "+createdAt"}),
            (std::vector<std::string>{ids_[1], ids_[3]}));
  EXPECT_EQ(
      Ids({.created_at_gte = kNow + 20, .created_at_lte = kNow + 30, .order_by = "+createdAt"}),
      (std::vector<std::string>{ids_[2], ids_[3]}));
  EXPECT_EQ(Ids({.id_in = ids_[1] + "," + ids_[2] + "," + ids_[3],
                 .created_at_gte = kNow + 20,
                 .session_user_id_equal = "odd"}),
            std::vector<std::string>{ids_[3]});
  EXPECT_EQ(Ids({.status_equal = 2}).size(), 5u);
  EXPECT_EQ(Ids({.status_in = "1,3"}).size(), 0u);
  EXPECT_EQ(Ids({.updated_at_gte = kNow + 50}), std::vector<std::string>{ids_[0]});
}

}  // namespace
}  // namespace ksgate::services
