#include "obs/server_log.h"

#include <gtest/gtest.h>

#include "obs/log_line.h"
#include "testing/matchers.h"

namespace ksgate::obs {
namespace {

using ::ksgate::testing::StatusIs;

TEST(ServerLog, JsonLineEscapesTheMessage) {
  EXPECT_EQ(JsonLogLineForTesting("warn", "bad \"name\"\n\x01", 0),
            "{\"time\":\"1970-01-01T00:00:00.000000Z\",\"level\":\"warn\","
            "\"msg\":\"bad \\\"name\\\"\\n\\u0001\"}");
}

TEST(ServerLog, JsonLineCarriesTheRequestBeingServed) {
  const RequestContext request{"abc-1", "198.51.100.7"};
  RequestScope scope(request);
  EXPECT_EQ(JsonLogLineForTesting("error", "failed", 1'000'000),
            "{\"time\":\"1970-01-01T00:00:01.000000Z\",\"level\":\"error\",\"msg\":\"failed\","
            "\"request_id\":\"abc-1\",\"client_ip\":\"198.51.100.7\"}");
}

TEST(ServerLog, RefusesUnknownLevelsAndFormats) {
  EXPECT_TRUE(IsLogLevel("trace"));
  EXPECT_TRUE(IsLogLevel("error"));
  EXPECT_FALSE(IsLogLevel("verbose"));
  EXPECT_TRUE(IsLogFormat("json"));
  EXPECT_FALSE(IsLogFormat("xml"));
  EXPECT_THAT(ConfigureServerLog({.level = "loud"}),
              StatusIs(StatusCode::kInvalidArgument,
                       "--log-level must be trace, debug, info, "
                       "warn or error, got 'loud'"));
  EXPECT_THAT(ConfigureServerLog({.format = "xml"}), StatusIs(StatusCode::kInvalidArgument));
}

TEST(ServerLog, AFileThatCannotBeOpenedIsAnError) {
  EXPECT_THAT(ConfigureServerLog({.file = "/nonexistent-dir/ksgate.log"}),
              StatusIs(StatusCode::kUnavailable));
}

}  // namespace
}  // namespace ksgate::obs
