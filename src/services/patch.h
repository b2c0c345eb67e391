// Patch<T>: one field of an object a client sent to add or update.
#pragma once

#include <optional>
#include <utility>

namespace ksgate::services {

// Not sent, sent as explicitly null (`<name>__null`), or sent with a value.
template <typename T>
struct Patch {
  enum class State { kAbsent, kNull, kSet };
  State state = State::kAbsent;
  T value{};

  bool absent() const { return state == State::kAbsent; }
  bool is_null() const { return state == State::kNull; }
  bool is_set() const { return state == State::kSet; }
  static Patch Of(T v) { return Patch{State::kSet, std::move(v)}; }
  static Patch Null() { return Patch{State::kNull, T{}}; }
};

// True if a read-only field was sent with a value other than the stored one (which an update
// refuses; sending the stored value back is allowed).
template <typename T>
bool Differs(const Patch<T>& sent, const T& stored) {
  return sent.is_set() && !(sent.value == stored);
}
template <typename T>
bool Differs(const Patch<T>& sent, const std::optional<T>& stored) {
  return sent.is_set() && !(stored && *stored == sent.value);
}

}  // namespace ksgate::services
