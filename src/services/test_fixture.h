// Shared fixture for services tests: the app wired over a MemoryStore (no cache), two
// partners and a fake clock.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "app/app.h"
#include "common/clock.h"
#include "ks/ks.h"
#include "store/memory_store.h"
#include "testing/matchers.h"

namespace ksgate::services {

// Matches a page of a List call (app tokens or user roles) whose total_count is `n`:
//   EXPECT_THAT(tokens_.List(a_.id, {}), IsOkAndHolds(TotalCountIs(0)));
MATCHER_P(TotalCountIs, n, "has total_count " + ::testing::PrintToString(n)) {
  *result_listener << "whose total_count is " << arg.total_count;
  return arg.total_count == n;
}

class ServicesTest : public ::testing::Test {
 protected:
  static constexpr int64_t kNow = 1767000000;

  ServicesTest()
      : clock_(kNow),
        app_(std::make_unique<store::MemoryStore>(), clock_,
             {.cache_ttl = std::chrono::milliseconds(0)}),
        store_(app_.store()),
        authenticator_(app_.authenticator()),
        pinned_authorizer_(app_.authorizer()),
        authorizer_(*pinned_authorizer_),
        issuer_(app_.issuer()),
        sessions_(app_.sessions()),
        tokens_(app_.app_tokens()),
        roles_(app_.user_roles()) {}

  // Creates partners A and B. A fixture that overrides SetUp calls this first.
  void SetUp() override {
    store::NewPartner p;
    p.name = "A";
    p.admin_secrets = {"adminA", "adminA2"};
    p.secret = "userA";
    p.ks_max_expiry = 7200;
    KSGATE_ASSERT_OK_AND_ASSIGN(a_, store_.CreatePartner(p, kNow));
    p.name = "B";
    p.admin_secrets = {"adminB"};
    p.secret = "userB";
    KSGATE_ASSERT_OK_AND_ASSIGN(b_, store_.CreatePartner(p, kNow));
  }

  // Matches the INVALID_KS error Authenticator::Validate gives a KS that is no longer valid
  // for `reason` ("LOGOUT", "EXPIRED", ...), which Kaltura puts in the KSID argument.
  static auto IsInvalidKs(const std::string& reason) {
    return ::ksgate::testing::ApiErrorIs(
        errors::kInvalidKs,
        ::testing::ElementsAre(::testing::Pair("KSID", reason), ::testing::_, ::testing::_));
  }

  // Parses and validates `ks` as the dispatcher would; fails the test if it does not parse.
  Caller CallerOf(const std::string& ks) const {
    Result<Caller, ApiError> caller = authenticator_.Parse(ks);
    EXPECT_THAT(caller, ::ksgate::testing::IsOk());
    return caller.ok() ? *caller : Caller{};
  }

  std::string StartKs(const store::Partner& partner, int type, const std::string& secret,
                      const std::string& privileges = "") {
    StartSessionRequest r;
    r.partner_id = partner.id;
    r.secret = secret;
    r.type = type;
    r.privileges = privileges;
    Result<std::string, ApiError> ks = sessions_.Start(r);
    EXPECT_THAT(ks, ::ksgate::testing::IsOk());
    return ks.ok() ? *ks : "";
  }

  // A widget KS of `partner`; fails the test (and returns "") if none starts.
  std::string WidgetKs(const store::Partner& partner) {
    Result<WidgetSession, ApiError> widget =
        sessions_.StartWidgetSession("_" + std::to_string(partner.id), 86400);
    EXPECT_THAT(widget, ::ksgate::testing::IsOk());
    return widget.ok() ? widget->ks : "";
  }

  FakeClock clock_;
  app::App app_;
  store::Store& store_;
  const Authenticator& authenticator_;
  const std::shared_ptr<const Authorizer> pinned_authorizer_;  // the app's (never reloaded here)
  const Authorizer& authorizer_;
  const KsIssuer& issuer_;
  const SessionService& sessions_;
  const AppTokenService& tokens_;
  const UserRoleService& roles_;
  store::Partner a_;
  store::Partner b_;
};

}  // namespace ksgate::services
