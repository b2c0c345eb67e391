#include "services/app_token_service.h"

#include <gtest/gtest.h>

#include "ks/crypto.h"
#include "services/test_fixture.h"

namespace ksgate::services {
namespace {

class AppTokenServiceTest : public ServicesTest {
 protected:
  store::AppToken Add(AppTokenPatch patch = {}) {
    Result<store::AppToken, ApiError> t = tokens_.Add(a_, patch);
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
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
  EXPECT_EQ(*tokens_.Get(a_.id, t.id), t);
}

TEST_F(AppTokenServiceTest, AddRejectsEachReadOnlyField) {
  auto check = [&](AppTokenPatch p, const std::string& field) {
    ApiError e = tokens_.Add(a_, p).error();
    EXPECT_EQ(e.code, "PROPERTY_VALIDATION_NOT_UPDATABLE");
    EXPECT_EQ(e.args[0].second, "KalturaAppToken::" + field);
  };
  check({.id = Patch<std::string>::Of("0_x")}, "id");
  check({.token = Patch<std::string>::Of("abc")}, "token");
  check({.partner_id = Patch<int64_t>::Of(a_.id)}, "partnerId");
  check({.created_at = Patch<int64_t>::Of(1)}, "createdAt");
  check({.updated_at = Patch<int64_t>::Of(1)}, "updatedAt");
  check({.status = Patch<int>::Of(2)}, "status");
}

TEST_F(AppTokenServiceTest, AddValidatesValues) {
  EXPECT_EQ(tokens_.Add(a_, {.session_user_id = Patch<std::string>::Of("bad user")}).error().code,
            "INVALID_FIELD_VALUE");
  EXPECT_EQ(tokens_.Add(a_, {.session_duration = Patch<int64_t>::Of(-1)}).error().code,
            "PROPERTY_VALIDATION_MIN_VALUE");
  EXPECT_EQ(tokens_.Add(a_, {.expiry = Patch<int64_t>::Of(-5)}).error().code,
            "PROPERTY_VALIDATION_MIN_VALUE");
}

TEST_F(AppTokenServiceTest, NullDurationOnAddUsesThePartnerDefault) {
  EXPECT_EQ(Add({.session_duration = Patch<int64_t>::Null()}).session_duration, 7200);
}

TEST_F(AppTokenServiceTest, TokensOfAnotherPartnerAreInvisible) {
  store::AppToken t = Add();
  EXPECT_EQ(tokens_.Get(b_.id, t.id).error().code, "APP_TOKEN_ID_NOT_FOUND");
  EXPECT_EQ(tokens_.Update(b_, t.id, {}).error().code, "APP_TOKEN_ID_NOT_FOUND");
  EXPECT_EQ(tokens_.Delete(b_.id, t.id).error().code, "APP_TOKEN_ID_NOT_FOUND");
  EXPECT_EQ(tokens_.List(b_.id, {})->total_count, 0);
  std::string widget_b = WidgetKs(b_);
  StartAppTokenSessionRequest r{
      .id = t.id, .token_hash = ks::HexDigest(ks::HashAlgorithm::kSha256, widget_b + t.token)};
  EXPECT_EQ(tokens_.StartSession(CallerOf(widget_b), r).error().code, "APP_TOKEN_ID_NOT_FOUND");
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
  store::AppToken u = *tokens_.Update(a_, t.id, p);
  EXPECT_EQ(u.expiry, kNow + 500);
  EXPECT_EQ(u.session_type, 2);
  EXPECT_EQ(u.session_user_id, "dev@example.com");
  EXPECT_EQ(u.session_duration, 60);
  EXPECT_EQ(u.session_privileges, "setrole:X");
  EXPECT_EQ(u.hash_type, "MD5");
  EXPECT_EQ(u.description, "d");
  EXPECT_EQ(u.updated_at, kNow + 10);
  EXPECT_EQ(u.created_at, kNow);
  EXPECT_EQ(*tokens_.Get(a_.id, t.id), u);
}

TEST_F(AppTokenServiceTest, UpdateWithNullClearsAField) {
  store::AppToken t = Add(
      {.session_user_id = Patch<std::string>::Of("u"), .description = Patch<std::string>::Of("x")});
  store::AppToken u = *tokens_.Update(
      a_, t.id,
      {.session_user_id = Patch<std::string>::Null(), .description = Patch<std::string>::Null()});
  EXPECT_FALSE(u.description.has_value());
  EXPECT_FALSE(u.session_user_id.has_value());
}

TEST_F(AppTokenServiceTest, UpdateToleratesUnchangedReadOnlyFields) {
  store::AppToken t = Add();
  EXPECT_TRUE(tokens_
                  .Update(a_, t.id,
                          {.id = Patch<std::string>::Of(t.id),
                           .token = Patch<std::string>::Of(t.token),
                           .status = Patch<int>::Of(2)})
                  .ok());
  ApiError e = tokens_.Update(a_, t.id, {.token = Patch<std::string>::Of("other")}).error();
  EXPECT_EQ(e.code, "PROPERTY_VALIDATION_NOT_UPDATABLE");
  EXPECT_EQ(e.args[0].second, "KalturaAppToken::token");
}

TEST_F(AppTokenServiceTest, UpdateWithoutChangesKeepsUpdatedAt) {
  store::AppToken t = Add({.description = Patch<std::string>::Of("x")});
  clock_.AdvanceSeconds(5);
  EXPECT_EQ(tokens_.Update(a_, t.id, {.description = Patch<std::string>::Of("x")})->updated_at,
            kNow);
}

TEST_F(AppTokenServiceTest, DeletedTokenIsGoneEverywhere) {
  store::AppToken t = Add();
  ASSERT_TRUE(tokens_.Delete(a_.id, t.id).ok());
  EXPECT_EQ(tokens_.Get(a_.id, t.id).error().code, "APP_TOKEN_ID_NOT_FOUND");
  EXPECT_EQ(tokens_.Update(a_, t.id, {}).error().code, "APP_TOKEN_ID_NOT_FOUND");
  EXPECT_EQ(tokens_.Delete(a_.id, t.id).error().code, "APP_TOKEN_ID_NOT_FOUND");
  EXPECT_EQ(tokens_.List(a_.id, {})->total_count, 0);
  EXPECT_EQ(Start(t).error().code, "APP_TOKEN_ID_NOT_FOUND");
  EXPECT_EQ(tokens_.List(a_.id, {.status_equal = 3})->total_count, 0);
}

TEST_F(AppTokenServiceTest, DeleteRevokesKssMintedFromTheToken) {
  store::AppToken t = Add();
  store::AppToken other = Add();
  Caller minted = CallerOf(*Start(t)->ks);
  Caller unrelated = CallerOf(*Start(other)->ks);
  ASSERT_TRUE(authenticator_.Validate(minted).ok());
  ASSERT_TRUE(tokens_.Delete(a_.id, t.id).ok());
  EXPECT_EQ(authenticator_.Validate(minted).error().args[0].second, "LOGOUT");
  EXPECT_TRUE(authenticator_.Validate(unrelated).ok());
}

TEST_F(AppTokenServiceTest, DeleteRevokesEvenAfterTheExpiryWasMovedIntoThePast) {
  store::AppToken t = Add({.expiry = Patch<int64_t>::Of(kNow + 3600)});
  Caller minted = CallerOf(*Start(t)->ks);
  ASSERT_TRUE(tokens_.Update(a_, t.id, {.expiry = Patch<int64_t>::Of(kNow - 5000)}).ok());
  ASSERT_TRUE(tokens_.Delete(a_.id, t.id).ok());
  clock_.AdvanceSeconds(1800);  // the KS is still valid; the token's expiry is long past
  EXPECT_EQ(authenticator_.Validate(minted).error().args[0].second, "LOGOUT");
}

TEST_F(AppTokenServiceTest, StartSessionAcceptsEachHashType) {
  for (auto [name, algorithm] : std::vector<std::pair<std::string, ks::HashAlgorithm>>{
           {"MD5", ks::HashAlgorithm::kMd5},
           {"SHA1", ks::HashAlgorithm::kSha1},
           {"SHA256", ks::HashAlgorithm::kSha256},
           {"SHA512", ks::HashAlgorithm::kSha512}}) {
    store::AppToken t = Add({.hash_type = Patch<std::string>::Of(name)});
    EXPECT_TRUE(Start(t, {}, algorithm).ok()) << name;
    ks::HashAlgorithm wrong =
        algorithm == ks::HashAlgorithm::kMd5 ? ks::HashAlgorithm::kSha1 : ks::HashAlgorithm::kMd5;
    EXPECT_EQ(Start(t, {}, wrong).error().code, "INVALID_APP_TOKEN_HASH") << name;
  }
}

TEST_F(AppTokenServiceTest, HashIsOverTheCallersKsExactlyAndCaseSensitive) {
  store::AppToken t = Add();
  std::string widget = WidgetKs(a_);
  std::string good = ks::HexDigest(ks::HashAlgorithm::kSha256, widget + t.token);
  std::string upper = good;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  StartAppTokenSessionRequest r{.id = t.id, .token_hash = upper};
  EXPECT_EQ(tokens_.StartSession(CallerOf(widget), r).error().code, "INVALID_APP_TOKEN_HASH");
  r.token_hash = good.substr(0, 40);
  EXPECT_EQ(tokens_.StartSession(CallerOf(widget), r).error().code, "INVALID_APP_TOKEN_HASH");
  r.token_hash = good;
  EXPECT_TRUE(tokens_.StartSession(CallerOf(widget), r).ok());
  // A hash over another KS of the same partner does not work for this caller.
  r.token_hash = ks::HexDigest(ks::HashAlgorithm::kSha256, WidgetKs(a_) + t.token);
  EXPECT_EQ(tokens_.StartSession(CallerOf(widget), r).error().code, "INVALID_APP_TOKEN_HASH");
}

TEST_F(AppTokenServiceTest, StartSessionBuildsTheTokensKs) {
  store::AppToken t = Add({.session_type = Patch<int>::Of(0),
                           .session_user_id = Patch<std::string>::Of("dev"),
                           .session_duration = Patch<int64_t>::Of(600),
                           .session_privileges = Patch<std::string>::Of("setrole:VIEWER,edit:*")});
  SessionInfo info = *Start(t, {.user_id = "someone", .type = 2, .expiry = 0});
  EXPECT_EQ(info.session_type, 0);
  EXPECT_EQ(info.user_id, "dev");
  EXPECT_EQ(info.expiry, kNow + 600);
  EXPECT_EQ(info.partner_id, a_.id);
  EXPECT_EQ(info.privileges, "sessionid:" + t.id + ",apptoken:" + t.id + ",setrole:VIEWER,edit:*");
  Caller c = CallerOf(*info.ks);
  EXPECT_EQ(c.parsed.fields.user, "dev");
  EXPECT_EQ(c.parsed.fields.type, 0);
  EXPECT_EQ(c.parsed.fields.privileges, info.privileges);
}

TEST_F(AppTokenServiceTest, CallerChoosesTypeAndUserWhenTheTokenDoesNot) {
  store::AppToken t = Add();
  SessionInfo info = *Start(t, {.user_id = "me", .type = 2, .expiry = 60});
  EXPECT_EQ(info.session_type, 2);
  EXPECT_EQ(info.user_id, "me");
  EXPECT_EQ(info.expiry, kNow + 60);
  EXPECT_EQ(CallerOf(*info.ks).kind, SessionKind::kAdmin);
  SessionInfo defaults = *Start(t);
  EXPECT_EQ(defaults.session_type, 0);
  EXPECT_EQ(defaults.user_id, "");
}

TEST_F(AppTokenServiceTest, RequestedPrivilegesCannotOverrideTheTokens) {
  store::AppToken t = Add(
      {.session_privileges = Patch<std::string>::Of("setrole:PLAYBACK_BASE_ROLE,edit:*,myapp:1")});
  SessionInfo info = *Start(t, {.session_privileges = "setrole:PARTNER_ADMIN_ROLE,edit:0_e1/0_e2,"
                                                      "sessionid:x,custom:abc,myapp:2"});
  EXPECT_EQ(info.privileges, "sessionid:" + t.id + ",apptoken:" + t.id +
                                 ",setrole:PLAYBACK_BASE_ROLE,edit:0_e1/0_e2,myapp:1,custom:abc");
}

TEST_F(AppTokenServiceTest, ExpiryIsBoundedByTheTokensExpiryAndDuration) {
  store::AppToken t =
      Add({.expiry = Patch<int64_t>::Of(kNow + 100), .session_duration = Patch<int64_t>::Of(1000)});
  EXPECT_EQ(Start(t)->expiry, kNow + 100);
  EXPECT_EQ(Start(t, {.expiry = 50})->expiry, kNow + 50);
  EXPECT_EQ(Start(t, {.expiry = 5000})->expiry, kNow + 100);
  EXPECT_EQ(Start(t, {.expiry = -30})->expiry, kNow - 30);  // born expired, as Kaltura
  clock_.AdvanceSeconds(101);
  ApiError e = Start(t).error();
  EXPECT_EQ(e.code, "APP_TOKEN_EXPIRED");
  EXPECT_EQ(e.args[0].second, t.id);
}

TEST_F(AppTokenServiceTest, TokenExpiringNowStillStartsAZeroLengthSession) {
  store::AppToken t = Add({.expiry = Patch<int64_t>::Of(kNow)});
  EXPECT_EQ(Start(t)->expiry, kNow);
}

class AppTokenListTest : public AppTokenServiceTest {
 protected:
  void SetUp() override {
    for (int i = 0; i < 5; ++i) {
      ids_.push_back(Add({.session_user_id = Patch<std::string>::Of(i % 2 ? "odd" : "even")}).id);
      clock_.AdvanceSeconds(10);
    }
    // Update the first one last, so updatedAt order differs from createdAt order.
    ASSERT_TRUE(tokens_.Update(a_, ids_[0], {.description = Patch<std::string>::Of("x")}).ok());
  }
  std::vector<std::string> Ids(const AppTokenListRequest& r) {
    std::vector<std::string> ids;
    Result<store::AppTokenPage, ApiError> page = tokens_.List(a_.id, r);
    EXPECT_TRUE(page.ok());
    if (!page.ok()) return ids;
    for (const auto& t : page->objects) ids.push_back(t.id);
    return ids;
  }
  std::vector<std::string> ids_;
};

TEST_F(AppTokenListTest, DefaultsListEverythingWithTotalCount) {
  store::AppTokenPage page = *tokens_.List(a_.id, {});
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
  store::AppTokenPage past = *tokens_.List(a_.id, {.page_size = 2, .page_index = 100});
  EXPECT_TRUE(past.objects.empty());
  EXPECT_EQ(past.total_count, 5);
  EXPECT_TRUE(tokens_.List(a_.id, {.page_index = INT64_MAX}).ok());
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
