#include "api/value.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "api/utf8.h"

namespace ksgate::api {

// ---------------------------------------------------------------------------------------------
// Value

Value Value::Bool(bool b) {
  Value v;
  v.kind_ = Kind::kBool;
  v.int_ = b ? 1 : 0;
  return v;
}

Value Value::Int(int64_t i) {
  Value v;
  v.kind_ = Kind::kInt;
  v.int_ = i;
  return v;
}

Value Value::Float(double d) {
  Value v;
  v.kind_ = Kind::kFloat;
  v.float_ = d;
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.kind_ = Kind::kString;
  v.text_ = std::move(s);
  return v;
}

Value Value::Object(std::string class_name) {
  Value v;
  v.kind_ = Kind::kObject;
  v.text_ = std::move(class_name);
  return v;
}

Value Value::Array() {
  Value v;
  v.kind_ = Kind::kArray;
  return v;
}

Value Value::Map() {
  Value v;
  v.kind_ = Kind::kMap;
  return v;
}

Value& Value::Add(std::string name, Value v) {
  fields_.emplace_back(std::move(name), std::move(v));
  return *this;
}

Value& Value::Reserve(size_t n) {
  if (kind_ == Kind::kArray) {
    elements_.reserve(n);
  } else {
    fields_.reserve(n);
  }
  return *this;
}

Value& Value::Push(Value v) {
  elements_.push_back(std::move(v));
  return *this;
}

const Value* Value::Find(std::string_view name) const {
  for (const auto& field : fields_) {
    if (field.first == name) return &field.second;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Shared text helpers

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Bytes to skip for an invalid sequence at s[i]: the maximal prefix of a valid sequence
// (at least one byte), so each broken character becomes exactly one U+FFFD.
size_t InvalidLength(std::string_view s, size_t i) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + i;
  const size_t left = s.size() - i;
  const unsigned char c = p[0];
  if (c < 0xC2 || c > 0xF4 || left < 2) return 1;
  const size_t need = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c == 0xE0) lo = 0xA0;
  if (c == 0xED) hi = 0x9F;
  if (c == 0xF0) lo = 0x90;
  if (c == 0xF4) hi = 0x8F;
  if (p[1] < lo || p[1] > hi) return 1;
  size_t n = 2;
  while (n < need && n < left && (p[n] & 0xC0) == 0x80) ++n;
  return n;
}

void AppendInt(int64_t v, std::string* out) {
  char buf[24];
  auto result = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, result.ptr);
}

// Shortest text that reads back as the same double ("0.1", "1e+20", "-0").
void AppendShortestDouble(double d, std::string* out) {
  char buf[32];
  auto result = std::to_chars(buf, buf + sizeof(buf), d);
  out->append(buf, result.ptr);
}

// ---------------------------------------------------------------------------------------------
// JSON

// Bytes that JSON strings carry unchanged: printable ASCII except '"', '\\' and '/'.
constexpr std::array<bool, 256> MakeJsonPlain() {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) t[c] = c != '"' && c != '\\' && c != '/';
  return t;
}
constexpr std::array<bool, 256> kJsonPlain = MakeJsonPlain();

// How many bytes at the start of `s` are plain (kJsonPlain). 16 at a time with SSE2 (part of
// x86-64): a KS, which every session answer carries, is a run of 250 plain bytes.
size_t JsonPlainPrefix(std::string_view s) {
  size_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= s.size(); i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    // Above 0x1f as signed bytes: printable ASCII and DEL, not 0x80 and above.
    const __m128i visible = _mm_cmpgt_epi8(v, _mm_set1_epi8(0x1f));
    const __m128i special = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                         _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\')),
                                                      _mm_cmpeq_epi8(v, _mm_set1_epi8('/'))));
    const auto plain = static_cast<unsigned>(_mm_movemask_epi8(_mm_andnot_si128(special, visible)));
    if (plain != 0xffff) return i + static_cast<size_t>(__builtin_ctz(~plain));
  }
#endif
  while (i < s.size() && kJsonPlain[static_cast<unsigned char>(s[i])]) ++i;
  return i;
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  const char* data = s.data();
  size_t run = 0;  // start of the pending run of bytes copied verbatim
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(data[i]);
    if (kJsonPlain[c]) {
      i += JsonPlainPrefix(s.substr(i));  // at least this byte
      continue;
    }
    if (c >= 0x80) {
      uint32_t cp = 0;
      const size_t len = DecodeUtf8(s, i, &cp);
      if (len != 0 && cp != 0x2028 && cp != 0x2029) {
        i += len;  // valid UTF-8 is emitted as is
        continue;
      }
      out->append(data + run, i - run);
      if (len == 0) {
        out->append(kReplacement);
        i += InvalidLength(s, i);
      } else {
        // U+2028/U+2029 are valid JSON but break JavaScript before ES2019 (JSONP).
        out->append(cp == 0x2028 ? "\\u2028" : "\\u2029");
        i += len;
      }
      run = i;
      continue;
    }
    out->append(data + run, i - run);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '/':
        out->append("\\/");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out->append(esc, sizeof(esc));
      }
    }
    ++i;
    run = i;
  }
  out->append(data + run, s.size() - run);
  out->push_back('"');
}

namespace {

void AppendJsonValue(const Value& v, std::string* out) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      out->append("null");
      return;
    case Value::Kind::kBool:
      out->append(v.bool_value() ? "true" : "false");
      return;
    case Value::Kind::kInt:
      AppendInt(v.int_value(), out);
      return;
    case Value::Kind::kFloat:
      if (std::isfinite(v.float_value())) {
        AppendShortestDouble(v.float_value(), out);
      } else {
        out->push_back('0');  // JSON has no NaN or infinity
      }
      return;
    case Value::Kind::kString:
      AppendJsonString(v.string_value(), out);
      return;
    case Value::Kind::kObject:
      out->push_back('{');
      for (const auto& [name, field] : v.fields()) {
        if (field.is_null()) continue;
        AppendJsonString(name, out);
        out->push_back(':');
        AppendJsonValue(field, out);
        out->push_back(',');
      }
      out->append("\"objectType\":");
      AppendJsonString(v.string_value(), out);
      out->push_back('}');
      return;
    case Value::Kind::kArray: {
      out->push_back('[');
      bool first = true;
      for (const Value& element : v.elements()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonValue(element, out);
      }
      out->push_back(']');
      return;
    }
    case Value::Kind::kMap: {
      bool first = true;
      for (const auto& [key, entry] : v.fields()) {
        if (entry.is_null()) continue;
        out->push_back(first ? '{' : ',');
        first = false;
        AppendJsonString(key, out);
        out->push_back(':');
        AppendJsonValue(entry, out);
      }
      out->append(first ? "[]" : "}");  // PHP: an empty array is [] even as a map
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// XML

// Bytes that XML text carries unchanged: tab, LF, CR and printable ASCII except & " < > '.
constexpr std::array<bool, 256> MakeXmlPlain() {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) {
    t[c] = c != '&' && c != '"' && c != '<' && c != '>' && c != '\'';
  }
  t['\t'] = t['\n'] = t['\r'] = true;
  return t;
}
constexpr std::array<bool, 256> kXmlPlain = MakeXmlPlain();

void AppendXmlText(std::string_view s, std::string* out) {
  const char* data = s.data();
  size_t run = 0;
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(data[i]);
    if (kXmlPlain[c]) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      uint32_t cp = 0;
      const size_t len = DecodeUtf8(s, i, &cp);
      if (len != 0 && cp != 0xFFFE && cp != 0xFFFF) {
        i += len;
        continue;
      }
      out->append(data + run, i - run);
      out->append(kReplacement);  // invalid UTF-8, or a character XML 1.0 forbids
      i += len != 0 ? len : InvalidLength(s, i);
      run = i;
      continue;
    }
    out->append(data + run, i - run);
    switch (c) {
      case '&':
        out->append("&amp;");
        break;
      case '"':
        out->append("&quot;");
        break;
      case '<':
        out->append("&lt;");
        break;
      case '>':
        out->append("&gt;");
        break;
      case '\'':
        out->append("&apos;");
        break;
      default:
        out->append(kReplacement);  // C0 control characters XML 1.0 forbids
    }
    ++i;
    run = i;
  }
  out->append(data + run, s.size() - run);
}

// <name>, with a name that is a trusted identifier (a declared property).
void AppendOpenTag(std::string_view name, std::string* out) {
  out->push_back('<');
  out->append(name);
  out->push_back('>');
}
void AppendCloseTag(std::string_view name, std::string* out) {
  out->append("</");
  out->append(name);
  out->push_back('>');
}

void AppendXmlValue(const Value& v, bool ignore_null, std::string* out) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return;
    case Value::Kind::kBool:
      out->push_back(v.bool_value() ? '1' : '0');
      return;
    case Value::Kind::kInt:
      AppendInt(v.int_value(), out);
      return;
    case Value::Kind::kFloat: {
      const double d = v.float_value();
      if (std::isnan(d)) {
        out->append("NAN");
      } else if (std::isinf(d)) {
        out->append(d > 0 ? "INF" : "-INF");
      } else {
        AppendShortestDouble(d, out);
      }
      return;
    }
    case Value::Kind::kString:
      AppendXmlText(v.string_value(), out);
      return;
    case Value::Kind::kObject:
      out->append("<objectType>");
      AppendXmlText(v.string_value(), out);
      out->append("</objectType>");
      for (const auto& [name, field] : v.fields()) {
        if (ignore_null && field.is_null()) continue;
        AppendOpenTag(name, out);
        AppendXmlValue(field, ignore_null, out);
        AppendCloseTag(name, out);
      }
      return;
    case Value::Kind::kArray:
      for (const Value& element : v.elements()) {
        out->append("<item>");
        AppendXmlValue(element, ignore_null, out);
        out->append("</item>");
      }
      return;
    case Value::Kind::kMap:
      for (const auto& [key, entry] : v.fields()) {
        out->append("<item><itemKey>");
        AppendXmlText(key, out);
        out->append("</itemKey>");
        AppendXmlValue(entry, ignore_null, out);
        out->append("</item>");
      }
      return;
  }
}

// Seconds rounded to the microsecond, without exponent or trailing zeros ("0.0131", "2").
void AppendSeconds(double seconds, std::string* out) {
  if (!(seconds >= 0) || !std::isfinite(seconds) || seconds > 1e12) {
    out->push_back('0');
    return;
  }
  const auto micros = static_cast<int64_t>(std::llround(seconds * 1e6));
  AppendInt(micros / 1000000, out);
  int64_t frac = micros % 1000000;
  if (frac == 0) return;
  char digits[7] = {'.', '0', '0', '0', '0', '0', '0'};
  for (int k = 6; k >= 1; --k) {
    digits[k] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  size_t len = 7;
  while (digits[len - 1] == '0') --len;
  out->append(digits, len);
}

}  // namespace

// ---------------------------------------------------------------------------------------------

void AppendJson(const Value& v, std::string* out) { AppendJsonValue(v, out); }

void AppendJsonError(const ApiError& e, std::string* out) {
  out->append("{\"code\":");
  AppendJsonString(e.code, out);
  out->append(",\"message\":");
  AppendJsonString(e.message, out);
  out->append(",\"objectType\":\"KalturaAPIException\",\"args\":");
  if (e.args.empty()) {
    out->append("[]");
  } else {
    char sep = '{';
    for (const auto& [name, value] : e.args) {
      out->push_back(sep);
      sep = ',';
      AppendJsonString(name, out);
      out->push_back(':');
      AppendJsonString(value, out);
    }
    out->push_back('}');
  }
  out->push_back('}');
}

void AppendXml(const Value& v, bool ignore_null, std::string* out) {
  AppendXmlValue(v, ignore_null, out);
}

void AppendXmlError(const ApiError& e, std::string* out) {
  out->append("<error><code>");
  AppendXmlText(e.code, out);
  out->append("</code><message>");
  AppendXmlText(e.message, out);
  out->append("</message><objectType>KalturaAPIException</objectType><args>");
  for (const auto& [name, value] : e.args) {
    out->append("<item><objectType>KalturaApiExceptionArg</objectType><name>");
    AppendXmlText(name, out);
    out->append("</name><value>");
    AppendXmlText(value, out);
    out->append("</value></item>");
  }
  out->append("</args></error>");
}

std::string XmlEnvelope(std::string_view result_xml, double execution_seconds) {
  static constexpr std::string_view kHead =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><xml><result>";
  static constexpr std::string_view kMiddle = "</result><executionTime>";
  static constexpr std::string_view kTail = "</executionTime></xml>";
  std::string out;
  out.reserve(kHead.size() + result_xml.size() + kMiddle.size() + 24 + kTail.size());
  out.append(kHead);
  out.append(result_xml);
  out.append(kMiddle);
  AppendSeconds(execution_seconds, &out);
  out.append(kTail);
  return out;
}

}  // namespace ksgate::api
