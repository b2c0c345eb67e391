// Shared fixture for services tests: the app wired over a MemoryStore (no cache), two
// partners and a fake clock.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "app/app.h"
#include "common/clock.h"
#include "ks/ks.h"
#include "store/memory_store.h"

namespace ksgate::services {

class ServicesTest : public ::testing::Test {
 protected:
  static constexpr int64_t kNow = 1767000000;

  ServicesTest()
      : clock_(kNow),
        app_(std::make_unique<store::MemoryStore>(), clock_,
             {.cache_ttl = std::chrono::milliseconds(0)}),
        store_(app_.store()),
        authenticator_(app_.authenticator()),
        authorizer_(app_.authorizer()),
        issuer_(app_.issuer()),
        sessions_(app_.sessions()),
        tokens_(app_.app_tokens()),
        roles_(app_.user_roles()) {
    store::NewPartner p;
    p.name = "A";
    p.admin_secrets = {"adminA", "adminA2"};
    p.secret = "userA";
    p.ks_max_expiry = 7200;
    a_ = *store_.CreatePartner(p, kNow);
    p.name = "B";
    p.admin_secrets = {"adminB"};
    p.secret = "userB";
    b_ = *store_.CreatePartner(p, kNow);
  }

  // Parses and validates `ks` as the dispatcher would; fails the test if it does not parse.
  Caller CallerOf(const std::string& ks) const {
    Result<Caller, ApiError> caller = authenticator_.Parse(ks);
    EXPECT_TRUE(caller.ok()) << (caller.ok() ? "" : caller.error().message);
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
    EXPECT_TRUE(ks.ok());
    return ks.ok() ? *ks : "";
  }

  std::string WidgetKs(const store::Partner& partner) {
    return sessions_.StartWidgetSession("_" + std::to_string(partner.id), 86400)->ks;
  }

  FakeClock clock_;
  app::App app_;
  store::Store& store_;
  const Authenticator& authenticator_;
  const Authorizer& authorizer_;
  const KsIssuer& issuer_;
  const SessionService& sessions_;
  const AppTokenService& tokens_;
  const UserRoleService& roles_;
  store::Partner a_;
  store::Partner b_;
};

}  // namespace ksgate::services
