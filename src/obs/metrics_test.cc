#include "obs/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <string>

namespace ksgate::obs {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

MetricsLabels Labels() {
  MetricsLabels labels;
  labels.actions = {"other", "multirequest", "session.start", "appToken.startSession"};
  labels.upstreams = {"media"};
  labels.ks_sources = {{"session.start", "session_start"}, {"appToken.startSession", "app_token"}};
  return labels;
}

// Every line of `text` is a comment (# HELP / # TYPE) or a sample as the text format 0.0.4
// wants it: name, optional {label="value",...}, a number.
void ExpectWellFormed(const std::string& text) {
  // name{label="value",...} number, a value escaping '\\', '"' and newlines.
  static const std::string label = R"re([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*")re";
  static const std::regex sample(R"re([a-zA-Z_:][a-zA-Z0-9_:]*(\{)re" + label + "(," + label +
                                 R"re()*\})? -?[0-9.e+]+)re");
  static const std::regex comment(R"re(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+)re");
  std::istringstream lines(text);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    ++n;
    EXPECT_TRUE(std::regex_match(line, sample) || std::regex_match(line, comment))
        << "line " << n << ": " << line;
  }
  EXPECT_GT(n, 0);
  EXPECT_EQ(text.back(), '\n');
}

TEST(Metrics, CodeIndexKnowsOkTheCatalogueAndNothingElse) {
  EXPECT_EQ(Metrics::CodeIndex("ok"), 0u);
  EXPECT_NE(Metrics::CodeIndex("INVALID_KS"), Metrics::CodeIndex("other"));
  EXPECT_NE(Metrics::CodeIndex("INVALID_KS"), Metrics::CodeIndex("MISSING_KS"));
  EXPECT_EQ(Metrics::CodeIndex("NOT_A_CODE_ANYONE_SENT"), Metrics::CodeIndex("other"));
}

TEST(Metrics, RequestsAreCountedByActionAndCode) {
  Metrics metrics(Labels());
  metrics.CountRequest(2, "ok", 120);
  metrics.CountRequest(2, "ok", 80);
  metrics.CountRequest(2, "START_SESSION_ERROR", 900);
  metrics.CountRequest(99, "SOMETHING_UNHEARD_OF", 5);  // out of range: other/other
  EXPECT_EQ(metrics.RequestCountForTesting(2, "ok"), 2u);
  const std::string text = metrics.Expose();
  ExpectWellFormed(text);
  EXPECT_THAT(text, HasSubstr("ksgate_requests_total{action=\"session.start\",code=\"ok\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("ksgate_requests_total{action=\"session.start\","
                              "code=\"START_SESSION_ERROR\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("ksgate_requests_total{action=\"other\",code=\"other\"} 1\n"));
  // Pairs that never happened are not listed.
  EXPECT_THAT(text, Not(HasSubstr("action=\"multirequest\",code=\"ok\"")));
}

TEST(Metrics, HistogramsAreCumulativeInSeconds) {
  Metrics metrics(Labels());
  metrics.CountRequest(2, "ok", 20);        // <= 25 µs
  metrics.CountRequest(2, "ok", 100);       // <= 100 µs
  metrics.CountRequest(2, "ok", 2000000);   // <= 2.5 s
  metrics.CountRequest(2, "ok", 60000000);  // > 10 s
  const std::string text = metrics.Expose();
  ExpectWellFormed(text);
  const std::string a = "ksgate_request_duration_seconds_bucket{action=\"session.start\",";
  EXPECT_THAT(text, HasSubstr(a + "le=\"0.000025\"} 1\n"));
  EXPECT_THAT(text, HasSubstr(a + "le=\"0.00005\"} 1\n"));
  EXPECT_THAT(text, HasSubstr(a + "le=\"0.0001\"} 2\n"));
  EXPECT_THAT(text, HasSubstr(a + "le=\"2.5\"} 3\n"));
  EXPECT_THAT(text, HasSubstr(a + "le=\"10\"} 3\n"));
  EXPECT_THAT(text, HasSubstr(a + "le=\"+Inf\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("ksgate_request_duration_seconds_sum{action=\"session.start\"} "
                              "62.00012\n"));
  EXPECT_THAT(text, HasSubstr("ksgate_request_duration_seconds_count{action=\"session.start\"} "
                              "4\n"));
}

TEST(Metrics, SuccessfulCallsOfIssuingActionsCountKssIssued) {
  Metrics metrics(Labels());
  metrics.CountCall(2, "ok", false);
  metrics.CountCall(3, "ok", true);
  metrics.CountCall(3, "INVALID_APP_TOKEN_HASH", true);
  metrics.CountCall(1, "ok", false);  // not an issuer
  const std::string text = metrics.Expose();
  ExpectWellFormed(text);
  EXPECT_THAT(text, HasSubstr("ksgate_ks_issued_total{source=\"session_start\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("ksgate_ks_issued_total{source=\"app_token\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("ksgate_multirequest_calls_total{action=\"appToken.startSession\","
                              "code=\"INVALID_APP_TOKEN_HASH\"} 1\n"));
}

TEST(Metrics, FixedFamiliesAreListedEvenAtZero) {
  Metrics metrics(Labels());
  metrics.CountKsRefused(KsRefusal::kExpired);
  metrics.CountLimited(Credential::kSessionSecret, LimitScope::kPartner);
  metrics.CountAuthFailure(Credential::kAppTokenHash);
  metrics.CountUpstreamError(0, UpstreamError::kTimeout);
  metrics.CountUpstreamError(7, UpstreamError::kTimeout);  // no such upstream: ignored
  metrics.ObserveStore(StoreLane::kWrite, 3000);
  metrics.CountStoreOverloaded();
  const std::string text = metrics.Expose();
  ExpectWellFormed(text);
  EXPECT_THAT(text, HasSubstr("ksgate_ks_refused_total{reason=\"expired\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("ksgate_ks_refused_total{reason=\"revoked\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("ksgate_limited_total{credential=\"session_secret\","
                              "scope=\"partner\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("ksgate_auth_failures_total{credential=\"app_token_hash\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("ksgate_upstream_errors_total{upstream=\"media\",kind=\"timeout\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("ksgate_store_duration_seconds_count{lane=\"write\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("ksgate_store_overloaded_total 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE ksgate_store_duration_seconds histogram\n"));
}

TEST(Metrics, ReadersAreReadWhenScraped) {
  Metrics metrics(Labels());
  int open = 3;
  metrics.AddReader("ksgate_open_connections", "gauge", "Open client connections.", [&] {
    return std::vector<Sample>{{"", static_cast<double>(open)}};
  });
  metrics.AddReader("ksgate_cache_hits_total", "counter", "Cache hits.", [] {
    return std::vector<Sample>{{"kind=\"partner\"", 5}, {"kind=\"app_token\"", 0}};
  });
  EXPECT_THAT(metrics.Expose(), HasSubstr("ksgate_open_connections 3\n"));
  open = 4;
  const std::string text = metrics.Expose();
  ExpectWellFormed(text);
  EXPECT_THAT(text, HasSubstr("# TYPE ksgate_open_connections gauge\nksgate_open_connections 4\n"));
  EXPECT_THAT(text, HasSubstr("ksgate_cache_hits_total{kind=\"partner\"} 5\n"));
}

TEST(Metrics, LabelValuesAreEscaped) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  MetricsLabels labels;
  labels.actions = {"other", "we\"ird"};
  Metrics metrics(labels);
  metrics.CountRequest(1, "ok", 1);
  const std::string text = metrics.Expose();
  ExpectWellFormed(text);
  EXPECT_THAT(text, HasSubstr("action=\"we\\\"ird\""));
}

}  // namespace
}  // namespace ksgate::obs
