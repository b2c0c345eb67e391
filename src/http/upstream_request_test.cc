#include "http/upstream_request.h"

#include <gtest/gtest.h>

#include <string>

namespace ksgate::http {
namespace {

TEST(UpstreamRequestTest, HopByHopFieldsInAnyCaseAndNothingElse) {
  for (const char* name :
       {"Connection", "keep-alive", "TE", "te", "Trailer", "UPGRADE", "Transfer-Encoding",
        "Proxy-Authorization", "proxy-connection", "Proxy-"}) {
    EXPECT_TRUE(IsHopByHop(name)) << name;
  }
  // Same lengths as hop-by-hop names, or their prefixes, but not them.
  for (const char* name : {"", "T", "TEA", "X-Trace", "Trailers", "Connections", "Keep-Alivf",
                           "Transfer-Encodinh", "Proxy", "X-Proxy-Id", "Content-Length", "Host"}) {
    EXPECT_FALSE(IsHopByHop(name)) << name;
  }
}

TEST(UpstreamRequestTest, TargetsWithoutSpacesOrControls) {
  EXPECT_TRUE(IsValidTarget("/api_v3/service/media/action/list?ks=a&format=1"));
  EXPECT_TRUE(IsValidTarget("*"));
  for (const char* target : {"", "/a b", "/a\tb", "/a\rb", "/a\x7f"}) {
    EXPECT_FALSE(IsValidTarget(target)) << target;
  }
}

TEST(UpstreamRequestTest, AHeadWithItsOwnFramingAndTheRequestsValidFields) {
  api::UpstreamRequest request;
  request.method = "POST";
  request.target = "/api_v3/service/media/action/list";
  request.headers = {{"Host", "evil"},
                     {"Content-Length", "9"},
                     {"Keep-Alive", "1"},
                     {"X-Ksgate-User-Id", "u"},
                     {"Bad Name", "x"},
                     {"X-Split", "a\r\nB: c"},
                     {"Content-Type", "application/json"}};
  std::string head = "stale";
  ASSERT_TRUE(FormatRequestHead(request, "10.0.0.1:8080", head));
  EXPECT_EQ(head,
            "POST /api_v3/service/media/action/list HTTP/1.1\r\n"
            "Host: 10.0.0.1:8080\r\n"
            "Content-Length: 0\r\n"
            "X-Ksgate-User-Id: u\r\n"
            "Content-Type: application/json\r\n"
            "\r\n");

  request.method = "GET";
  request.headers.clear();
  ASSERT_TRUE(FormatRequestHead(request, "[::1]:80", head));
  EXPECT_EQ(head, "GET /api_v3/service/media/action/list HTTP/1.1\r\nHost: [::1]:80\r\n\r\n");

  request.body = "a=1";
  ASSERT_TRUE(FormatRequestHead(request, "h:1", head));
  EXPECT_NE(head.find("Content-Length: 3\r\n"), std::string::npos);
}

// The gate's own lines (the identity) go after the request's fields, as they are.
TEST(UpstreamRequestTest, HeadLinesFollowTheFieldsVerbatim) {
  api::UpstreamRequest request;
  request.method = "GET";
  request.target = "/a";
  request.headers = {{"Accept", "*/*"}};
  request.head_lines = "X-Ksgate-Partner-Id: 7\r\nX-Ksgate-User-Id: u%20\r\n";
  std::string head;
  ASSERT_TRUE(FormatRequestHead(request, "h:1", head));
  EXPECT_EQ(head,
            "GET /a HTTP/1.1\r\nHost: h:1\r\nAccept: */*\r\n"
            "X-Ksgate-Partner-Id: 7\r\nX-Ksgate-User-Id: u%20\r\n\r\n");
}

TEST(UpstreamRequestTest, AnInvalidMethodOrTargetIsNotWritten) {
  api::UpstreamRequest request;
  request.method = "GE T";
  request.target = "/";
  std::string head;
  EXPECT_FALSE(FormatRequestHead(request, "h:1", head));
  request.method = "GET";
  request.target = "/a b";
  EXPECT_FALSE(FormatRequestHead(request, "h:1", head));
  EXPECT_TRUE(AnticipatesBody("PUT"));
  EXPECT_TRUE(AnticipatesBody("PATCH"));
  EXPECT_FALSE(AnticipatesBody("GET"));
  EXPECT_FALSE(AnticipatesBody("post"));  // methods are case-sensitive (RFC 9110 9.1)
}

}  // namespace
}  // namespace ksgate::http
