#include "common/php.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "common/strings.h"
#include "common/swar.h"

namespace ksgate::php {

namespace {

constexpr bool IsUrlSafeByte(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// IsUrlSafeByte as a table: urlencode() runs over every field of every KS issued.
constexpr std::array<bool, 256> kUrlSafe = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) table[c] = IsUrlSafeByte(static_cast<unsigned char>(c));
  return table;
}();

// Bytes that make ParseVariableName do more than copy the name.
constexpr bool IsNameSpecial(char c) { return c == '\0' || c == ' ' || c == '.' || c == '['; }

// Marks (swar::MarkByte) the bytes of `word` ParseStr's scan of a piece stops at: '&', '=',
// '%' and '+'.
constexpr uint64_t MarkQuerySyntax(uint64_t word) {
  return swar::MarkByte(word, '&') | swar::MarkByte(word, '=') | swar::MarkByte(word, '%') |
         swar::MarkByte(word, '+');
}

}  // namespace

std::string_view Trim(std::string_view s) { return TrimChars(s, kTrimChars); }

void AppendUrlDecoded(std::string_view s, bool plus_is_space, std::string* out) {
  // Whole runs between the bytes urldecode changes are appended at once, those bytes found by
  // memchr (vectorised): a KS or an id holds none, and testing byte by byte was most of the
  // cost of decoding a query string.
  constexpr size_t npos = std::string_view::npos;
  size_t percent = s.find('%');
  size_t plus = plus_is_space ? s.find('+') : npos;
  size_t run = 0;            // start of the pending run of bytes copied verbatim
  while (percent != plus) {  // both npos: no more
    if (plus < percent) {
      out->append(s.data() + run, plus - run);
      out->push_back(' ');
      run = plus + 1;
      plus = s.find('+', run);
      continue;
    }
    const size_t i = percent;
    if (i + 2 < s.size() && HexDigitValue(s[i + 1]) >= 0 && HexDigitValue(s[i + 2]) >= 0) {
      out->append(s.data() + run, i - run);
      out->push_back(static_cast<char>(HexDigitValue(s[i + 1]) * 16 + HexDigitValue(s[i + 2])));
      run = i + 3;  // hex digits are no '+', so `plus` is still ahead
    }
    // Any other '%' stays in the run.
    percent = s.find('%', i + 1);
  }
  out->append(s.data() + run, s.size() - run);
}

std::string UrlDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  AppendUrlDecoded(s, /*plus_is_space=*/true, &out);
  return out;
}

// One pass that copies and escapes: a KS's values are short (ids, names, numbers), and a scan
// for runs to copy whole (16 bytes at a time with SSE2) cost more than it saved on them.
char* WriteUrlEncoded(std::string_view value, char* out) {
  static constexpr char kUpperHex[] = "0123456789ABCDEF";
  for (const char c : value) {
    const auto b = static_cast<unsigned char>(c);
    if (kUrlSafe[b]) {
      *out++ = c;
    } else if (b == ' ') {
      *out++ = '+';
    } else {
      out[0] = '%';
      out[1] = kUpperHex[b >> 4];
      out[2] = kUpperHex[b & 0x0f];
      out += 3;
    }
  }
  return out;
}

// Byte by byte: a name is short (a KS's are 2–12 bytes), where a word-at-a-time test cost more
// than it saved.
bool IsPlainVariableName(std::string_view raw) {
  return !raw.empty() && std::none_of(raw.begin(), raw.end(), IsNameSpecial);
}

VariableName ParseVariableName(std::string_view raw) {
  VariableName name;
  // The usual name (a KS field, an API parameter) is taken as it is.
  if (IsPlainVariableName(raw)) {
    name.base.assign(raw);
    return name;
  }
  // PHP handles the name as a C string, and skips leading spaces.
  std::string_view n = raw.substr(0, raw.find('\0'));
  const size_t start = n.find_first_not_of(' ');
  if (start == std::string_view::npos) return name;
  n.remove_prefix(start);

  size_t i = 0;
  for (; i < n.size() && n[i] != '['; ++i)
    name.base.push_back(n[i] == ' ' || n[i] == '.' ? '_' : n[i]);
  const bool forged = [&] {
    for (std::string_view prefix : {std::string_view("__Host-"), std::string_view("__Secure-")}) {
      if (name.base.starts_with(prefix) && !n.starts_with(prefix)) return true;
    }
    return false;
  }();
  if (name.base.empty()) return name;
  name.forged_secure_prefix = forged;
  if (i == n.size()) return name;
  if (n.find(']', i + 1) != std::string_view::npos) {
    name.subscripts = n.substr(i);
    return name;
  }
  // "a[b.c" (an unterminated first index) is the plain name "a_b_c".
  for (; i < n.size(); ++i) {
    const char c = n[i];
    name.base.push_back(c == ' ' || c == '.' || c == '[' ? '_' : c);
  }
  return name;
}

bool ParseStr(std::string_view query, ParsedQuery* out) {
  query = query.substr(0, query.find('\0'));
  auto& fields = out->fields_;
  std::string& text = out->text_;
  fields.clear();
  text.clear();
  out->truncated_ = false;
  // Where a decoded name or value goes: the end of `text`, which is reserved to the query's
  // size before its first byte (it holds at most every piece's bytes once) and so never moves.
  const auto text_end = [&] {
    if (text.capacity() < query.size()) text.reserve(query.size());
    return text.size();
  };
  const auto text_from = [&](size_t start) { return std::string_view(text).substr(start); };
  std::string decoded_name;
  size_t count = 0;
  size_t pos = 0;
  while (pos < query.size()) {
    // One pass finds the piece's end, its first '=', and whether its name or value holds
    // anything urldecode changes ('%', '+'). Most KS fields hold nothing, and every KS decoded
    // comes through here: urldecode and the searches were about a sixth of a KS decode.
    // Eight bytes at a time are passed over while none of them is one of the four bytes that
    // matter ('&', '=', '%', '+'): a KS's names and values are mostly plain runs of 8–30 bytes.
    const size_t start = pos;
    size_t end = pos;
    size_t eq = std::string_view::npos;
    bool name_escaped = false;
    bool value_escaped = false;
    while (end < query.size()) {
      if (end + 8 <= query.size()) {
        const uint64_t marks = MarkQuerySyntax(swar::Load8(query.data() + end));
        if (marks == 0) {
          end += 8;
          continue;
        }
        end += swar::FirstMarked(marks);  // the first byte of the four: exact
      }
      const char c = query[end];
      if (c == '&') break;
      if (c == '=' && eq == std::string_view::npos) {
        eq = end;
      } else if (c == '%' || c == '+') {
        (eq == std::string_view::npos ? name_escaped : value_escaped) = true;
      }
      ++end;
    }
    pos = end + 1;
    if (end == start) continue;
    if (++count > kMaxInputVars) {
      out->truncated_ = true;
      break;
    }
    std::string_view name = query.substr(start, std::min(eq, end) - start);
    if (name_escaped) {
      decoded_name.clear();
      AppendUrlDecoded(name, /*plus_is_space=*/true, &decoded_name);
      name = decoded_name;
    }
    // The usual name is registered as it is; a copy only when decoding or mangling made it.
    if (!IsPlainVariableName(name)) {
      const VariableName mangled = ParseVariableName(name);
      if (mangled.base.empty() || mangled.forged_secure_prefix) continue;
      if (!mangled.subscripts.empty()) {
        fields.clear();
        return false;
      }
      const size_t at = text_end();
      text.append(mangled.base);
      name = text_from(at);
    } else if (name_escaped) {
      const size_t at = text_end();
      text.append(name);
      name = text_from(at);
    }
    std::string_view value;
    if (eq != std::string_view::npos) {
      value = query.substr(eq + 1, end - eq - 1);
      if (value_escaped) {
        const size_t at = text_end();
        AppendUrlDecoded(value, /*plus_is_space=*/true, &text);
        value = text_from(at);
      }
    }
    const auto existing = std::find_if(fields.begin(), fields.end(),
                                       [name](const QueryField& f) { return f.name == name; });
    if (existing != fields.end()) {
      existing->value = value;
    } else {
      fields.push_back({name, value});
    }
  }
  return true;
}

}  // namespace ksgate::php
