// Fuzzes the request parameter decoder (api/params.h, DecodeRequestParams): URL forms and path
// pairs, the query string, form, JSON and multipart bodies, PHP `a[b][]` names and `a:b:c`
// grouping, under the documented limits.
//
// Input (one field per line, the body the rest):
//   METHOD
//   TARGET            e.g. /api_v3/service/session/action/start?format=1&a[b]=c
//   CONTENT-TYPE      e.g. multipart/form-data; boundary=XyZ
//   BODY...
// Each input is decoded twice: with the default limits and with tight ones (so that every
// limit is reached often). Properties: the result is a map whose nesting, keys and leaves keep
// within the limits; errors are INVALID_JSON or REQUEST_LIMIT_EXCEEDED; the URL's output
// parameters, when given back, are a map; and the result is what the full way (the builder's
// tree, decoding::DecodeInFull) makes of the request: its flat JSON way changes nothing.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/param_decoder.h"
#include "api/params.h"
#include "common/api_error.h"
#include "fuzz/fuzz_input.h"

namespace {

using namespace ksgate;
using namespace ksgate::api;

// Levels of keys under `p` (a map of scalars is 1), and its leaves (scalars, nulls and empty
// maps).
struct Shape {
  size_t depth = 0;
  size_t leaves = 0;
  size_t longest_key = 0;
};

void Measure(const Param& p, size_t level, Shape* shape) {
  if (!p.is_map() || p.members.empty()) {
    ++shape->leaves;
    return;
  }
  shape->depth = std::max(shape->depth, level + 1);
  for (const auto& [key, member] : p.members) {
    shape->longest_key = std::max(shape->longest_key, key.size());
    Measure(member, level + 1, shape);
  }
}

// The same tree: kinds, texts, keys and their order.
bool Same(const Param& a, const Param& b) {
  if (a.kind != b.kind || a.text != b.text || a.members.size() != b.members.size()) return false;
  for (size_t i = 0; i < a.members.size(); ++i) {
    if (a.members[i].first != b.members[i].first) return false;
    if (!Same(a.members[i].second, b.members[i].second)) return false;
  }
  return true;
}

void DecodeChecked(const Request& request, const DecodeLimits& limits) {
  Param url_params;
  Result<Param, ApiError> params = DecodeRequestParams(request, limits, &url_params);
  Param full_url_params;
  const Result<Param, ApiError> full = decoding::DecodeInFull(request, limits, &full_url_params);
  KSGATE_FUZZ_CHECK(params.ok() == full.ok());
  if (params.ok()) {
    KSGATE_FUZZ_CHECK(Same(*params, *full));
  } else {
    KSGATE_FUZZ_CHECK(params.error().code == full.error().code);
    KSGATE_FUZZ_CHECK(params.error().args == full.error().args);
    KSGATE_FUZZ_CHECK(Same(url_params, full_url_params));
  }
  if (!params.ok()) {
    const std::string& code = params.error().code;
    KSGATE_FUZZ_CHECK(code == errors::kInvalidJson.code || code == errors::kRequestTooLarge.code);
    KSGATE_FUZZ_CHECK(url_params.kind == Param::Kind::kNull || url_params.is_map());
    return;
  }
  KSGATE_FUZZ_CHECK(params->is_map());
  Shape shape;
  Measure(*params, 0, &shape);
  KSGATE_FUZZ_CHECK(shape.depth <= limits.max_depth);
  KSGATE_FUZZ_CHECK(shape.longest_key <= limits.max_key_length);
  KSGATE_FUZZ_CHECK(shape.leaves <= limits.max_params || params->members.empty());
  // The accessors never fail on what the decoder built.
  for (const char* key : {"service", "action", "ks", "format", "0", "1"}) {
    (void)params->ScalarAt(key);
    (void)params->Find(key);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto fields = ksgate::fuzz::SplitFields(ksgate::fuzz::AsText(data, size), 4);
  Request request;
  request.method = std::string(fields[0]);
  request.target = std::string(fields[1]);
  request.content_type = std::string(fields[2]);
  request.body = std::string(fields[3]);
  request.client_ip = "127.0.0.1";

  DecodeChecked(request, DecodeLimits{});
  DecodeChecked(request, DecodeLimits{.max_params = 8, .max_depth = 3, .max_key_length = 12});
  return 0;
}
