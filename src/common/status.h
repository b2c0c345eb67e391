// Status: the outcome of an infrastructure operation (store, codec, I/O), as a value.
//
// Client-facing errors are ApiError (api_error.h); services decide which ApiError a Status
// becomes. A Status message is for logs and operators, never for API clients.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace ksgate {

// A subset of abseil's canonical codes. Pick the one a caller would branch on.
enum class StatusCode {
  kOk = 0,
  // The input is malformed regardless of system state (bad base64, bad flag value).
  kInvalidArgument,
  // The named entity does not exist (or is invisible to the caller, e.g. deleted).
  kNotFound,
  // An entity with this key already exists (id collision on insert).
  kAlreadyExists,
  // The caller is known but not allowed to do this.
  kPermissionDenied,
  // The credential does not verify (KS signature, secret mismatch).
  kUnauthenticated,
  // A configured limit was exceeded (body size, parameter count, actions limit).
  kResourceExhausted,
  // A concurrent change won (compare-and-set saw a different row): re-read and retry.
  kAborted,
  // A dependency is temporarily unusable (database busy/locked beyond the retry budget).
  kUnavailable,
  // The call would have to wait for a database on a thread that must not wait (an I/O thread);
  // nothing was done. Run the work again on a thread that may wait (store/blocking.h).
  kWouldBlock,
  // An invariant broke or a dependency failed unexpectedly. Log it; tell the client little.
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "NOT_FOUND: partner 7" — for logs.
  std::string ToString() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgumentError(std::string m) {
  return Status(StatusCode::kInvalidArgument, std::move(m));
}
inline Status NotFoundError(std::string m) { return Status(StatusCode::kNotFound, std::move(m)); }
inline Status AlreadyExistsError(std::string m) {
  return Status(StatusCode::kAlreadyExists, std::move(m));
}
inline Status PermissionDeniedError(std::string m) {
  return Status(StatusCode::kPermissionDenied, std::move(m));
}
inline Status UnauthenticatedError(std::string m) {
  return Status(StatusCode::kUnauthenticated, std::move(m));
}
inline Status ResourceExhaustedError(std::string m) {
  return Status(StatusCode::kResourceExhausted, std::move(m));
}
inline Status AbortedError(std::string m) { return Status(StatusCode::kAborted, std::move(m)); }
inline Status UnavailableError(std::string m) {
  return Status(StatusCode::kUnavailable, std::move(m));
}
inline Status WouldBlockError(std::string m) {
  return Status(StatusCode::kWouldBlock, std::move(m));
}
inline Status InternalError(std::string m) { return Status(StatusCode::kInternal, std::move(m)); }

}  // namespace ksgate
