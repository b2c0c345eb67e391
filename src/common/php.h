// PHP's string semantics, byte for byte, where Kaltura's behaviour depends on them: trim(),
// urlencode()/urldecode()/rawurldecode(), the request-variable name rules of
// php_register_variable_ex, and parse_str() for plain names. The one place these rules live:
// the KS codec (ks/) and the request decoder (api/) both use it.
//
// Pure functions over bytes (no locale); thread-safe.
#pragma once

#include <boost/container/small_vector.hpp>
#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace ksgate::php {

// trim()'s default character set: space, \t, \n, \r, NUL and \x0B.
inline constexpr std::string_view kTrimChars(" \t\n\r\0\x0B", 6);

// The whitespace PHP allows around a numeric string (is_numeric, (int) casts): space, \t, \n,
// \r, \v and \f.
inline constexpr std::string_view kNumericWhitespace(" \t\n\r\v\f", 6);

// trim($s).
std::string_view Trim(std::string_view s);

// Appends urldecode($s) (plus_is_space) or rawurldecode($s): "%XX" with two hex digits of
// either case becomes that byte; any other '%' is kept literally. Binary-safe.
void AppendUrlDecoded(std::string_view s, bool plus_is_space, std::string* out);
// urldecode($s): as above, and '+' becomes ' '.
std::string UrlDecode(std::string_view s);

// Writes urlencode($value) at `out`: bytes [A-Za-z0-9._-] kept, ' ' -> '+', every other byte
// -> "%XX" with uppercase hex. `out` must have room for 3 * value.size() bytes (every byte
// escaped); returns the end of what was written. A caller encodes several values into room it
// made once (a KS's query), without an append per value.
char* WriteUrlEncoded(std::string_view value, char* out);

// A request-variable name as php_register_variable_ex reads it, before array indices.
struct VariableName {
  // The name PHP registers: cut at the first NUL, leading spaces dropped, ' ' and '.' turned
  // into '_' up to the first '['. When that '[' has no later ']', it is no array syntax: it
  // becomes '_' and every ' ', '.' and '[' after it too ("a[b.c" -> "a_b_c"). Empty when PHP
  // drops the variable (no name left).
  std::string base;
  // Array syntax: the rest of the name from its first '[', which has a later ']' ("[b][]"),
  // else empty. A view into the name passed to ParseVariableName.
  std::string_view subscripts;
  // True when mangling made the base start with "__Host-" or "__Secure-" although the raw name
  // did not (PHP 8 drops such variables where the prefix protects cookies).
  bool forged_secure_prefix = false;
};
VariableName ParseVariableName(std::string_view raw);
// True when ParseVariableName(raw) gives `raw` itself as the base, with no subscripts: a
// non-empty name without NUL, ' ', '.' or '[' (the usual name: a KS field, an API parameter).
bool IsPlainVariableName(std::string_view raw);

// One variable parse_str() registers, as views: into the query it was read from, or into the
// ParsedQuery's own text where urldecoding or name mangling changed the bytes.
struct QueryField {
  std::string_view name;
  std::string_view value;
};

// parse_str()'s default limit on variables (max_input_vars).
inline constexpr size_t kMaxInputVars = 1000;

// What ParseStr read: the ordered fields, and the decoded bytes some of them view. Neither
// copied nor moved (the views would dangle); valid while the parsed query text lives.
class ParsedQuery {
 public:
  ParsedQuery() = default;
  ParsedQuery(const ParsedQuery&) = delete;
  ParsedQuery& operator=(const ParsedQuery&) = delete;

  std::span<const QueryField> fields() const { return {fields_.data(), fields_.size()}; }
  // The query had more than kMaxInputVars pieces: those past the limit were ignored.
  bool truncated() const { return truncated_; }

 private:
  friend bool ParseStr(std::string_view query, ParsedQuery* out);
  // A KS has five fields and a few privileges: those fit without an allocation.
  boost::container::small_vector<QueryField, 8> fields_;
  // Decoded names and values. Reserved to the query's size before its first byte is written,
  // which it never outgrows (decoding and mangling do not lengthen a piece): views stay valid.
  std::string text_;
  bool truncated_ = false;
};

// PHP 8 parse_str() into an array, restricted to plain (non-array) names:
//  - the input ends at its first NUL byte; it is split on '&' (empty pieces skipped); at most
//    kMaxInputVars pieces are read, the rest ignored (out->truncated() says so);
//  - each piece splits at its first '='; name and value are urldecoded; the name follows
//    ParseVariableName; names left empty, or with a forged secure prefix, are dropped;
//  - a repeated name keeps its first position and takes the last value.
// A name with array syntax is something a KS never uses: returns false for the whole query (PHP
// would build a nested array), `out` then holding no fields. `out` views into `query`, which
// must outlive it. Every field a KS holds comes through here: no field is copied unless
// decoding changes it.
bool ParseStr(std::string_view query, ParsedQuery* out);
// Not on a temporary std::string: it would be gone before its fields are read.
template <typename Text>
requires std::same_as<Text, std::string>
bool ParseStr(Text&& query, ParsedQuery* out) = delete;

}  // namespace ksgate::php
