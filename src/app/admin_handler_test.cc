#include "app/admin_handler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

#include "api/identity.h"
#include "common/clock.h"
#include "store/test_util.h"
#include "testing/matchers.h"

namespace ksgate::app {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr int64_t kNow = 1'767'000'000;

class AdminHandlerTest : public ::testing::Test {
 protected:
  AdminHandlerTest() : clock_(kNow), app_(MakeBackend(&backend_), clock_) {}

  static std::unique_ptr<store::Store> MakeBackend(store::testing::CountingStore** out) {
    auto backend = std::make_unique<store::testing::CountingStore>();
    *out = backend.get();
    return backend;
  }

  static api::Request Get(std::string target, std::string method = "GET") {
    api::Request r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.client_ip = "192.0.2.1";
    return r;
  }

  // Serves `request` as the HTTP layer does: inline, then on a store thread if asked.
  static api::Response Serve(const api::RequestHandler& handler, api::Request request) {
    std::unique_ptr<api::Exchange> ex = handler.Begin(std::move(request));
    api::Step step = ex->Advance(api::Exchange::Mode::kInline);
    if (step.kind == api::Step::Kind::kNeedsStore) {
      step = ex->Advance(api::Exchange::Mode::kMayBlock);
    }
    EXPECT_EQ(step.kind, api::Step::Kind::kRespond);
    return std::move(step.response);
  }

  FakeClock clock_;
  store::testing::CountingStore* backend_ = nullptr;
  App app_;
};

TEST_F(AdminHandlerTest, HealthzSaysOkWithARequestId) {
  AdminHandler handler(app_, AdminPaths::kServe);
  api::Request request = Get("/healthz");
  request.trusted_peer = true;  // a proxy in front names the request
  const std::string id = "probe-7";
  request.headers = {{"X-Request-Id", id}};
  std::unique_ptr<api::Exchange> ex = handler.Begin(std::move(request));
  const api::Step step = ex->Advance(api::Exchange::Mode::kInline);
  EXPECT_EQ(step.response.status, 200);
  EXPECT_EQ(step.response.body, "ok\n");
  ASSERT_NE(ex->facts(), nullptr);
  EXPECT_EQ(ex->facts()->request_id, "probe-7");  // the HTTP layer sends it as X-Request-Id
  EXPECT_EQ(ex->facts()->action_name, "admin");
  EXPECT_EQ(ex->facts()->code, "ok");
}

TEST_F(AdminHandlerTest, MetricsAreThePrometheusTextOfTheAppsMetrics) {
  AdminHandler handler(app_, AdminPaths::kServe);
  KSGATE_ASSERT_OK_AND_ASSIGN(
      store::Partner partner,
      app_.store().CreatePartner({.name = "p", .admin_secrets = {"a"}, .secret = "u"}, kNow));
  // A widget session issues a KS.
  api::Response widget =
      Serve(app_.dispatcher(), Get("/api_v3/service/session/action/startWidgetSession?widgetId=_" +
                                   std::to_string(partner.id) + "&format=1"));
  ASSERT_THAT(widget.body, HasSubstr("\"ks\""));
  const api::Response r = Serve(handler, Get("/metrics?anything=1"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(r.body, HasSubstr("ksgate_ks_issued_total{source=\"widget\"} 1\n"));
  EXPECT_THAT(r.body, HasSubstr("# TYPE ksgate_cache_hits_total counter\n"));
  EXPECT_THAT(r.body, HasSubstr("ksgate_cache_misses_total{kind=\"partner\"} 1\n"));
  EXPECT_THAT(r.body, HasSubstr("ksgate_cache_fresh 1\n"));
}

TEST_F(AdminHandlerTest, ReadyzProbesTheStoreOnAStoreThreadOnly) {
  AdminHandler handler(app_, AdminPaths::kServe);
  std::unique_ptr<api::Exchange> ex = handler.Begin(Get("/readyz"));
  backend_->Reset();
  EXPECT_EQ(ex->Advance(api::Exchange::Mode::kInline).kind, api::Step::Kind::kNeedsStore);
  EXPECT_EQ(backend_->call_count(), 0u) << "the I/O thread's turn touched the store";
  const api::Step step = ex->Advance(api::Exchange::Mode::kMayBlock);
  EXPECT_EQ(step.response.status, 200);
  EXPECT_EQ(step.response.body, "ready\n");
  EXPECT_THAT(backend_->calls(), ::testing::ElementsAre("GetPartner"));
}

TEST_F(AdminHandlerTest, ReadyzIs503WhileTheStoreFailsAndRecovers) {
  AdminHandler handler(app_, AdminPaths::kServe);
  backend_->FailWith(UnavailableError("connection refused by 10.0.0.5 (password=hunter2)"));
  api::Response r = Serve(handler, Get("/readyz"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "not ready: the store failed a probe (UNAVAILABLE)\n");
  // The store's own message (which might name a host or worse) stays in the server log.
  EXPECT_THAT(r.body, ::testing::Not(HasSubstr("hunter2")));

  backend_->FailWith(Status::Ok());
  // The failed answer is reused for a moment, then probed again.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  do {
    r = Serve(handler, Get("/readyz"));
    if (r.status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(r.status, 200);
}

TEST_F(AdminHandlerTest, OnlyGetAndHeadAreServed) {
  AdminHandler handler(app_, AdminPaths::kServe);
  EXPECT_EQ(Serve(handler, Get("/healthz", "HEAD")).status, 200);
  const api::Response r = Serve(handler, Get("/metrics", "POST"));
  EXPECT_EQ(r.status, 405);
  EXPECT_THAT(r.headers, Contains(Pair("Allow", "GET, HEAD")));
}

TEST_F(AdminHandlerTest, PathsAreExactAndEverythingElseIs404) {
  EXPECT_TRUE(api::IsAdminTarget("/metrics"));
  EXPECT_TRUE(api::IsAdminTarget("/readyz?verbose"));
  EXPECT_TRUE(api::IsAdminTarget("/healthz#x"));
  EXPECT_FALSE(api::IsAdminTarget("/metrics/"));
  EXPECT_FALSE(api::IsAdminTarget("/api_v3/metrics"));
  EXPECT_FALSE(api::IsAdminTarget("/healthz2"));
  EXPECT_FALSE(api::IsAdminTarget("/m"));
  AdminHandler handler(app_, AdminPaths::kServe);
  const api::Response r = Serve(handler, Get("/api_v3/service/system/action/ping?format=1"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "Not Found\n");
}

TEST_F(AdminHandlerTest, HiddenWhenAnAdminListenerServesThem) {
  AdminHandler hidden(app_, AdminPaths::kHide);
  EXPECT_EQ(Serve(hidden, Get("/metrics")).status, 404);
  EXPECT_EQ(Serve(hidden, Get("/healthz")).status, 404);
  EXPECT_EQ(Serve(hidden, Get("/readyz")).status, 404);
}

}  // namespace
}  // namespace ksgate::app
