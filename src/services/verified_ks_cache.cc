#include "services/verified_ks_cache.h"

#include <functional>
#include <utility>

#include "ks/crypto.h"

namespace ksgate::services {

size_t VerifiedKsCache::HashOf(std::string_view ks) { return std::hash<std::string_view>{}(ks); }

std::shared_ptr<const VerifiedKs> VerifiedKsCache::Find(std::string_view ks) const {
  const size_t hash = HashOf(ks);
  const Shard& shard = shards_[hash % kShards];
  std::shared_ptr<const VerifiedKs> entry;
  {
    std::lock_guard lock(shard.mutex);
    entry = shard.slots[hash / kShards % kSlotsPerShard];
  }
  if (entry == nullptr || !ks::ConstantTimeEquals(entry->ks, ks)) return nullptr;
  return entry;
}

void VerifiedKsCache::Remember(std::shared_ptr<const VerifiedKs> entry) {
  const size_t hash = HashOf(entry->ks);
  Shard& shard = shards_[hash % kShards];
  std::shared_ptr<const VerifiedKs> replaced;  // released outside the lock
  std::lock_guard lock(shard.mutex);
  replaced = std::exchange(shard.slots[hash / kShards % kSlotsPerShard], std::move(entry));
}

size_t VerifiedKsCache::Size() const {
  size_t size = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    for (const auto& slot : shard.slots) size += slot != nullptr;
  }
  return size;
}

}  // namespace ksgate::services
