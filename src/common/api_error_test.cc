#include "common/api_error.h"

#include <gtest/gtest.h>

namespace ksgate {
namespace {

TEST(ApiError, FillsTemplateAndArgsInOrder) {
  ApiError e = ApiError::Of(errors::kAppTokenIdNotFound, {"0_nosuch"});
  EXPECT_EQ(e.code, "APP_TOKEN_ID_NOT_FOUND");
  EXPECT_EQ(e.message, "Application token id \"0_nosuch\" not found");
  ASSERT_EQ(e.args.size(), 1u);
  EXPECT_EQ(e.args[0].first, "ID");
  EXPECT_EQ(e.args[0].second, "0_nosuch");
}

TEST(ApiError, MissingArgumentBecomesNA) {
  ApiError e = ApiError::Of(errors::kInvalidKs, {"EXPIRED"});
  EXPECT_EQ(e.message, "Invalid KS \"EXPIRED\", Error \"N/A,N/A\"");
  ASSERT_EQ(e.args.size(), 3u);
  EXPECT_EQ(e.args[2].second, "N/A");
}

TEST(ApiError, NoArgsGivesEmptyArgs) {
  ApiError e = ApiError::Of(errors::kInvalidAppTokenHash);
  EXPECT_EQ(e.message, "Invalid application token hash");
  EXPECT_TRUE(e.args.empty());
}

TEST(ApiError, StripsTagsFromValues) {
  ApiError e = ApiError::Of(errors::kAppTokenIdNotFound, {"a<script>x</script>b"});
  EXPECT_EQ(e.args[0].second, "axb");
  EXPECT_EQ(e.message, "Application token id \"axb\" not found");
}

TEST(ApiError, ValueContainingPlaceholderIsNotExpandedTwice) {
  ApiError e = ApiError::Of(errors::kActionDoesNotExists, {"@SERVICE_NAME@", "svc"});
  EXPECT_EQ(e.message, "Action \"@SERVICE_NAME@\" does not exists for service \"svc\"");
}

}  // namespace
}  // namespace ksgate
