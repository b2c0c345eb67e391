// SWAR ("SIMD within a register", "Bit Twiddling Hacks"): tests over the 8 bytes of a word at
// once, for the byte scans that run on every request (targets, header values, JSON text). Each
// says whether *any* byte qualifies: exact for that question, though a borrow may misreport
// which byte it is, so callers only ask whether.
#pragma once

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

// Some byte of `x` is `b`.
constexpr bool HasByte(uint64_t x, uint8_t b) {
  const uint64_t y = x ^ (kOnes * b);
  return ((y - kOnes) & ~y & kHighBits) != 0;
}

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
