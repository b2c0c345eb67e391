// Reloading the policy (App::Reload): new requests see the new permissions, upstreams and
// routes; requests begun before keep theirs; a reload that fails changes nothing.
#include "api/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/gate_test_fixture.h"

namespace ksgate::api {
namespace {

using ::ksgate::testing::IsOk;
using ::ksgate::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

using Kind = Step::Kind;

class PolicyTest : public GateTest {
 protected:
  // GET media.list with a user KS: the user role holds MEDIA_READ only by the fixture's
  // permissions file.
  Request MediaList() const {
    return Get("/api_v3/service/media/action/list?format=1&ks=" + UserKs());
  }

  // The fixture's gateway, less `drop` services' upstream, plus `extra` upstreams.
  static GatewayOptions Gateway(std::vector<std::string> upstreams,
                                std::vector<std::string> routes = {"GET /v1/items*=media.list"}) {
    GatewayOptions gateway = GatewayFrom(upstreams, routes);
    gateway.signing_key = std::string(kSigningKey);
    return gateway;
  }

  // The fixture's permissions file, or none.
  static std::optional<services::PermissionCatalogue> Catalogue(bool with_media_read) {
    if (!with_media_read) return std::nullopt;
    return Options(std::chrono::hours(1)).catalogue;
  }

  Step Authorize(const std::string& uri) const {
    std::unique_ptr<Exchange> ex = Begin(MakeRequest(
        "GET", "/ksgate/v1/authorize", {{"X-Original-Method", "GET"}, {"X-Original-URI", uri}}));
    return Drive(*ex);
  }
};

TEST_F(PolicyTest, NewRequestsAreDecidedUnderTheReloadedPermissions) {
  ASSERT_EQ(Drive(*Begin(MediaList())).kind, Kind::kForward);
  ASSERT_THAT(app_.Reload(Catalogue(false), Gateway({std::string(kMediaUpstream)})), IsOk());
  const Step step = Drive(*Begin(MediaList()));
  ASSERT_EQ(step.kind, Kind::kRespond);
  EXPECT_THAT(step.response.body, HasSubstr("SERVICE_FORBIDDEN"));
  // And back.
  ASSERT_THAT(app_.Reload(Catalogue(true), Gateway({std::string(kMediaUpstream)})), IsOk());
  EXPECT_EQ(Drive(*Begin(MediaList())).kind, Kind::kForward);
}

TEST_F(PolicyTest, NewRequestsGoToTheReloadedUpstreams) {
  ASSERT_THAT(app_.Reload(Catalogue(true), Gateway({"media=http://10.9.9.9:7000"})), IsOk());
  const Step step = Drive(*Begin(MediaList()));
  ASSERT_EQ(step.kind, Kind::kForward) << step.response.body;
  EXPECT_EQ(step.upstream.host, "10.9.9.9");
  EXPECT_EQ(step.upstream.port, 7000);
  // reports lost its upstream: it is no service at all now.
  const Step reports =
      Drive(*Begin(Get("/api_v3/service/reports/action/get?format=1&ks=" + AdminKs())));
  ASSERT_EQ(reports.kind, Kind::kRespond);
  EXPECT_THAT(reports.response.body, HasSubstr("SERVICE_DOES_NOT_EXISTS"));
}

TEST_F(PolicyTest, AuthorizeUsesTheReloadedRoutes) {
  const std::string ks = UserKs();
  EXPECT_EQ(Authorize("/v1/items/7?ks=" + ks).response.status, 204);
  ASSERT_THAT(app_.Reload(Catalogue(true),
                          Gateway({std::string(kMediaUpstream)}, {"GET /v2/things*=media.list"})),
              IsOk());
  EXPECT_EQ(Authorize("/v1/items/7?ks=" + ks).response.status, 403);
  EXPECT_EQ(Authorize("/v2/things/7?ks=" + ks).response.status, 204);
}

TEST_F(PolicyTest, ARequestBegunBeforeAReloadKeepsThePolicyItBeganWith) {
  std::unique_ptr<Exchange> before = Begin(MediaList());
  ASSERT_THAT(app_.Reload(Catalogue(false), Gateway({"media=http://10.9.9.9:7000"})), IsOk());
  const Step step = Drive(*before);
  ASSERT_EQ(step.kind, Kind::kForward) << step.response.body;
  EXPECT_EQ(step.upstream.host, "media.internal");
  EXPECT_EQ(step.upstream.port, 8080);
}

TEST_F(PolicyTest, AReloadThatFailsChangesNothing) {
  EXPECT_THAT(app_.Reload(Catalogue(false), Gateway({"session=http://10.9.9.9"})),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("ksgate serves \"session\"")));
  EXPECT_THAT(app_.Reload(Catalogue(false), Gateway({"media=http://a", "media=http://b"})),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("named twice")));
  const Step step = Drive(*Begin(MediaList()));
  ASSERT_EQ(step.kind, Kind::kForward) << step.response.body;
  EXPECT_EQ(step.upstream.host, "media.internal");
  EXPECT_TRUE(app_.authorizer()->catalogue().Find("MEDIA_READ").has_value());
}

TEST_F(PolicyTest, ServicesUseTheReloadedCatalogue) {
  const std::string list = "/api_v3/service/permission/action/list?format=1&ks=" + AdminKs();
  EXPECT_THAT(app_.dispatcher().Handle(Get(list)).body, HasSubstr("\"MEDIA_READ\""));
  ASSERT_THAT(app_.Reload(Catalogue(false), Gateway({std::string(kMediaUpstream)})), IsOk());
  const std::string body = app_.dispatcher().Handle(Get(list)).body;
  EXPECT_THAT(body, Not(HasSubstr("\"MEDIA_READ\"")));
  EXPECT_THAT(body, HasSubstr("\"objectType\":\"KalturaPermissionListResponse\""));
}

// Requests on several threads while another reloads over and over: each is decided under one
// whole policy (forwarded to the upstream of the set that allows it, or refused by the one
// that does not), never a mix.
TEST_F(PolicyTest, ConcurrentReloadsNeverShowAHalfBuiltPolicy) {
  std::atomic<bool> stop{false};
  std::thread reloader([&] {
    bool with = false;
    while (!stop.load()) {
      // With MEDIA_READ, media is at upstream A; without, at B (where user KSs may not call it).
      const std::string upstream = with ? "media=http://10.0.0.1" : "media=http://10.0.0.2";
      EXPECT_THAT(app_.Reload(Catalogue(with), Gateway({upstream})), IsOk());
      with = !with;
    }
  });
  std::vector<std::thread> clients;
  std::atomic<int> mixed{0};
  std::atomic<int> forwarded{0};
  for (int t = 0; t < 3; ++t) {
    clients.emplace_back([&] {
      const Request request = MediaList();
      for (int i = 0; i < 300; ++i) {
        const Step step = Drive(*Begin(request));
        if (step.kind == Kind::kForward) {
          ++forwarded;
          if (step.upstream.host != "10.0.0.1" && step.upstream.host != "media.internal") ++mixed;
        } else if (step.response.body.find("SERVICE_FORBIDDEN") == std::string::npos) {
          ++mixed;
        }
      }
    });
  }
  for (std::thread& c : clients) c.join();
  stop = true;
  reloader.join();
  EXPECT_EQ(mixed.load(), 0);
}

}  // namespace
}  // namespace ksgate::api
