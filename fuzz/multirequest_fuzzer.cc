// Fuzzes multirequest shaping (api/multirequest.h): MultiRequestItems on decoded parameters,
// PrepareItem (inherited ks/partnerId/clientTag, `format` dropped) and ResolveReferences with
// synthetic results of the earlier items.
//
// Input: a request as params_fuzzer reads it (METHOD, TARGET, CONTENT-TYPE lines, then the
// body), optionally followed by a line "====" and one JSON value per line: the results of
// items 1, 2, ... (read as an upstream's answer, api/json_value.h; a KalturaAPIException object
// is an error result). Items beyond the given results get built-in ones.
// Properties: every item has service and action; a prepared item has no `format`, has the
// multirequest's ks when it had none, and is valid JSON when sent upstream (AppendParamJson).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/json_value.h"
#include "api/multirequest.h"
#include "api/params.h"
#include "api/value.h"
#include "common/api_error.h"
#include "fuzz/fuzz_input.h"

namespace {

using namespace ksgate;
using namespace ksgate::api;

const ApiError& BadAnswer() {
  static const ApiError e = ApiError::Of(errors::kUpstreamBadAnswer, {"fuzz"});
  return e;
}

// Results for items the input gives none for: every kind a reference can walk.
const std::vector<CallResult>& BuiltInResults() {
  static const std::vector<CallResult> results = [] {
    std::vector<CallResult> r;
    Value session = Value::Object("KalturaSessionInfo");
    session.Add("ks", Value::String("djJ8MTIzNDV8abc"))
        .Add("partnerId", Value::Int(12345))
        .Add("expiry", Value::Float(1.5e9))
        .Add("isAdmin", Value::Bool(true))
        .Add("nothing", Value::Null());
    Value list = Value::Object("KalturaAppTokenListResponse");
    Value objects = Value::Array();
    for (const char* id : {"0_a", "0_b", "0_c"}) {
      Value token = Value::Object("KalturaAppToken");
      token.Add("id", Value::String(id)).Add("tags", Value::Array().Push(Value::Int(7)));
      objects.Push(std::move(token));
    }
    list.Add("objects", std::move(objects)).Add("totalCount", Value::Int(3));
    Value map = Value::Map();
    map.Add("k", Value::String("{1:result:ks}")).Add("0", Value::Bool(false));
    r.emplace_back(std::move(session));
    r.emplace_back(std::move(list));
    r.emplace_back(ApiError::Of(errors::kServiceForbidden, {"x"}));
    r.emplace_back(Value::String("text {1:result}"));
    r.emplace_back(std::move(map));
    r.emplace_back(Value::Int(-9223372036854775807LL - 1));
    return r;
  }();
  return results;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string_view> parts =
      ksgate::fuzz::SplitOn(ksgate::fuzz::AsText(data, size), "\n====\n");
  const auto fields = ksgate::fuzz::SplitFields(parts[0], 4);
  Request request;
  request.method = std::string(fields[0]);
  request.target = std::string(fields[1]);
  request.content_type = std::string(fields[2]);
  request.body = std::string(fields[3]);

  std::vector<CallResult> given;
  if (parts.size() > 1) {
    for (std::string_view line : ksgate::fuzz::SplitOn(parts[1], "\n")) {
      given.push_back(ValueFromJson(line, 16, BadAnswer()));
    }
  }

  Result<Param, ApiError> params = DecodeRequestParams(request, DecodeLimits{});
  if (!params.ok()) return 0;
  Result<std::vector<const Param*>, ApiError> items = MultiRequestItems(*params, 100);
  if (!items.ok()) {
    KSGATE_FUZZ_CHECK(items.error().code == errors::kRequestTooLarge.code);
    return 0;
  }

  const Param* multi_ks = params->Find("ks");
  std::vector<CallResult> results;
  for (size_t i = 0; i < items->size(); ++i) {
    const Param& item = *(*items)[i];
    KSGATE_FUZZ_CHECK(!item.ScalarAt("service").empty() && !item.ScalarAt("action").empty());
    Param call = PrepareItem(item, *params, results);
    KSGATE_FUZZ_CHECK(call.is_map());
    KSGATE_FUZZ_CHECK(call.Find("format") == nullptr);
    if (multi_ks != nullptr) KSGATE_FUZZ_CHECK(call.Find("ks") != nullptr);
    // The gate sends a forwarded item as a JSON body: it must be one JSON value.
    std::string json;
    AppendParamJson(call, &json);
    KSGATE_FUZZ_CHECK(ValueFromJson(json, 1000, BadAnswer()).ok());
    results.push_back(i < given.size() ? given[i] : BuiltInResults()[i % BuiltInResults().size()]);
  }

  // References in the whole request, against every result (given ones first).
  std::vector<CallResult> all = given;
  all.insert(all.end(), BuiltInResults().begin(), BuiltInResults().end());
  Param whole = *params;
  ResolveReferences(&whole, all);
  KSGATE_FUZZ_CHECK(whole.is_map());
  return 0;
}
