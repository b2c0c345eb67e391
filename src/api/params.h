// Request parameters: where they come from (spec/api-v3-wire-protocol.md §1.3, §2) and the
// tree they form (§3.1). Coercion to declared types happens later, in the dispatcher.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/request.h"
#include "common/api_error.h"
#include "common/result.h"

namespace ksgate::api {

// One node of the parameter tree. Scalars keep their text; JSON numbers keep their literal
// text ("1e3"), JSON booleans are "true"/"false" with kind kBool, JSON null is kNull. JSON
// arrays become maps keyed "0", "1", ... An empty array (`x:-=` or JSON []) is an empty map.
struct Param {
  enum class Kind { kNull, kString, kNumber, kBool, kMap };

  Kind kind = Kind::kNull;
  std::string text;                                    // scalar kinds
  std::vector<std::pair<std::string, Param>> members;  // kMap: insertion order, unique keys

  // A user-declared constructor keeps Clang 14 + libstdc++ able to instantiate
  // std::pair<std::string, Param> (with an implicit one it recurses); brace-initialising as
  // Param{kind, text, members} still works.
  Param() = default;
  Param(Kind k, std::string t, std::vector<std::pair<std::string, Param>> m = {})
      : kind(k), text(std::move(t)), members(std::move(m)) {}

  static Param String(std::string s) { return Param{Kind::kString, std::move(s), {}}; }
  static Param Map() { return Param{Kind::kMap, {}, {}}; }

  bool is_map() const { return kind == Kind::kMap; }
  bool is_scalar() const {
    return kind == Kind::kString || kind == Kind::kNumber || kind == Kind::kBool;
  }
  // The member `key` of a map, or nullptr (also for non-maps).
  const Param* Find(std::string_view key) const;
  // The text of member `key` when it is a scalar; empty when it is absent, null or a map.
  std::string_view ScalarAt(std::string_view key) const;
  Param* Find(std::string_view key);
  // Sets member `key` (replacing an existing one in place, else appending) and returns it.
  // Makes *this a map first (dropping any scalar text). Linear in the number of members.
  Param& Set(std::string key, Param value);
  // Removes member `key` if present.
  void Erase(std::string_view key);
};

// Documented limits on what a request may carry (docs/operations.md). Exceeding one is an API
// error, REQUEST_LIMIT_EXCEEDED, naming the limit.
struct DecodeLimits {
  size_t max_params = 10000;    // leaf values across query, path, form and JSON
  size_t max_depth = 32;        // map nesting, JSON or `a:b:c`
  size_t max_key_length = 256;  // bytes in one parameter name
};

// Collects all parameters of `request` into one map, as the reference server does
// (infraRequestUtils::getRequestParams):
// - URL params: the query string (PHP rules below), then path pairs on top (path wins). Path
//   pairs (§1.3): the path is split on '/', each segment percent-decoded ('+' stays '+');
//   empty, "api_v3" and "index.php" segments are dropped wherever they occur, and a leading
//   "api" (the /api/... short form); the rest is read as key/value pairs, a missing last value
//   being "", stopping at a key "0"; the first occurrence of a key wins. Keys are verbatim.
// - Body params, underneath the URL params (URL wins; where both hold a map, maps merge key by
//   key, like PHP array_replace_recursive), chosen by the Content-Type media type (before any
//   ';', case-insensitive), for any method:
//   * application/json (any parameters): the body, trimmed (PHP trim); if it starts with '{'
//     it must be one JSON object, else it gives no params (so a top-level array gives none).
//   * multipart/form-data: the non-file fields (parts with a `filename` are ignored); if a
//     field `json` holds text that, trimmed, starts with '{', it must be a JSON object, and
//     when non-empty that object replaces the fields. A missing boundary, or a truncated part,
//     gives no (further) fields.
//   * application/x-www-form-urlencoded: the fields, PHP rules below.
//   * anything else: no body params.
// - Query and form fields follow PHP: split on '&', '+' and %XX decoded (php::UrlDecode); a name
//   without '=' has value ""; names are cut at a NUL byte and leading spaces dropped; up to the
//   first '[' ' ' and '.' become '_'; `a[b][c]=v` nests, `a[]=v` appends at the next integer
//   key; text after the last ']' is ignored; an unclosed first '[' makes a plain name ("a[b" ->
//   "a_b"). Multipart field names follow the same rules; their values are raw.
// - JSON values keep their types (see Param); JSON object keys are verbatim; duplicate keys:
//   the last value wins, in the place of the first.
// - Finally keys are grouped on ':' (§3.1, KalturaRequestDeserializer::setElementByPath), in
//   order: "a:b=1" -> {a:{b:"1"}}; a non-map met on the way is replaced by a map; a last
//   segment "-" ("x:-") makes an empty map there (keeping a map already there) and ignores the
//   value; a key without ':' replaces whatever was grouped under it so far, and later "x:y"
//   keys merge into it. Keys ending in "__null" are kept verbatim. Top-level keys made only of
//   digits whose value is a map (multirequest items, §7.1) have their own keys grouped the
//   same way, as the reference groups each item's params; "N:rest" keys land in item N.
//
// Limits: every query/form pair, path pair and multipart part, and every JSON scalar or empty
// array/object counts against max_params (all sources together); every name, path key and
// JSON object key against max_key_length; the levels of keys in the final tree (`a` = 1,
// `a:b` or {"a":{"b":..}} = 2, JSON arrays count as maps) against max_depth. Parsing stops at
// the first breach, so a huge request fails fast; nothing recurses deeper than max_depth.
//
// Returns the grouped map (kMap, possibly empty). Errors:
// - INVALID_JSON(reason) for a JSON body or `json` field that starts with '{' but is not one
//   valid JSON object: syntax errors, truncation, invalid UTF-8, an unpaired UTF-16 surrogate
//   escape, anything after the object (stricter than PHP, which silently ignores such a body);
// - REQUEST_LIMIT_EXCEEDED(LIMIT, MAX) with LIMIT "max_params", "max_key_length" or
//   "max_depth".
// When decoding fails after the URL's own parameters were read, and `url_output_params` is not
// null, it receives those of them that choose the output format (format, callback, ignoreNull;
// grouped as above), so the error can be answered in the format the URL asks for.
//
// Thread-safe (pure).
Result<Param, ApiError> DecodeRequestParams(const Request& request, const DecodeLimits& limits,
                                            Param* url_output_params = nullptr);

}  // namespace ksgate::api
