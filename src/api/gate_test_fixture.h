// Shared by the gate's tests (gateway_test.cc, api_exchange_test.cc, authorize_test.cc):
// GatewayFrom, gateway options parsed from flag texts; and GateTest, a fixture with the app over
// a counting MemoryStore behind a real cache, two upstream services, authorize routes, a signing
// key and an operator permission that lets user KSs call `media.list`; one partner, a fake
// clock, and helpers that drive an Exchange step by step as the HTTP layer does. Test targets
// only.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/gateway.h"
#include "api/handler.h"
#include "api/head_lines_testing.h"
#include "api/identity.h"
#include "api/json_value.h"
#include "app/app.h"
#include "common/clock.h"
#include "ks/ks.h"
#include "store/blocking.h"
#include "store/test_util.h"
#include "testing/matchers.h"

namespace ksgate::api {

// Gateway options from `--upstream` and `--route` texts, each of which must parse.
inline GatewayOptions GatewayFrom(const std::vector<std::string>& upstreams,
                                  const std::vector<std::string>& routes) {
  GatewayOptions options;
  for (const std::string& u : upstreams) {
    Result<Upstream> parsed = ParseUpstream(u);
    EXPECT_THAT(parsed, ::ksgate::testing::IsOk()) << u;
    if (parsed.ok()) options.upstreams.push_back(std::move(parsed).value());
  }
  for (const std::string& r : routes) {
    Result<Route> parsed = ParseRoute(r);
    EXPECT_THAT(parsed, ::ksgate::testing::IsOk()) << r;
    if (parsed.ok()) options.routes.push_back(std::move(parsed).value());
  }
  return options;
}

class GateTest : public ::testing::Test {
 protected:
  static constexpr int64_t kNow = 1767000000;
  static constexpr std::string_view kSigningKey = "gate-signing-key";
  static constexpr std::string_view kClientIp = "10.1.2.3";
  // Upstream 0 serves media and baseEntry under /base; upstream 1 serves reports.
  static constexpr std::string_view kMediaUpstream =
      "media,baseEntry=http://media.internal:8080/base";
  static constexpr std::string_view kReportsUpstream = "reports=http://10.0.0.7";

  GateTest() : GateTest(std::chrono::hours(1)) {}
  explicit GateTest(std::chrono::milliseconds cache_ttl)
      : clock_(kNow), app_(MakeBackend(&backend_), clock_, Options(cache_ttl)) {}

  static app::AppOptions Options(std::chrono::milliseconds cache_ttl) {
    app::AppOptions options;
    options.cache_ttl = cache_ttl;
    options.gateway = GatewayFrom({std::string(kMediaUpstream), std::string(kReportsUpstream)},
                                  {"GET /v1/items*=media.list", "DELETE /v1/items/*=media.delete",
                                   "* /v1/reports/*=reports.get"});
    options.gateway.signing_key = std::string(kSigningKey);
    Result<services::PermissionCatalogue> catalogue =
        services::PermissionCatalogue::BuiltIn().Extend(
            "[permission MEDIA_READ]\nactions = media.list\n"
            "[role BASE_USER_SESSION_ROLE]\npermissions = MEDIA_READ\n");
    EXPECT_THAT(catalogue, ::ksgate::testing::IsOk());
    if (catalogue.ok()) options.catalogue = std::move(catalogue).value();
    return options;
  }

  // Creates the partner, then forgets the calls that made it and any stale would-block note.
  void SetUp() override {
    store::NewPartner p{.name = "A", .admin_secrets = {"adminA"}, .secret = "userA"};
    KSGATE_ASSERT_OK_AND_ASSIGN(partner_, app_.store().CreatePartner(p, kNow));
    backend_->Reset();
    store::TakeWouldBlock();
  }

  // A KS of the partner, valid for an hour from now (unless `valid_until` says otherwise).
  std::string Ks(int type, const std::string& privileges = "", int64_t valid_until = 0) const {
    ks::KsFields f{.partner_id = partner_.id,
                   .valid_until = valid_until != 0 ? valid_until : clock_.NowSeconds() + 3600,
                   .type = type,
                   .user = type == ks::kSessionTypeAdmin ? "admin" : "alice",
                   .privileges = privileges};
    return app_.issuer().Issue(partner_, f);
  }
  std::string AdminKs(const std::string& privileges = "") const {
    return Ks(ks::kSessionTypeAdmin, privileges);
  }
  std::string UserKs(const std::string& privileges = "") const {
    return Ks(ks::kSessionTypeUser, privileges);
  }

  // A request from the client at kClientIp. Header views must outlive the exchange.
  static Request MakeRequest(
      std::string method, std::string target,
      std::vector<std::pair<std::string_view, std::string_view>> headers = {},
      std::string content_type = "", std::string body = "") {
    Request r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.content_type = std::move(content_type);
    r.body = std::move(body);
    r.client_ip = std::string(kClientIp);
    r.headers = std::move(headers);
    return r;
  }
  static Request Get(std::string target) { return MakeRequest("GET", std::move(target)); }

  std::unique_ptr<Exchange> Begin(Request request) const {
    return app_.dispatcher().Begin(std::move(request));
  }
  static Step Inline(Exchange& exchange) { return exchange.Advance(Exchange::Mode::kInline); }
  static Step MayBlock(Exchange& exchange) { return exchange.Advance(Exchange::Mode::kMayBlock); }
  // For an exchange that needs the database: expects its inline turn to ask for a store thread
  // without a single backend call, then runs the store thread's turn and returns its step.
  Step InlineThenStoreThread(Exchange& exchange) const {
    EXPECT_EQ(Inline(exchange).kind, Step::Kind::kNeedsStore);
    EXPECT_THAT(backend_->calls(), ::testing::IsEmpty()) << "the inline turn touched the store";
    return MayBlock(exchange);
  }
  // What the HTTP layer does first: an inline turn, then a store thread's turn if asked for.
  static Step Drive(Exchange& exchange) {
    Step step = Inline(exchange);
    return step.kind == Step::Kind::kNeedsStore ? MayBlock(exchange) : step;
  }

  // A JSON answer read back (a top-level KalturaAPIException is the error).
  static Result<Value, ApiError> ReadJson(std::string_view body) {
    return ValueFromJson(body, 64, ApiError::Of(errors::kUpstreamBadAnswer, {"<test>"}));
  }

  // The value of the first field called `name` (exact case), or "<absent>".
  static std::string FieldValue(const HeaderFields& fields, std::string_view name) {
    for (const auto& [field, value] : fields) {
      if (field == name) return value;
    }
    return "<absent>";
  }

  // Every field `request` sends besides those the HTTP layer sets: its headers, then its
  // head_lines split back into fields.
  static HeaderFields SentFields(const UpstreamRequest& request) {
    return WithHeadLines(request.headers, request.head_lines);
  }
  // The fields of an answer: its headers, then its fixed_lines and head_lines split back into
  // fields.
  static HeaderFields AnswerFields(const Response& response) {
    return WithHeadLines(response.headers, std::string(response.fixed_lines) + response.head_lines);
  }

  // The identity fields the gate should have sent with `sent` (which carry the request id it
  // chose) for a call made with `ks` as `method` `target` at the clock's now. Reads the KS's
  // partner through the store: call it after the steps under test.
  HeaderFields ExpectedIdentity(const std::string& ks, const HeaderFields& sent,
                                std::string_view method, std::string_view target) const {
    Result<services::Caller, ApiError> caller = app_.authenticator().Parse(ks);
    EXPECT_THAT(caller, ::ksgate::testing::IsOk());
    if (!caller.ok()) return {};
    std::string lines;
    AppendIdentityLines(*caller, FieldValue(sent, "X-Ksgate-Request-Id"), method, target,
                        kSigningKey, clock_.NowSeconds(), &lines);
    return WithHeadLines({}, lines);
  }

  FakeClock clock_;
  store::testing::CountingStore* backend_ = nullptr;
  app::App app_;
  store::Partner partner_;

 private:
  static std::unique_ptr<store::Store> MakeBackend(store::testing::CountingStore** out) {
    auto backend = std::make_unique<store::testing::CountingStore>();
    *out = backend.get();
    return backend;
  }
};

}  // namespace ksgate::api
