// Test-only gMock matchers for Status, Result<T> and Result<T, ApiError> (modelled on abseil's
// status_matchers.h), gtest printers for those types, and an assertion that unwraps a Result.
//
//   EXPECT_THAT(store.GetPartner(9), StatusIs(StatusCode::kNotFound));
//   EXPECT_THAT(tokens.Get(partner_id, "0_x"),
//               ApiErrorIs(errors::kAppTokenIdNotFound, ElementsAre(Pair("ID", "0_x"))));
//   EXPECT_THAT(PeekPartnerId(ks), IsOkAndHolds(12345));
//   KSGATE_ASSERT_OK_AND_ASSIGN(store::Partner p, store.CreatePartner(new_partner, now));
//
// None of these reads the value of an error Result or the error of an OK one (Result aborts on
// either), so a regression fails one test instead of aborting the whole test binary. Only test
// targets link ksgate::testing.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "common/api_error.h"
#include "common/result.h"
#include "common/status.h"

namespace ksgate {

// gtest printers, found by argument-dependent lookup. Failure messages then read
//   NOT_FOUND: no partner 9
//   APP_TOKEN_ID_NOT_FOUND: Application token id "0_x" not found {ID: "0_x"}
// and a Result prints as its error, or as OK(<value>) (just OK for Result<Void, E>).
void PrintTo(StatusCode code, std::ostream* os);
void PrintTo(const Status& status, std::ostream* os);
void PrintTo(const ApiError& error, std::ostream* os);
void PrintTo(Void, std::ostream* os);

template <typename T, typename E>
void PrintTo(const Result<T, E>& result, std::ostream* os) {
  if (!result.ok()) {
    *os << ::testing::PrintToString(result.error());
    return;
  }
  *os << "OK";
  if constexpr (!std::is_same_v<T, Void>) {
    *os << "(" << ::testing::PrintToString(result.value()) << ")";
  }
}

namespace testing {
namespace matchers_internal {

using ApiErrorArgs = decltype(ApiError::args);

// The Status a Status-based outcome carries (OK for a Result holding a value).
inline Status StatusOf(const Status& status) { return status; }
template <typename T>
Status StatusOf(const Result<T, Status>& result) {
  return result.status();
}

// The ApiError an ApiError-based outcome carries, or null for a Result holding a value.
inline const ApiError* ApiErrorOf(const ApiError& error) { return &error; }
template <typename T>
const ApiError* ApiErrorOf(const Result<T, ApiError>& result) {
  return result.ok() ? nullptr : &result.error();
}

// "CODE: message" (without an ApiError's args, which the printed value shows): what a
// failure explanation says an error is.
std::string Summary(const Status& status);
std::string Summary(const ApiError& error);

// Whether an outcome is OK, and "OK" or the summary of its error.
inline bool IsOkOutcome(const Status& status) { return status.ok(); }
template <typename T, typename E>
bool IsOkOutcome(const Result<T, E>& result) {
  return result.ok();
}
inline std::string OutcomeText(const Status& status) { return Summary(status); }
template <typename T, typename E>
std::string OutcomeText(const Result<T, E>& result) {
  return result.ok() ? "OK" : Summary(result.error());
}

template <typename R>
struct ResultTraits;
template <typename T, typename E>
struct ResultTraits<Result<T, E>> {
  using value_type = T;
};

class IsOkMatcher {
 public:
  template <typename Outcome>
  bool MatchAndExplain(const Outcome& actual, ::testing::MatchResultListener* listener) const {
    *listener << "which is " << OutcomeText(actual);
    return IsOkOutcome(actual);
  }
  void DescribeTo(std::ostream* os) const { *os << "is OK"; }
  void DescribeNegationTo(std::ostream* os) const { *os << "is not OK"; }
};

// IsOkAndHolds for one Result type; ResultRef is `const Result<T, E>&`.
template <typename ResultRef>
class IsOkAndHoldsMatcherImpl : public ::testing::MatcherInterface<ResultRef> {
 public:
  using ValueType = typename ResultTraits<std::remove_cvref_t<ResultRef>>::value_type;

  template <typename InnerMatcher>
  explicit IsOkAndHoldsMatcherImpl(const InnerMatcher& inner)
      : inner_(::testing::SafeMatcherCast<const ValueType&>(inner)) {}

  void DescribeTo(std::ostream* os) const override {
    *os << "is OK and holds a value that ";
    inner_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const override {
    *os << "is not OK or holds a value that ";
    inner_.DescribeNegationTo(os);
  }
  bool MatchAndExplain(ResultRef actual, ::testing::MatchResultListener* listener) const override {
    if (!actual.ok()) {
      *listener << "which is " << Summary(actual.error());
      return false;
    }
    // As gMock's Optional() explains: "whose value 5 doesn't match, <inner explanation>".
    ::testing::StringMatchResultListener inner;
    const bool matches = inner_.MatchAndExplain(actual.value(), &inner);
    *listener << "whose value " << ::testing::PrintToString(actual.value())
              << (matches ? " matches" : " doesn't match");
    if (!inner.str().empty()) *listener << ", " << inner.str();
    return matches;
  }

 private:
  const ::testing::Matcher<const ValueType&> inner_;
};

template <typename InnerMatcher>
class IsOkAndHoldsMatcher {
 public:
  explicit IsOkAndHoldsMatcher(InnerMatcher inner) : inner_(std::move(inner)) {}

  // Becomes a matcher of a particular Result type (by value or by reference).
  template <typename ResultType>
  operator ::testing::Matcher<ResultType>() const {  // NOLINT: implicit by design
    return ::testing::Matcher<ResultType>(
        new IsOkAndHoldsMatcherImpl<const std::remove_cvref_t<ResultType>&>(inner_));
  }

 private:
  const InnerMatcher inner_;
};

class StatusIsMatcher {
 public:
  StatusIsMatcher(StatusCode code, std::optional<::testing::Matcher<const std::string&>> message)
      : code_(code), message_(std::move(message)) {}

  template <typename Outcome>
  bool MatchAndExplain(const Outcome& actual, ::testing::MatchResultListener* listener) const {
    return MatchStatus(StatusOf(actual), listener);
  }
  void DescribeTo(std::ostream* os) const;
  void DescribeNegationTo(std::ostream* os) const;

 private:
  bool MatchStatus(const Status& status, ::testing::MatchResultListener* listener) const;

  StatusCode code_;
  std::optional<::testing::Matcher<const std::string&>> message_;
};

class ApiErrorIsMatcher {
 public:
  ApiErrorIsMatcher(std::string code, std::optional<::testing::Matcher<const ApiErrorArgs&>> args,
                    std::optional<::testing::Matcher<const std::string&>> message)
      : code_(std::move(code)), args_(std::move(args)), message_(std::move(message)) {}

  template <typename Outcome>
  bool MatchAndExplain(const Outcome& actual, ::testing::MatchResultListener* listener) const {
    return MatchApiError(ApiErrorOf(actual), listener);
  }
  void DescribeTo(std::ostream* os) const;
  void DescribeNegationTo(std::ostream* os) const;

 private:
  // `error` is null for an OK Result.
  bool MatchApiError(const ApiError* error, ::testing::MatchResultListener* listener) const;

  std::string code_;
  std::optional<::testing::Matcher<const ApiErrorArgs&>> args_;
  std::optional<::testing::Matcher<const std::string&>> message_;
};

}  // namespace matchers_internal

// Matches an OK Status, or a Result (of any error type) holding a value:
//   ASSERT_THAT(store.InsertAppToken(t), IsOk());
inline ::testing::PolymorphicMatcher<matchers_internal::IsOkMatcher> IsOk() {
  return ::testing::MakePolymorphicMatcher(matchers_internal::IsOkMatcher());
}

// Matches a Result (of any error type) holding a value that matches `inner` (a gMock matcher or
// a value to compare with ==); an error Result does not match and the error is explained:
//   EXPECT_THAT(tokens.List(partner_id, {}), IsOkAndHolds(Field(&AppTokenPage::total_count, 0)));
template <typename InnerMatcher>
matchers_internal::IsOkAndHoldsMatcher<std::decay_t<InnerMatcher>> IsOkAndHolds(
    InnerMatcher&& inner) {
  return matchers_internal::IsOkAndHoldsMatcher<std::decay_t<InnerMatcher>>(
      std::forward<InnerMatcher>(inner));
}

// Matches a Status, or a Result<T> (= Result<T, Status>), whose code is `code`; a Result holding
// a value has code kOk. The second form also matches the message (a string or string matcher):
//   EXPECT_THAT(partners.Get(999), StatusIs(StatusCode::kNotFound, "no partner 999"));
inline ::testing::PolymorphicMatcher<matchers_internal::StatusIsMatcher> StatusIs(StatusCode code) {
  return ::testing::MakePolymorphicMatcher(matchers_internal::StatusIsMatcher(code, std::nullopt));
}
template <typename MessageMatcher>
::testing::PolymorphicMatcher<matchers_internal::StatusIsMatcher> StatusIs(
    StatusCode code, MessageMatcher&& message) {
  return ::testing::MakePolymorphicMatcher(matchers_internal::StatusIsMatcher(
      code, ::testing::MatcherCast<const std::string&>(std::forward<MessageMatcher>(message))));
}

// Matches an ApiError, or a Result<T, ApiError> holding one, whose code is that of `def` (or is
// `code`). The longer forms also match the (name, value) args and the message:
//   EXPECT_THAT(tokens.Get(partner_id, "0_x"), ApiErrorIs(errors::kAppTokenIdNotFound));
//   EXPECT_THAT(sessions.Start(r), ApiErrorIs(errors::kStartSessionError,
//                                             ElementsAre(Pair("PID", "7"))));
//   EXPECT_THAT(roles.Add(id, p), ApiErrorIs(errors::kPermissionNotFound, _, HasSubstr("NOPE")));
inline ::testing::PolymorphicMatcher<matchers_internal::ApiErrorIsMatcher> ApiErrorIs(
    std::string_view code) {
  return ::testing::MakePolymorphicMatcher(
      matchers_internal::ApiErrorIsMatcher(std::string(code), std::nullopt, std::nullopt));
}
inline ::testing::PolymorphicMatcher<matchers_internal::ApiErrorIsMatcher> ApiErrorIs(
    const ErrorDef& def) {
  return ApiErrorIs(def.code);
}
template <typename ArgsMatcher>
::testing::PolymorphicMatcher<matchers_internal::ApiErrorIsMatcher> ApiErrorIs(const ErrorDef& def,
                                                                               ArgsMatcher&& args) {
  return ::testing::MakePolymorphicMatcher(matchers_internal::ApiErrorIsMatcher(
      std::string(def.code),
      ::testing::MatcherCast<const matchers_internal::ApiErrorArgs&>(
          std::forward<ArgsMatcher>(args)),
      std::nullopt));
}
template <typename ArgsMatcher, typename MessageMatcher>
::testing::PolymorphicMatcher<matchers_internal::ApiErrorIsMatcher> ApiErrorIs(
    const ErrorDef& def, ArgsMatcher&& args, MessageMatcher&& message) {
  return ::testing::MakePolymorphicMatcher(matchers_internal::ApiErrorIsMatcher(
      std::string(def.code),
      ::testing::MatcherCast<const matchers_internal::ApiErrorArgs&>(
          std::forward<ArgsMatcher>(args)),
      ::testing::MatcherCast<const std::string&>(std::forward<MessageMatcher>(message))));
}

}  // namespace testing
}  // namespace ksgate

// In a test body (or any function returning void): evaluates `expr`, a Result; if it holds an
// error the test fails here (fatally, as ASSERT_* does) and the error is printed; otherwise
// `lhs` (a declaration or an lvalue) takes the value.
//   KSGATE_ASSERT_OK_AND_ASSIGN(store::AppToken t, tokens_.Add(a_, {}));
#define KSGATE_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  KSGATE_ASSERT_OK_AND_ASSIGN_IMPL_(KSGATE_CONCAT_(ksgate_test_result_, __LINE__), lhs, expr)
#define KSGATE_ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr)                                          \
  auto tmp = (expr);                                                                               \
  if (!tmp.ok())                                                                                   \
    FAIL() << "Value of: " #expr "\nExpected: is OK\n  Actual: " << ::testing::PrintToString(tmp); \
  lhs = std::move(tmp).value()
