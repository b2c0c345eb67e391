#include "ks/base64.h"

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

namespace ksgate::ks {
namespace {

constexpr char kBase64Chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// PHP's reverse table: 0..63 = sextet, kSkip = whitespace, kBad = outside the alphabet.
constexpr int8_t kSkip = -1;
constexpr int8_t kBad = -2;

using ReverseTable = std::array<int8_t, 256>;

constexpr ReverseTable MakeReverseTable(bool url_safe) {
  ReverseTable table{};
  for (auto& entry : table) entry = kBad;
  for (int i = 0; i < 64; ++i)
    table[static_cast<uint8_t>(kBase64Chars[i])] = static_cast<int8_t>(i);
  table['\t'] = kSkip;
  table['\n'] = kSkip;
  table['\r'] = kSkip;
  table[' '] = kSkip;
  if (url_safe) {
    table['-'] = 62;
    table['_'] = 63;
  }
  return table;
}

constexpr ReverseTable kStandardTable = MakeReverseTable(false);
constexpr ReverseTable kUrlSafeTable = MakeReverseTable(true);

// The decoder's fast path: for each place of a quantum, each character's sextet already shifted
// to its place in the 24 bits, or kNotSextet (bits above them) for any other byte. OR-ing the
// four gives the quantum's bits and, in one test, whether all four were sextets.
constexpr uint32_t kNotSextet = 0xff000000;
using PlacedTables = std::array<std::array<uint32_t, 256>, 4>;

constexpr PlacedTables MakePlacedTables(const ReverseTable& reverse) {
  PlacedTables tables{};
  for (size_t place = 0; place < 4; ++place) {
    for (size_t c = 0; c < 256; ++c) {
      const int8_t sextet = reverse[c];
      tables[place][c] = sextet < 0 ? kNotSextet : uint32_t(sextet) << (18 - 6 * place);
    }
  }
  return tables;
}

constexpr PlacedTables kStandardPlaced = MakePlacedTables(kStandardTable);
constexpr PlacedTables kUrlSafePlaced = MakePlacedTables(kUrlSafeTable);

constexpr char kUrlSafeChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Both characters of each 12-bit half of a quantum, for one table load where two were
// (every KS issued is encoded here: about a tenth of generating one).
using PairTable = std::array<std::array<char, 2>, 4096>;

constexpr PairTable MakePairTable(const char* chars) {
  PairTable table{};
  for (size_t i = 0; i < table.size(); ++i) table[i] = {chars[i >> 6], chars[i & 0x3f]};
  return table;
}

constexpr PairTable kStandardPairs = MakePairTable(kBase64Chars);
constexpr PairTable kUrlSafePairs = MakePairTable(kUrlSafeChars);

std::string Encode(std::string_view data, const char* chars, const PairTable& pairs) {
  std::string out((data.size() + 2) / 3 * 4, '\0');
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  char* dst = out.data();
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
    std::memcpy(dst, pairs[v >> 12].data(), 2);
    std::memcpy(dst + 2, pairs[v & 0xfff].data(), 2);
    dst += 4;
  }
  const size_t rest = data.size() - i;
  if (rest > 0) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (rest == 2 ? uint32_t{in[i + 1]} << 8 : 0);
    dst[0] = chars[(v >> 18) & 0x3f];
    dst[1] = chars[(v >> 12) & 0x3f];
    dst[2] = rest == 2 ? chars[(v >> 6) & 0x3f] : '=';
    dst[3] = '=';
  }
  return out;
}

}  // namespace

std::string Base64Encode(std::string_view data) {
  return Encode(data, kBase64Chars, kStandardPairs);
}

std::string Base64UrlEncode(std::string_view data) {
  return Encode(data, kUrlSafeChars, kUrlSafePairs);
}

std::optional<size_t> Base64DecodeStrictTo(std::string_view text, Base64Alphabet alphabet,
                                           char* dst) {
  const bool url_safe = alphabet == Base64Alphabet::kStandardOrUrlSafe;
  const ReverseTable& table = url_safe ? kUrlSafeTable : kStandardTable;
  const PlacedTables& placed = url_safe ? kUrlSafePlaced : kStandardPlaced;
  size_t written = 0;
  size_t sextets = 0;
  size_t padding = 0;
  uint32_t acc = 0;  // the sextets of the current quantum
  // Fast path: whole quanta of four alphabet characters (a KS is nothing else until its '='
  // padding), one branch per quantum; the loop below takes over at the first other byte, with
  // the state this loop leaves (no padding seen, whole quanta written).
  size_t i = 0;
  for (; i + 4 <= text.size(); i += 4) {
    const auto* q = reinterpret_cast<const unsigned char*>(text.data() + i);
    const uint32_t v = placed[0][q[0]] | placed[1][q[1]] | placed[2][q[2]] | placed[3][q[3]];
    if (v & kNotSextet) break;
    // The three bytes, most significant first, stored as four: `dst` has room for the fourth
    // (Base64DecodedRoom is 3 past the whole quanta), which the next quantum overwrites or the
    // caller ignores.
    const uint32_t bytes =
        std::endian::native == std::endian::little ? __builtin_bswap32(v << 8) : v << 8;
    std::memcpy(dst + written, &bytes, 4);
    written += 3;
  }
  sextets = i;
  for (const char c : text.substr(i)) {
    if (c == '=') {
      ++padding;
      continue;
    }
    const int8_t v = table[static_cast<unsigned char>(c)];
    if (v < 0) {
      if (v == kSkip) continue;
      return std::nullopt;
    }
    if (padding > 0) return std::nullopt;  // data after '='
    acc = (acc << 6) | static_cast<uint32_t>(v);
    if ((++sextets & 3) == 0) {
      dst[written++] = static_cast<char>((acc >> 16) & 0xff);
      dst[written++] = static_cast<char>((acc >> 8) & 0xff);
      dst[written++] = static_cast<char>(acc & 0xff);
      acc = 0;
    }
  }
  switch (sextets & 3) {
    case 1:  // a lone sextet cannot make a byte
      return std::nullopt;
    case 2:
      dst[written++] = static_cast<char>((acc >> 4) & 0xff);
      break;
    case 3:
      dst[written++] = static_cast<char>((acc >> 10) & 0xff);
      dst[written++] = static_cast<char>((acc >> 2) & 0xff);
      break;
  }
  if (padding > 0 && (padding > 2 || (sextets + padding) % 4 != 0)) return std::nullopt;
  return written;
}

std::optional<std::string> Base64DecodeStrict(std::string_view text, Base64Alphabet alphabet) {
  std::string out(Base64DecodedRoom(text.size()), '\0');
  const std::optional<size_t> size = Base64DecodeStrictTo(text, alphabet, out.data());
  if (!size) return std::nullopt;
  out.resize(*size);
  return out;
}

}  // namespace ksgate::ks
