#include "ks/php_encoding.h"

#include <array>
#include <cstdint>

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

constexpr char kUpperHex[] = "0123456789ABCDEF";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsUrlSafeByte(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// php_register_variable_ex's name mangling. Returns false if PHP would drop the variable;
// sets *is_array for PHP array syntax.
bool MangleName(std::string_view raw, std::string* name, bool* is_array) {
  *is_array = false;
  // The name is a C string in PHP: it ends at the first NUL.
  raw = raw.substr(0, raw.find('\0'));
  while (!raw.empty() && raw.front() == ' ') raw.remove_prefix(1);
  name->assign(raw);
  size_t bracket = std::string::npos;
  for (size_t i = 0; i < name->size(); ++i) {
    char& c = (*name)[i];
    if (c == ' ' || c == '.') {
      c = '_';
    } else if (c == '[') {
      bracket = i;
      break;
    }
  }
  const std::string_view base = std::string_view(*name).substr(0, bracket);
  constexpr std::string_view kHost = "__Host-";
  constexpr std::string_view kSecure = "__Secure-";
  if ((base.starts_with(kHost) && !raw.starts_with(kHost)) ||
      (base.starts_with(kSecure) && !raw.starts_with(kSecure))) {
    return false;
  }
  if (base.empty()) return false;
  if (bracket == std::string::npos) return true;
  if (name->find(']', bracket + 1) != std::string::npos) {
    *is_array = true;
    return true;
  }
  // "a[b.c" (unterminated index) is the plain name "a_b_c".
  for (size_t i = bracket; i < name->size(); ++i) {
    char& c = (*name)[i];
    if (c == ' ' || c == '.' || c == '[') c = '_';
  }
  return true;
}

}  // namespace

std::string Base64Encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
    out.push_back(kBase64Chars[(v >> 18) & 0x3f]);
    out.push_back(kBase64Chars[(v >> 12) & 0x3f]);
    out.push_back(kBase64Chars[(v >> 6) & 0x3f]);
    out.push_back(kBase64Chars[v & 0x3f]);
  }
  const size_t rest = data.size() - i;
  if (rest == 1) {
    const uint32_t v = uint32_t{in[i]} << 16;
    out.push_back(kBase64Chars[(v >> 18) & 0x3f]);
    out.push_back(kBase64Chars[(v >> 12) & 0x3f]);
    out.append("==");
  } else if (rest == 2) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8);
    out.push_back(kBase64Chars[(v >> 18) & 0x3f]);
    out.push_back(kBase64Chars[(v >> 12) & 0x3f]);
    out.push_back(kBase64Chars[(v >> 6) & 0x3f]);
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> Base64DecodeStrict(std::string_view text, Base64Alphabet alphabet) {
  const ReverseTable& table =
      alphabet == Base64Alphabet::kStandardOrUrlSafe ? kUrlSafeTable : kStandardTable;
  std::string out(text.size() / 4 * 3 + 3, '\0');
  char* const dst = out.data();
  size_t written = 0;
  size_t sextets = 0;
  size_t padding = 0;
  uint32_t acc = 0;  // the sextets of the current quantum
  for (const char c : text) {
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
  out.resize(written);
  return out;
}

void AppendPhpUrlEncoded(std::string_view value, std::string* out) {
  for (const char c : value) {
    const auto b = static_cast<unsigned char>(c);
    if (IsUrlSafeByte(b)) {
      out->push_back(c);
    } else if (b == ' ') {
      out->push_back('+');
    } else {
      out->push_back('%');
      out->push_back(kUpperHex[b >> 4]);
      out->push_back(kUpperHex[b & 0x0f]);
    }
  }
}

std::string PhpUrlDecode(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < value.size() && HexValue(value[i + 1]) >= 0 &&
               HexValue(value[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(value[i + 1]) * 16 + HexValue(value[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<PhpQueryFields> PhpParseStr(std::string_view query) {
  query = query.substr(0, query.find('\0'));
  PhpQueryFields fields;
  size_t count = 0;
  size_t pos = 0;
  std::string name;
  while (pos < query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view piece = query.substr(pos, end - pos);
    pos = end + 1;
    if (piece.empty()) continue;
    if (++count > kPhpMaxInputVars) break;
    const size_t eq = piece.find('=');
    const std::string_view raw_name = piece.substr(0, eq);
    const std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    bool is_array = false;
    if (!MangleName(PhpUrlDecode(raw_name), &name, &is_array)) continue;
    if (is_array) return std::nullopt;
    std::string value = PhpUrlDecode(raw_value);
    bool replaced = false;
    for (auto& [existing_name, existing_value] : fields) {
      if (existing_name == name) {
        existing_value = std::move(value);
        replaced = true;
        break;
      }
    }
    if (!replaced) fields.emplace_back(name, std::move(value));
  }
  return fields;
}

}  // namespace ksgate::ks
