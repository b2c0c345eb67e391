// Test helpers for the store layer (test targets only): a StatusIs matcher in the spirit of
// abseil's status_matchers.h, a scratch directory that removes itself, and concurrent
// ConsumeAction calls counted by outcome.
#pragma once

#include <gmock/gmock.h>
#include <stdlib.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "store/records.h"
#include "store/store.h"

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

// How many of a batch of ConsumeAction calls got each outcome.
struct ConsumeCounts {
  int allowed = 0;
  int exceeded = 0;
  int other = 0;  // kRevoked or an error (each error is also a test failure)
};

// Runs `threads` threads making `calls_per_thread` ConsumeAction(key, limit, valid_until, now)
// calls each; thread t calls stores[t % stores.size()] (several stores on one database stand in
// for several processes).
inline ConsumeCounts ConsumeConcurrently(const std::vector<Store*>& stores, int threads,
                                         int calls_per_thread, const std::string& key,
                                         int64_t limit, std::optional<int64_t> valid_until,
                                         int64_t now) {
  std::atomic<int> allowed{0}, exceeded{0}, other{0};
  std::vector<std::thread> running;
  for (int t = 0; t < threads; ++t) {
    running.emplace_back([&, t] {
      Store& store = *stores[static_cast<size_t>(t) % stores.size()];
      for (int i = 0; i < calls_per_thread; ++i) {
        Result<ActionsLimitState> state = store.ConsumeAction(key, limit, valid_until, now);
        if (!state.ok()) {
          ADD_FAILURE() << state.status().ToString();
          ++other;
        } else if (*state == ActionsLimitState::kAllowed) {
          ++allowed;
        } else if (*state == ActionsLimitState::kExceeded) {
          ++exceeded;
        } else {
          ++other;
        }
      }
    });
  }
  for (std::thread& th : running) th.join();
  return ConsumeCounts{allowed.load(), exceeded.load(), other.load()};
}

}  // namespace ksgate::store::testing
