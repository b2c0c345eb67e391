#include "common/swar.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>

namespace ksgate::swar {
namespace {

uint64_t Word(const uint8_t (&bytes)[8]) { return Load8(reinterpret_cast<const char*>(bytes)); }

// The first byte that is `b` is found at every position, whatever the bytes after it are (a
// borrow from it may mark them), and whatever bytes before it that are not `b` (0x00, 0x80 and
// 0xff, the edges of the borrow, among them).
TEST(SwarMarkByte, FirstMarkIsTheFirstMatchingByte) {
  std::mt19937 rng(5);
  for (const uint8_t b : {0x00, 0x01, 0x26, 0x3d, 0x7f, 0x80, 0xfe, 0xff}) {
    for (int trial = 0; trial < 2000; ++trial) {
      uint8_t bytes[8];
      // Each byte one of: a neighbour of b (b ^ 1, b + 1), an edge of the borrow (0x00, 0x80),
      // anything.
      for (uint8_t& byte : bytes) {
        const uint32_t pick = rng() % 5;
        const uint32_t any = rng();
        const uint8_t choices[5] = {static_cast<uint8_t>(b ^ 1), static_cast<uint8_t>(b + 1), 0x00,
                                    0x80, static_cast<uint8_t>(any)};
        byte = choices[pick];
      }
      int first = -1;
      for (int i = 0; i < 8; ++i) {
        if (bytes[i] == b) {
          first = i;
          break;
        }
      }
      const uint64_t marks = MarkByte(Word(bytes), b);
      ASSERT_EQ(HasByte(Word(bytes), b), first >= 0);
      if (first < 0) {
        ASSERT_EQ(marks, 0u);
      } else {
        ASSERT_EQ(FirstMarked(marks), static_cast<size_t>(first)) << "b=" << int{b};
      }
    }
  }
}

TEST(SwarMarkByte, MasksForSeveralBytesCombine) {
  const uint8_t bytes[8] = {'a', 'b', '=', 'c', '&', '&', '=', 'd'};
  EXPECT_EQ(FirstMarked(MarkByte(Word(bytes), '&') | MarkByte(Word(bytes), '=')), 2u);
  EXPECT_EQ(FirstMarked(MarkByte(Word(bytes), '&')), 4u);
  EXPECT_EQ(MarkByte(Word(bytes), '%'), 0u);
}

}  // namespace
}  // namespace ksgate::swar
