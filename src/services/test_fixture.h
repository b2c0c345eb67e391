// Shared fixture for services tests: a MemoryStore with two partners and a fake clock.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "common/clock.h"
#include "ks/ks.h"
#include "services/app_token_service.h"
#include "services/authenticator.h"
#include "services/authorizer.h"
#include "services/user_role_service.h"
#include "services/ks_issuer.h"
#include "services/session_service.h"
#include "store/memory_store.h"

namespace ksgate::services {

class ServicesTest : public ::testing::Test {
 protected:
  static constexpr int64_t kNow = 1767000000;

  ServicesTest()
      : clock_(kNow),
        authenticator_(store_, clock_),
        authorizer_(PermissionCatalogue::BuiltIn(), store_),
        issuer_(clock_),
        sessions_(store_, issuer_, authenticator_, authorizer_, clock_),
        tokens_(store_, issuer_, clock_),
        roles_(store_, PermissionCatalogue::BuiltIn(), clock_) {
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
  store::MemoryStore store_;
  Authenticator authenticator_;
  Authorizer authorizer_;
  KsIssuer issuer_;
  SessionService sessions_;
  AppTokenService tokens_;
  UserRoleService roles_;
  store::Partner a_;
  store::Partner b_;
};

}  // namespace ksgate::services
