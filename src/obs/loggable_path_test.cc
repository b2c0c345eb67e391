#include "obs/loggable_path.h"

#include <gtest/gtest.h>

#include <cctype>
#include <random>
#include <string>
#include <string_view>

namespace ksgate::obs {
namespace {

TEST(LoggablePath, NeverKeepsTheQuery) {
  EXPECT_EQ(LoggablePath("/api_v3/service/session/action/get?ks=SECRETKS&format=1"),
            "/api_v3/service/session/action/get");
  EXPECT_EQ(LoggablePath("/api_v3/index.php?service=session&ks=X"), "/api_v3/...");
  EXPECT_EQ(LoggablePath("/healthz?x=1"), "/healthz");
}

TEST(LoggablePath, DropsPathPairsAfterServiceAndAction) {
  EXPECT_EQ(LoggablePath("/api_v3/service/session/action/get/ks/SECRETKS"),
            "/api_v3/service/session/action/get/...");
  EXPECT_EQ(LoggablePath("/api_v3/service/appToken"), "/api_v3/service/appToken");
  EXPECT_EQ(LoggablePath("/api_v3/ks/SECRETKS/service/session"), "/api_v3/...");
  EXPECT_EQ(LoggablePath("/api_v3/service/bad\"name/action/x"), "/api_v3/...");
  EXPECT_EQ(LoggablePath("/api_v3"), "/api_v3");
  EXPECT_EQ(LoggablePath("/api_v3/"), "/api_v3");
}

TEST(LoggablePath, TheAuthorizeEndpointHidesTheOriginalPath) {
  EXPECT_EQ(LoggablePath("/ksgate/v1/authorize"), "/ksgate/v1/authorize");
  EXPECT_EQ(LoggablePath("/ksgate/v1/authorize/media/ks/SECRETKS/x"), "/ksgate/v1/authorize/...");
}

TEST(LoggablePath, OtherPathsKeepOnlyAShortFirstSegment) {
  EXPECT_EQ(LoggablePath("/favicon.ico"), "/favicon.ico");
  EXPECT_EQ(LoggablePath("/metrics"), "/metrics");
  EXPECT_EQ(LoggablePath("/a/b/c"), "/a/...");
  EXPECT_EQ(LoggablePath("/0123456789abcdef0123456789abcdef"), "/*");  // a secret's length
  EXPECT_EQ(LoggablePath("/"), "/");
  EXPECT_EQ(LoggablePath("*"), "*");
}

// The rule as it was first written, a byte at a time (before the access log's writer was made
// cheaper): what LoggablePath must still give for any target.
std::string ReferencePath(std::string_view target) {
  size_t end = 0;
  while (end < target.size() && target[end] != '?' && target[end] != '#') ++end;
  std::string_view path = target.substr(0, end);
  if (path.empty() || path.front() != '/') return path.empty() ? "" : "*";
  for (std::string_view kept : {"/metrics", "/healthz", "/readyz"}) {
    if (path == kept) return std::string(path);
  }
  auto next_segment = [](std::string_view* rest) {
    if (rest->empty()) return std::string_view();
    const std::string_view after = rest->substr(1);
    const size_t slash = after.find('/');
    *rest = slash == std::string_view::npos ? std::string_view() : after.substr(slash);
    return after.substr(0, slash);
  };
  auto is_name = [](std::string_view s) {
    if (s.empty() || s.size() > 64) return false;
    for (char c : s) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
    }
    return true;
  };
  std::string out;
  for (std::string_view prefix : {"/api_v3", "/ksgate/v1/authorize"}) {
    if (path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/')) {
      out = prefix;
      path.remove_prefix(prefix.size());
      if (prefix == "/api_v3") {
        for (std::string_view key : {"service", "action"}) {
          std::string_view rest = path;
          if (next_segment(&rest) != key) break;
          const std::string_view name = next_segment(&rest);
          if (!is_name(name)) break;
          out.append("/").append(key).append("/").append(name);
          path = rest;
        }
      }
      if (path.size() > 1) out.append("/...");
      return out;
    }
  }
  const std::string_view first = next_segment(&path);
  bool visible = first.size() <= 24;
  for (char c : first) visible = visible && c > ' ' && c < 0x7f;
  out.append("/").append(visible ? first : "*");
  if (path.size() > 1) out.append("/...");
  return out;
}

TEST(LoggablePath, AgreesWithTheByteByByteRuleOnGeneratedTargets) {
  // Targets made of the pieces the rule looks at, in any order: the kept prefixes, path pairs,
  // names at and past their limit of 64, query strings and fragments with a KS, control bytes,
  // bytes that are not UTF-8, quotes, and first segments around their limit of 24.
  const std::string pieces[] = {"/api_v3",
                                "/ksgate/v1/authorize",
                                "/service/",
                                "/action/",
                                "/service",
                                "/action",
                                "session",
                                "get",
                                std::string(64, 'n'),
                                std::string(65, 'n'),
                                std::string(24, 's'),
                                std::string(25, 's'),
                                "/",
                                "//",
                                "?",
                                "#",
                                "?ks=",
                                "&ks=",
                                "djJ8MTAyfDEyMzQ1Njc4OTA=",
                                "/ks/",
                                "/metrics",
                                "/healthz",
                                "/readyz",
                                "\x01",
                                "\x7f",
                                " ",
                                "\x80",
                                "\xc3\xa9",
                                "\xff",
                                "\"",
                                "\\",
                                "-",
                                "*",
                                ""};
  // The beginnings the rule tells apart, so that each of its branches is reached often.
  const std::string starts[] = {"",
                                "/",
                                "/api_v3",
                                "/api_v3/service/",
                                "/api_v3/service/session/action/",
                                "/api_v3/service/" + std::string(64, 'n') + "/action/",
                                "/ksgate/v1/authorize",
                                "/ksgate/v1/authorize/"};
  std::mt19937 random(11);
  for (int round = 0; round < 50000; ++round) {
    std::string target = starts[random() % std::size(starts)];
    const size_t count = random() % 9;
    for (size_t i = 0; i < count; ++i) target += pieces[random() % std::size(pieces)];
    ASSERT_EQ(LoggablePath(target), ReferencePath(target)) << "round " << round << ": " << target;
  }
  // And the edges: names and first segments at their limits and one past, a prefix that is not
  // a whole segment, an empty segment after a pair.
  const std::string edges[] = {"",
                               "/",
                               "*",
                               "?",
                               "#x",
                               "/?",
                               "/api_v3?",
                               "/api_v3#",
                               "/api_v3/service/",
                               "/api_v3x",
                               "/ksgate/v1/authorizex",
                               "/metrics/",
                               "/metricsx",
                               "/api_v3/service/a/action/b/",
                               "/api_v3/service/a/action/b//",
                               "/api_v3/service/" + std::string(64, 'n'),
                               "/api_v3/service/" + std::string(65, 'n'),
                               "/api_v3/service/s/action/" + std::string(64, 'n'),
                               "/api_v3/service/s/action/" + std::string(65, 'n') + "/x",
                               "/" + std::string(24, 'f'),
                               "/" + std::string(25, 'f')};
  for (const std::string& target : edges) {
    EXPECT_EQ(LoggablePath(target), ReferencePath(target)) << target;
  }
}

TEST(LoggablePath, ControlBytesAndNonUtf8InAFirstSegmentAreNotKept) {
  EXPECT_EQ(LoggablePath("/a\x01z"), "/*");
  EXPECT_EQ(LoggablePath("/a\x1b[31m"), "/*");
  EXPECT_EQ(LoggablePath("/caf\xc3\xa9"), "/*");  // UTF-8, but not visible ASCII
  EXPECT_EQ(LoggablePath("/a\xff/b"), "/*/...");
  EXPECT_EQ(LoggablePath("/a b"), "/*");
  EXPECT_EQ(LoggablePath("/a\"b\\c"), "/a\"b\\c");  // visible: kept (the access log escapes it)
}

}  // namespace
}  // namespace ksgate::obs
