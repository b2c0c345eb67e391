// Current<T>: a value that readers pin and a writer replaces whole, so that what a reader
// decides with stays consistent while a new value is put in force (what a reload of the
// permissions file or the gateway's routes needs: a request in flight keeps the set it began
// with, and no request sees a half-built one).
//
//   Current<Authorizer> current(std::make_shared<const Authorizer>(...));
//   std::shared_ptr<const Authorizer> pinned = current.Get();  // valid as long as held
//   current.Replace(std::make_shared<const Authorizer>(...));  // built whole beforehand
//
// Thread-safe: Get and Replace may be called concurrently from any thread. Get costs an atomic
// load and a reference count increment; Replace never waits for readers (the old value goes when
// its last holder lets go).
#pragma once

#include <atomic>
#include <memory>
#include <utility>

namespace ksgate {

template <typename T>
class Current {
 public:
  explicit Current(std::shared_ptr<const T> initial) : value_(std::move(initial)) {}

  Current(const Current&) = delete;
  Current& operator=(const Current&) = delete;

  // The value in force; never null if no null was put in.
  std::shared_ptr<const T> Get() const { return value_.load(std::memory_order_acquire); }

  // Puts `next` in force for every later Get.
  void Replace(std::shared_ptr<const T> next) {
    value_.store(std::move(next), std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const T>> value_;
};

}  // namespace ksgate
