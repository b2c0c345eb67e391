// ListMarks: where an app token list's rows were, so that a deep page need not walk its order's
// index from the start (docs/architecture.md "Listing a million tokens").
//
// A page at offset 30,000 (pageIndex 1000) skips 30,000 index entries, about 3 ms however the
// query is written. A mark remembers, for one list (its filter and order: a `shape`), that the
// row at position P has the order key (value, seq); a later page at offset O >= P of the same
// list starts its walk at that key and skips O - P entries instead of O. The SQL backends
// record the first and last rows of every page read at an offset of at least kMinOffset, so
// that a page read again, the page after it and a page near it start where one ended.
//
// A mark holds only while the partner's tokens are as they were: each is tagged with the
// partner's change count (app_token_counts.changes, kept by triggers in the transaction of
// every write to app_tokens, migration 0009), which the backend reads in the page's own snapshot
// and passes to every call; a mark of another count is never returned. Marks also expire after
// kMaxAgeSeconds, which bounds what a count that went backwards (a database restored under a
// running node) could mislead.
//
// Bounded: kMaxLists lists (the least recently used goes), kMaxMarks marks each (likewise).
// Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace ksgate::store {

// The row at `position` (0-based, in list order) has order key (value, seq). `value` is the
// order column's (created_at or updated_at); 0 for a list in insertion order (seq alone).
struct ListMark {
  int64_t position = 0;
  int64_t value = 0;
  int64_t seq = 0;
  friend bool operator==(const ListMark&, const ListMark&) = default;
};

class ListMarks {
 public:
  // Pages at a smaller offset walk from the start (1,000 entries: about 0.1 ms) and leave no
  // marks.
  static constexpr int64_t kMinOffset = 1000;
  static constexpr size_t kMaxLists = 256;
  static constexpr size_t kMaxMarks = 32;
  static constexpr int64_t kMaxAgeSeconds = 60;

  // The mark of `shape` with the largest position <= `offset`, made at `changes` no more than
  // kMaxAgeSeconds before `now` (seconds on a monotonic clock); nullopt if there is none.
  std::optional<ListMark> Nearest(const std::string& shape, int64_t changes, int64_t offset,
                                  int64_t now) const;

  // Remembers `marks` of `shape` at `changes`. Marks of another count are dropped first, unless
  // that count is larger (a slower reader's older snapshot does not displace a newer one's).
  void Record(const std::string& shape, int64_t changes, std::span<const ListMark> marks,
              int64_t now);

  // The number of lists with marks (for tests).
  size_t Lists() const;

  // Seconds on the monotonic clock, for `now`.
  static int64_t Now();

 private:
  struct Entry {
    ListMark mark;
    int64_t made = 0;
    uint64_t used = 0;
  };
  struct List {
    int64_t changes = 0;
    uint64_t used = 0;
    std::vector<Entry> entries;  // by position
  };

  mutable std::mutex mu_;
  mutable uint64_t tick_ = 0;
  mutable std::unordered_map<std::string, List> lists_;
};

}  // namespace ksgate::store
