// Test helpers for the store layer (test targets only): a StatusIs matcher in the spirit of
// abseil's status_matchers.h, and a scratch directory that removes itself.
#pragma once

#include <gmock/gmock.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "common/result.h"
#include "common/status.h"

namespace ksgate::store::testing {

inline Status StatusOf(const Status& status) { return status; }
template <typename T>
Status StatusOf(const Result<T>& result) {
  return result.status();
}

// Matches a Status or Result<T> whose code is `code`:
//   EXPECT_THAT(store.GetPartner(9), StatusIs(StatusCode::kNotFound));
MATCHER_P(StatusIs, code,
          std::string(negation ? "isn't " : "is ") + std::string(StatusCodeName(code))) {
  const Status status = StatusOf(arg);
  *result_listener << "which is " << status.ToString();
  return status.code() == code;
}

// Matches an OK Status or a Result<T> holding a value.
MATCHER(IsOk, negation ? "isn't OK" : "is OK") {
  const Status status = StatusOf(arg);
  *result_listener << "which is " << status.ToString();
  return status.ok();
}

// A fresh directory under the system temp dir, removed with its contents on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "ksgate_store_test_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace ksgate::store::testing
