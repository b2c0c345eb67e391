// api::Value: a result about to be serialised, with its declared types, and the JSON (format=1)
// and XML (format=2) writers (spec/api-v3-wire-protocol.md §6.4, §6.5).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/api_error.h"

namespace ksgate::api {

class Value {
 public:
  enum class Kind { kNull, kBool, kInt, kFloat, kString, kObject, kArray, kMap };

  Value() = default;  // null
  static Value Null() { return Value(); }
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Float(double d);
  static Value String(std::string s);
  // A Kaltura object: fields in declaration order (base class first), class name emitted as
  // "objectType" (last in JSON, first in XML).
  static Value Object(std::string class_name);
  static Value Array();
  // An associative array (JSON object keyed by map key; an empty map is JSON []).
  static Value Map();

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool bool_value() const { return int_ != 0; }
  int64_t int_value() const { return int_; }
  double float_value() const { return float_; }
  const std::string& string_value() const { return text_; }  // also the class name of objects

  // Objects and maps: appends a field (a null field is kept: XML shows it, JSON omits it).
  // Keys are not checked for duplicates. Returns *this, for chaining.
  Value& Add(std::string name, Value v);
  // Room for `n` fields (objects and maps) or elements (arrays), so that adding that many moves
  // none of them. Returns *this.
  Value& Reserve(size_t n);
  // Arrays: appends an element. Returns *this, for chaining.
  Value& Push(Value v);

  const std::vector<std::pair<std::string, Value>>& fields() const { return fields_; }
  const std::vector<Value>& elements() const { return elements_; }
  // Object field or map entry `name`, or nullptr.
  const Value* Find(std::string_view name) const;

 private:
  Kind kind_ = Kind::kNull;
  int64_t int_ = 0;
  double float_ = 0;
  std::string text_;
  std::vector<std::pair<std::string, Value>> fields_;
  std::vector<Value> elements_;
};

// JSON: objects with null members removed and "objectType" appended last; maps likewise drop
// null entries, and a map with no entries left is []; arrays as arrays (a null element stays
// null); a top-level null is `null`. Ints as integers; floats in the shortest form that reads
// back exactly ("0.1", "1e+20"; NaN and infinities, which JSON lacks, as 0). Strings escaped
// per RFC 8259: '"', '\\', '/' (as "\/", like PHP), \b \f \n \r \t, other control
// characters as \u00XX; non-ASCII is emitted as raw UTF-8 (not \uXXXX as PHP does; clients
// accept both) except U+2028/U+2029, escaped so JSONP stays valid JavaScript. Invalid UTF-8 is
// replaced by U+FFFD, one per maximal invalid subsequence, so the output is always valid.
// Appends to *out. Thread-safe (pure).
void AppendJson(const Value& v, std::string* out);
// Appends `s` as a JSON string literal, escaped as AppendJson escapes strings.
void AppendJsonString(std::string_view s, std::string* out);
// The KalturaAPIException object: {"code","message","objectType","args"} in that order; args is
// [] when empty, else an object of strings. Strings escaped as above. Appends to *out.
void AppendJsonError(const ApiError& e, std::string* out);

// XML: the contents that go inside <result>…</result> (or a multirequest <item>). Objects open
// with <objectType>; null fields are empty elements unless `ignore_null` (which applies to
// object fields only, as in PHP); arrays are <item>s; maps are <item><itemKey>K</itemKey>…</item>;
// null is empty text; booleans 1/0; floats as in JSON (NaN/infinities as NAN/INF/-INF, like
// PHP). Text (values, class names, map keys) is escaped for & " < > ' (&amp; &quot; &lt; &gt;
// &apos;); invalid UTF-8 and characters XML 1.0 forbids (C0 controls other than tab/LF/CR,
// U+FFFE, U+FFFF) become U+FFFD, so the document always parses. Field names are written as
// given: they must be declared property names (XML names). Appends to *out. Thread-safe.
void AppendXml(const Value& v, bool ignore_null, std::string* out);
// <error><code>…</code><message>…</message><objectType>KalturaAPIException</objectType>
// <args>…</args></error> where <args> holds, per argument,
// <item><objectType>KalturaApiExceptionArg</objectType> <name>N</name><value>V</value></item>
// (nothing when there are none). Appends to *out.
void AppendXmlError(const ApiError& e, std::string* out);
// The full document: <?xml version="1.0" encoding="utf-8"?><xml><result>RESULT</result>
// <executionTime>SECONDS</executionTime></xml> (no whitespace between tags). SECONDS is rounded
// to the microsecond and written without exponent or trailing zeros ("0.0131", "2"); negative
// or non-finite values give "0".
std::string XmlEnvelope(std::string_view result_xml, double execution_seconds);

}  // namespace ksgate::api
