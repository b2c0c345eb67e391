#include "api/authorize.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "api/gate_test_fixture.h"

namespace ksgate::api {
namespace {

using ::ksgate::testing::IsOk;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

using Headers = std::vector<std::pair<std::string_view, std::string_view>>;

TEST(IsAuthorizeTarget, IsTheEndpointOrBelowIt) {
  for (const char* target : {"/ksgate/v1/authorize", "/ksgate/v1/authorize?x=1",
                             "/ksgate/v1/authorize/", "/ksgate/v1/authorize/api_v3/service/a"}) {
    EXPECT_TRUE(IsAuthorizeTarget(target)) << target;
  }
  for (const char* target :
       {"/ksgate/v1/authorizer", "/ksgate/v1/authoriz", "/ksgate/v1", "/x/ksgate/v1/authorize",
        "/api_v3/service/system/action/ping", "/ksgate/v2/authorize"}) {
    EXPECT_FALSE(IsAuthorizeTarget(target)) << target;
  }
}

class AuthorizeTest : public GateTest {
 protected:
  // Asks the endpoint about a request, driving the exchange to its answer.
  Response Authorize(Request request) {
    std::unique_ptr<Exchange> ex = Begin(std::move(request));
    Step step = Drive(*ex);
    EXPECT_EQ(step.kind, Step::Kind::kRespond);
    return std::move(step.response);
  }
  // nginx auth_request: the original request in X-Original-Method / X-Original-URI.
  Response AuthorizeNginx(std::string_view method, std::string_view uri, Headers more = {}) {
    Headers headers = {{"X-Original-Method", method}, {"X-Original-URI", uri}};
    headers.insert(headers.end(), more.begin(), more.end());
    return Authorize(MakeRequest("GET", std::string(kAuthorizePath), std::move(headers)));
  }

  // The whole answer that allows a request `method` `target` made with `ks`: 204, the
  // identity fields signed over the original request, no caching.
  void ExpectAllowed(const Response& r, const std::string& ks, std::string_view method,
                     std::string_view target) {
    EXPECT_EQ(r.status, 204) << r.body;
    EXPECT_EQ(r.body, "");
    const HeaderFields sent = AnswerFields(r);
    HeaderFields want = {{"Cache-Control", "no-store"}};
    for (auto& field : ExpectedIdentity(ks, sent, method, target)) want.push_back(field);
    EXPECT_EQ(sent, want);
  }

  // A refusal: `status`, X-Ksgate-Error naming the code, and a small JSON body with it.
  static void ExpectRefused(const Response& r, int status, const ErrorDef& error) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_THAT(r.headers, Contains(Pair("X-Ksgate-Error", std::string(error.code))));
    EXPECT_THAT(r.headers, Contains(Pair("Cache-Control", "no-store")));
    EXPECT_THAT(r.body, ::testing::StartsWith("{\"code\":\"" + std::string(error.code) +
                                              "\",\"message\":\""));
    EXPECT_THAT(AnswerFields(r),
                ::testing::Not(Contains(Pair("X-Ksgate-Partner-Id", ::testing::_))));
  }
};

// --- Where the original request comes from ----------------------------------------------------

TEST_F(AuthorizeTest, NginxSendsTheOriginalRequestInXOriginalHeaders) {
  const std::string ks = AdminKs();
  const std::string uri = "/api_v3/service/media/action/list?ks=" + ks + "&x=1";
  ExpectAllowed(AuthorizeNginx("POST", uri), ks, "POST", uri);
}

TEST_F(AuthorizeTest, TraefikSendsItInXForwardedHeaders) {
  const std::string ks = AdminKs();
  const std::string uri = "/api_v3/service/media/action/list?ks=" + ks;
  ExpectAllowed(Authorize(MakeRequest("GET", "/ksgate/v1/authorize",
                                      {{"X-Forwarded-Method", "PUT"}, {"X-Forwarded-Uri", uri}})),
                ks, "PUT", uri);
}

TEST_F(AuthorizeTest, XOriginalHeadersWinOverXForwardedOnes) {
  const std::string ks = AdminKs();
  const std::string uri = "/api_v3/service/media/action/list?ks=" + ks;
  ExpectAllowed(Authorize(MakeRequest("GET", "/ksgate/v1/authorize",
                                      {{"X-Forwarded-Method", "DELETE"},
                                       {"X-Forwarded-Uri", "/elsewhere"},
                                       {"X-Original-Method", "GET"},
                                       {"X-Original-URI", uri}})),
                ks, "GET", uri);
}

TEST_F(AuthorizeTest, EnvoySendsItAsThePathBelowTheEndpointWithThisRequestsMethod) {
  const std::string ks = AdminKs();
  const std::string below = "/api_v3/service/media/action/list?ks=" + ks;
  ExpectAllowed(Authorize(MakeRequest("POST", "/ksgate/v1/authorize" + below)), ks, "POST", below);
}

TEST_F(AuthorizeTest, AMissingOriginalMethodIsThisRequestsMethod) {
  const std::string ks = AdminKs();
  const std::string uri = "/api_v3/service/media/action/list?ks=" + ks;
  ExpectAllowed(Authorize(MakeRequest("HEAD", "/ksgate/v1/authorize", {{"X-Original-URI", uri}})),
                ks, "HEAD", uri);
}

// --- Where the KS comes from ------------------------------------------------------------------

TEST_F(AuthorizeTest, TheKsComesFromTheAuthorizationHeaderFirst) {
  const std::string ks = AdminKs();
  const std::string uri = "/api_v3/service/media/action/list?ks=not-a-ks";
  for (const std::string& authorization :
       {"KS " + ks, "Bearer " + ks, "bearer\t" + ks, "ks  " + ks + " "}) {
    SCOPED_TRACE(authorization);
    ExpectAllowed(AuthorizeNginx("GET", uri, {{"Authorization", authorization}}), ks, "GET", uri);
  }
}

TEST_F(AuthorizeTest, AnAuthorizationHeaderOfAnotherSchemeCarriesNoKs) {
  const std::string uri = "/api_v3/service/media/action/list";
  for (const char* authorization : {"Basic eDp5", "KS", "Bearer", "KSx y"}) {
    SCOPED_TRACE(authorization);
    ExpectRefused(AuthorizeNginx("GET", uri, {{"Authorization", authorization}}), 401,
                  errors::kMissingKs);
  }
}

TEST_F(AuthorizeTest, TheKsComesFromTheOriginalUriOtherwise) {
  const std::string ks = AdminKs();
  for (const std::string& uri : {
           "/api_v3/service/media/action/list?ks=" + ks,
           "/api_v3/index.php?service=media&action=list&ks=" + ks,
           "/api_v3/service/media/action/list/ks/" + ks,
           "/v1/items?ks=" + ks,
           "/v1/items/ks/" + ks + "/more",
           "/v1/items/ks/" + ks,
       }) {
    SCOPED_TRACE(uri);
    ExpectAllowed(AuthorizeNginx("GET", uri), ks, "GET", uri);
  }
}

// --- Which call it is -------------------------------------------------------------------------

TEST_F(AuthorizeTest, AnApiV3UriNamesTheCallItself) {
  const std::string ks = UserKs();  // may call media.list only
  ExpectAllowed(AuthorizeNginx("GET", "/api_v3/service/Media/action/LIST?ks=" + ks), ks, "GET",
                "/api_v3/service/Media/action/LIST?ks=" + ks);
  ExpectRefused(AuthorizeNginx("GET", "/api_v3/service/media/action/delete?ks=" + ks), 403,
                errors::kServiceForbidden);
  // Even when a route would say otherwise.
  ExpectRefused(AuthorizeNginx("GET", "/v1/items?service=media&action=delete&ks=" + ks), 403,
                errors::kServiceForbidden);
}

TEST_F(AuthorizeTest, OtherwiseTheFirstMatchingRouteNamesIt) {
  const std::string ks = UserKs();
  const std::string auth = "KS " + ks;
  // GET /v1/items* -> media.list (granted); DELETE /v1/items/* -> media.delete (not).
  ExpectAllowed(AuthorizeNginx("GET", "/v1/items/0_abc?x=1", {{"Authorization", auth}}), ks, "GET",
                "/v1/items/0_abc?x=1");
  ExpectAllowed(AuthorizeNginx("get", "/v1/items", {{"Authorization", auth}}), ks, "get",
                "/v1/items");
  ExpectRefused(AuthorizeNginx("DELETE", "/v1/items/0_abc", {{"Authorization", auth}}), 403,
                errors::kServiceForbidden);
  // The admin may.
  const std::string admin = "Bearer " + AdminKs();
  EXPECT_EQ(AuthorizeNginx("DELETE", "/v1/items/0_abc", {{"Authorization", admin}}).status, 204);
  EXPECT_EQ(AuthorizeNginx("PATCH", "/v1/reports/7", {{"Authorization", admin}}).status, 204);
}

TEST_F(AuthorizeTest, NoRouteIsRouteNotFound) {
  const std::string auth = "KS " + AdminKs();
  for (const auto& [method, uri] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/v1/items"},             // GET only
           {"GET", "/v2/items"},              // no route
           {"GET", "/V1/items"},              // paths are case-sensitive
           {"GET", "/v1/reports"},            // the route is /v1/reports/*
           {"GET", "/api_v3/service/media"},  // no action
       }) {
    SCOPED_TRACE(method + " " + uri);
    const Response r = AuthorizeNginx(method, uri, {{"Authorization", auth}});
    ExpectRefused(r, 403, errors::kRouteNotFound);
  }
  const Response r = AuthorizeNginx("POST", "/v2/x?q=1", {{"Authorization", auth}});
  EXPECT_EQ(
      r.body,
      "{\"code\":\"ROUTE_NOT_FOUND\",\"message\":\"No route names the call [POST \\/v2\\/x]\"}");
}

// --- The decisions ----------------------------------------------------------------------------

TEST_F(AuthorizeTest, AKsThatIsMissingOrNotValidIs401) {
  struct Case {
    std::string name;
    std::string ks;
    ErrorDef error;
  };
  const std::string revoked = AdminKs();
  ASSERT_EQ(app_.dispatcher()
                .Handle(Get("/api_v3/service/session/action/end?format=1&ks=" + revoked))
                .body,
            "null");
  const std::vector<Case> cases = {
      {"none", "", errors::kMissingKs},
      {"garbage", "not-a-ks", errors::kInvalidKs},
      {"expired", Ks(ks::kSessionTypeAdmin, "", kNow), errors::kInvalidKs},
      {"revoked", revoked, errors::kInvalidKs},
      {"from another client address", AdminKs("iprestrict:192.0.2.1"), errors::kInvalidKs},
      {"for another URI", AdminKs("urirestrict:/api_v3/service/reports*"), errors::kInvalidKs},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::string uri = "/api_v3/service/media/action/list";
    if (!c.ks.empty()) uri += "?ks=" + c.ks;
    ExpectRefused(AuthorizeNginx("GET", uri), 401, c.error);
  }
}

TEST_F(AuthorizeTest, KsRestrictionsAreCheckedAgainstTheOriginalRequest) {
  const std::string ks = AdminKs("urirestrict:/api_v3/service/media*,iprestrict:10.1.2.0/24");
  const std::string uri = "/api_v3/service/media/action/list?ks=" + ks;
  ExpectAllowed(AuthorizeNginx("GET", uri), ks, "GET", uri);
}

TEST_F(AuthorizeTest, APartnerOtherThanTheKssIsForbidden) {
  const std::string ks = AdminKs();
  for (const std::string& uri :
       {"/api_v3/service/media/action/list?partnerId=" + std::to_string(partner_.id + 1) +
            "&ks=" + ks,
        "/api_v3/service/media/action/list?p=" + std::to_string(partner_.id + 1) + "&ks=" + ks}) {
    SCOPED_TRACE(uri);
    ExpectRefused(AuthorizeNginx("GET", uri), 403, errors::kServiceForbidden);
  }
  const std::string same =
      "/api_v3/service/media/action/list?partnerId=" + std::to_string(partner_.id) + "&ks=" + ks;
  ExpectAllowed(AuthorizeNginx("GET", same), ks, "GET", same);
}

TEST_F(AuthorizeTest, ABlockedPartnerIs403) {
  const std::string ks = AdminKs();
  ASSERT_THAT(app_.store().SetPartnerStatus(partner_.id, store::PartnerStatus::kBlocked, kNow),
              IsOk());
  ExpectRefused(AuthorizeNginx("GET", "/api_v3/service/media/action/list?ks=" + ks), 403,
                errors::kServiceForbiddenContentBlocked);
}

TEST_F(AuthorizeTest, AStoreFailureIs503) {
  const std::string ks = AdminKs();
  backend_->FailWith(UnavailableError("database down"));
  const Response r = AuthorizeNginx("GET", "/api_v3/service/media/action/list?ks=" + ks);
  ExpectRefused(r, 503, errors::kInternalDatabaseError);
  EXPECT_EQ(r.body.find("database down"), std::string::npos) << "store text is never returned";
}

TEST_F(AuthorizeTest, OverloadedIs503ServerBusy) {
  std::unique_ptr<Exchange> ex = Begin(MakeRequest(
      "GET", "/ksgate/v1/authorize",
      {{"X-Original-Method", "GET"}, {"X-Original-URI", "/api_v3/service/media/action/list"}}));
  ExpectRefused(ex->Overloaded(), 503, errors::kServerBusy);
}

// --- Inline turns -----------------------------------------------------------------------------

TEST_F(AuthorizeTest, AColdKsIsCheckedOnAStoreThreadAndAWarmOneInline) {
  const std::string ks = AdminKs();
  const std::string uri = "/api_v3/service/media/action/list?ks=" + ks;
  const Headers headers = {{"X-Original-Method", "GET"}, {"X-Original-URI", uri}};

  std::unique_ptr<Exchange> cold = Begin(MakeRequest("GET", "/ksgate/v1/authorize", headers));
  Step step = InlineThenStoreThread(*cold);
  ASSERT_EQ(step.kind, Step::Kind::kRespond);
  EXPECT_EQ(step.response.status, 204);

  backend_->Reset();
  std::unique_ptr<Exchange> warm = Begin(MakeRequest("GET", "/ksgate/v1/authorize", headers));
  step = Inline(*warm);
  ASSERT_EQ(step.kind, Step::Kind::kRespond);
  ExpectAllowed(step.response, ks, "GET", uri);
  EXPECT_THAT(backend_->calls(), IsEmpty());
}

TEST_F(AuthorizeTest, AnActionsLimitCountsTheCheckOnceEvenWhenItStartedInline) {
  ASSERT_THAT(app_.store().GetPartner(partner_.id), IsOk());  // so the KS parses inline
  const std::string ks = AdminKs("actionslimit:1");
  const std::string uri = "/api_v3/service/media/action/list?ks=" + ks;
  const Headers headers = {{"X-Original-Method", "GET"}, {"X-Original-URI", uri}};
  backend_->Reset();

  std::unique_ptr<Exchange> first = Begin(MakeRequest("GET", "/ksgate/v1/authorize", headers));
  Step step = InlineThenStoreThread(*first);
  ASSERT_EQ(step.kind, Step::Kind::kRespond);
  EXPECT_EQ(step.response.status, 204);
  const std::vector<std::string> calls = backend_->calls();
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "ConsumeAction"), 1)
      << ::testing::PrintToString(calls);

  ExpectRefused(Authorize(MakeRequest("GET", "/ksgate/v1/authorize", headers)), 401,
                errors::kInvalidKs);
}

}  // namespace
}  // namespace ksgate::api
