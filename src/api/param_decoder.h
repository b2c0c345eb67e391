// The parameter decoder's internals, shared by its translation units (params.cc: the entry
// point; param_decoder.cc: the tree, URL forms, path pairs and grouping; body_params.cc:
// JSON and multipart bodies). Not part of the api interface: include only from those files,
// their tests and the parameters' fuzzer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "api/params.h"
#include "common/strings.h"

namespace ksgate::api::decoding {

// True if `s` is non-empty and made only of '0'-'9'.
bool IsDigits(std::string_view s);

// The tree while it is being built: like Param, plus a hash index for large maps (so 10,000
// distinct keys cost O(n), not O(n^2)) and PHP's "next free integer key" for `a[]=`.

using KeyIndex = std::unordered_map<std::string, size_t, StringViewHash, std::equal_to<>>;

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

  // The position of member `key` in members, or kAbsent.
  static constexpr size_t kAbsent = static_cast<size_t>(-1);
  size_t Position(std::string_view key) const {
    if (index != nullptr) {
      auto it = index->find(key);
      return it == index->end() ? kAbsent : it->second;
    }
    for (size_t i = 0; i < members.size(); ++i) {
      if (members[i].first == key) return i;
    }
    return kAbsent;
  }
  Node* Find(std::string_view key) {
    const size_t pos = Position(key);
    return pos == kAbsent ? nullptr : &members[pos].second;
  }

  // The member `key` of this map, appended as null if absent. The reference is valid until
  // the next insertion into this map. Requires is_map().
  Node& Slot(std::string_view key) {
    if (Node* found = Find(key)) return *found;
    return Append(std::string(key));
  }
  // Slot, taking the bytes of `key` when it appends (no copy of a key the caller built).
  Node& Slot(std::string&& key) {
    if (Node* found = Find(key)) return *found;
    return Append(std::move(key));
  }

  // Sets the member `key` to `value`: in its place if present, else appended. Returns it; the
  // reference is valid until the next insertion into this map. Requires is_map().
  Node& Set(std::string_view key, Node&& value) {
    if (Node* found = Find(key)) return *found = std::move(value);
    return Append(std::string(key), std::move(value));
  }
  // Set, taking the bytes of `key` when it appends.
  Node& Set(std::string&& key, Node&& value) {
    if (Node* found = Find(key)) return *found = std::move(value);
    return Append(std::move(key), std::move(value));
  }

  // Appends the member `key` (null, or `value`), which the caller knows is absent: one lookup,
  // not two. Returns it; the reference is valid until the next insertion into this map.
  // Requires is_map().
  Node& Append(std::string key) { return Append(std::move(key), Node()); }
  Node& Append(std::string key, Node&& value) {
    members.emplace_back(std::move(key), std::move(value));
    const size_t pos = members.size() - 1;
    if (index != nullptr) {
      index->emplace(members.back().first, pos);
    } else if (members.size() > kIndexThreshold) {
      index = std::make_unique<KeyIndex>();
      index->reserve(members.size() * 2);
      for (size_t i = 0; i < members.size(); ++i) index->emplace(members[i].first, i);
    }
    NoteIntegerKey(members.back().first);
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

// The most members the URL's map makes room for before they come (UrlRoom).
constexpr size_t kUrlRoom = 16;
// The most members a JSON body's own object makes room for before they come: a request's
// parameters are a few, each 112 bytes, moved whole at every doubling. At most one member per
// six bytes of text (`"a":1,`), so a short body gets less; nested objects get none.
constexpr size_t kJsonRootRoom = 8;
// Room for the URL's members, made at once rather than at each doubling: one per non-empty
// query piece, one per two non-empty path segments (a pair takes two; the script's own segment
// rounds down). Repeated and nested names give fewer members than pieces, so it stops at
// kUrlRoom: the map never holds room for more than that many members it lacks, and one with
// more grows as its members come.
size_t UrlRoom(std::string_view query, std::string_view path);

// Levels of keys below `n`: 0 for scalars and empty maps.
size_t Depth(const Node& n);
// A deep copy of `n`.
Node Clone(const Node& n);
// `n` as a Param (consumed).
Param ToParam(Node&& n);
// True if grouping `flat` (Decoder::Group) would leave it as it is: no key holds ':' or is
// "-", and (at base level 0) no all-digit key holds a map. Such a map cannot fail to group.
bool AlreadyGrouped(const Node& flat, size_t base_level);
// Merges `src` into `dst` like PHP array_replace_recursive: src wins; where both hold a map
// the maps are merged key by key. Both must be maps.
void Merge(Node* dst, Node&& src);
// ToParam(Merge(&dst, src)) in one pass (both consumed): the result's members are made once,
// with room for both maps' members, instead of dst growing for src's and every member moving
// again into the Param. Room beyond the result's members is at most one per key both share.
Param MergedParam(Node&& dst, Node&& src);

// DecodeRequestParams without its flat JSON way (Decoder::FlatJsonParams): every request
// through the builder's tree. For the tests and the fuzzer that check both ways agree.
Result<Param, ApiError> DecodeInFull(const Request& request, const DecodeLimits& limits,
                                     Param* url_output_params = nullptr);

// ---------------------------------------------------------------------------------------------
// The decoder: one per request, it holds the limits, the running parameter count and the
// first error.

class Decoder {
 public:
  explicit Decoder(const DecodeLimits& limits) : limits_(limits) {}

  ApiError TakeError() { return std::move(*error_); }

  // The URL's parameters into the empty map *out: the query string, then path pairs on top
  // (ParseUrlEncoded, ParsePath), with room for them made at once (UrlRoom).
  bool ParseUrl(std::string_view query, std::string_view path, Node* out);
  // Query string or form body: `a=1&b[c]=2`, PHP style.
  bool ParseUrlEncoded(std::string_view s, Node* out);
  // Path pairs after the script path (§1.3), on top of the members *out holds (the query's):
  // a pair replaces the member of its key, and of pairs with the same key the first wins.
  bool ParsePath(std::string_view path, Node* out);
  // The body, by Content-Type (§2.1), into *out.
  bool ParseBody(const Request& request, Node* out);
  // Groups `a:b:c` keys of `flat` into *out (§3.1). Top-level keys made of digits whose value
  // is a map (multirequest items, §7.1) have their own keys grouped too.
  bool Group(Node&& flat, Node* out, size_t base_level);

  // The usual request's parameters made at once: when its body is one JSON object whose
  // members are scalars or non-empty objects of scalars (no key twice in an object, none that
  // grouping would change, no object under a key of digits, no array) and the URL's
  // parameters, read into `url`, need no grouping either nor share a map's key with the body,
  // the merged Param, built straight from the JSON reader with the URL's members put over it
  // (what ParseBody, Merge and ToParam would make, without the builder's tree). nullopt for
  // any other request, and for a body the full decoding would refuse or count past a limit,
  // which that decoding then meets: nothing is counted, recorded or taken from `url` unless a
  // Param is returned.
  std::optional<Param> FlatJsonParams(const Request& request, Node& url);

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
  size_t params() const { return params_; }
  bool Fail(ApiError e) {
    if (!error_) error_ = std::move(e);
    return false;
  }

 private:
  bool Limit(std::string_view name, size_t max) {
    return Fail(ApiError::Of(errors::kRequestTooLarge, {name, std::to_string(max)}));
  }
  // php_register_variable_ex: stores `value` under `name` with PHP's key rules.
  bool Register(Node* root, std::string_view name, Node&& value);
  bool ParseJsonObject(std::string_view text, Node* out);
  bool ParseMultipart(std::string_view body, std::string_view boundary, Node* fields);
  bool GroupOne(std::string_view key, Node&& value, Node* out, size_t base_level);

  const DecodeLimits& limits_;
  size_t params_ = 0;
  std::optional<ApiError> error_;
};

}  // namespace ksgate::api::decoding
