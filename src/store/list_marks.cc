#include "store/list_marks.h"

#include <algorithm>
#include <chrono>

namespace ksgate::store {

std::optional<ListMark> ListMarks::Nearest(const std::string& shape, int64_t changes,
                                           int64_t offset, int64_t now) const {
  std::lock_guard lock(mu_);
  auto it = lists_.find(shape);
  if (it == lists_.end() || it->second.changes != changes) return std::nullopt;
  List& list = it->second;
  Entry* best = nullptr;
  for (Entry& e : list.entries) {
    if (e.mark.position > offset) break;
    if (now - e.made <= kMaxAgeSeconds) best = &e;
  }
  if (best == nullptr) return std::nullopt;
  list.used = best->used = ++tick_;
  return best->mark;
}

void ListMarks::Record(const std::string& shape, int64_t changes, std::span<const ListMark> marks,
                       int64_t now) {
  if (marks.empty()) return;
  std::lock_guard lock(mu_);
  auto it = lists_.find(shape);
  if (it == lists_.end()) {
    if (lists_.size() >= kMaxLists) {
      auto oldest = std::min_element(
          lists_.begin(), lists_.end(),
          [](const auto& a, const auto& b) { return a.second.used < b.second.used; });
      lists_.erase(oldest);
    }
    it = lists_.emplace(shape, List{.changes = changes}).first;
  }
  List& list = it->second;
  if (list.changes > changes) return;
  if (list.changes < changes) {
    list.entries.clear();
    list.changes = changes;
  }
  list.used = ++tick_;
  for (const ListMark& mark : marks) {
    auto at = std::lower_bound(
        list.entries.begin(), list.entries.end(), mark.position,
        [](const Entry& e, int64_t position) { return e.mark.position < position; });
    if (at != list.entries.end() && at->mark.position == mark.position) {
      *at = Entry{.mark = mark, .made = now, .used = tick_};
      continue;
    }
    if (list.entries.size() >= kMaxMarks) {
      auto oldest =
          std::min_element(list.entries.begin(), list.entries.end(),
                           [](const Entry& a, const Entry& b) { return a.used < b.used; });
      const bool before = oldest < at;
      list.entries.erase(oldest);
      if (before) --at;
    }
    list.entries.insert(at, Entry{.mark = mark, .made = now, .used = tick_});
  }
}

int64_t ListMarks::Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

size_t ListMarks::Lists() const {
  std::lock_guard lock(mu_);
  return lists_.size();
}

}  // namespace ksgate::store
