#include "common/json_text.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/swar.h"

namespace ksgate {

namespace {

// The length of the valid UTF-8 sequence starting at s[i] (a byte >= 0x80), or 0 if there is
// none (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF).
size_t Utf8Length(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // past U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - i < need) return 0;
  const auto b1 = static_cast<unsigned char>(s[i + 1]);
  if (b1 < lo || b1 > hi) return 0;
  for (size_t k = 2; k < need; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return need;
}

// Bytes copied as they are: printable ASCII but '"' and '\\'.
constexpr std::array<bool, 256> MakePlain() {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x7f; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}
constexpr std::array<bool, 256> kPlain = MakePlain();

// True if all 8 bytes at `p` are plain (kPlain): none below 0x20, none 0x7f or above, none '"'
// or '\\'. Word-at-a-time tests ("Bit Twiddling Hacks": a byte less than n, a zero byte), so that
// the usual ASCII values cost a few instructions per 8 bytes.
bool EightPlain(const char* p) {
  const uint64_t w = swar::Load8(p);
  return !(swar::HasByteBelow(w, 0x20) || swar::HasHighByte(w) || swar::HasByte(w, '"') ||
           swar::HasByte(w, '\\') || swar::HasByte(w, 0x7f));
}

#if defined(__SSE2__)

// True if all 16 bytes of `v` are plain: above 0x1f as signed bytes (which also rules out
// 0x80 and above), and none 0x7f, '"' or '\\'.
bool SixteenPlain(__m128i v) {
  const __m128i visible = _mm_cmpgt_epi8(v, _mm_set1_epi8(0x1f));
  const __m128i special = _mm_or_si128(
      _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)),
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
  return _mm_movemask_epi8(_mm_andnot_si128(special, visible)) == 0xffff;
}

__m128i Load8(const char* p) { return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)); }

#endif

// True if every byte of `s` is plain (kPlain). SSE2 (part of x86-64) tests 16 bytes at once,
// the last block overlapping the one before it and a short string as two overlapping halves,
// so that the usual value of a few dozen bytes costs a few tests instead of a loop.
bool IsPlain(std::string_view s) {
  const char* p = s.data();
  const size_t n = s.size();
#if defined(__SSE2__)
  if (n >= 16) {
    for (size_t i = 0; i + 16 < n; i += 16) {
      if (!SixteenPlain(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)))) return false;
    }
    return SixteenPlain(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 16)));
  }
  if (n >= 8) return SixteenPlain(_mm_unpacklo_epi64(Load8(p), Load8(p + n - 8)));
#else
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) {
      if (!EightPlain(p + i)) return false;
    }
    return EightPlain(p + n - 8);
  }
#endif
  for (size_t i = 0; i < n; ++i) {
    if (!kPlain[static_cast<unsigned char>(p[i])]) return false;
  }
  return true;
}

// The escaping itself, once for both outputs: `sink(data, size)` takes each piece in order.
// Plain runs are handed over whole, so a value that needs no escaping is one piece.
template <typename Sink>
void Escape(std::string_view s, Sink&& sink) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t run = 0;  // start of the bytes not yet handed over, all plain
  size_t i = 0;
  while (i < s.size()) {
    if (s.size() - i >= 8) {
      if (EightPlain(s.data() + i)) {
        i += 8;
        continue;
      }
    } else if (s.size() >= 8 && EightPlain(s.data() + s.size() - 8)) {
      // The last bytes in one test, as the word that ends the string (it overlaps bytes seen).
      i = s.size();
      continue;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (kPlain[c]) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const size_t len = Utf8Length(s, i);
      if (len != 0) {
        i += len;
        continue;
      }
    }
    sink(s.data() + run, i - run);
    switch (c) {
      case '"':
        sink("\\\"", 2);
        break;
      case '\\':
        sink("\\\\", 2);
        break;
      case '\n':
        sink("\\n", 2);
        break;
      case '\r':
        sink("\\r", 2);
        break;
      case '\t':
        sink("\\t", 2);
        break;
      case '\b':
        sink("\\b", 2);
        break;
      case '\f':
        sink("\\f", 2);
        break;
      default:
        if (c >= 0x80) {
          sink("\\ufffd", 6);
        } else {
          const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
          sink(esc, sizeof(esc));
        }
    }
    ++i;
    run = i;
  }
  sink(s.data() + run, s.size() - run);
}

}  // namespace

void AppendJsonQuoted(std::string_view s, std::string* out) {
  out->push_back('"');
  AppendJsonEscaped(s, out);
  out->push_back('"');
}

void AppendJsonEscaped(std::string_view s, std::string* out) {
  Escape(s, [out](const char* data, size_t size) { out->append(data, size); });
}

namespace {

// Out of line, so that the plain path of WriteJsonEscaped does not save and restore the
// registers the escaping loop uses (a third of its instructions when it was inlined).
[[gnu::noinline]] char* WriteEscapedSlowly(std::string_view s, char* out) {
  Escape(s, [&out](const char* data, size_t size) {
    // (memcpy must not see the null data of an empty view, even for 0 bytes.)
    if (size != 0) std::memcpy(out, data, size);
    out += size;
  });
  return out;
}

}  // namespace

char* WriteJsonEscaped(std::string_view s, char* out) {
  // Most values need no escaping: a test per 16 bytes, then a single copy.
  if (!IsPlain(s)) return WriteEscapedSlowly(s, out);
  if (!s.empty()) std::memcpy(out, s.data(), s.size());
  return out + s.size();
}

}  // namespace ksgate
