// The app token actions over the dispatcher: ksgate's controls beside Kaltura's actions
// (disable, enable, rotate, revokeSessions), the policy fields of KalturaAppToken, show-once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "api/dispatcher.h"
#include "api/register.h"
#include "app/app.h"
#include "store/memory_store.h"
#include "testing/matchers.h"

namespace ksgate::api {
namespace {

using ::ksgate::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kNow = 1767000000;

class AppTokenActionsTest : public ::testing::Test {
 protected:
  AppTokenActionsTest()
      : clock_(kNow),
        app_(std::make_unique<store::MemoryStore>(), clock_,
             {.cache_ttl = std::chrono::milliseconds(0)}) {}

  void SetUp() override {
    KSGATE_ASSERT_OK_AND_ASSIGN(partner_,
                                app_.partners().Create({.name = "A", .ks_max_expiry = 3600}));
    KSGATE_ASSERT_OK_AND_ASSIGN(token_, app_.app_tokens().Add(partner_, {}));
    admin_ks_ = Ks(2, partner_.admin_secrets.front());
  }

  std::string Ks(int type, const std::string& secret) {
    services::StartSessionRequest r;
    r.partner_id = partner_.id;
    r.secret = secret;
    r.type = type;
    Result<std::string, ApiError> ks = app_.sessions().Start(r);
    EXPECT_THAT(ks, IsOk());
    return ks.ok() ? *ks : "";
  }

  // The body of appToken.<action> with `query` (URL-encoded pairs) and the admin KS, in JSON
  // (format 1) or XML (2).
  std::string Call(const std::string& action, const std::string& query, int format = 1,
                   const std::string& ks = "") {
    const std::string target =
        "/api_v3/service/appToken/action/" + action + "?format=" + std::to_string(format) +
        "&ks=" + (ks.empty() ? admin_ks_ : ks) + (query.empty() ? "" : "&" + query);
    return app_.dispatcher().Handle(Request{"GET", target, "", "", "127.0.0.1"}).body;
  }

  void ShowOnce() {
    ASSERT_THAT(app_.partners().UpdateSettings(partner_.id, {.app_token_show_once = true}), IsOk());
    admin_ks_ = Ks(2, partner_.admin_secrets.front());  // settings travel with the partner
  }

  FakeClock clock_;
  app::App app_;
  store::Partner partner_;
  store::AppToken token_;
  std::string admin_ks_;
};

TEST_F(AppTokenActionsTest, DisableAndEnableAnswerTheToken) {
  EXPECT_THAT(Call("disable", "id=" + token_.id),
              HasSubstr("\"status\":1,\"sessionDuration\":3600"));
  EXPECT_THAT(Call("enable", "id=" + token_.id), HasSubstr("\"status\":2"));
  EXPECT_THAT(Call("disable", "id=" + token_.id, 2), HasSubstr("<status>1</status>"));
  EXPECT_THAT(Call("enable", "id=0_nosuch00"), HasSubstr("\"code\":\"APP_TOKEN_ID_NOT_FOUND\""));
  EXPECT_THAT(Call("enable", ""), HasSubstr("\"args\":{\"PARAM_NAME\":\"id\"}"));
}

TEST_F(AppTokenActionsTest, RotateAnswersTheNewValueAndWhenTheOldOneStops) {
  const std::string body = Call("rotate", "id=" + token_.id + "&gracePeriod=30");
  KSGATE_ASSERT_OK_AND_ASSIGN(const store::AppToken stored,
                              app_.app_tokens().Get(partner_.id, token_.id));
  EXPECT_THAT(body, HasSubstr("\"token\":\"" + stored.token + "\""));
  EXPECT_THAT(body, HasSubstr("\"previousTokenExpiresAt\":" + std::to_string(kNow + 30)));
  EXPECT_THAT(body, Not(HasSubstr(token_.token))) << "never the value it replaced";
  EXPECT_THAT(Call("rotate", "id=" + token_.id + "&revokeSessions=1"),
              HasSubstr("\"sessionsRevokedBefore\":" + std::to_string(kNow + 1)));
}

TEST_F(AppTokenActionsTest, RevokeSessionsAnswersNullOrTheError) {
  EXPECT_EQ(Call("revokeSessions", "userId=alice"), "null");
  EXPECT_EQ(Call("revokeSessions", "id=" + token_.id + "&issuedBefore=" + std::to_string(kNow)),
            "null");
  EXPECT_THAT(Call("revokeSessions", ""), HasSubstr("MISSING_MANDATORY_PARAMETER"));
  EXPECT_THAT(Call("revokeSessions", "ksHash=xyz"),
              HasSubstr("\"args\":{\"FIELD_NAME\":\"ksHash\"}"));
}

TEST_F(AppTokenActionsTest, PolicyFieldsAreReadAndWrittenAndAbsentWhenNull) {
  EXPECT_THAT(Call("get", "id=" + token_.id), Not(HasSubstr("maxSessions")));
  EXPECT_THAT(Call("get", "id=" + token_.id, 2), Not(HasSubstr("maxSessions")));
  const std::string updated =
      Call("update", "id=" + token_.id +
                         "&appToken:objectType=KalturaAppToken&appToken:maxSessions=5"
                         "&appToken:allowedCidrs=10.1.0.0/16&appToken:exchangesPerMinute=7"
                         "&appToken:maxSessionExpiry=60");
  // After Kaltura's properties, in declaration order ('/' escaped as PHP's json_encode does).
  EXPECT_THAT(updated,
              HasSubstr(R"("hashType":"SHA256","maxSessions":5,"allowedCidrs":"10.1.0.0\/16",)"
                        R"("exchangesPerMinute":7,"maxSessionExpiry":60,"objectType")"));
  EXPECT_THAT(Call("get", "id=" + token_.id, 2), HasSubstr("<maxSessions>5</maxSessions>"));
  EXPECT_THAT(Call("update", "id=" + token_.id +
                                 "&appToken:objectType=KalturaAppToken&appToken:maxSessions=-1"),
              HasSubstr("PROPERTY_VALIDATION_MIN_VALUE"));
}

TEST_F(AppTokenActionsTest, ShowOnceLeavesTheValueToAddAndRotate) {
  ShowOnce();
  for (const auto& [action, query] :
       {std::pair{"get", "id=" + token_.id}, std::pair{"list", std::string()},
        std::pair{"disable", "id=" + token_.id}, std::pair{"enable", "id=" + token_.id},
        std::pair{"update", "id=" + token_.id + "&appToken:objectType=KalturaAppToken"}}) {
    for (int format : {1, 2}) {
      const std::string body = Call(action, query, format);
      EXPECT_THAT(body, HasSubstr(token_.id)) << action;
      EXPECT_THAT(body, Not(HasSubstr(token_.token))) << action << " format " << format;
    }
  }
  EXPECT_THAT(Call("add", "appToken:objectType=KalturaAppToken"), HasSubstr("\"token\":\""));
  EXPECT_THAT(Call("rotate", "id=" + token_.id), HasSubstr("\"token\":\""));
}

TEST_F(AppTokenActionsTest, TheControlsAreForAdminsByDefault) {
  const std::string user_ks = Ks(0, partner_.secret);
  for (const char* action : {"disable", "enable", "rotate", "revokeSessions"}) {
    EXPECT_THAT(Call(action, "id=" + token_.id, 1, user_ks),
                HasSubstr("\"code\":\"SERVICE_FORBIDDEN\""))
        << action;
  }
}

}  // namespace
}  // namespace ksgate::api
