// Micro-benchmarks for what observability adds to every request (src/obs): formatting and
// queueing its access log line, counting it in the metrics, and a scrape. The access log is
// on by default, so its per-request cost must stay far below a request's (about 15-30 µs of
// one core for the hot actions: docs/benchmarks.md).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "obs/access_log.h"
#include "obs/metrics.h"

namespace ksgate::obs {
namespace {

AccessRecord Record() {
  AccessRecord r;
  r.start_unix_micros = 1'767'000'000'123'456;
  r.request_id = "0f3c9a7d11e2b4c5-123456";
  r.client_ip = "192.0.2.17";
  r.method = "POST";
  r.target = "/api_v3/service/apptoken/action/startSession";
  r.status = 200;
  r.action = "appToken.startSession";
  r.partner_id = 12345;
  r.app_token_id = "0_abcd1234";
  r.code = "ok";
  r.bytes_out = 412;
  r.latency_us = 23;
  return r;
}

// A request through the gate: its target is mostly the KS of its query string.
AccessRecord GateRecord() {
  static const std::string target =
      "/api_v3/service/media/action/list?ks=" + std::string(250, 'K') + "&format=1";
  AccessRecord r = Record();
  r.method = "GET";
  r.target = target;
  r.action = "media.*";
  r.app_token_id = "";
  r.code = "forwarded";
  return r;
}

// Queueing a record, the I/O thread's whole share; the writer thread drains to /dev/null. A
// flush every 10,000 records, not timed, keeps the buffer from filling (a full buffer would
// time the drop instead).
void AccessLogAppend(benchmark::State& state, const AccessRecord& record) {
  auto log = AccessLog::Open("/dev/null", 64 * 1024 * 1024);
  if (!log.ok()) {
    state.SkipWithError("cannot open /dev/null");
    return;
  }
  int64_t n = 0;
  for (auto _ : state) {
    (*log)->Append(record);
    if (++n % 10000 == 0) {
      state.PauseTiming();
      (*log)->Flush();
      state.ResumeTiming();
    }
  }
  state.counters["dropped"] = static_cast<double>((*log)->dropped());
}
void BM_AccessLogAppend(benchmark::State& state) { AccessLogAppend(state, Record()); }
BENCHMARK(BM_AccessLogAppend)->Threads(1)->Threads(2);
void BM_AccessLogAppendGate(benchmark::State& state) { AccessLogAppend(state, GateRecord()); }
BENCHMARK(BM_AccessLogAppendGate);

// The writer thread's share: formatting queued records and writing them (to /dev/null), per
// record; the I/O threads' share is BM_AccessLogAppend.
void BM_AccessLogWriter(benchmark::State& state) {
  constexpr int kBatch = 10000;
  auto log = AccessLog::Open("/dev/null", 64 * 1024 * 1024);
  if (!log.ok()) {
    state.SkipWithError("cannot open /dev/null");
    return;
  }
  const AccessRecord record = Record();
  for (auto _ : state) {
    state.PauseTiming();
    (*log)->Flush();
    for (int i = 0; i < kBatch; ++i) (*log)->Append(record);
    state.ResumeTiming();
    (*log)->Flush();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_AccessLogWriter)->UseRealTime()->Unit(benchmark::kMillisecond);

// One line as the writer formats it, with FormatForTesting's packing and its allocations.
void BM_AccessLogFormat(benchmark::State& state) {
  const AccessRecord record = Record();
  for (auto _ : state) benchmark::DoNotOptimize(AccessLog::FormatForTesting(record));
}
BENCHMARK(BM_AccessLogFormat);

MetricsLabels Labels() {
  MetricsLabels labels;
  labels.actions = {"other", "multirequest", "authorize", "admin"};
  for (int i = 0; i < 40; ++i) labels.actions.push_back("service.action" + std::to_string(i));
  return labels;
}

void BM_MetricsCountRequest(benchmark::State& state) {
  static Metrics metrics(Labels());
  for (auto _ : state) {
    metrics.CountRequest(7, "ok", 23);
    metrics.CountCall(7, "ok", false);
  }
}
BENCHMARK(BM_MetricsCountRequest)->Threads(1)->Threads(2);

void BM_MetricsCountError(benchmark::State& state) {
  static Metrics metrics(Labels());
  for (auto _ : state) metrics.CountRequest(7, "INVALID_KS", 23);
}
BENCHMARK(BM_MetricsCountError);

void BM_MetricsExpose(benchmark::State& state) {
  Metrics metrics(Labels());
  for (size_t a = 0; a < 44; ++a) metrics.CountRequest(a, "ok", 100);
  for (auto _ : state) benchmark::DoNotOptimize(metrics.Expose());
}
BENCHMARK(BM_MetricsExpose);

}  // namespace
}  // namespace ksgate::obs
