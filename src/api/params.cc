#include "api/params.h"

#include "api/utf8.h"
#include "common/php.h"
#include "common/strings.h"

// RapidJSON 1.1.0's internal::Stack computes nullptr + n before its first allocation, which
// Clang's UBSan reports (fixed upstream after 1.1.0); the arithmetic is never dereferenced.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow"))), apply_to = function)
#endif
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#if defined(__clang__)
#pragma clang attribute pop
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ksgate::api {

// ---------------------------------------------------------------------------------------------
// Param

const Param* Param::Find(std::string_view key) const {
  if (kind != Kind::kMap) return nullptr;
  for (const auto& member : members) {
    if (member.first == key) return &member.second;
  }
  return nullptr;
}

std::string_view Param::ScalarAt(std::string_view key) const {
  const Param* p = Find(key);
  return p != nullptr && p->is_scalar() ? std::string_view(p->text) : std::string_view();
}

Param* Param::Find(std::string_view key) {
  return const_cast<Param*>(std::as_const(*this).Find(key));
}

Param& Param::Set(std::string key, Param value) {
  if (kind != Kind::kMap) {
    kind = Kind::kMap;
    text.clear();
    members.clear();
  }
  for (auto& member : members) {
    if (member.first == key) {
      member.second = std::move(value);
      return member.second;
    }
  }
  members.emplace_back(std::move(key), std::move(value));
  return members.back().second;
}

void Param::Erase(std::string_view key) {
  if (kind != Kind::kMap) return;
  members.erase(std::remove_if(members.begin(), members.end(),
                               [key](const auto& member) { return member.first == key; }),
                members.end());
}

// ---------------------------------------------------------------------------------------------
// Text helpers

namespace {

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}


// True if s[0, n) is valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
// ASCII is checked eight bytes at a time.
bool IsValidUtf8(const char* s, size_t n) {
  const std::string_view view(s, n);
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, s + i, sizeof(word));
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(view, i, &cp);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

}  // namespace

bool IsXmlSafeUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(s, i, &cp);
    if (len == 0 || cp == 0xFFFE || cp == 0xFFFF) return false;
    i += len;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// The tree while it is being built: like Param, plus a hash index for large maps (so 10,000
// distinct keys cost O(n), not O(n^2)) and PHP's "next free integer key" for `a[]=`.

namespace {

struct KeyHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using KeyIndex = std::unordered_map<std::string, size_t, KeyHash, std::equal_to<>>;

// Maps with more members than this get a hash index (below it a linear scan is cheaper).
constexpr size_t kIndexThreshold = 32;

struct Node {
  Param::Kind kind = Param::Kind::kNull;
  std::string text;
  std::vector<std::pair<std::string, Node>> members;
  std::unique_ptr<KeyIndex> index;  // key -> position in members; only for large maps
  uint64_t next_index = 0;          // PHP nNextFreeElement: 1 + the largest integer key

  Node() = default;
  Node(Param::Kind k, std::string t) : kind(k), text(std::move(t)) {}
  static Node Map() { return Node(Param::Kind::kMap, {}); }

  bool is_map() const { return kind == Param::Kind::kMap; }

  Node* Find(std::string_view key) {
    if (index != nullptr) {
      auto it = index->find(key);
      return it == index->end() ? nullptr : &members[it->second].second;
    }
    for (auto& member : members) {
      if (member.first == key) return &member.second;
    }
    return nullptr;
  }

  // The member `key` of this map, appended as null if absent. The reference is valid until
  // the next insertion into this map. Requires is_map().
  Node& Slot(std::string_view key) {
    if (Node* found = Find(key)) return *found;
    members.emplace_back(std::string(key), Node());
    const size_t pos = members.size() - 1;
    if (index != nullptr) {
      index->emplace(members.back().first, pos);
    } else if (members.size() > kIndexThreshold) {
      index = std::make_unique<KeyIndex>();
      index->reserve(members.size() * 2);
      for (size_t i = 0; i < members.size(); ++i) index->emplace(members[i].first, i);
    }
    NoteIntegerKey(key);
    return members.back().second;
  }

  // PHP `$a[] = ...`: the member at the next free integer key.
  Node& AppendNext() { return Slot(std::to_string(next_index)); }

 private:
  void NoteIntegerKey(std::string_view key) {
    if (key.empty() || key.size() > 18 || !IsDigits(key) || (key.size() > 1 && key[0] == '0')) {
      return;
    }
    uint64_t v = 0;
    for (char c : key) v = v * 10 + static_cast<uint64_t>(c - '0');
    next_index = std::max(next_index, v + 1);
  }
};

// Levels of keys below `n`: 0 for scalars and empty maps. Recursion is bounded by max_depth,
// which every source enforces before a tree reaches this.
size_t Depth(const Node& n) {
  size_t d = 0;
  if (n.is_map()) {
    for (const auto& member : n.members) d = std::max(d, 1 + Depth(member.second));
  }
  return d;
}

Node Clone(const Node& n) {
  Node copy(n.kind, n.text);
  for (const auto& [key, member] : n.members) copy.Slot(key) = Clone(member);
  return copy;
}

Param ToParam(Node&& n) {
  Param p;
  p.kind = n.kind;
  p.text = std::move(n.text);
  p.members.reserve(n.members.size());
  for (auto& member : n.members) {
    p.members.emplace_back(std::move(member.first), ToParam(std::move(member.second)));
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// The decoder: one per request, it holds the limits, the running parameter count and the
// first error.

class Decoder {
 public:
  explicit Decoder(const DecodeLimits& limits) : limits_(limits) {}

  ApiError TakeError() { return std::move(*error_); }

  // Query string or form body: `a=1&b[c]=2`, PHP style.
  bool ParseUrlEncoded(std::string_view s, Node* out);
  // Path pairs after the script path (§1.3) into *out (first occurrence wins).
  bool ParsePath(std::string_view path, Node* out);
  // The body, by Content-Type (§2.1), into *out.
  bool ParseBody(const Request& request, Node* out);
  // Groups `a:b:c` keys of `flat` into *out (§3.1). Top-level keys made of digits whose value
  // is a map (multirequest items, §7.1) have their own keys grouped too.
  bool Group(Node&& flat, Node* out, size_t base_level);

  // Leaf counting and limit checks; false (with the error recorded) on a breach.
  bool CountParam() {
    if (++params_ > limits_.max_params) return Limit("max_params", limits_.max_params);
    return true;
  }
  bool CheckKey(size_t length) {
    if (length > limits_.max_key_length) return Limit("max_key_length", limits_.max_key_length);
    return true;
  }
  bool CheckLevels(size_t levels) {
    if (levels > limits_.max_depth) return Limit("max_depth", limits_.max_depth);
    return true;
  }
  bool Fail(ApiError e) {
    if (!error_) error_ = std::move(e);
    return false;
  }

 private:
  bool Limit(std::string_view name, size_t max) {
    return Fail(ApiError::Of(errors::kRequestTooLarge, {name, std::to_string(max)}));
  }
  // php_register_variable_ex: stores `value` under `name` with PHP's key rules.
  bool Register(Node* root, std::string_view name, Node value);
  bool ParseJsonObject(std::string_view text, Node* out);
  bool ParseMultipart(std::string_view body, std::string_view boundary, Node* fields);
  bool GroupOne(std::string_view key, Node&& value, Node* out, size_t base_level);

  const DecodeLimits& limits_;
  size_t params_ = 0;
  std::optional<ApiError> error_;
};

// Merges `src` into `dst` like PHP array_replace_recursive: src wins; where both hold a map
// the maps are merged key by key. Both must be maps.
void Merge(Node* dst, Node&& src) {
  for (auto& member : src.members) {
    Node* d = dst->Find(member.first);
    if (d != nullptr && d->is_map() && member.second.is_map()) {
      Merge(d, std::move(member.second));
    } else if (d != nullptr) {
      *d = std::move(member.second);
    } else {
      dst->Slot(member.first) = std::move(member.second);
    }
  }
}

// --- form / query ---------------------------------------------------------------------------

bool Decoder::ParseUrlEncoded(std::string_view s, Node* out) {
  std::string name;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t amp = s.find('&', pos);
    if (amp == std::string_view::npos) amp = s.size();
    std::string_view pair = s.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) continue;
    if (!CountParam()) return false;
    const size_t eq = pair.find('=');
    std::string_view raw_name = pair.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    if (raw_name.size() > 3 * limits_.max_key_length && !CheckKey(raw_name.size() / 3)) {
      return false;  // cannot decode to fewer than a third of its bytes
    }
    name.clear();
    php::AppendUrlDecoded(raw_name, true, &name);
    if (!CheckKey(name.size())) return false;
    std::string value;
    value.reserve(raw_value.size());
    php::AppendUrlDecoded(raw_value, true, &value);
    if (!Register(out, name, Node(Param::Kind::kString, std::move(value)))) return false;
  }
  return true;
}

bool Decoder::Register(Node* root, std::string_view raw_name, Node value) {
  const php::VariableName name = php::ParseVariableName(raw_name);
  if (name.base.empty()) return true;  // PHP drops variables without a name

  // Bracket indices: "a[b][][c]" -> b, (append), c. (A missing ']' on the first index made the
  // whole name plain already.) A missing ']' on a later one drops the tail ("a[b][c" -> a[b]);
  // text after the last ']' is ignored ("a[b]c" -> a[b]).
  const std::string_view subscripts = name.subscripts;
  std::vector<std::optional<std::string_view>> indices;
  size_t p = 0;  // at a '[' or the end
  while (p < subscripts.size()) {
    size_t ip = p + 1;
    const size_t index_start = ip;
    if (ip < subscripts.size() &&
        (subscripts[ip] == ' ' || (subscripts[ip] >= '\t' && subscripts[ip] <= '\r'))) {
      ++ip;
    }
    size_t close;
    if (ip < subscripts.size() && subscripts[ip] == ']') {
      indices.emplace_back(std::nullopt);
      close = ip;
    } else {
      close = subscripts.find(']', ip);
      if (close == std::string_view::npos) break;
      indices.emplace_back(subscripts.substr(index_start, close - index_start));
    }
    if (!CheckLevels(1 + indices.size())) return false;
    p = close + 1;
    if (p >= subscripts.size() || subscripts[p] != '[') break;
  }

  Node* cur = root;
  std::optional<std::string_view> key = name.base;
  for (const auto& index : indices) {
    Node* element = key ? &cur->Slot(*key) : &cur->AppendNext();
    if (!element->is_map()) *element = Node::Map();
    cur = element;
    key = index;
  }
  Node& slot = key ? cur->Slot(*key) : cur->AppendNext();
  slot = std::move(value);
  return true;
}

// --- path -----------------------------------------------------------------------------------

bool Decoder::ParsePath(std::string_view path, Node* out) {
  // Segments of the script path are dropped wherever they occur (PHP array_diff against
  // "/api_v3/index.php"); a leading "/api" is the short form rewritten to that script.
  std::vector<std::string> segments;
  size_t pos = 0;
  bool first = true;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view raw = path.substr(pos, slash - pos);
    pos = slash + 1;
    if (raw.empty()) continue;
    std::string segment;
    php::AppendUrlDecoded(raw, /*plus_is_space=*/false, &segment);
    const bool was_first = first;
    first = false;
    if (segment.empty() || segment == "api_v3" || segment == "index.php") continue;
    if (was_first && segment == "api") continue;
    segments.push_back(std::move(segment));
    // Pairs are bounded by max_params; stop collecting once that many are certain to fail.
    if (segments.size() > 2 * (limits_.max_params + 1)) break;
  }
  for (size_t k = 0; k < segments.size(); k += 2) {
    const std::string& key = segments[k];
    if (key == "0") break;  // PHP stops at a falsy key
    if (!CountParam() || !CheckKey(key.size())) return false;
    if (out->Find(key) != nullptr) continue;  // first occurrence wins
    std::string value = k + 1 < segments.size() ? std::move(segments[k + 1]) : std::string();
    out->Slot(key) = Node(Param::Kind::kString, std::move(value));
  }
  return true;
}

// --- JSON -----------------------------------------------------------------------------------

// RapidJSON SAX handler that builds a Node tree with an explicit stack (the reader runs
// iteratively, so neither side recurses) and stops as soon as a limit is breached.
class JsonTreeHandler {
 public:
  JsonTreeHandler(Decoder& decoder, Node* root) : decoder_(decoder), root_(root) {}

  bool Null() { return Scalar(Param::Kind::kNull, {}); }
  bool Bool(bool b) { return Scalar(Param::Kind::kBool, b ? "true" : "false"); }
  // With kParseNumbersAsStringsFlag every number arrives through RawNumber.
  bool Int(int) { return false; }
  bool Uint(unsigned) { return false; }
  bool Int64(int64_t) { return false; }
  bool Uint64(uint64_t) { return false; }
  bool Double(double) { return false; }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    return Scalar(Param::Kind::kNumber, std::string(s, n));
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (!IsValidUtf8(s, n)) return InvalidUtf8();
    return Scalar(Param::Kind::kString, std::string(s, n));
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (!decoder_.CheckKey(n)) return false;
    if (!IsValidUtf8(s, n)) return InvalidUtf8();
    key_.assign(s, n);
    return true;
  }
  bool StartObject() { return Open(false); }
  bool EndObject(rapidjson::SizeType) { return Close(); }
  bool StartArray() { return Open(true); }
  bool EndArray(rapidjson::SizeType) { return Close(); }

 private:
  struct Frame {
    Node* node;
    bool is_array;
    uint64_t count;
  };

  // The slot for the next value of the innermost container.
  Node* Place() {
    // Keys of the container at stack depth d are at level d.
    if (!decoder_.CheckLevels(stack_.size())) return nullptr;
    Frame& f = stack_.back();
    if (f.is_array) return &f.node->Slot(std::to_string(f.count++));
    return &f.node->Slot(key_);
  }
  bool Scalar(Param::Kind kind, std::string text) {
    Node* slot = Place();
    if (slot == nullptr) return false;
    *slot = Node(kind, std::move(text));
    return decoder_.CountParam();
  }
  bool Open(bool is_array) {
    Node* node = root_;
    if (stack_.empty()) {
      *root_ = Node::Map();
    } else {
      node = Place();
      if (node == nullptr) return false;
      *node = Node::Map();
    }
    stack_.push_back(Frame{node, is_array, 0});
    return true;
  }
  bool Close() {
    const Frame f = stack_.back();
    stack_.pop_back();
    // An empty container is a leaf value too (it bounds `[[],[],...]`).
    if (!stack_.empty() && f.node->members.empty()) return decoder_.CountParam();
    return true;
  }
  // Strings arrive as RapidJSON decoded them: raw bytes copied, escapes encoded as UTF-8 (a
  // lone \uDC00 as the bytes of a surrogate), so this catches both kinds of bad text.
  bool InvalidUtf8() {
    return decoder_.Fail(
        ApiError::Of(errors::kInvalidJson, {"Invalid UTF-8 or unpaired surrogate in string."}));
  }

  Decoder& decoder_;
  Node* root_;
  std::vector<Frame> stack_;
  std::string key_;
};

// Parses a JSON text that starts with '{' into *out. INVALID_JSON if it does not parse, holds
// invalid UTF-8 or has anything but whitespace after the object.
bool Decoder::ParseJsonObject(std::string_view text, Node* out) {
  JsonTreeHandler handler(*this, out);
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::Reader reader;
  // Iterative: no recursion however deep the text. Numbers as strings: literal text kept.
  // Encoding is validated by the handler (IsValidUtf8, ASCII eight bytes at a time) rather
  // than kParseValidateEncodingFlag, which checks byte by byte and misses lone low-surrogate
  // escapes; outside strings any non-ASCII byte is a syntax error anyway.
  constexpr unsigned kFlags =
      rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;
  rapidjson::ParseResult result = reader.Parse<kFlags>(stream, handler);
  if (error_) return false;  // a limit or bad UTF-8 stopped the handler
  if (result.IsError()) {
    std::string reason = rapidjson::GetParseError_En(result.Code());
    reason += " (at byte " + std::to_string(result.Offset()) + ")";
    return Fail(ApiError::Of(errors::kInvalidJson, {reason}));
  }
  // The stream reads NUL as end of input; anything after it is still garbage.
  if (stream.Tell() != text.size()) {
    std::string reason = "The document root must not be followed by other values. (at byte " +
                         std::to_string(stream.Tell()) + ")";
    return Fail(ApiError::Of(errors::kInvalidJson, {reason}));
  }
  if (!out->is_map()) *out = Node::Map();
  return true;
}

// --- multipart ------------------------------------------------------------------------------

// The boundary parameter of a multipart Content-Type (unquoted), or empty.
std::string_view MultipartBoundary(std::string_view content_type) {
  size_t pos = content_type.find(';');
  while (pos != std::string_view::npos) {
    const size_t next = content_type.find(';', pos + 1);
    std::string_view param =
        content_type.substr(pos + 1, next == std::string_view::npos ? next : next - pos - 1);
    pos = next;
    const size_t eq = param.find('=');
    if (eq == std::string_view::npos ||
        !EqualsIgnoreCase(TrimChars(param.substr(0, eq), kSpaceOrTab), "boundary")) {
      continue;
    }
    std::string_view value = TrimChars(param.substr(eq + 1), kSpaceOrTab);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      return value.substr(1, value.size() - 2);
    }
    return TrimChars(value.substr(0, value.find(',')), kSpaceOrTab);
  }
  return {};
}

// The `name` and `filename` parameters of a Content-Disposition value such as
// ` form-data; name="a"; filename="b.txt"`. Quoted values take \" and \\ escapes, as PHP
// reads them.
struct Disposition {
  bool has_name = false;
  bool has_filename = false;
  std::string name;
};

Disposition ParseDisposition(std::string_view h) {
  Disposition d;
  size_t i = h.find(';');
  if (i == std::string_view::npos) return d;
  while (i < h.size()) {
    while (i < h.size() && (h[i] == ';' || h[i] == ' ' || h[i] == '\t')) ++i;
    const size_t name_start = i;
    while (i < h.size() && h[i] != '=' && h[i] != ';') ++i;
    std::string_view param = TrimChars(h.substr(name_start, i - name_start), kSpaceOrTab);
    std::string value;
    if (i < h.size() && h[i] == '=') {
      ++i;
      while (i < h.size() && (h[i] == ' ' || h[i] == '\t')) ++i;
      if (i < h.size() && h[i] == '"') {
        for (++i; i < h.size() && h[i] != '"'; ++i) {
          if (h[i] == '\\' && i + 1 < h.size() && (h[i + 1] == '\\' || h[i + 1] == '"')) ++i;
          value.push_back(h[i]);
        }
        while (i < h.size() && h[i] != ';') ++i;  // past the closing quote
      } else {
        const size_t value_start = i;
        while (i < h.size() && h[i] != ';') ++i;
        value = std::string(TrimChars(h.substr(value_start, i - value_start), kSpaceOrTab));
      }
    }
    if (EqualsIgnoreCase(param, "name") && !d.has_name) {
      d.has_name = true;
      d.name = std::move(value);
    } else if (EqualsIgnoreCase(param, "filename")) {
      d.has_filename = true;
    }
  }
  return d;
}

bool Decoder::ParseMultipart(std::string_view body, std::string_view boundary, Node* fields) {
  if (boundary.empty() || boundary.size() > 200 ||
      boundary.find_first_of("\r\n") != std::string_view::npos) {
    return true;  // no usable boundary: no fields, as PHP
  }
  const std::string delimiter = "--" + std::string(boundary);
  const std::string next_delimiter = "\n" + delimiter;  // '\n' occurs once: linear search
  size_t pos;
  if (body.substr(0, delimiter.size()) == delimiter) {
    pos = delimiter.size();
  } else {
    size_t at = body.find(next_delimiter);
    if (at == std::string_view::npos) return true;
    pos = at + next_delimiter.size();
  }
  while (true) {
    // Just after a delimiter: "--" closes the body; else padding up to the end of the line.
    if (body.substr(pos, 2) == "--") return true;
    size_t eol = body.find('\n', pos);
    if (eol == std::string_view::npos) return true;
    pos = eol + 1;
    // Part headers, up to an empty line.
    std::string_view disposition;
    bool have_headers_end = false;
    while (pos < body.size()) {
      eol = body.find('\n', pos);
      if (eol == std::string_view::npos) break;
      std::string_view line = body.substr(pos, eol - pos);
      pos = eol + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) {
        have_headers_end = true;
        break;
      }
      size_t colon = line.find(':');
      if (colon != std::string_view::npos &&
          EqualsIgnoreCase(TrimChars(line.substr(0, colon), kSpaceOrTab), "content-disposition")) {
        disposition = line.substr(colon + 1);
      }
    }
    if (!have_headers_end) return true;  // truncated part: ignored
    // Content, up to the next delimiter (a truncated last part is ignored).
    size_t next = body.find(next_delimiter, pos);
    if (next == std::string_view::npos) return true;
    size_t content_end = next;
    if (content_end > pos && body[content_end - 1] == '\r') --content_end;
    std::string_view content = body.substr(pos, content_end - pos);
    pos = next + next_delimiter.size();

    // Every part counts, so a body of many tiny parts is bounded like any other.
    if (!CountParam()) return false;
    Disposition d = ParseDisposition(disposition);
    if (!d.has_name || d.has_filename) continue;  // files are not parameters in ksgate
    if (!CheckKey(d.name.size())) return false;
    if (!Register(fields, d.name, Node(Param::Kind::kString, std::string(content)))) return false;
  }
}

// --- body -----------------------------------------------------------------------------------

bool Decoder::ParseBody(const Request& request, Node* out) {
  const std::string_view content_type = request.content_type;
  const std::string_view media =
      TrimChars(content_type.substr(0, content_type.find(';')), kSpaceOrTab);
  if (EqualsIgnoreCase(media, "application/json")) {
    // Only an object is a body (so a top-level array is ignored), but once the text starts
    // like one it must parse: stricter than PHP, which silently drops a broken body.
    std::string_view text = TrimChars(request.body, php::kTrimChars);
    if (text.empty() || text.front() != '{') return true;
    return ParseJsonObject(text, out);
  }
  if (EqualsIgnoreCase(media, "multipart/form-data")) {
    Node fields = Node::Map();
    if (!ParseMultipart(request.body, MultipartBoundary(content_type), &fields)) return false;
    // A `json` field replaces the other fields when it holds a non-empty JSON object.
    Node* json = fields.Find("json");
    if (json != nullptr && json->kind == Param::Kind::kString) {
      std::string_view text = TrimChars(json->text, php::kTrimChars);
      if (!text.empty() && text.front() == '{') {
        Node decoded = Node::Map();
        if (!ParseJsonObject(text, &decoded)) return false;
        if (!decoded.members.empty()) {
          *out = std::move(decoded);
          return true;
        }
      }
    }
    *out = std::move(fields);
    return true;
  }
  if (EqualsIgnoreCase(media, "application/x-www-form-urlencoded")) {
    return ParseUrlEncoded(request.body, out);
  }
  return true;
}

// --- grouping -------------------------------------------------------------------------------

// True if grouping would leave `flat` as it is: no key holds ':' or is "-", and (at the top)
// no all-digit key holds a map.
bool AlreadyGrouped(const Node& flat, size_t base_level) {
  for (const auto& [key, value] : flat.members) {
    if (key.find(':') != std::string::npos || key == "-") return false;
    if (base_level == 0 && value.is_map() && IsDigits(key)) return false;
  }
  return true;
}

bool Decoder::Group(Node&& flat, Node* out, size_t base_level) {
  if (AlreadyGrouped(flat, base_level)) {
    *out = std::move(flat);
    return true;
  }
  if (!out->is_map()) *out = Node::Map();
  for (auto& member : flat.members) {
    if (!GroupOne(member.first, std::move(member.second), out, base_level)) return false;
  }
  return true;
}

// KalturaRequestDeserializer::setElementByPath for one key.
bool Decoder::GroupOne(std::string_view key, Node&& value, Node* out, size_t base_level) {
  if (key.find(':') == std::string_view::npos) {
    if (key == "-") return true;  // a lone "-" path sets nothing
    if (base_level == 0 && value.is_map() && IsDigits(key)) {
      Node grouped = Node::Map();
      if (!Group(std::move(value), &grouped, 1)) return false;
      out->Slot(key) = std::move(grouped);
      return true;
    }
    out->Slot(key) = std::move(value);  // replaces whatever was grouped under `key`
    return true;
  }
  std::vector<std::string_view> segments;
  size_t pos = 0;
  while (true) {
    size_t colon = key.find(':', pos);
    segments.push_back(key.substr(pos, colon == std::string_view::npos ? colon : colon - pos));
    if (colon == std::string_view::npos) break;
    pos = colon + 1;
  }
  const bool empty_array = segments.back() == "-";
  const size_t levels =
      base_level + (empty_array ? segments.size() - 1 : segments.size() + Depth(value));
  if (!CheckLevels(levels)) return false;
  Node* cur = out;
  for (size_t i = 0; i < segments.size(); ++i) {
    const bool last = i + 1 == segments.size();
    if (last && empty_array) break;
    Node& slot = cur->Slot(segments[i]);
    if (!slot.is_map()) slot = Node::Map();
    if (last) {
      slot = std::move(value);
    } else {
      cur = &slot;
    }
  }
  return true;
}

// The URL parameters that choose the output format (format, callback, ignoreNull and the keys
// that group into them), copied out before the URL and body parameters merge.
Node OutputKeysOf(const Node& url) {
  Node picked = Node::Map();
  for (const auto& [key, value] : url.members) {
    for (std::string_view name : {"format", "callback", "ignoreNull"}) {
      if (key.starts_with(name) && (key.size() == name.size() || key[name.size()] == ':')) {
        picked.Slot(key) = Clone(value);
        break;
      }
    }
  }
  return picked;
}

}  // namespace

Result<Param, ApiError> DecodeRequestParams(const Request& request, const DecodeLimits& limits,
                                            Param* url_output_params) {
  Decoder decoder(limits);
  const std::string_view target = request.target;
  const size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  std::string_view query = question == std::string_view::npos ? "" : target.substr(question + 1);
  query = query.substr(0, query.find('#'));

  // URL params: the query string, then path pairs on top.
  Node url = Node::Map();
  if (!decoder.ParseUrlEncoded(query, &url)) return decoder.TakeError();
  Node path_params = Node::Map();
  if (!decoder.ParsePath(path, &path_params)) return decoder.TakeError();
  Merge(&url, std::move(path_params));
  // What the URL alone says about the output format, to answer an error found later in it.
  Node output_keys = url_output_params != nullptr ? OutputKeysOf(url) : Node::Map();
  auto fail = [&] {
    if (url_output_params != nullptr) {
      Decoder regroup(limits);
      Node grouped = Node::Map();
      if (regroup.Group(std::move(output_keys), &grouped, 0)) {
        *url_output_params = ToParam(std::move(grouped));
      }
    }
    return decoder.TakeError();
  };

  // Body params underneath.
  Node all = Node::Map();
  if (!decoder.ParseBody(request, &all)) return fail();
  Merge(&all, std::move(url));

  Node grouped = Node::Map();
  if (!decoder.Group(std::move(all), &grouped, 0)) return fail();
  return ToParam(std::move(grouped));
}

}  // namespace ksgate::api
