// VerifiedKsCache: what ks::Decode made of KS strings that verified, so that a KS sent again (a
// client sends the same KS with every call, for hours) is neither base64-decoded, decrypted nor
// its signature checked again. Decoding was a third of the CPU of a session.get
// (docs/benchmarks.md, "Where a hot request's time goes").
//
// Only what is a pure function of the KS string and the admin secret that verified it is kept:
// the decoded fields, the parsed privileges and that secret. Everything that can change — the
// partner's status and secrets, expiry, revocation, cut-offs, usage counts — is still read and
// checked on every request (Authenticator::Parse checks that the secret is still one of the
// partner's; Validate does the rest), so a hit answers exactly as a decode would. Entries are
// immutable and shared: a Caller holds the entry it was made from, not a copy.
//
// Bounded: kShards × kSlotsPerShard entries (about 1 KiB each), direct-mapped, so an entry is
// replaced by the next KS that maps to its slot; no allocation beyond the entries, no eviction
// scan. Slots are found by a hash of the KS and matched by comparing the whole KS in constant
// time (a cached KS is a credential; comparing it must not leak its bytes). Thread-safe: one
// mutex per shard, held only to copy a pointer.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "services/caller.h"

namespace ksgate::services {

class VerifiedKsCache {
 public:
  static constexpr size_t kShards = 16;
  static constexpr size_t kSlotsPerShard = 256;
  static constexpr size_t kCapacity = kShards * kSlotsPerShard;

  // The entry for exactly `ks`, or null.
  std::shared_ptr<const VerifiedKs> Find(std::string_view ks) const;

  // Keeps `entry`, replacing whatever its slot held.
  void Remember(std::shared_ptr<const VerifiedKs> entry);

  // Entries held now (for tests: never more than kCapacity).
  size_t Size() const;

 private:
  struct Shard {
    mutable std::mutex mutex;
    std::array<std::shared_ptr<const VerifiedKs>, kSlotsPerShard> slots;
  };
  static size_t HashOf(std::string_view ks);

  std::array<Shard, kShards> shards_;
};

}  // namespace ksgate::services
