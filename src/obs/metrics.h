// Metrics: ksgate's counters, gauges and histograms, exposed at GET /metrics in the Prometheus
// text format (version 0.0.4), written by hand (Debian has no prometheus-cpp).
//
// Cheap on the hot path: every label set is bounded and fixed at construction (actions from the
// action table, result codes from the error catalogue, upstreams from the configuration), so
// a request only increments relaxed atomics at indexes it already knows — no lock, no map, no
// allocation. The one lookup by string is a result code other than "ok" (CodeIndex). Values that
// live elsewhere (open connections, the store queue, cache hits) are read when scraped, through
// readers registered with AddReader.
//
// The metrics, their labels and meaning are listed in docs/operations.md ("Metrics").
//
// Thread-safe, except AddReader, which must be called before serving.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ksgate::obs {

// A histogram with fixed bucket bounds, in microseconds; exposed in seconds.
class Histogram {
 public:
  // `bounds_us` ascending; must outlive *this.
  explicit Histogram(std::span<const int64_t> bounds_us);

  void Observe(int64_t micros);

  // `name`_bucket / _sum / _count lines, with `labels` (`a="b"`, or empty) on each.
  void Expose(std::string_view name, std::string_view labels, std::string* out) const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::span<const int64_t> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1 (+Inf), not cumulative
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_us_{0};
};

// The bucket bounds of every latency histogram: 25 µs to 10 s.
std::span<const int64_t> LatencyBucketsMicros();

// Why a KS presented with a call was refused (ksgate_ks_refused_total{reason}).
enum class KsRefusal {
  kInvalid,           // does not parse or verify, unknown partner
  kExpired,           // EXPIRED
  kIpRestricted,      // EXCEEDED_RESTRICTED_IP
  kUriRestricted,     // EXCEEDED_RESTRICTED_URI
  kRevoked,           // LOGOUT: session.end, appToken.delete, revokeSessions, cut-offs
  kActionsLimit,      // EXCEEDED_ACTIONS_LIMIT, INVALID_ACTIONS_LIMIT
  kAppTokenDisabled,  // APP_TOKEN_DISABLED
  kPartnerBlocked,    // SERVICE_FORBIDDEN_CONTENT_BLOCKED
  kOther,
};
inline constexpr size_t kKsRefusalCount = 9;

enum class StoreLane { kRead, kWrite };
enum class UpstreamError { kUnavailable, kTimeout, kBadAnswer };
// The brute-force limits' events (services/security_events.h), by credential and scope.
enum class Credential { kAppTokenHash, kSessionSecret };
enum class LimitScope { kAddress, kToken, kPartner };

struct MetricsLabels {
  // The `action` label values, by index. Index 0 is the fallback ("other"); the API layer
  // decides the rest (api/dispatcher.h MetricActionLabels).
  std::vector<std::string> actions = {"other"};
  // The `upstream` label values, by upstream index.
  std::vector<std::string> upstreams;
  // (action label, source): a successful call of that action issued a KS
  // (ksgate_ks_issued_total{source}). Labels not in `actions` are ignored.
  std::vector<std::pair<std::string, std::string>> ks_sources;
};

// One value of a metric read at scrape time: its labels (`kind="partner"`, or empty).
struct Sample {
  std::string labels;
  double value = 0;
};

class Metrics {
 public:
  explicit Metrics(MetricsLabels labels = {});
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The `code` label's index for a result code: "ok", a code of the error catalogue,
  // "forwarded" (relayed from an upstream unread), "none" (no API answer: an HTTP-level one);
  // anything else is "other".
  static size_t CodeIndex(std::string_view code);

  // An action index out of range counts as 0 ("other").
  // One HTTP request answered: ksgate_requests_total, ksgate_request_duration_seconds.
  void CountRequest(size_t action, std::string_view code, int64_t micros);
  // One API call (a whole request or a multirequest item) had its result: counts the KSs
  // issued, and multirequest items (ksgate_multirequest_calls_total).
  void CountCall(size_t action, std::string_view code, bool in_multirequest) {
    action = Action(action);
    // Inline: most calls are neither in a multirequest nor of an action that issues a KS.
    if (in_multirequest || ks_source_of_[action] >= 0) Count(action, code, in_multirequest);
  }
  void CountKsRefused(KsRefusal reason);
  // Time a request's work spent on a store thread; a request refused by a full store queue.
  void ObserveStore(StoreLane lane, int64_t micros);
  void CountStoreOverloaded();
  // One upstream call (Fetch or Relay) and how it failed, if it did.
  void ObserveUpstream(size_t upstream, int64_t micros);
  void CountUpstreamError(size_t upstream, UpstreamError error);
  void CountAuthFailure(Credential credential);
  void CountLimited(Credential credential, LimitScope scope);
  void CountAuditFailure();

  // Registers a metric whose samples `read` returns when scraped. `type` is "counter" or
  // "gauge"; `name` and `help` as Prometheus wants them. `read` is called on the scraping thread
  // and must be thread-safe. Not thread-safe: call before serving.
  void AddReader(std::string name, std::string type, std::string help,
                 std::function<std::vector<Sample>()> read);

  // Every metric in the text exposition format.
  std::string Expose() const;

  // The number counted for (action, code) by CountRequest (tests).
  uint64_t RequestCountForTesting(size_t action, std::string_view code) const;

 private:
  struct Reader {
    std::string name, type, help;
    std::function<std::vector<Sample>()> read;
  };
  size_t Action(size_t action) const { return action < labels_.actions.size() ? action : 0; }
  void Count(size_t action, std::string_view code, bool in_multirequest);

  const MetricsLabels labels_;
  const size_t codes_;
  std::unique_ptr<std::atomic<uint64_t>[]> requests_;   // [action][code]
  std::unique_ptr<std::atomic<uint64_t>[]> items_;      // [action][code]
  std::vector<std::unique_ptr<Histogram>> durations_;   // [action]
  std::vector<int> ks_source_of_;                       // [action]: index into ks_sources_, or -1
  std::vector<std::string> ks_sources_;                 // distinct source labels
  std::unique_ptr<std::atomic<uint64_t>[]> ks_issued_;  // [source]
  std::array<std::atomic<uint64_t>, kKsRefusalCount> ks_refused_{};
  std::array<std::unique_ptr<Histogram>, 2> store_;  // [lane]
  std::atomic<uint64_t> store_overloaded_{0};
  std::vector<std::unique_ptr<Histogram>> upstream_durations_;  // [upstream]
  std::unique_ptr<std::atomic<uint64_t>[]> upstream_errors_;    // [upstream][error]
  std::array<std::atomic<uint64_t>, 2> auth_failures_{};        // [credential]
  std::array<std::atomic<uint64_t>, 6> limited_{};              // [credential][scope]
  std::atomic<uint64_t> audit_failures_{0};
  std::vector<Reader> readers_;
};

// A label value as the exposition format wants it: '\\', '"' and newlines escaped.
std::string EscapeLabelValue(std::string_view value);

}  // namespace ksgate::obs
