// Result<T, E>: a value or an error, shaped like absl::StatusOr (C++20 has no std::expected).
//
//   Result<Partner> p = store.GetPartner(7);
//   if (!p.ok()) return p.error();
//   Use(*p);
//
// E defaults to Status; services use Result<T, ApiError>. Accessing the value of an error
// result (or the error of a value result) is a programming error and aborts.
#pragma once

#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

#include "common/status.h"

namespace ksgate {

// The value type of operations that succeed with nothing to return.
struct Void {
  friend bool operator==(Void, Void) { return true; }
};

template <typename T, typename E = Status>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<T, E>, "value and error types must differ");

 public:
  Result(const T& value) : v_(std::in_place_index<0>, value) {}        // NOLINT: implicit by design
  Result(T&& value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  Result(const E& error) : v_(std::in_place_index<1>, error) {}        // NOLINT
  Result(E&& error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }

  const T& value() const& { return Check(), std::get<0>(v_); }
  T& value() & { return Check(), std::get<0>(v_); }
  T&& value() && { return Check(), std::move(std::get<0>(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  const E& error() const& {
    if (ok()) std::abort();
    return std::get<1>(v_);
  }
  E&& error() && {
    if (ok()) std::abort();
    return std::move(std::get<1>(v_));
  }

  // For Result<T, Status>: the status, OK when a value is held.
  template <typename U = E, typename = std::enable_if_t<std::is_same_v<U, Status>>>
  Status status() const {
    return ok() ? Status::Ok() : std::get<1>(v_);
  }

 private:
  void Check() const {
    if (!ok()) std::abort();
  }
  std::variant<T, E> v_;
};

}  // namespace ksgate

#define KSGATE_CONCAT_INNER_(a, b) a##b
#define KSGATE_CONCAT_(a, b) KSGATE_CONCAT_INNER_(a, b)

// Returns the error from the enclosing function when `expr` (a Status) is not OK.
#define KSGATE_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::ksgate::Status ksgate_status_ = (expr);        \
    if (!ksgate_status_.ok()) return ksgate_status_; \
  } while (0)

// Declares `lhs` from a Result expression, or returns its error from the enclosing function.
//   KSGATE_ASSIGN_OR_RETURN(Partner p, store.GetPartner(id));
#define KSGATE_ASSIGN_OR_RETURN(lhs, expr) \
  KSGATE_ASSIGN_OR_RETURN_IMPL_(KSGATE_CONCAT_(ksgate_result_, __LINE__), lhs, expr)
#define KSGATE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).error();       \
  lhs = std::move(tmp).value()
