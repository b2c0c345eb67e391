#include "api/param_decoder.h"

#include <algorithm>
#include <tuple>

#include "common/php.h"

namespace ksgate::api::decoding {

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Recursion is bounded by max_depth, which every source enforces before a tree reaches this.
size_t Depth(const Node& n) {
  size_t d = 0;
  if (n.is_map()) {
    for (const auto& member : n.members) d = std::max(d, 1 + Depth(member.second));
  }
  return d;
}

Node Clone(const Node& n) {
  Node copy(n.kind, n.text);
  copy.members.reserve(n.members.size());
  for (const auto& [key, member] : n.members) copy.Append(key, Clone(member));
  return copy;
}

namespace {

// Moves `n` into the default Param *p. Each member's Param is made in its place in the vector
// and filled there, so a text moves once, not into a returned Param and again into its pair.
void MoveInto(Node&& n, Param* p) {
  p->kind = n.kind;
  p->text = std::move(n.text);
  if (n.members.empty()) return;
  p->members.reserve(n.members.size());
  for (auto& [key, member] : n.members) {
    auto& slot = p->members.emplace_back(std::piecewise_construct,
                                         std::forward_as_tuple(std::move(key)), std::tuple<>());
    MoveInto(std::move(member), &slot.second);
  }
}

// Appends the member `key` to the map *p, made in its place as MoveInto makes them.
void MoveMember(std::string&& key, Node&& value, Param* p) {
  auto& slot = p->members.emplace_back(std::piecewise_construct,
                                       std::forward_as_tuple(std::move(key)), std::tuple<>());
  MoveInto(std::move(value), &slot.second);
}

}  // namespace

Param ToParam(Node&& n) {
  Param p;
  MoveInto(std::move(n), &p);
  return p;
}

Param MergedParam(Node&& dst, Node&& src) {
  if (dst.members.empty()) return ToParam(std::move(src));
  Param p = Param::Map();
  p.members.reserve(dst.members.size() + src.members.size());
  // Merge's order: dst's members where they are, src's value or both maps merged in place of
  // a shared key, then the members of src that dst lacks.
  std::vector<bool> taken;  // members of src that went into one of dst, made at the first
  for (auto& [key, value] : dst.members) {
    const size_t at = src.Position(key);
    if (at == Node::kAbsent) {
      MoveMember(std::move(key), std::move(value), &p);
      continue;
    }
    if (taken.empty()) taken.resize(src.members.size());
    taken[at] = true;
    Node& over = src.members[at].second;
    if (value.is_map() && over.is_map()) {
      Merge(&value, std::move(over));
      MoveMember(std::move(key), std::move(value), &p);
    } else {
      MoveMember(std::move(key), std::move(over), &p);
    }
  }
  for (size_t i = 0; i < src.members.size(); ++i) {
    if (taken.empty() || !taken[i]) {
      MoveMember(std::move(src.members[i].first), std::move(src.members[i].second), &p);
    }
  }
  return p;
}

void Merge(Node* dst, Node&& src) {
  // Into an empty map (no body params under the URL's, an empty JSON object under a URL map)
  // nothing can collide: the result is src as it is, its index and next free key included.
  if (dst->members.empty()) {
    *dst = std::move(src);
    return;
  }
  // At most every member of src is added: room for them at once (bounded by members that
  // exist, unlike room made ahead of input).
  dst->members.reserve(dst->members.size() + src.members.size());
  for (auto& [key, value] : src.members) {
    Node* d = dst->Find(key);
    if (d == nullptr) {
      dst->Append(std::move(key), std::move(value));
    } else if (d->is_map() && value.is_map()) {
      Merge(d, std::move(value));
    } else {
      *d = std::move(value);
    }
  }
}

// --- URL -----------------------------------------------------------------------------------

size_t UrlRoom(std::string_view query, std::string_view path) {
  size_t pieces = 0;
  for (size_t pos = 0; pos < query.size() && pieces < kUrlRoom;) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    pieces += amp > pos ? 1 : 0;
    pos = amp + 1;
  }
  // Non-empty segments: each starts the path or follows a '/' (a loop the compiler vectorises,
  // where a search per segment cost more than the room saves).
  size_t segments = !path.empty() && path[0] != '/' ? 1 : 0;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    segments += static_cast<size_t>(path[i] == '/') & static_cast<size_t>(path[i + 1] != '/');
  }
  return std::min(pieces + segments / 2, kUrlRoom);
}

bool Decoder::ParseUrl(std::string_view query, std::string_view path, Node* out) {
  out->members.reserve(UrlRoom(query, path));
  return ParseUrlEncoded(query, out) && ParsePath(path, out);
}

// --- form / query ---------------------------------------------------------------------------

bool Decoder::ParseUrlEncoded(std::string_view s, Node* out) {
  constexpr size_t npos = std::string_view::npos;
  // Where urldecode has work: the next '%' and the next '+', searched again only once passed.
  // A piece before both is taken as it lies, with no decoding pass (a KS or an id holds
  // neither).
  size_t next_percent = s.find('%');
  size_t next_plus = s.find('+');
  std::string decoded_name;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t amp = s.find('&', pos);
    if (amp == npos) amp = s.size();
    std::string_view pair = s.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) continue;
    const bool escaped = next_percent < amp || next_plus < amp;
    if (next_percent < amp) next_percent = s.find('%', amp);
    if (next_plus < amp) next_plus = s.find('+', amp);
    if (!CountParam()) return false;
    const size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view raw_value = eq == npos ? "" : pair.substr(eq + 1);
    if (name.size() > 3 * limits_.max_key_length && !CheckKey(name.size() / 3)) {
      return false;  // cannot decode to fewer than a third of its bytes
    }
    if (escaped) {
      decoded_name.clear();
      php::AppendUrlDecoded(name, /*plus_is_space=*/true, &decoded_name);
      name = decoded_name;
    }
    if (!CheckKey(name.size())) return false;
    std::string value;
    if (escaped) {
      value.reserve(raw_value.size());
      php::AppendUrlDecoded(raw_value, /*plus_is_space=*/true, &value);
    } else {
      value.assign(raw_value);
    }
    if (!Register(out, name, Node(Param::Kind::kString, std::move(value)))) return false;
  }
  return true;
}

bool Decoder::Register(Node* root, std::string_view raw_name, Node&& value) {
  // The usual name (a KS field, an API parameter) is its own key: no copy of it to look at.
  if (php::IsPlainVariableName(raw_name)) {
    root->Set(raw_name, std::move(value));
    return true;
  }
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
  // "/api_v3/index.php"); a leading "/api" is the short form rewritten to that script. Pairs
  // are read as the segments come, straight into *out: no list of segments, no map of path
  // pairs to merge, and a segment without '%' is never copied to be looked at.
  const size_t query_members = out->members.size();
  std::vector<bool> replaced;  // members of the query a pair replaced, made at the first
  std::string decoded;         // the current segment, when it holds an escape
  const bool escaped = path.find('%') != std::string_view::npos;  // one search, not one a segment
  bool first = true;
  bool want_value = false;     // the last kept segment was a key
  Node* value_slot = nullptr;  // where its value goes (null for a repeated key)
  size_t pos = 0;
  while (pos < path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view segment = path.substr(pos, slash - pos);
    pos = slash + 1;
    if (segment.empty()) continue;
    if (escaped && segment.find('%') != std::string_view::npos) {
      decoded.clear();
      php::AppendUrlDecoded(segment, /*plus_is_space=*/false, &decoded);
      segment = decoded;  // never empty: an escape decodes to one byte
    }
    const bool was_first = first;
    first = false;
    if (segment == "api_v3" || segment == "index.php" || (was_first && segment == "api")) {
      continue;
    }
    if (want_value) {
      if (value_slot != nullptr) value_slot->text.assign(segment);
      want_value = false;
      continue;
    }
    if (segment == "0") break;  // PHP stops at a falsy key
    if (!CountParam() || !CheckKey(segment.size())) return false;
    want_value = true;
    // A missing last value is "": the slot starts as that.
    value_slot = nullptr;
    const size_t at = out->Position(segment);
    if (at == Node::kAbsent) {
      value_slot = &out->Append(std::string(segment), Node(Param::Kind::kString, {}));
    } else if (at < query_members) {  // a query member: the path wins, once
      if (replaced.empty()) replaced.resize(query_members);
      if (!replaced[at]) {
        replaced[at] = true;
        value_slot = &out->members[at].second;
        *value_slot = Node(Param::Kind::kString, {});
      }
    }  // else an earlier pair of the path: the first occurrence wins
  }
  return true;
}

// --- grouping -------------------------------------------------------------------------------

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

}  // namespace ksgate::api::decoding
