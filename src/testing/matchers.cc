#include "testing/matchers.h"

namespace ksgate {

void PrintTo(StatusCode code, std::ostream* os) { *os << StatusCodeName(code); }

void PrintTo(const Status& status, std::ostream* os) { *os << status.ToString(); }

void PrintTo(const ApiError& error, std::ostream* os) {
  *os << error.code << ": " << error.message;
  if (error.args.empty()) return;
  *os << " {";
  for (size_t i = 0; i < error.args.size(); ++i) {
    if (i > 0) *os << ", ";
    *os << error.args[i].first << ": " << ::testing::PrintToString(error.args[i].second);
  }
  *os << "}";
}

void PrintTo(Void, std::ostream* os) { *os << "Void"; }

namespace testing::matchers_internal {

std::string Summary(const Status& status) { return status.ToString(); }

std::string Summary(const ApiError& error) { return error.code + ": " + error.message; }

namespace {

// Runs `matcher` on `value`; appends its explanation, if any, to `listener` after a comma.
template <typename T>
bool MatchAndAppend(const ::testing::Matcher<const T&>& matcher, const T& value,
                    ::testing::MatchResultListener* listener) {
  ::testing::StringMatchResultListener inner;
  const bool matches = matcher.MatchAndExplain(value, &inner);
  if (!inner.str().empty()) *listener << ", " << inner.str();
  return matches;
}

}  // namespace

void StatusIsMatcher::DescribeTo(std::ostream* os) const {
  *os << "has status " << StatusCodeName(code_);
  if (message_) {
    *os << " and a message that ";
    message_->DescribeTo(os);
  }
}

void StatusIsMatcher::DescribeNegationTo(std::ostream* os) const {
  *os << "doesn't have status " << StatusCodeName(code_);
  if (message_) {
    *os << " or has a message that ";
    message_->DescribeNegationTo(os);
  }
}

bool StatusIsMatcher::MatchStatus(const Status& status,
                                  ::testing::MatchResultListener* listener) const {
  *listener << "which is " << Summary(status);
  if (status.code() != code_) return false;
  return !message_ || MatchAndAppend(*message_, status.message(), listener);
}

void ApiErrorIsMatcher::DescribeTo(std::ostream* os) const {
  *os << "is API error " << code_;
  if (args_) {
    *os << ", with args that ";
    args_->DescribeTo(os);
  }
  if (message_) {
    *os << ", with a message that ";
    message_->DescribeTo(os);
  }
}

void ApiErrorIsMatcher::DescribeNegationTo(std::ostream* os) const {
  *os << "isn't API error " << code_;
  if (args_) {
    *os << ", or has args that ";
    args_->DescribeNegationTo(os);
  }
  if (message_) {
    *os << ", or has a message that ";
    message_->DescribeNegationTo(os);
  }
}

bool ApiErrorIsMatcher::MatchApiError(const ApiError* error,
                                      ::testing::MatchResultListener* listener) const {
  if (error == nullptr) {
    *listener << "which is OK";
    return false;
  }
  *listener << "which is " << Summary(*error);
  if (error->code != code_) return false;
  // Both are explained even when the first fails, so one run shows every difference.
  const bool args_match = !args_ || MatchAndAppend(*args_, error->args, listener);
  const bool message_matches = !message_ || MatchAndAppend(*message_, error->message, listener);
  return args_match && message_matches;
}

}  // namespace testing::matchers_internal
}  // namespace ksgate
