// Patch<T>: one field of an object a client sent to add or update.
#pragma once

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

}  // namespace ksgate::services
