#include "testing/matchers.h"

#include <gmock/gmock.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/api_error.h"
#include "common/result.h"
#include "common/status.h"

namespace ksgate::testing {
namespace {

using ::testing::_;
using ::testing::DescribeMatcher;
using ::testing::ElementsAre;
using ::testing::Gt;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Matcher;
using ::testing::Matches;
using ::testing::Not;
using ::testing::Pair;
using ::testing::PrintToString;
using ::testing::StringMatchResultListener;

// The explanation `matcher` gives for `value` (whether or not it matches).
template <typename T, typename M>
std::string Explain(const M& matcher, const T& value) {
  StringMatchResultListener listener;
  ::testing::ExplainMatchResult(matcher, value, &listener);
  return listener.str();
}

using ApiResult = Result<int, ApiError>;

const Result<int> kFive = 5;
const Result<int> kMissing = NotFoundError("no partner 9");
const ApiError kTokenNotFound = ApiError::Of(errors::kAppTokenIdNotFound, {"0_x"});
const std::string kWhichIsTokenNotFound =
    "which is APP_TOKEN_ID_NOT_FOUND: Application token id \"0_x\" not found";
const ApiResult kApiFive = 5;
const ApiResult kApiMissing = kTokenNotFound;

// --- Printers ---------------------------------------------------------------------------------

TEST(PrintTo, StatusPrintsCodeAndMessage) {
  EXPECT_EQ(PrintToString(NotFoundError("no partner 9")), "NOT_FOUND: no partner 9");
  EXPECT_EQ(PrintToString(Status::Ok()), "OK");
  EXPECT_EQ(PrintToString(StatusCode::kAborted), "ABORTED");
}

TEST(PrintTo, ApiErrorPrintsCodeMessageAndArgs) {
  EXPECT_EQ(PrintToString(kTokenNotFound),
            "APP_TOKEN_ID_NOT_FOUND: Application token id \"0_x\" not found {ID: \"0_x\"}");
  EXPECT_EQ(PrintToString(ApiError::Of(errors::kInvalidAppTokenHash)),
            "INVALID_APP_TOKEN_HASH: Invalid application token hash");
}

TEST(PrintTo, ResultPrintsItsValueOrItsError) {
  EXPECT_EQ(PrintToString(kFive), "OK(5)");
  EXPECT_EQ(PrintToString(kMissing), "NOT_FOUND: no partner 9");
  EXPECT_EQ(PrintToString(kApiMissing), PrintToString(kTokenNotFound));
  EXPECT_EQ(PrintToString(Result<std::string>("x")), "OK(\"x\")");
  EXPECT_EQ(PrintToString(Result<Void, ApiError>(Void{})), "OK");
}

TEST(PrintTo, AFailedExpectationShowsTheActualErrorAndWhatItIs) {
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(kApiMissing, ApiErrorIs(errors::kAppTokenExpired)),
                          "Expected: is API error APP_TOKEN_EXPIRED\n"
                          "  Actual: APP_TOKEN_ID_NOT_FOUND: Application token id \"0_x\" not "
                          "found {ID: \"0_x\"}, which is APP_TOKEN_ID_NOT_FOUND: Application "
                          "token id \"0_x\" not found");
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(kFive, IsOkAndHolds(6)),
                          "Expected: is OK and holds a value that is equal to 6\n"
                          "  Actual: OK(5), whose value 5 doesn't match");
}

// --- IsOk -------------------------------------------------------------------------------------

TEST(IsOk, MatchesAnOkStatusAndResultsHoldingAValue) {
  EXPECT_TRUE(Matches(IsOk())(Status::Ok()));
  EXPECT_TRUE(Matches(IsOk())(kFive));
  EXPECT_TRUE(Matches(IsOk())(kApiFive));
  const Result<Void, ApiError> done = Void{};
  EXPECT_THAT(done, IsOk());
}

TEST(IsOk, RejectsErrorsAndNamesThem) {
  EXPECT_FALSE(Matches(IsOk())(NotFoundError("no partner 9")));
  EXPECT_FALSE(Matches(IsOk())(kMissing));
  EXPECT_FALSE(Matches(IsOk())(kApiMissing));
  EXPECT_EQ(Explain(IsOk(), kMissing), "which is NOT_FOUND: no partner 9");
  EXPECT_EQ(Explain(IsOk(), kApiMissing), kWhichIsTokenNotFound);
  EXPECT_EQ(Explain(IsOk(), kFive), "which is OK");
}

TEST(IsOk, Describes) {
  EXPECT_EQ(DescribeMatcher<Status>(IsOk()), "is OK");
  EXPECT_EQ(DescribeMatcher<Result<int>>(IsOk(), /*negation=*/true), "is not OK");
}

// --- IsOkAndHolds -------------------------------------------------------------------------------

TEST(IsOkAndHolds, MatchesTheHeldValue) {
  EXPECT_TRUE(Matches(IsOkAndHolds(5))(kFive));
  EXPECT_TRUE(Matches(IsOkAndHolds(Gt(4)))(kApiFive));
  EXPECT_FALSE(Matches(IsOkAndHolds(6))(kFive));
  EXPECT_THAT(Result<std::string>("abc"), IsOkAndHolds(HasSubstr("b")));
}

TEST(IsOkAndHolds, RejectsAnErrorWithoutReadingTheValue) {
  EXPECT_FALSE(Matches(IsOkAndHolds(5))(kMissing));
  EXPECT_FALSE(Matches(IsOkAndHolds(_))(kApiMissing));
  EXPECT_EQ(Explain(IsOkAndHolds(5), kMissing), "which is NOT_FOUND: no partner 9");
  EXPECT_EQ(Explain(IsOkAndHolds(_), kApiMissing), kWhichIsTokenNotFound);
}

TEST(IsOkAndHolds, ExplainsAValueMismatchWithTheInnerMatcher) {
  EXPECT_EQ(Explain(IsOkAndHolds(Gt(7)), kFive), "whose value 5 doesn't match");
  EXPECT_EQ(Explain(IsOkAndHolds(5), kFive), "whose value 5 matches");
  EXPECT_THAT(Explain(IsOkAndHolds(ElementsAre(1, 2)), Result<std::vector<int>>({1, 3})),
              HasSubstr("element #1 doesn't match"));
}

TEST(IsOkAndHolds, WorksForMoveOnlyValues) {
  const Result<std::unique_ptr<int>> owned = std::make_unique<int>(3);
  EXPECT_THAT(owned, IsOkAndHolds(::testing::Pointee(3)));
}

TEST(IsOkAndHolds, Describes) {
  EXPECT_EQ(DescribeMatcher<Result<int>>(IsOkAndHolds(5)),
            "is OK and holds a value that is equal to 5");
  EXPECT_EQ(DescribeMatcher<const ApiResult&>(IsOkAndHolds(5), /*negation=*/true),
            "is not OK or holds a value that isn't equal to 5");
}

// --- StatusIs ---------------------------------------------------------------------------------

TEST(StatusIs, MatchesTheCodeOfAStatusOrResult) {
  EXPECT_TRUE(Matches(StatusIs(StatusCode::kNotFound))(NotFoundError("x")));
  EXPECT_TRUE(Matches(StatusIs(StatusCode::kNotFound))(kMissing));
  EXPECT_FALSE(Matches(StatusIs(StatusCode::kAborted))(kMissing));
  EXPECT_FALSE(Matches(StatusIs(StatusCode::kNotFound))(kFive));
  EXPECT_TRUE(Matches(StatusIs(StatusCode::kOk))(kFive)) << "a held value has code kOk";
}

TEST(StatusIs, MatchesTheMessageWithAStringOrAMatcher) {
  EXPECT_TRUE(Matches(StatusIs(StatusCode::kNotFound, "no partner 9"))(kMissing));
  EXPECT_TRUE(Matches(StatusIs(StatusCode::kNotFound, HasSubstr("partner")))(kMissing));
  EXPECT_FALSE(Matches(StatusIs(StatusCode::kNotFound, "no partner 8"))(kMissing));
  EXPECT_FALSE(Matches(StatusIs(StatusCode::kAborted, "no partner 9"))(kMissing));
}

TEST(StatusIs, ExplainsWithTheActualStatus) {
  EXPECT_EQ(Explain(StatusIs(StatusCode::kAborted), kMissing), "which is NOT_FOUND: no partner 9");
  EXPECT_EQ(Explain(StatusIs(StatusCode::kNotFound), kFive), "which is OK");
}

TEST(StatusIs, Describes) {
  EXPECT_EQ(DescribeMatcher<Status>(StatusIs(StatusCode::kNotFound)), "has status NOT_FOUND");
  EXPECT_EQ(DescribeMatcher<Result<int>>(StatusIs(StatusCode::kNotFound), true),
            "doesn't have status NOT_FOUND");
  EXPECT_EQ(DescribeMatcher<Status>(StatusIs(StatusCode::kNotFound, "gone")),
            "has status NOT_FOUND and a message that is equal to \"gone\"");
  EXPECT_EQ(DescribeMatcher<Status>(StatusIs(StatusCode::kNotFound, "gone"), true),
            "doesn't have status NOT_FOUND or has a message that isn't equal to \"gone\"");
}

// --- ApiErrorIs -------------------------------------------------------------------------------

TEST(ApiErrorIs, MatchesTheCodeOfAnApiErrorOrResult) {
  EXPECT_TRUE(Matches(ApiErrorIs(errors::kAppTokenIdNotFound))(kTokenNotFound));
  EXPECT_TRUE(Matches(ApiErrorIs(errors::kAppTokenIdNotFound))(kApiMissing));
  EXPECT_TRUE(Matches(ApiErrorIs("APP_TOKEN_ID_NOT_FOUND"))(kApiMissing));
  EXPECT_FALSE(Matches(ApiErrorIs(errors::kAppTokenExpired))(kApiMissing));
  EXPECT_FALSE(Matches(ApiErrorIs(errors::kAppTokenIdNotFound))(kApiFive));
}

TEST(ApiErrorIs, MatchesArgsAndMessage) {
  EXPECT_TRUE(Matches(ApiErrorIs(errors::kAppTokenIdNotFound, ElementsAre(Pair("ID", "0_x"))))(
      kApiMissing));
  EXPECT_FALSE(Matches(ApiErrorIs(errors::kAppTokenIdNotFound, ElementsAre(Pair("ID", "0_y"))))(
      kApiMissing));
  EXPECT_FALSE(Matches(ApiErrorIs(errors::kAppTokenIdNotFound, IsEmpty()))(kApiMissing));
  EXPECT_TRUE(
      Matches(ApiErrorIs(errors::kAppTokenIdNotFound, _, HasSubstr("\"0_x\"")))(kTokenNotFound));
  EXPECT_FALSE(Matches(ApiErrorIs(errors::kAppTokenIdNotFound, _, "other"))(kTokenNotFound));
}

TEST(ApiErrorIs, ExplainsWithTheActualError) {
  EXPECT_EQ(Explain(ApiErrorIs(errors::kAppTokenExpired), kApiMissing), kWhichIsTokenNotFound);
  EXPECT_EQ(Explain(ApiErrorIs(errors::kAppTokenIdNotFound), kApiFive), "which is OK");
  EXPECT_THAT(
      Explain(ApiErrorIs(errors::kAppTokenIdNotFound, ElementsAre(Pair("ID", "0_y"))), kApiMissing),
      HasSubstr("whose element #0 doesn't match"));
}

TEST(ApiErrorIs, Describes) {
  EXPECT_EQ(DescribeMatcher<ApiError>(ApiErrorIs(errors::kInvalidKs)), "is API error INVALID_KS");
  EXPECT_EQ(DescribeMatcher<ApiResult>(ApiErrorIs(errors::kInvalidKs), true),
            "isn't API error INVALID_KS");
  EXPECT_EQ(DescribeMatcher<ApiError>(ApiErrorIs(errors::kInvalidKs, IsEmpty(), "m")),
            "is API error INVALID_KS, with args that is empty, with a message that is equal to "
            "\"m\"");
  EXPECT_EQ(DescribeMatcher<ApiError>(ApiErrorIs(errors::kInvalidKs, IsEmpty()), true),
            "isn't API error INVALID_KS, or has args that isn't empty");
}

// --- KSGATE_ASSERT_OK_AND_ASSIGN -----------------------------------------------------------------

TEST(AssertOkAndAssign, AssignsTheValue) {
  KSGATE_ASSERT_OK_AND_ASSIGN(int five, kFive);
  EXPECT_EQ(five, 5);
  std::string text;
  KSGATE_ASSERT_OK_AND_ASSIGN(text, (Result<std::string, ApiError>("x")));
  EXPECT_EQ(text, "x");
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<int> owned,
                              Result<std::unique_ptr<int>>(std::make_unique<int>(3)));
  EXPECT_EQ(*owned, 3);
}

void AssignFromAnError() {
  KSGATE_ASSERT_OK_AND_ASSIGN(int value, kApiMissing);
  ADD_FAILURE() << "not reached: " << value;
}

TEST(AssertOkAndAssign, FailsFatallyOnAnErrorAndNamesIt) {
  EXPECT_FATAL_FAILURE(AssignFromAnError(),
                       "Value of: kApiMissing\nExpected: is OK\n  Actual: APP_TOKEN_ID_NOT_FOUND: "
                       "Application token id \"0_x\" not found {ID: \"0_x\"}");
}

}  // namespace
}  // namespace ksgate::testing
