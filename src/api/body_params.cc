#include "api/param_decoder.h"

// RapidJSON 1.1.0's internal::Stack computes nullptr + n before its first allocation, which
// Clang's UBSan reports (fixed upstream after 1.1.0); the arithmetic is never dereferenced.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow"))), apply_to = function)
#endif
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#if defined(__clang__)
#pragma clang attribute pop
#endif

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "api/utf8.h"
#include "common/php.h"
#include "common/strings.h"

namespace ksgate::api::decoding {

namespace {

// --- JSON -----------------------------------------------------------------------------------

// RapidJSON SAX handler that builds a Node tree with an explicit stack (the reader runs
// iteratively, so neither side recurses) and stops as soon as a limit is breached.
class JsonTreeHandler {
 public:
  JsonTreeHandler(Decoder& decoder, Node* root, size_t text_size)
      : decoder_(decoder), root_(root), text_size_(text_size) {}

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
    if (!IsValidUtf8(std::string_view(s, n))) return InvalidUtf8();
    return Scalar(Param::Kind::kString, std::string(s, n));
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (!decoder_.CheckKey(n)) return false;
    if (!IsValidUtf8(std::string_view(s, n))) return InvalidUtf8();
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

  // Puts `value` as the next value of the innermost container and returns it; null when
  // that breaches max_depth. The value is moved into its place, not assigned over a null one.
  Node* Put(Node&& value) {
    // Keys of the container at stack depth d are at level d.
    if (!decoder_.CheckLevels(stack_.size())) return nullptr;
    Frame& f = stack_.back();
    // An array's map is new and takes only its indices: no lookup for them.
    if (f.is_array) return &f.node->Append(std::to_string(f.count++), std::move(value));
    return &f.node->Set(std::move(key_), std::move(value));  // Key() assigns the next afresh
  }
  bool Scalar(Param::Kind kind, std::string text) {
    if (Put(Node(kind, std::move(text))) == nullptr) return false;
    return decoder_.CountParam();
  }
  bool Open(bool is_array) {
    Node* node = root_;
    if (stack_.empty()) {
      *root_ = Node::Map();
      root_->members.reserve(std::min(kJsonRootRoom, text_size_ / 6));
    } else {
      node = Put(Node::Map());
      if (node == nullptr) return false;
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
  size_t text_size_;
  std::vector<Frame> stack_;
  std::string key_;
};

// RapidJSON SAX handler for Decoder::FlatJsonParams: the members of one JSON object of
// scalars and of objects of scalars (an appToken.add's `appToken`), appended to Param maps as
// they come. It stops the parse (false) at anything the tree builder would do more with, or
// refuse: an array, an object in an object in the body's, an empty object in the body's (which
// counts as a parameter), an object under a key of digits (a multirequest's item), a key seen
// before in its object, a key that grouping would change (':' in it, or "-"), a key or string
// that is too long or not UTF-8, more parameters or levels than the limits leave.
class FlatJsonHandler {
 public:
  FlatJsonHandler(Param* out, const DecodeLimits& limits, size_t params_left)
      : out_(out),
        cur_(out),
        limits_(limits),
        params_given_(params_left),
        params_left_(params_left) {}

  bool Null() { return Scalar(Param::Kind::kNull, {}); }
  bool Bool(bool b) { return Scalar(Param::Kind::kBool, b ? "true" : "false"); }
  bool Int(int) { return false; }  // kParseNumbersAsStringsFlag: numbers come as RawNumber
  bool Uint(unsigned) { return false; }
  bool Int64(int64_t) { return false; }
  bool Uint64(uint64_t) { return false; }
  bool Double(double) { return false; }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    return Scalar(Param::Kind::kNumber, std::string_view(s, n));
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (!IsValidUtf8(std::string_view(s, n))) return false;
    return Scalar(Param::Kind::kString, std::string_view(s, n));
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    const std::string_view key(s, n);
    if (n > limits_.max_key_length || !IsValidUtf8(key)) return false;
    if (key == "-" || key.find(':') != std::string_view::npos) return false;
    // Past this many members the tree builder indexes its keys; this scan would be quadratic.
    if (cur_->members.size() >= kIndexThreshold) return false;
    for (const auto& member : cur_->members) {
      if (member.first == key) return false;
    }
    key_ = key;
    return true;
  }
  bool StartObject() {
    if (!opened_) return opened_ = true;  // the body's own object
    // An object in the body's: its members are at level 2. Grouping reads a map under a key of
    // digits at the top as a multirequest's item.
    if (cur_ != out_ || limits_.max_depth < 2 || IsDigits(key_)) return false;
    cur_ = &cur_->members
                .emplace_back(std::piecewise_construct, std::forward_as_tuple(key_),
                              std::forward_as_tuple(Param::Map()))
                .second;
    return true;
  }
  bool EndObject(rapidjson::SizeType members) {
    if (cur_ == out_) return true;
    cur_ = out_;  // the object's Param stays where it is: its parent takes no member meanwhile
    return members > 0;  // an empty one counts as a parameter in the tree builder
  }
  bool StartArray() { return false; }
  bool EndArray(rapidjson::SizeType) { return false; }

  // The parameters (scalars) taken so far.
  size_t params_taken() const { return params_given_ - params_left_; }

 private:
  bool Scalar(Param::Kind kind, std::string_view text) {
    if (params_left_ == 0) return false;
    --params_left_;
    // The key's bytes are still in the parse's copy: the member is made in place from both.
    cur_->members.emplace_back(std::piecewise_construct, std::forward_as_tuple(key_),
                               std::forward_as_tuple(kind, std::string(text)));
    return true;
  }

  Param* out_;  // the body's object
  Param* cur_;  // the object whose members come now: out_, or an object in it
  const DecodeLimits& limits_;
  const size_t params_given_;
  size_t params_left_;
  std::string_view key_;
  bool opened_ = false;
};

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

// What a JSON parse needs besides its text: the NUL-terminated copy of the text (parsed in
// situ), and RapidJSON's reader (whose stack holds the iterative parse's state).
struct JsonRoom {
  std::string terminated;
  rapidjson::Reader reader;
};

// A body up to this size is parsed in its thread's JsonRoom, which keeps its room from one
// request to the next (two allocations and a reallocation a request fewer); a larger body gets
// a room of its own, so that no thread holds on to a large body's room.
constexpr size_t kThreadRoomBytes = 16 * 1024;

JsonRoom& ThreadJsonRoom() {
  thread_local JsonRoom room;
  return room;
}

// One parse of `text` by `handler` in `room`; `*end` is where the stream stopped (the text's
// size unless something followed a NUL in it). RapidJSON scans strings and whitespace 16 bytes
// at a time (RAPIDJSON_SSE2, set for this library in CMakeLists.txt) only in a NUL-terminated
// stream: half the instructions of a session.get's JSON body went to copying its KS byte by byte
// from a MemoryStream. Its loads are aligned, so they may read up to 15 bytes past the NUL: the
// copy has that room. In situ: strings are unescaped where they are in this copy, which the
// parse owns, and handed to the handler from there; a plain string is only scanned, not copied
// again through the reader's stack (byte by byte up to its first 16-byte boundary and after its
// last: most of a request's strings are short). Iterative: no recursion however deep the text.
// Numbers as strings: literal text kept. Encoding is validated by the handlers (IsValidUtf8,
// ASCII eight bytes at a time) rather than kParseValidateEncodingFlag, which checks byte by
// byte and misses lone low-surrogate escapes; outside strings any non-ASCII byte is a syntax
// error anyway.
template <typename Handler>
rapidjson::ParseResult ParseInRoom(JsonRoom& room, std::string_view text, Handler& handler,
                                   size_t* end) {
  std::string& terminated = room.terminated;
  terminated.reserve(text.size() + 32);
  terminated.assign(text);
  rapidjson::InsituStringStream stream(terminated.data());
  constexpr unsigned kFlags = rapidjson::kParseInsituFlag | rapidjson::kParseIterativeFlag |
                              rapidjson::kParseNumbersAsStringsFlag;
  const rapidjson::ParseResult result = room.reader.Parse<kFlags>(stream, handler);
  *end = stream.Tell();
  return result;
}

}  // namespace

// Parses a JSON text that starts with '{' into *out. INVALID_JSON if it does not parse, holds
// invalid UTF-8 or has anything but whitespace after the object.
bool Decoder::ParseJsonObject(std::string_view text, Node* out) {
  JsonTreeHandler handler(*this, out, text.size());
  std::optional<JsonRoom> own;
  JsonRoom& room = text.size() <= kThreadRoomBytes ? ThreadJsonRoom() : own.emplace();
  size_t end = 0;
  const rapidjson::ParseResult result = ParseInRoom(room, text, handler, &end);
  if (error_) return false;  // a limit or bad UTF-8 stopped the handler
  if (result.IsError()) {
    std::string reason = rapidjson::GetParseError_En(result.Code());
    reason += " (at byte " + std::to_string(result.Offset()) + ")";
    return Fail(ApiError::Of(errors::kInvalidJson, {reason}));
  }
  // The stream reads NUL as end of input; anything after it is still garbage.
  if (end != text.size()) {
    std::string reason = "The document root must not be followed by other values. (at byte " +
                         std::to_string(end) + ")";
    return Fail(ApiError::Of(errors::kInvalidJson, {reason}));
  }
  if (!out->is_map()) *out = Node::Map();
  return true;
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

namespace {

// EqualsIgnoreCase(media, lowercase), trying the exact bytes first: clients send media types in
// lowercase, and folding "application/json" byte by byte was 250 instructions of a JSON body.
bool IsMediaType(std::string_view media, std::string_view lowercase) {
  return media == lowercase || EqualsIgnoreCase(media, lowercase);
}

// The media type of `request`'s Content-Type (before any ';', trimmed).
std::string_view MediaType(const Request& request) {
  const std::string_view content_type = request.content_type;
  return TrimChars(content_type.substr(0, content_type.find(';')), kSpaceOrTab);
}

// A JSON body's text when it is to be one object (trimmed, starting with '{'), else empty.
std::string_view JsonObjectText(const Request& request) {
  const std::string_view text = TrimChars(request.body, php::kTrimChars);
  return !text.empty() && text.front() == '{' ? text : std::string_view();
}

}  // namespace

bool Decoder::ParseBody(const Request& request, Node* out) {
  const std::string_view content_type = request.content_type;
  const std::string_view media = MediaType(request);
  if (IsMediaType(media, "application/json")) {
    // Only an object is a body (so a top-level array is ignored), but once the text starts
    // like one it must parse: stricter than PHP, which silently drops a broken body.
    const std::string_view text = JsonObjectText(request);
    if (text.empty()) return true;
    return ParseJsonObject(text, out);
  }
  if (IsMediaType(media, "multipart/form-data")) {
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
  if (IsMediaType(media, "application/x-www-form-urlencoded")) {
    return ParseUrlEncoded(request.body, out);
  }
  return true;
}

std::optional<Param> Decoder::FlatJsonParams(const Request& request, Node& url) {
  // A URL of a few members that need no grouping (a path's service and action), so that
  // putting them over the body's is a short scan.
  if (request.body.empty() || limits_.max_depth < 1 || params_ > limits_.max_params ||
      url.members.size() > kIndexThreshold ||
      !IsMediaType(MediaType(request), "application/json") || !AlreadyGrouped(url, 0)) {
    return std::nullopt;
  }
  const std::string_view text = JsonObjectText(request);
  if (text.empty() || text.size() > kThreadRoomBytes) return std::nullopt;
  // A body with an array in it (a multirequest's list, a filter's ids) goes the full way without
  // a parse here first ('[' inside a string sends a body the full way too, which is only slower).
  if (text.find('[') != std::string_view::npos) return std::nullopt;
  Param params = Param::Map();
  params.members.reserve(std::min(kJsonRootRoom, text.size() / 6) + url.members.size());
  FlatJsonHandler handler(&params, limits_, limits_.max_params - params_);
  size_t end = 0;
  if (ParseInRoom(ThreadJsonRoom(), text, handler, &end).IsError() || end != text.size()) {
    return std::nullopt;
  }
  // The URL's members over the body's, as MergedParam puts them: a key both have keeps the
  // body's place and takes the URL's value; the URL's other keys follow, in their order. Two
  // maps under one key merge member by member: the full way does that.
  // Positions, not pointers: the URL's other keys are appended meanwhile.
  constexpr size_t kNone = SIZE_MAX;
  std::array<size_t, kIndexThreshold> same;  // the URL has at most this many members (above)
  for (size_t i = 0; i < url.members.size(); ++i) {
    const std::string_view key = url.members[i].first;  // a name a lambda can capture (Clang 14)
    const auto it = std::find_if(params.members.begin(), params.members.end(),
                                 [key](const auto& member) { return member.first == key; });
    same[i] = it == params.members.end() ? kNone : static_cast<size_t>(it - params.members.begin());
    if (same[i] != kNone && it->second.is_map() && url.members[i].second.is_map()) {
      return std::nullopt;
    }
  }
  params_ += handler.params_taken();
  for (size_t i = 0; i < url.members.size(); ++i) {
    auto& [url_key, value] = url.members[i];
    if (same[i] != kNone) {
      params.members[same[i]].second = ToParam(std::move(value));
    } else {
      params.members.emplace_back(std::move(url_key), ToParam(std::move(value)));
    }
  }

  return params;
}

}  // namespace ksgate::api::decoding
