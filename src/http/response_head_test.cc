#include "http/response_head.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ksgate::http {
namespace {

constexpr std::time_t kNow = 784111777;  // RFC 9110's example date
constexpr std::string_view kDate = "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n";

std::string Head(std::string_view status_line, std::string_view rest) {
  return std::string(status_line) + "\r\nServer: ksgate\r\n" + std::string(kDate) +
         std::string(rest) + "\r\n";
}

TEST(FormatHead, WritesEveryBranch) {
  struct Case {
    const char* what;
    api::Response response;
    HeadOptions options;
    std::string head;
    std::string body;
  };
  using Headers = std::vector<std::pair<std::string, std::string>>;
  const HeadOptions kKeep{.keep_alive = true, .now = kNow};
  const HeadOptions kClose{.keep_alive = false, .now = kNow};
  const HeadOptions kHead{.keep_alive = true, .head_only = true, .now = kNow};
  const HeadOptions kLength{
      .keep_alive = true, .now = kNow, .framing = BodyFraming::kLength, .content_length = 12345};
  const HeadOptions kChunked{.keep_alive = false, .now = kNow, .framing = BodyFraming::kChunked};
  const std::string k500 = Head("HTTP/1.1 500 Internal Server Error",
                                "Content-Type: text/plain\r\nContent-Length: 22\r\n"
                                "Connection: keep-alive\r\n");
  const Case cases[] = {
      {"plain 200",
       {200, "application/json", "{}", {}},
       kKeep,
       Head("HTTP/1.1 200 OK",
            "Content-Type: application/json\r\nContent-Length: 2\r\nConnection: keep-alive\r\n"),
       "{}"},
      {"close",
       {200, "text/xml", "<x/>", {}},
       kClose,
       Head("HTTP/1.1 200 OK",
            "Content-Type: text/xml\r\nContent-Length: 4\r\nConnection: close\r\n"),
       "<x/>"},
      {"HEAD: GET's head, no body",
       {200, "text/plain", "hello", {}},
       kHead,
       Head("HTTP/1.1 200 OK",
            "Content-Type: text/plain\r\nContent-Length: 5\r\nConnection: keep-alive\r\n"),
       ""},
      {"empty body",
       {200, "", "", {}},
       kKeep,
       Head("HTTP/1.1 200 OK", "Content-Length: 0\r\nConnection: keep-alive\r\n"),
       ""},
      {"204: no Content-Length, no body",
       {204, "", "ignored", {}},
       kKeep,
       Head("HTTP/1.1 204 No Content", "Connection: keep-alive\r\n"),
       ""},
      {"304: no Content-Length, no body",
       {304, "text/plain", "ignored", {}},
       kClose,
       Head("HTTP/1.1 304 Not Modified", "Content-Type: text/plain\r\nConnection: close\r\n"),
       ""},
      {"404",
       {404, "", "x", {}},
       kKeep,
       Head("HTTP/1.1 404 Not Found", "Content-Length: 1\r\nConnection: keep-alive\r\n"),
       "x"},
      {"503",
       {503, "", "", {}},
       kKeep,
       Head("HTTP/1.1 503 Service Unavailable", "Content-Length: 0\r\nConnection: keep-alive\r\n"),
       ""},
      {"unregistered status: empty reason",
       {299, "", "", {}},
       kKeep,
       Head("HTTP/1.1 299 ", "Content-Length: 0\r\nConnection: keep-alive\r\n"),
       ""},
      {"418 is not in the table",
       {418, "", "", {}},
       kKeep,
       Head("HTTP/1.1 418 ", "Content-Length: 0\r\nConnection: keep-alive\r\n"),
       ""},
      {"999 is the largest status",
       {999, "", "", {}},
       kKeep,
       Head("HTTP/1.1 999 ", "Content-Length: 0\r\nConnection: keep-alive\r\n"),
       ""},
      {"1000 becomes 500",
       {1000, "text/html", "<p>", {{"X-A", "1"}}},
       kKeep,
       k500,
       "Internal Server Error\n"},
      {"199 becomes 500", {199, "", "", {}}, kKeep, k500, "Internal Server Error\n"},
      {"100 becomes 500", {100, "", "", {}}, kKeep, k500, "Internal Server Error\n"},
      {"0 becomes 500", {0, "", "", {}}, kKeep, k500, "Internal Server Error\n"},
      {"-1 becomes 500", {-1, "", "", {}}, kKeep, k500, "Internal Server Error\n"},
      {"500 from a bad status still honours HEAD", {42, "", "", {}}, kHead, k500, ""},
      {"extra headers in order, duplicates kept",
       {200, "", "", Headers{{"X-A", "1"}, {"Cache-Control", "no-cache"}, {"X-A", "2"}}},
       kKeep,
       Head("HTTP/1.1 200 OK",
            "Content-Length: 0\r\nConnection: keep-alive\r\n"
            "X-A: 1\r\nCache-Control: no-cache\r\nX-A: 2\r\n"),
       ""},
      {"reserved headers dropped, any case",
       {200, "text/plain", "",
        Headers{{"content-length", "9"},
                {"TRANSFER-ENCODING", "chunked"},
                {"Connection", "upgrade"},
                {"date", "yesterday"},
                {"Server", "nginx"},
                {"content-type", "text/html"},
                {"X-Kept", "yes"}}},
       kKeep,
       Head("HTTP/1.1 200 OK",
            "Content-Type: text/plain\r\nContent-Length: 0\r\nConnection: keep-alive\r\n"
            "X-Kept: yes\r\n"),
       ""},
      {"Content-Type header kept when content_type is empty",
       {200, "", "", Headers{{"Content-Type", "text/csv"}}},
       kKeep,
       Head("HTTP/1.1 200 OK",
            "Content-Length: 0\r\nConnection: keep-alive\r\nContent-Type: text/csv\r\n"),
       ""},
      {"invalid content_type dropped, and the handler's Content-Type with it",
       {200, "text/html\r\nX-Evil: 1", "", Headers{{"Content-Type", "text/csv"}}},
       kKeep,
       Head("HTTP/1.1 200 OK", "Content-Length: 0\r\nConnection: keep-alive\r\n"),
       ""},
      {"content_type with NUL dropped",
       {200, std::string("a\0b", 3), "", {}},
       kKeep,
       Head("HTTP/1.1 200 OK", "Content-Length: 0\r\nConnection: keep-alive\r\n"),
       ""},
      {"invalid names and values dropped",
       {200, "", "",
        Headers{{"", "empty name"},
                {"Bad Name", "v"},
                {"X:Y", "v"},
                {"B\xc3\xa9", "v"},
                {"X\r\nY", "v"},
                {"X-CRLF", "a\r\nInjected: 1"},
                {"X-LF", "a\nb"},
                {"X-CR", "a\rb"},
                {"X-NUL", std::string("a\0b", 3)},
                {"X-Empty", ""},
                {"X-Tab", "a\tb"},
                {"X-Utf8", "caf\xc3\xa9"},
                {"!#$%&'*+-.^_`|~0aZ", "token"}}},
       kKeep,
       Head("HTTP/1.1 200 OK",
            "Content-Length: 0\r\nConnection: keep-alive\r\n"
            "X-Empty: \r\nX-Tab: a\tb\r\nX-Utf8: caf\xc3\xa9\r\n!#$%&'*+-.^_`|~0aZ: token\r\n"),
       ""},
      {"body framed apart by length: response.body is not sent",
       {200, "text/plain", "ignored", {}},
       kLength,
       Head("HTTP/1.1 200 OK",
            "Content-Type: text/plain\r\nContent-Length: 12345\r\nConnection: keep-alive\r\n"),
       ""},
      {"body framed apart in chunks: the handler's framing fields dropped",
       {200, "", "", Headers{{"Transfer-Encoding", "gzip"}, {"Content-Length", "3"}}},
       kChunked,
       Head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked\r\nConnection: close\r\n"),
       ""},
      {"204 framed apart: no framing field",
       {204, "", "", {}},
       kChunked,
       Head("HTTP/1.1 204 No Content", "Connection: close\r\n"),
       ""},
      {"304 framed apart by length: no framing field",
       {304, "", "", {}},
       kLength,
       Head("HTTP/1.1 304 Not Modified", "Connection: keep-alive\r\n"),
       ""},
      {"bad status framed apart: the 500 carries its own body",
       {42, "", "", {}},
       kLength,
       k500,
       "Internal Server Error\n"},
  };
  for (const Case& c : cases) {
    std::string out = "stale";
    const std::string_view body = FormatHead(c.response, c.options, out);
    EXPECT_EQ(out, c.head) << c.what;
    EXPECT_EQ(body, c.body) << c.what;
  }
}

// Fixed lines (the API's common fields), then head lines (a relayed answer's fields, made by
// AppendFieldLine) go after the handler's fields, before X-Request-Id, and not on the 500 that
// replaces a bad status.
TEST(FormatHead, WritesFixedAndHeadLinesAfterTheFieldsAndBeforeTheRequestId) {
  std::string lines;
  EXPECT_TRUE(AppendFieldLine("Content-Type", "application/json", false, lines));
  EXPECT_TRUE(AppendFieldLine("X-A", "1", false, lines));
  for (const char* reserved :
       {"Content-Length", "transfer-encoding", "CONNECTION", "Date", "server"}) {
    EXPECT_FALSE(AppendFieldLine(reserved, "x", false, lines)) << reserved;
  }
  EXPECT_FALSE(AppendFieldLine("Bad Name", "x", false, lines));
  EXPECT_FALSE(AppendFieldLine("X-Split", "a\r\nB: c", false, lines));
  EXPECT_EQ(lines, "Content-Type: application/json\r\nX-A: 1\r\n");
  std::string typed;
  EXPECT_FALSE(AppendFieldLine("content-type", "text/plain", true, typed));
  EXPECT_EQ(typed, "");

  const HeadOptions options{.now = kNow, .framing = BodyFraming::kChunked, .request_id = "r-1"};
  std::string out;
  FormatHead({200, "", "", {{"X-First", "0"}}, lines, "X-Fixed: 1\r\n"}, options, out);
  EXPECT_EQ(out, Head("HTTP/1.1 200 OK",
                      "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\nX-First: 0\r\n"
                      "X-Fixed: 1\r\nContent-Type: application/json\r\nX-A: 1\r\n"
                      "X-Request-Id: r-1\r\n"));
  FormatHead({42, "", "", {}, lines, "X-Fixed: 1\r\n"}, options, out);
  EXPECT_EQ(out.find("X-Fixed"), std::string::npos);
  EXPECT_EQ(out.find("X-A"), std::string::npos);
}

TEST(FormatHead, BodyIsAViewOfTheResponse) {
  const api::Response response{200, "text/plain", "payload", {}};
  std::string out;
  const std::string_view body = FormatHead(response, {.now = kNow}, out);
  EXPECT_EQ(body.data(), response.body.data());
  EXPECT_EQ(body.size(), response.body.size());
}

TEST(DateLine, FormatsImfFixdateInUtc) {
  const std::pair<std::time_t, std::string> cases[] = {
      {0, "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n"},
      {kNow, "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"},
      {kNow, "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"},  // the cached line
      {kNow + 1, "Date: Sun, 06 Nov 1994 08:49:38 GMT\r\n"},
      {951782400, "Date: Tue, 29 Feb 2000 00:00:00 GMT\r\n"},
      {1700000000, "Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n"},
      {253402300799, "Date: Fri, 31 Dec 9999 23:59:59 GMT\r\n"},
      {-1, "Date: Wed, 31 Dec 1969 23:59:59 GMT\r\n"},
      {0, "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n"},
  };
  for (const auto& [now, line] : cases) EXPECT_EQ(DateLine(now), line) << now;
}

TEST(IsToken, IsANonEmptyRunOfTokenCharacters) {
  EXPECT_TRUE(IsToken("GET"));
  EXPECT_TRUE(IsToken("X-Ksgate-Partner"));
  EXPECT_FALSE(IsToken(""));
  EXPECT_FALSE(IsToken("Bad Name"));
  EXPECT_FALSE(IsToken("X:Y"));
}

TEST(IsValidHeaderValue, RefusesCrLfAndNul) {
  EXPECT_TRUE(IsValidHeaderValue(""));
  EXPECT_TRUE(IsValidHeaderValue("a\tb caf\xc3\xa9"));
  EXPECT_FALSE(IsValidHeaderValue("a\r\nInjected: 1"));
  EXPECT_FALSE(IsValidHeaderValue("a\nb"));
  EXPECT_FALSE(IsValidHeaderValue(std::string("a\0b", 3)));
}

TEST(IsTokenChar, AcceptsExactlyTheTokenCharacters) {
  const std::string_view kToken =
      "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    EXPECT_EQ(IsTokenChar(ch), kToken.find(ch) != std::string_view::npos) << c;
  }
}

}  // namespace
}  // namespace ksgate::http
