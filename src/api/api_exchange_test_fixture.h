// The fixture of the ApiExchange tests (api_exchange_test.cc, api_exchange_store_test.cc).
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "api/api_exchange.h"
#include "api/gate_test_fixture.h"
#include "api/value.h"

namespace ksgate::api::exchange_testing {

class ApiExchangeTest : public GateTest {
 protected:
  using GateTest::GateTest;

  // A session.start of an admin KS of the partner (JSON): needs the partner from the store.
  std::string SessionStartTarget() const {
    return "/api_v3/service/session/action/start?format=1&secret=adminA&type=2&partnerId=" +
           std::to_string(partner_.id);
  }
  // Serves a session.start to the end (reading the partner, so caching it when the app has a
  // cache), then forgets the backend calls it made.
  void StartASessionFirst() {
    ASSERT_THAT(app_.dispatcher().Handle(Get(SessionStartTarget())).body,
                ::testing::StartsWith("\"djJ8"));
    backend_->Reset();
  }
  // A multirequest whose body is JSON: `items` are the members after "format" and "ks".
  static Request Multi(const std::string& ks, const std::string& items, int format = 1) {
    std::string body = "{\"format\":" + std::to_string(format);
    if (!ks.empty()) body += ",\"ks\":\"" + ks + "\"";
    body += "," + items + "}";
    return MakeRequest("POST", "/api_v3/service/multirequest",
                       {{"Content-Type", "application/json"}, {"Cookie", "session=1"}},
                       "application/json", body);
  }
  // Serves a ping with `ks`, so that what checking the KS reads is cached, then forgets the
  // backend calls it made.
  void WarmUp(const std::string& ks) {
    ASSERT_EQ(
        app_.dispatcher().Handle(Get("/api_v3/service/system/action/ping?format=1&ks=" + ks)).body,
        "true");
    backend_->Reset();
  }
  // The JSON text of one KalturaAPIException, as ksgate writes it.
  static std::string JsonError(const ApiError& e) {
    std::string out;
    AppendJsonError(e, &out);
    return out;
  }
};

}  // namespace ksgate::api::exchange_testing
