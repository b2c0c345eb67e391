#include "common/result.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "testing/matchers.h"

namespace ksgate {
namespace {

using ::ksgate::testing::IsOk;
using ::ksgate::testing::IsOkAndHolds;
using ::ksgate::testing::StatusIs;

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgumentError("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  KSGATE_ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

Status CheckEven(int x) {
  KSGATE_RETURN_IF_ERROR(Half(x).status());
  return Status::Ok();
}

TEST(Result, HoldsValueOrError) {
  Result<int> ok = Half(4);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 2);
  Result<int> bad = Half(3);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), StatusCode::kInvalidArgument);
}

TEST(Result, AssignOrReturnPropagatesFirstError) {
  EXPECT_THAT(Quarter(8), IsOkAndHolds(2));
  EXPECT_THAT(Quarter(6), StatusIs(StatusCode::kInvalidArgument, "odd"));
}

TEST(Result, ReturnIfErrorPropagates) {
  EXPECT_THAT(CheckEven(2), IsOk());
  EXPECT_THAT(CheckEven(1), StatusIs(StatusCode::kInvalidArgument));
}

TEST(Result, MovesOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  ASSERT_THAT(r, IsOk());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 5);
}

TEST(Status, ToStringNamesTheCode) {
  EXPECT_EQ(NotFoundError("partner 7").ToString(), "NOT_FOUND: partner 7");
  EXPECT_EQ(Status::Ok().ToString(), "OK");
}

}  // namespace
}  // namespace ksgate
