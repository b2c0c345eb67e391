// Store test helpers beyond the shared matchers (testing/matchers.h) and ScratchDir
// (testing/scratch_dir.h): concurrent ConsumeAction calls counted by outcome. Test targets only.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "store/records.h"
#include "store/store.h"

namespace ksgate::store::testing {

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
