// Authorization through the dispatcher: the permission catalogue covers every served action,
// and each default role reaches exactly its actions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "api/dispatcher.h"
#include "app/app.h"
#include "common/strings.h"
#include "store/memory_store.h"
#include "testing/matchers.h"

namespace ksgate::api {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNow = 1767000000;

class AuthorizationTest : public ::testing::Test {
 protected:
  AuthorizationTest()
      : clock_(kNow),
        app_(std::make_unique<store::MemoryStore>(), clock_,
             {.cache_ttl = std::chrono::milliseconds(0)}),
        store_(app_.store()),
        authorizer_(app_.authorizer()),
        catalogue_(authorizer_->catalogue()),
        issuer_(app_.issuer()),
        roles_(app_.user_roles()),
        table_(app_.actions()),
        dispatcher_(&app_.dispatcher()) {}

  void SetUp() override {
    store::NewPartner p{.name = "A", .admin_secrets = {"adminA"}, .secret = "userA"};
    KSGATE_ASSERT_OK_AND_ASSIGN(partner_, store_.CreatePartner(p, kNow));
  }

  std::string Ks(int type, const std::string& privileges) {
    ks::KsFields f{.partner_id = partner_.id,
                   .valid_until = kNow + 600,
                   .type = type,
                   .user = type == 0 && privileges.find("widget:1") != std::string::npos
                               ? std::optional<std::string>("0")
                               : std::optional<std::string>("u"),
                   .privileges = privileges};
    return issuer_.Issue(partner_, f);
  }

  // Every mandatory parameter of every served action, so that each call gets past argument
  // building (spec §5 step 8) to authorization (step 10). Extra parameters are ignored.
  static constexpr const char* kArgs =
      "&id=0_nosuch&tokenHash=x&secret=x&widgetId=_999&userRoleId=999"
      "&appToken:objectType=KalturaAppToken&userRole:objectType=KalturaUserRole";

  // The error code of calling service.action with `ks`, or "" when the call got past
  // authorization (it may still fail in the action).
  std::string Outcome(const ActionDef& def, const std::string& ks) {
    std::string target = "/api_v3/service/" + std::string(def.service) + "/action/" +
                         std::string(def.action) + "?format=1" + kArgs;
    if (!ks.empty()) target += "&ks=" + ks;
    std::string body = dispatcher_->Handle(Request{"GET", target, "", "", "127.0.0.1"}).body;
    for (const char* code : {"SERVICE_FORBIDDEN\"", "MISSING_KS\""}) {
      if (body.find(std::string("\"code\":\"") + code) != std::string::npos) {
        return std::string(code).substr(0, std::string(code).size() - 1);
      }
    }
    return "";
  }

  // The actions a KS made by `make_ks` reaches (a fresh KS per call: session.end revokes).
  template <typename MakeKs>
  std::set<std::string> Reachable(MakeKs make_ks) {
    std::set<std::string> allowed;
    for (const ActionDef& def : table_.actions()) {
      if (Outcome(def, make_ks()).empty()) {
        allowed.insert(std::string(def.service) + "." + std::string(def.action));
      }
    }
    return allowed;
  }

  FakeClock clock_;
  app::App app_;
  store::Store& store_;
  const std::shared_ptr<const services::Authorizer> authorizer_;  // never reloaded here
  const services::PermissionCatalogue& catalogue_;
  const services::KsIssuer& issuer_;
  const services::UserRoleService& roles_;
  const ActionTable& table_;
  const Dispatcher* dispatcher_;
  store::Partner partner_;
};

TEST_F(AuthorizationTest, EveryServedActionIsInTheCatalogue) {
  for (const ActionDef& def : table_.actions()) {
    std::string key = AsciiLower(def.service) + "." + AsciiLower(def.action);
    EXPECT_FALSE(catalogue_.Granting(key).test(services::PermissionCatalogue::kEveryActionBit))
        << key << " is granted by no permission";
  }
}

TEST_F(AuthorizationTest, EveryCatalogueActionIsServed) {
  for (const services::PermissionDef& p : catalogue_.permissions()) {
    for (const std::string& action : p.actions) {
      size_t dot = action.find('.');
      EXPECT_NE(table_.Find(AsciiLower(action.substr(0, dot)), AsciiLower(action.substr(dot + 1))),
                nullptr)
          << p.name << " names " << action << ", which ksgate does not serve";
    }
  }
}

const std::set<std::string> kAlwaysAllowed = {
    "session.start", "session.end", "session.startWidgetSession", "system.ping", "system.getTime"};

std::set<std::string> With(std::set<std::string> base, std::initializer_list<const char*> more) {
  for (const char* m : more) base.insert(m);
  return base;
}

TEST_F(AuthorizationTest, NoKsReachesOnlyTheAlwaysAllowedActions) {
  EXPECT_EQ(Reachable([] { return std::string(); }), kAlwaysAllowed);
}

TEST_F(AuthorizationTest, WidgetKsReachesTheWidgetRole) {
  EXPECT_EQ(Reachable([&] { return Ks(0, "view:*,widget:1"); }),
            With(kAlwaysAllowed, {"appToken.startSession"}));
}

TEST_F(AuthorizationTest, UserKsReachesTheBaseUserRole) {
  EXPECT_EQ(Reachable([&] { return Ks(0, ""); }), With(kAlwaysAllowed, {"appToken.startSession"}));
}

TEST_F(AuthorizationTest, AdminKsReachesEverything) {
  std::set<std::string> all;
  for (const ActionDef& def : table_.actions()) {
    all.insert(std::string(def.service) + "." + std::string(def.action));
  }
  EXPECT_EQ(Reachable([&] { return Ks(2, ""); }), all);
}

TEST_F(AuthorizationTest, SetRoleLimitsAnAdminKs) {
  KSGATE_ASSERT_OK_AND_ASSIGN(
      store::UserRole role,
      roles_.Add(partner_.id, {.name = services::Patch<std::string>::Of("reader"),
                               .system_name = services::Patch<std::string>::Of("READER"),
                               .permission_names = services::Patch<std::string>::Of(
                                   "SESSION_READ_PERMISSION,APP_TOKEN_BASE")}));
  EXPECT_EQ(Reachable([&] { return Ks(2, "setrole:READER"); }),
            With(kAlwaysAllowed, {"session.get", "appToken.get", "appToken.list"}));
  EXPECT_EQ(Reachable([&] { return Ks(0, "setrole:" + std::to_string(role.id)); }),
            With(kAlwaysAllowed, {"session.get", "appToken.get", "appToken.list"}));
}

TEST_F(AuthorizationTest, ForbiddenNamesServiceAndAction) {
  std::string body =
      dispatcher_
          ->Handle(Request{
              "GET", "/api_v3/service/apptoken/action/add?format=1&appToken:x=1&ks=" + Ks(0, ""),
              "", "", ""})
          .body;
  EXPECT_THAT(body,
              HasSubstr("\"message\":\"The access to service [apptoken->add] is forbidden\""));
}

TEST_F(AuthorizationTest, NoKsButAPartnerIsForbiddenRatherThanMissingKs) {
  std::string body =
      dispatcher_
          ->Handle(Request{"GET",
                           "/api_v3/service/apptoken/action/list?format=1&partnerId=" +
                               std::to_string(partner_.id),
                           "", "", ""})
          .body;
  EXPECT_THAT(body, HasSubstr("\"code\":\"SERVICE_FORBIDDEN\""));
}

TEST_F(AuthorizationTest, EachMultirequestItemIsCheckedOnItsOwn) {
  std::string user = Ks(0, "");
  std::string admin = Ks(2, "");
  std::string body = dispatcher_
                         ->Handle(Request{"GET",
                                          "/api_v3/service/multirequest?format=1&ks=" + user +
                                              "&1:service=system&1:action=ping"
                                              "&2:service=appToken&2:action=list"
                                              "&3:service=appToken&3:action=list&3:ks=" +
                                              admin,
                                          "", "", ""})
                         .body;
  EXPECT_THAT(body, HasSubstr("[true,{\"code\":\"SERVICE_FORBIDDEN\""));
  EXPECT_THAT(body, HasSubstr("\"objectType\":\"KalturaAppTokenListResponse\"}]"));
}

TEST_F(AuthorizationTest, UnknownSetRoleFailsTheCall) {
  std::string body =
      dispatcher_
          ->Handle(Request{
              "GET", "/api_v3/service/system/action/ping?format=1&ks=" + Ks(0, "setrole:GHOST"), "",
              "", ""})
          .body;
  EXPECT_THAT(body, HasSubstr("\"code\":\"INVALID_OBJECT_ID\""));
}

TEST_F(AuthorizationTest, ActionsLimitCountsRequests) {
  std::string ks = Ks(2, "actionslimit:3");
  auto ping = [&] {
    return dispatcher_
        ->Handle(Request{"GET", "/api_v3/service/session/action/get?format=1&ks=" + ks, "", "", ""})
        .body;
  };
  for (int i = 0; i < 3; ++i) EXPECT_THAT(ping(), HasSubstr("KalturaSessionInfo")) << i;
  EXPECT_THAT(ping(), HasSubstr("Invalid KS \\\"EXCEEDED_ACTIONS_LIMIT\\\""));
  EXPECT_THAT(
      dispatcher_
          ->Handle(Request{
              "GET", "/api_v3/service/session/action/get?format=1&ks=" + Ks(2, "actionslimit:x"),
              "", "", ""})
          .body,
      HasSubstr("INVALID_ACTIONS_LIMIT"));
}

TEST_F(AuthorizationTest, IpAndUriRestrictions) {
  std::string ip_ks = Ks(2, "iprestrict:10.0.0.0/8");
  auto call = [&](const std::string& ks, const std::string& ip) {
    return dispatcher_
        ->Handle(Request{"GET", "/api_v3/service/session/action/get?format=1&ks=" + ks, "", "", ip})
        .body;
  };
  EXPECT_THAT(call(ip_ks, "10.1.2.3"), HasSubstr("KalturaSessionInfo"));
  EXPECT_THAT(call(ip_ks, "192.0.2.1"), HasSubstr("EXCEEDED_RESTRICTED_IP"));
  std::string uri_ks = Ks(2, "urirestrict:/api_v3/service/session/action/get*");
  EXPECT_THAT(call(uri_ks, "1.1.1.1"), HasSubstr("KalturaSessionInfo"));
  EXPECT_THAT(
      dispatcher_
          ->Handle(Request{"GET", "/api_v3/service/apptoken/action/list?format=1&ks=" + uri_ks, "",
                           "", ""})
          .body,
      HasSubstr("EXCEEDED_RESTRICTED_URI"));
}

}  // namespace
}  // namespace ksgate::api
