#include "services/usage_recorder.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace ksgate::services {

namespace {

void Merge(store::AppTokenUsage& into, const store::AppTokenUsage& from) {
  into.sessions_started += from.sessions_started;
  into.last_session_at = std::max(into.last_session_at, from.last_session_at);
}

}  // namespace

void UsageRecorder::Note(int64_t partner_id, std::string_view token_id, int64_t now) {
  std::lock_guard lock(mu_);
  auto it = pending_.find(std::string(token_id));
  if (it == pending_.end()) {
    pending_.emplace(std::string(token_id),
                     store::AppTokenUsage{std::string(token_id), partner_id, 1, now});
    return;
  }
  Merge(it->second, store::AppTokenUsage{it->first, partner_id, 1, now});
}

Status UsageRecorder::Flush() {
  std::lock_guard flushing(flush_mu_);
  std::unordered_map<std::string, store::AppTokenUsage> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(pending_);
  }
  if (batch.empty()) return Status::Ok();
  std::vector<store::AppTokenUsage> rows;
  rows.reserve(batch.size());
  for (auto& [id, usage] : batch) rows.push_back(usage);
  Status written = store_.AddAppTokenUsage(rows);
  if (!written.ok()) {
    std::lock_guard lock(mu_);
    for (auto& [id, usage] : batch) {
      auto [it, inserted] = pending_.try_emplace(id, usage);
      if (!inserted) Merge(it->second, usage);
    }
  }
  return written;
}

size_t UsageRecorder::pending() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}

}  // namespace ksgate::services
