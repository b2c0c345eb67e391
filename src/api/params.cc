#include "api/params.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

#include "api/param_decoder.h"

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

namespace {

using decoding::Decoder;
using decoding::Node;

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

// DecodeRequestParams, trying the flat JSON way first when `flat_first`.
Result<Param, ApiError> Decode(const Request& request, const DecodeLimits& limits,
                               Param* url_output_params, bool flat_first) {
  Decoder decoder(limits);
  const std::string_view target = request.target;
  const size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  std::string_view query = question == std::string_view::npos ? "" : target.substr(question + 1);
  query = query.substr(0, query.find('#'));

  // URL params: the query string, then path pairs on top.
  Node url = Node::Map();
  if (!decoder.ParseUrl(query, path, &url)) return decoder.TakeError();
  // The usual request (a flat JSON object under a path's service and action) without the
  // builder's tree; any other takes the full way below.
  if (flat_first) {
    if (std::optional<Param> flat = decoder.FlatJsonParams(request, url)) return *std::move(flat);
  }
  // What the URL alone says about the output format, to answer an error found later in it.
  auto fail = [&](Node output_keys) {
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
  if (!decoder.ParseBody(request, &all)) {
    return fail(url_output_params != nullptr ? OutputKeysOf(url) : Node());
  }
  // Only a key to group (':', "-", a multirequest item), on either side, can fail. With none
  // the merged map is the result (merged straight into the Param), and the URL's output keys
  // need no copy to answer an error with (a copy and a map for every request naming a format).
  if (AlreadyGrouped(url, 0) && AlreadyGrouped(all, 0)) {
    return MergedParam(std::move(all), std::move(url));
  }
  Node output_keys = url_output_params != nullptr ? OutputKeysOf(url) : Node();
  Merge(&all, std::move(url));
  Node grouped = Node::Map();
  if (!decoder.Group(std::move(all), &grouped, 0)) return fail(std::move(output_keys));
  return ToParam(std::move(grouped));
}

}  // namespace

Result<Param, ApiError> DecodeRequestParams(const Request& request, const DecodeLimits& limits,
                                            Param* url_output_params) {
  return Decode(request, limits, url_output_params, /*flat_first=*/true);
}

namespace decoding {

Result<Param, ApiError> DecodeInFull(const Request& request, const DecodeLimits& limits,
                                     Param* url_output_params) {
  return Decode(request, limits, url_output_params, /*flat_first=*/false);
}

}  // namespace decoding

}  // namespace ksgate::api
