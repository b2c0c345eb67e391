#include "obs/log_line.h"

#include <gtest/gtest.h>

#include <string>

namespace ksgate::obs {
namespace {

std::string TimeText(int64_t micros) {
  std::string out;
  AppendTime(micros, &out);
  return out;
}

TEST(AppendTime, IsRfc3339UtcWithMicroseconds) {
  EXPECT_EQ(TimeText(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(TimeText(1'700'000'000'123'456), "2023-11-14T22:13:20.123456Z");
  // The cached date part is redone when the second changes.
  EXPECT_EQ(TimeText(1'700'000'001'000'007), "2023-11-14T22:13:21.000007Z");
  EXPECT_EQ(TimeText(1'700'000'001'999'999), "2023-11-14T22:13:21.999999Z");
}

TEST(JsonLine, WritesFieldsInOrderEscapingValues) {
  std::string out;
  JsonLine line(&out);
  line.String("a", "x\"y\n").Int("n", -42).Bool("b", true).Raw("r", "[1,2]");
  line.Object("o").String("k", "v").Close().Int("after", 1);
  line.End();
  EXPECT_EQ(out,
            "{\"a\":\"x\\\"y\\n\",\"n\":-42,\"b\":true,\"r\":[1,2],\"o\":{\"k\":\"v\"},"
            "\"after\":1}\n");
}

TEST(JsonLine, EmptyNestedObject) {
  std::string out;
  JsonLine line(&out);
  line.Object("o").Close();
  line.End();
  EXPECT_EQ(out, "{\"o\":{}}\n");
}

TEST(RequestScope, SetsAndRestoresTheCurrentRequest) {
  EXPECT_EQ(CurrentRequest(), nullptr);
  const RequestContext outer{"r-1", "192.0.2.1"};
  {
    RequestScope a(outer);
    ASSERT_NE(CurrentRequest(), nullptr);
    EXPECT_EQ(CurrentRequest()->request_id, "r-1");
    const RequestContext inner{"r-2", ""};
    {
      RequestScope b(inner);
      EXPECT_EQ(CurrentRequest()->request_id, "r-2");
    }
    EXPECT_EQ(CurrentRequest()->request_id, "r-1");
  }
  EXPECT_EQ(CurrentRequest(), nullptr);
}

}  // namespace
}  // namespace ksgate::obs
