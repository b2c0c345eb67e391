// ApiExchange::StoreFailed: what a request answers when the store writer's batch that ran it
// failed to commit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "api/api_exchange_test_fixture.h"

namespace ksgate::api {
namespace {

using exchange_testing::ApiExchangeTest;
using Kind = Step::Kind;

// Every item is the database error, those already answered too: they may have read what the
// failed batch wrote. A single call is the error itself.
TEST_F(ApiExchangeTest, StoreFailedIsTheDatabaseErrorForEveryItem) {
  const std::string failed = JsonError(ApiError::Of(errors::kInternalDatabaseError));
  const std::string items =
      "\"1\":{\"service\":\"system\",\"action\":\"ping\"},\"2\":{\"service\":\"session\","
      "\"action\":\"start\",\"secret\":\"adminA\",\"partnerId\":" +
      std::to_string(partner_.id) + "},\"3\":{\"service\":\"system\",\"action\":\"ping\"}";

  // First: later exchanges leave the partner cached, and this one would run inline.
  std::unique_ptr<Exchange> single = Begin(Get(SessionStartTarget()));
  ASSERT_EQ(Inline(*single).kind, Kind::kNeedsStore);
  ASSERT_EQ(single->Advance(Exchange::Mode::kMayBlock).kind, Kind::kRespond);
  EXPECT_EQ(single->StoreFailed().body, failed);

  std::unique_ptr<Exchange> ran = Begin(Multi("", items));
  Step done = Inline(*ran);
  if (done.kind == Kind::kNeedsStore) done = ran->Advance(Exchange::Mode::kMayBlock);
  ASSERT_EQ(done.kind, Kind::kRespond);
  ASSERT_THAT(done.response.body, ::testing::StartsWith("[true,\"djJ8"));
  EXPECT_EQ(ran->StoreFailed().body, "[" + failed + "," + failed + "," + failed + "]");
  EXPECT_EQ(ran->facts()->code, "INTERNAL_DATABASE_ERROR");
}

}  // namespace
}  // namespace ksgate::api
