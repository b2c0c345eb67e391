// UsageRecorder: how much each app token is used (sessions started from it, and when the last
// one was), counted in memory and written to the store in batches — so that
// appToken.startSession writes nothing on its own path.
//
// Loss bound: counts noted since the last successful Flush live only in memory; a crash loses at
// most that much (with the App's flusher, about one flush interval). A failed flush keeps its
// counts for the next one. Thread-safe; the store must outlive *this.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"
#include "store/records.h"
#include "store/store.h"

namespace ksgate::services {

class UsageRecorder {
 public:
  explicit UsageRecorder(store::Store& store) : store_(store) {}

  // Notes one session started from token `token_id` of `partner_id` at `now`. Takes a lock
  // for a map update; never touches the store.
  void Note(int64_t partner_id, std::string_view token_id, int64_t now);

  // Writes everything noted since the last successful flush, in one store call. On failure the
  // counts are kept (merged with what was noted meanwhile) and the store's error returned. Call
  // it where waiting for the database is allowed (not on an I/O thread).
  Status Flush();

  // Tokens with counts not yet written.
  size_t pending() const;

 private:
  store::Store& store_;
  std::mutex flush_mu_;  // one flush at a time
  mutable std::mutex mu_;
  std::unordered_map<std::string, store::AppTokenUsage> pending_;  // by token id
};

}  // namespace ksgate::services
