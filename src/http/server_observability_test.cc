// http::Server's access log and metrics (ServerOptions::access_log, ::metrics), over a real
// socket: what each request's line says, what is counted, and what the gauges read.
#include <fstream>
#include <sstream>

#include "http/server_test_fixture.h"
#include "obs/access_log.h"
#include "obs/metrics.h"
#include "testing/scratch_dir.h"

namespace ksgate::http::server_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Reports facts as the API layer does: action 2 ("thing"); "/store" needs a store thread
// (write lane) first; "/fail" answers with a Kaltura error code.
class FactsExchange final : public api::Exchange {
 public:
  explicit FactsExchange(api::Request request) : request_(std::move(request)) {
    facts_.request_id = "rid-" + request_.method;
    facts_.method = request_.method;
    facts_.target = request_.target;
    facts_.client_ip = request_.client_ip;
    facts_.action = 2;
    facts_.action_name = "thing";
    facts_.partner_id = 7;
    facts_.app_token_id = "0_tok";
  }
  api::Step Advance(Mode mode) override {
    if (request_.target == "/store" && mode == Mode::kInline) {
      return api::Step::NeedsStore(api::Step::Lane::kWrite);
    }
    facts_.code = request_.target == "/fail" ? "INVALID_KS" : "ok";
    api::Response r;
    r.content_type = "text/plain";
    r.body = "0123456789";
    return api::Step::Respond(std::move(r));
  }
  void Deliver(api::UpstreamAnswer) override {}
  api::Response UpstreamFailed(api::UpstreamFailure) override { return {}; }
  api::Response Overloaded() override { return {}; }
  api::Response StoreFailed() override { return {}; }
  const api::RequestFacts* facts() const override { return &facts_; }

 private:
  api::Request request_;
  api::RequestFacts facts_;
};

class FactsHandler final : public api::RequestHandler {
 public:
  std::unique_ptr<api::Exchange> Begin(api::Request&& request) const override {
    return std::make_unique<FactsExchange>(std::move(request));
  }
  api::Response Reject(const api::Request&, std::string_view, uint64_t) const override {
    api::Response r;
    r.body = "too large";
    r.headers.emplace_back("X-Request-Id", "rejected-1");
    return r;
  }
};

class ServerObservabilityTest : public ::testing::Test {
 protected:
  ServerObservabilityTest() {
    obs::MetricsLabels labels;
    labels.actions = {"other", "multirequest", "thing"};
    metrics_ = std::make_unique<obs::Metrics>(labels);
    auto log = obs::AccessLog::Open((dir_.path() / "access.log").string());
    EXPECT_THAT(log, ::ksgate::testing::IsOk());
    access_log_ = std::move(log).value();
  }

  void Start() {
    ServerOptions options;
    options.port = 0;
    options.threads = 1;
    options.limits.shutdown_grace = 1s;
    options.limits.body_limit = 64;
    options.access_log = access_log_.get();
    options.metrics = metrics_.get();
    server_ = std::make_unique<Server>(std::move(options), handler_);
    ASSERT_THAT(server_->Listen(), ::ksgate::testing::IsOk());
    thread_ = std::thread([this] { server_->Run(); });
  }
  void TearDown() override {
    if (!server_) return;
    server_->Shutdown();
    thread_.join();
  }

  // The access log's lines once there are `count` (a request is logged just after its answer
  // is written, so the client may read the answer first), or what there is after 2 s.
  std::vector<std::string> Lines(size_t count) {
    std::vector<std::string> lines;
    const auto deadline = Clock::now() + 2s;
    do {
      access_log_->Flush();
      std::ifstream in(dir_.path() / "access.log");
      lines.clear();
      for (std::string line; std::getline(in, line);) lines.push_back(line);
      if (lines.size() >= count) break;
      std::this_thread::sleep_for(5ms);
    } while (Clock::now() < deadline);
    return lines;
  }

  ::ksgate::testing::ScratchDir dir_;
  FactsHandler handler_;
  std::unique_ptr<obs::Metrics> metrics_;
  std::unique_ptr<obs::AccessLog> access_log_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

TEST_F(ServerObservabilityTest, EachRequestIsOneAccessLogLineWithItsFacts) {
  Start();
  Client client(server_->port());
  ASSERT_TRUE(client.Send(Get("/api_v3/service/session/action/get?ks=SECRET&format=1")));
  const std::optional<HttpResponse> answer = client.Read();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->Header("x-request-id"), "rid-GET");  // from the exchange's facts
  ASSERT_TRUE(client.Send(Get("/fail")));
  ASSERT_TRUE(client.Read().has_value());

  const std::vector<std::string> lines = Lines(2);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr("\"request_id\":\"rid-GET\",\"client_ip\":\"127.0.0.1\","
                                  "\"method\":\"GET\",\"path\":\"/api_v3/service/session/action/"
                                  "get\",\"status\":200,\"action\":\"thing\",\"partner_id\":7,"
                                  "\"app_token_id\":\"0_tok\",\"code\":\"ok\",\"bytes_out\":10,"
                                  "\"latency_us\":"));
  EXPECT_THAT(lines[0], Not(HasSubstr("SECRET")));
  EXPECT_THAT(lines[1], HasSubstr("\"path\":\"/fail\""));
  EXPECT_THAT(lines[1], HasSubstr("\"code\":\"INVALID_KS\""));
  EXPECT_EQ(metrics_->RequestCountForTesting(2, "ok"), 1u);
  EXPECT_EQ(metrics_->RequestCountForTesting(2, "INVALID_KS"), 1u);
}

TEST_F(ServerObservabilityTest, TimeOnStoreThreadsIsMeasuredByLane) {
  Start();
  Client client(server_->port());
  ASSERT_TRUE(client.Send(Get("/store")));
  ASSERT_TRUE(client.Read().has_value());
  ASSERT_EQ(Lines(1).size(), 1u);  // observed: the store's time was counted before
  const std::string text = metrics_->Expose();
  EXPECT_THAT(text, HasSubstr("ksgate_store_duration_seconds_count{lane=\"write\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("ksgate_store_duration_seconds_count{lane=\"read\"} 0\n"));
}

TEST_F(ServerObservabilityTest, ARequestRefusedForItsSizeIsLoggedToo) {
  Start();
  Client client(server_->port());
  ASSERT_TRUE(client.Send(Post("/api_v3/service/x/action/y?ks=SECRET", std::string(100, 'a'))));
  const std::optional<HttpResponse> r = client.Read();
  ASSERT_TRUE(r.has_value());
  const std::vector<std::string> lines = Lines(1);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("\"request_id\":\"rejected-1\""));
  EXPECT_THAT(lines[0], HasSubstr("\"method\":\"POST\",\"path\":\"/api_v3/service/x/action/y\""));
  EXPECT_THAT(lines[0], HasSubstr("\"code\":\"REQUEST_LIMIT_EXCEEDED\""));
  EXPECT_EQ(metrics_->RequestCountForTesting(0, "REQUEST_LIMIT_EXCEEDED"), 1u);
}

TEST_F(ServerTest, TheAdminPathsGoToTheAdminHandlerAndNothingElseDoes) {
  EchoHandler admin;
  ServerOptions options = Options();
  options.admin_handler = &admin;
  Start(options);
  Client client(port());
  for (const char* path : {"/metrics", "/healthz?x=1", "/readyz"}) {
    ASSERT_TRUE(client.Send(Get(path)));
    ASSERT_TRUE(client.Read().has_value()) << path;
  }
  for (const char* path : {"/metrics/", "/api_v3/service/system/action/ping", "/healthzz"}) {
    ASSERT_TRUE(client.Send(Get(path)));
    ASSERT_TRUE(client.Read().has_value()) << path;
  }
  EXPECT_EQ(admin.handled(), 3);
  EXPECT_EQ(handler_.handled(), 3);
}

TEST_F(ServerObservabilityTest, OpenConnectionsAndTheStoreQueueAreReadable) {
  Start();
  EXPECT_EQ(server_->store_queue_depth(), 0u);
  Client a(server_->port());
  Client b(server_->port());
  ASSERT_TRUE(a.Send(Get("/x")));
  ASSERT_TRUE(a.Read().has_value());
  ASSERT_TRUE(b.Send(Get("/x")));
  ASSERT_TRUE(b.Read().has_value());
  EXPECT_EQ(server_->open_connections(), 2u);
}

}  // namespace
}  // namespace ksgate::http::server_test
