#include "ks/ks_cipher.h"

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <utility>

namespace ksgate::ks {
namespace {

struct Entry {
  std::string secret;
  std::unique_ptr<Aes128CbcZeroIv> cipher;
};

// Entries in most-recently-used order; a server's hot partners stay at the front.
class CipherCache {
 public:
  Aes128CbcZeroIv& For(std::string_view secret) {
    for (size_t i = 0; i < size_; ++i) {
      if (ConstantTimeEquals(entries_[i].secret, secret)) {
        std::rotate(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(i),
                    entries_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
        return *entries_[0].cipher;
      }
    }
    if (size_ < entries_.size()) ++size_;
    // The last slot (empty, or the least recently used) becomes the new front.
    std::rotate(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(size_) - 1,
                entries_.begin() + static_cast<std::ptrdiff_t>(size_));
    const Sha1Bytes digest = Sha1(secret);
    std::span<const uint8_t, 16> key(digest.data(), 16);
    entries_[0].secret.assign(secret);
    entries_[0].cipher = std::make_unique<Aes128CbcZeroIv>(key);
    return *entries_[0].cipher;
  }

 private:
  std::array<Entry, kKsCipherCacheSize> entries_;
  size_t size_ = 0;
};

}  // namespace

Aes128CbcZeroIv& KsCipherFor(std::string_view admin_secret) {
  thread_local CipherCache cache;
  return cache.For(admin_secret);
}

}  // namespace ksgate::ks
