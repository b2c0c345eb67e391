// Micro-benchmarks for the request parameter decoder (api/params.h, DecodeRequestParams) on the
// requests of bench/http/actions.txt: media.list through the gate (a KS in the query), the
// original URI that /ksgate/v1/authorize decodes, and a session.get JSON body. Run under
// callgrind with a filter to count one request's instructions without the server around it:
//   valgrind --tool=callgrind build/release/bench/params_bench --benchmark_filter=Gate
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "api/params.h"

namespace ksgate::api {
namespace {

// A KS as long as an admin KS of the bench partner, in the characters a v2 KS uses.
std::string Ks() {
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
  std::string ks = "djJ8";
  while (ks.size() < 250) ks.push_back(kAlphabet[(ks.size() * 7) % 64]);
  return ks;
}

void Decode(benchmark::State& state, const Request& request, bool url_output) {
  const DecodeLimits limits;
  for (auto _ : state) {
    Param url_params;
    Result<Param, ApiError> params =
        DecodeRequestParams(request, limits, url_output ? &url_params : nullptr);
    if (!params.ok()) std::abort();
    benchmark::DoNotOptimize(params);
  }
}

// GET /api_v3/service/media/action/list?ks=...&format=1, as the API exchange decodes it.
void BM_DecodeGateGet(benchmark::State& state) {
  Request r;
  r.method = "GET";
  r.target = "/api_v3/service/media/action/list?ks=" + Ks() + "&format=1";
  Decode(state, r, /*url_output=*/true);
}
BENCHMARK(BM_DecodeGateGet);

// The X-Original-URI of an authorize request: a path and nothing else.
void BM_DecodeAuthorizeUri(benchmark::State& state) {
  Request r;
  r.method = "GET";
  r.target = "/api_v3/service/media/action/list";
  Decode(state, r, /*url_output=*/false);
}
BENCHMARK(BM_DecodeAuthorizeUri);

// POST /api_v3/service/session/action/get with {"ks":"...","format":1}.
void BM_DecodeSessionGetJson(benchmark::State& state) {
  Request r;
  r.method = "POST";
  r.target = "/api_v3/service/session/action/get";
  r.content_type = "application/json";
  r.body = "{\"ks\":\"" + Ks() + "\",\"format\":1}";
  Decode(state, r, /*url_output=*/true);
}
BENCHMARK(BM_DecodeSessionGetJson);

}  // namespace
}  // namespace ksgate::api
