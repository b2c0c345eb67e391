#include "obs/metrics.h"

#include <charconv>
#include <string>
#include <unordered_map>

#include "common/api_error.h"

namespace ksgate::obs {

namespace {

constexpr int64_t kLatencyBuckets[] = {25,     50,     100,     250,     500,     1000,
                                       2500,   5000,   10000,   25000,   50000,   100000,
                                       250000, 500000, 1000000, 2500000, 5000000, 10000000};

constexpr std::string_view kUpstreamErrorNames[] = {"unavailable", "timeout", "bad_answer"};
constexpr std::string_view kKsRefusalNames[kKsRefusalCount] = {
    "invalid", "expired",       "ip_restricted",      "uri_restricted",
    "revoked", "actions_limit", "app_token_disabled", "partner_blocked",
    "other"};
constexpr std::string_view kCredentialNames[] = {"app_token_hash", "session_secret"};
constexpr std::string_view kScopeNames[] = {"address", "token", "partner"};

// The `code` label values, by index: "ok", the catalogue's codes, then the other outcomes.
struct CodeTable {
  std::vector<std::string_view> names;
  std::unordered_map<std::string_view, size_t> index;
  size_t other = 0;

  CodeTable() {
    auto add = [this](std::string_view code) {
      if (index.emplace(code, names.size()).second) names.push_back(code);
    };
    add("ok");
    for (const ErrorDef* def : errors::All()) add(def->code);
    add("forwarded");
    add("none");
    add("other");
    other = index.at("other");
  }
};

const CodeTable& Codes() {
  static const CodeTable table;
  return table;
}

// Micros as decimal seconds, without trailing zeros: 25 -> "0.000025", 2500000 -> "2.5".
void AppendSeconds(uint64_t micros, std::string* out) {
  out->append(std::to_string(micros / 1000000));
  uint64_t frac = micros % 1000000;
  if (frac == 0) return;
  char digits[7] = "000000";
  for (int i = 5; i >= 0; --i, frac /= 10) digits[i] = static_cast<char>('0' + frac % 10);
  int len = 6;
  while (digits[len - 1] == '0') --len;
  out->push_back('.');
  out->append(digits, static_cast<size_t>(len));
}

void AppendNumber(double value, std::string* out) {
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof(buf), value);
  out->append(buf, result.ptr);
}

void Header(std::string_view name, std::string_view type, std::string_view help, std::string* out) {
  out->append("# HELP ").append(name).append(" ").append(help).append("\n");
  out->append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void Line(std::string_view name, std::string_view labels, uint64_t value, std::string* out) {
  out->append(name);
  if (!labels.empty()) out->append("{").append(labels).append("}");
  out->append(" ").append(std::to_string(value)).append("\n");
}

std::string Label(std::string_view name, std::string_view value) {
  return std::string(name) + "=\"" + EscapeLabelValue(value) + "\"";
}

std::unique_ptr<std::atomic<uint64_t>[]> Counters(size_t n) {
  auto counters = std::make_unique<std::atomic<uint64_t>[]>(n);
  for (size_t i = 0; i < n; ++i) counters[i].store(0, std::memory_order_relaxed);
  return counters;
}

void Add(std::atomic<uint64_t>& counter) {
  counter.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

std::span<const int64_t> LatencyBucketsMicros() { return kLatencyBuckets; }

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// --- Histogram --------------------------------------------------------------------------------

Histogram::Histogram(std::span<const int64_t> bounds_us)
    : bounds_(bounds_us), buckets_(Counters(bounds_us.size() + 1)) {}

void Histogram::Observe(int64_t micros) {
  if (micros < 0) micros = 0;
  size_t i = 0;
  while (i < bounds_.size() && micros > bounds_[i]) ++i;
  Add(buckets_[i]);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<uint64_t>(micros), std::memory_order_relaxed);
}

void Histogram::Expose(std::string_view name, std::string_view labels, std::string* out) const {
  const std::string sep = labels.empty() ? "" : std::string(labels) + ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out->append(name).append("_bucket{").append(sep).append("le=\"");
    if (i < bounds_.size()) {
      AppendSeconds(static_cast<uint64_t>(bounds_[i]), out);
    } else {
      out->append("+Inf");
    }
    out->append("\"} ").append(std::to_string(cumulative)).append("\n");
  }
  // Read after the buckets: a scrape racing an Observe may see a count one above the +Inf
  // bucket, never below it by more than the observations in flight.
  out->append(name).append("_sum");
  if (!labels.empty()) out->append("{").append(labels).append("}");
  out->push_back(' ');
  AppendSeconds(sum_us_.load(std::memory_order_relaxed), out);
  out->push_back('\n');
  Line(std::string(name) + "_count", labels, cumulative, out);
}

// --- Metrics ----------------------------------------------------------------------------------

Metrics::Metrics(MetricsLabels labels)
    : labels_(std::move(labels)),
      codes_(Codes().names.size()),
      requests_(Counters(labels_.actions.size() * codes_)),
      items_(Counters(labels_.actions.size() * codes_)),
      ks_source_of_(labels_.actions.size(), -1),
      upstream_errors_(Counters(labels_.upstreams.size() * std::size(kUpstreamErrorNames))) {
  for (size_t i = 0; i < labels_.actions.size(); ++i) {
    durations_.push_back(std::make_unique<Histogram>(kLatencyBuckets));
  }
  for (const auto& [action, source] : labels_.ks_sources) {
    int source_index = -1;
    for (size_t s = 0; s < ks_sources_.size(); ++s) {
      if (ks_sources_[s] == source) source_index = static_cast<int>(s);
    }
    if (source_index < 0) {
      source_index = static_cast<int>(ks_sources_.size());
      ks_sources_.push_back(source);
    }
    for (size_t a = 0; a < labels_.actions.size(); ++a) {
      if (labels_.actions[a] == action) ks_source_of_[a] = source_index;
    }
  }
  ks_issued_ = Counters(ks_sources_.size());
  for (auto& lane : store_) lane = std::make_unique<Histogram>(kLatencyBuckets);
  for (size_t i = 0; i < labels_.upstreams.size(); ++i) {
    upstream_durations_.push_back(std::make_unique<Histogram>(kLatencyBuckets));
  }
}

Metrics::~Metrics() = default;

size_t Metrics::CodeIndex(std::string_view code) {
  if (code == "ok") return 0;
  const CodeTable& codes = Codes();
  auto it = codes.index.find(code);
  return it == codes.index.end() ? codes.other : it->second;
}

void Metrics::CountRequest(size_t action, std::string_view code, int64_t micros) {
  action = Action(action);
  Add(requests_[action * codes_ + CodeIndex(code)]);
  durations_[action]->Observe(micros);
}

void Metrics::Count(size_t action, std::string_view code, bool in_multirequest) {
  const size_t code_index = CodeIndex(code);
  if (in_multirequest) Add(items_[action * codes_ + code_index]);
  if (code_index == 0 && ks_source_of_[action] >= 0) Add(ks_issued_[ks_source_of_[action]]);
}

void Metrics::CountKsRefused(KsRefusal reason) { Add(ks_refused_[static_cast<size_t>(reason)]); }

void Metrics::ObserveStore(StoreLane lane, int64_t micros) {
  store_[lane == StoreLane::kWrite ? 1 : 0]->Observe(micros);
}

void Metrics::CountStoreOverloaded() { Add(store_overloaded_); }

void Metrics::ObserveUpstream(size_t upstream, int64_t micros) {
  if (upstream < upstream_durations_.size()) upstream_durations_[upstream]->Observe(micros);
}

void Metrics::CountUpstreamError(size_t upstream, UpstreamError error) {
  if (upstream >= labels_.upstreams.size()) return;
  Add(upstream_errors_[upstream * std::size(kUpstreamErrorNames) + static_cast<size_t>(error)]);
}

void Metrics::CountAuthFailure(Credential credential) {
  Add(auth_failures_[static_cast<size_t>(credential)]);
}

void Metrics::CountLimited(Credential credential, LimitScope scope) {
  Add(limited_[static_cast<size_t>(credential) * 3 + static_cast<size_t>(scope)]);
}

void Metrics::CountAuditFailure() { Add(audit_failures_); }

void Metrics::AddReader(std::string name, std::string type, std::string help,
                        std::function<std::vector<Sample>()> read) {
  readers_.push_back({std::move(name), std::move(type), std::move(help), std::move(read)});
}

uint64_t Metrics::RequestCountForTesting(size_t action, std::string_view code) const {
  return requests_[Action(action) * codes_ + CodeIndex(code)].load(std::memory_order_relaxed);
}

std::string Metrics::Expose() const {
  const auto& code_names = Codes().names;
  std::string out;
  out.reserve(16 * 1024);

  // Requests and calls, by action and code: only the pairs that happened.
  auto matrix = [&](std::string_view name, std::string_view help,
                    const std::unique_ptr<std::atomic<uint64_t>[]>& counters) {
    Header(name, "counter", help, &out);
    for (size_t a = 0; a < labels_.actions.size(); ++a) {
      for (size_t c = 0; c < codes_; ++c) {
        const uint64_t n = counters[a * codes_ + c].load(std::memory_order_relaxed);
        if (n == 0) continue;
        Line(name, Label("action", labels_.actions[a]) + "," + Label("code", code_names[c]), n,
             &out);
      }
    }
  };
  matrix("ksgate_requests_total",
         "HTTP requests answered, by action (service.action, multirequest, ...) and result code.",
         requests_);
  Header("ksgate_request_duration_seconds", "histogram",
         "Time from reading a request to having written its answer, by action.", &out);
  for (size_t a = 0; a < labels_.actions.size(); ++a) {
    if (durations_[a]->count() == 0) continue;
    durations_[a]->Expose("ksgate_request_duration_seconds", Label("action", labels_.actions[a]),
                          &out);
  }
  matrix("ksgate_multirequest_calls_total",
         "Calls inside multirequests, by action and result code.", items_);

  Header("ksgate_ks_issued_total", "counter", "KSs issued, by how they were obtained.", &out);
  for (size_t s = 0; s < ks_sources_.size(); ++s) {
    Line("ksgate_ks_issued_total", Label("source", ks_sources_[s]),
         ks_issued_[s].load(std::memory_order_relaxed), &out);
  }
  Header("ksgate_ks_refused_total", "counter", "KSs presented with a call and refused, by reason.",
         &out);
  for (size_t r = 0; r < kKsRefusalCount; ++r) {
    Line("ksgate_ks_refused_total", Label("reason", kKsRefusalNames[r]),
         ks_refused_[r].load(std::memory_order_relaxed), &out);
  }

  Header("ksgate_store_duration_seconds", "histogram",
         "Time a request's work spent on a store thread (waiting for the database included), "
         "by lane.",
         &out);
  store_[0]->Expose("ksgate_store_duration_seconds", Label("lane", "read"), &out);
  store_[1]->Expose("ksgate_store_duration_seconds", Label("lane", "write"), &out);
  Header("ksgate_store_overloaded_total", "counter",
         "Requests answered SERVER_BUSY because the store queue was full.", &out);
  Line("ksgate_store_overloaded_total", "", store_overloaded_.load(std::memory_order_relaxed),
       &out);

  if (!labels_.upstreams.empty()) {
    Header("ksgate_upstream_duration_seconds", "histogram",
           "Upstream calls (fetched or relayed), by upstream.", &out);
    for (size_t u = 0; u < labels_.upstreams.size(); ++u) {
      upstream_durations_[u]->Expose("ksgate_upstream_duration_seconds",
                                     Label("upstream", labels_.upstreams[u]), &out);
    }
    Header("ksgate_upstream_errors_total", "counter",
           "Upstream calls that failed, by upstream and kind.", &out);
    for (size_t u = 0; u < labels_.upstreams.size(); ++u) {
      for (size_t k = 0; k < std::size(kUpstreamErrorNames); ++k) {
        Line("ksgate_upstream_errors_total",
             Label("upstream", labels_.upstreams[u]) + "," + Label("kind", kUpstreamErrorNames[k]),
             upstream_errors_[u * std::size(kUpstreamErrorNames) + k].load(
                 std::memory_order_relaxed),
             &out);
      }
    }
  }

  Header("ksgate_auth_failures_total", "counter",
         "Credentials that did not check out (app token hashes, session.start secrets).", &out);
  for (size_t c = 0; c < 2; ++c) {
    Line("ksgate_auth_failures_total", Label("credential", kCredentialNames[c]),
         auth_failures_[c].load(std::memory_order_relaxed), &out);
  }
  Header("ksgate_limited_total", "counter",
         "Attempts refused by a brute-force limit, by credential and limit scope.", &out);
  for (size_t c = 0; c < 2; ++c) {
    for (size_t s = 0; s < 3; ++s) {
      Line("ksgate_limited_total",
           Label("credential", kCredentialNames[c]) + "," + Label("scope", kScopeNames[s]),
           limited_[c * 3 + s].load(std::memory_order_relaxed), &out);
    }
  }
  Header("ksgate_audit_write_failures_total", "counter",
         "Audit events that could not be written to the audit log.", &out);
  Line("ksgate_audit_write_failures_total", "", audit_failures_.load(std::memory_order_relaxed),
       &out);

  for (const Reader& reader : readers_) {
    Header(reader.name, reader.type, reader.help, &out);
    for (const Sample& sample : reader.read()) {
      out.append(reader.name);
      if (!sample.labels.empty()) out.append("{").append(sample.labels).append("}");
      out.push_back(' ');
      AppendNumber(sample.value, &out);
      out.push_back('\n');
    }
  }
  return out;
}

}  // namespace ksgate::obs
