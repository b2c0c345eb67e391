// SWAR ("SIMD within a register", "Bit Twiddling Hacks"): tests over the 8 bytes of a word at
// once, for the byte scans that run on every request (targets, header values, JSON text, a KS's
// query). Each says whether *any* byte qualifies: exact for that question, though a borrow may
// mark bytes after the first that does; MarkByte and FirstMarked find that first one.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ksgate::swar {

inline constexpr uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr uint64_t kHighBits = 0x8080808080808080ULL;

// The 8 bytes at `p`, in memory order.
inline uint64_t Load8(const char* p) {
  uint64_t x;
  std::memcpy(&x, p, sizeof x);
  return x;
}

// Some byte of `x` is below `n` (n <= 128). Bytes of 0x80 and above never count.
constexpr bool HasByteBelow(uint64_t x, uint8_t n) {
  return ((x - kOnes * n) & ~x & kHighBits) != 0;
}

// The high bit of each byte of `x` that is `b` is set, and perhaps of bytes after the first
// that is: a borrow runs only towards more significant bytes, so the least significant mark is
// exact. Zero when no byte is `b`. Masks for several bytes may be OR-ed: the first byte marked
// in the result is the first byte that is any of them.
constexpr uint64_t MarkByte(uint64_t x, uint8_t b) {
  const uint64_t y = x ^ (kOnes * b);
  return (y - kOnes) & ~y & kHighBits;
}

// The position (0-7, in memory order) of the first byte marked in a non-zero MarkByte mask of
// a word read by Load8. Little-endian only: there the first byte in memory is the least
// significant, where a borrow starts (on a big-endian machine the exact mark would be the last).
constexpr size_t FirstMarked(uint64_t mask) {
  static_assert(std::endian::native == std::endian::little, "MarkByte's exact mark is the first");
  return static_cast<size_t>(std::countr_zero(mask)) / 8;
}

// Some byte of `x` is `b`.
constexpr bool HasByte(uint64_t x, uint8_t b) { return MarkByte(x, b) != 0; }

// Some byte of `x` is 0x80 or above.
constexpr bool HasHighByte(uint64_t x) { return (x & kHighBits) != 0; }

// The 8 bytes of `x` and `y` are pairwise equal but for ASCII case: where they differ, they
// differ by 0x20 only, and the byte is a letter. Exact for every byte (no borrow crosses bytes:
// each sum below stays under 0x100).
constexpr bool EqualIgnoringCase(uint64_t x, uint64_t y) {
  const uint64_t diff = x ^ y;
  if (diff == 0) return true;
  const uint64_t lower = x | (kOnes * 0x20);  // a letter of x lowered; a non-letter stays one
  const uint64_t seven = lower & ~kHighBits;
  const uint64_t at_least_a = seven + kOnes * (0x80 - 'a');            // high bit: >= 'a'
  const uint64_t past_z = seven + kOnes * (0x80 - 'z' - 1);            // high bit: > 'z'
  const uint64_t letters = at_least_a & ~past_z & ~lower & kHighBits;  // and below 0x80
  return (diff & ~(letters >> 2)) == 0;  // 0x80 >> 2 is the case bit, 0x20
}

}  // namespace ksgate::swar
