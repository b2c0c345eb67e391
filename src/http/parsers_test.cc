#include "http/parsers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/beast/http/error.hpp>
#include <string>
#include <string_view>

namespace ksgate::http {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

// Feeds `input` to `parser` as Beast's read loop does; returns the error put() gave, if any.
template <bool isRequest>
error_code Put(bhttp::basic_parser<isRequest>& parser, std::string_view input) {
  error_code ec;
  parser.eager(true);
  while (!input.empty() && !parser.is_done()) {
    const size_t n = parser.put(asio::buffer(input.data(), input.size()), ec);
    if (ec) return ec;
    input.remove_prefix(n);
    if (n == 0) break;
  }
  return ec;
}

TEST(RequestParser, ReadsTheRequestLineTheFieldsInOrderAndTheBody) {
  RequestParser parser;
  ASSERT_FALSE(Put(parser,
                   "POST /api_v3/service/session/action/get?format=1 HTTP/1.1\r\n"
                   "Host: a\r\ncontent-type: application/json\r\nX-Dup: 1\r\n"
                   "Content-Type: text/plain\r\nX-Dup: 2\r\nContent-Length: 11\r\n\r\n"
                   "{\"ks\":\"k\"}X"));
  EXPECT_TRUE(parser.is_done());
  const api::Request& request = parser.request();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/api_v3/service/session/action/get?format=1");
  EXPECT_EQ(request.content_type, "application/json") << "the first Content-Type";
  EXPECT_EQ(request.body, "{\"ks\":\"k\"}X");
  EXPECT_THAT(request.headers,
              ElementsAre(Pair("Host", "a"), Pair("content-type", "application/json"),
                          Pair("X-Dup", "1"), Pair("Content-Type", "text/plain"),
                          Pair("X-Dup", "2"), Pair("Content-Length", "11")));
  EXPECT_EQ(request.Header("x-dup"), "1");
  EXPECT_EQ(parser.version(), 11);
  EXPECT_TRUE(parser.keep_alive());
  EXPECT_FALSE(parser.is_head());
  EXPECT_FALSE(parser.expects_continue());
}

TEST(RequestParser, KnowsHeadHttp10ConnectionAndExpect) {
  RequestParser head;
  ASSERT_FALSE(Put(head, "HEAD / HTTP/1.0\r\nExpect: 100-Continue\r\nExpect: x\r\n\r\n"));
  EXPECT_TRUE(head.is_head());
  EXPECT_EQ(head.version(), 10);
  EXPECT_FALSE(head.keep_alive());
  EXPECT_TRUE(head.expects_continue()) << "the first Expect, in any case";

  RequestParser closing;
  ASSERT_FALSE(Put(closing,
                   "GET / HTTP/1.1\r\nExpect: x\r\nExpect: 100-continue\r\n"
                   "Connection: close\r\n\r\n"));
  EXPECT_FALSE(closing.keep_alive());
  EXPECT_FALSE(closing.expects_continue()) << "only the first Expect counts";
}

TEST(RequestParser, ReadsAChunkedBody) {
  RequestParser parser;
  ASSERT_FALSE(Put(parser,
                   "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n"));
  EXPECT_TRUE(parser.is_done());
  EXPECT_EQ(parser.request().body, "abcde");
}

// Beast hands over views of its input buffer, which the read loop reuses (and moves) while the
// body is read: the fields must not be views of it.
TEST(RequestParser, TheFieldsOutliveTheInputTheyWereReadFrom) {
  RequestParser parser;
  std::string head = "POST /x HTTP/1.1\r\nAuthorization: KS abc\r\nContent-Length: 4\r\n\r\n";
  ASSERT_FALSE(Put(parser, head));
  EXPECT_FALSE(parser.is_done());
  head.assign(head.size(), '#');
  ASSERT_FALSE(Put(parser, "body"));
  EXPECT_TRUE(parser.is_done());
  EXPECT_THAT(parser.request().headers,
              ElementsAre(Pair("Authorization", "KS abc"), Pair("Content-Length", "4")));
  EXPECT_EQ(parser.request().body, "body");
}

TEST(RequestParser, KeepsBeastsLimits) {
  RequestParser large_body;
  large_body.body_limit(3);
  EXPECT_EQ(Put(large_body, "POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd"),
            bhttp::error::body_limit);
  EXPECT_EQ(large_body.request().method, "POST") << "what was read stays readable";
  EXPECT_EQ(large_body.request().body, "");

  RequestParser large_chunks;
  large_chunks.body_limit(3);
  EXPECT_EQ(Put(large_chunks,
                "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                "2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n"),
            bhttp::error::body_limit);

  RequestParser large_head;
  large_head.header_limit(64);
  EXPECT_EQ(Put(large_head, "GET / HTTP/1.1\r\nX-Long: " + std::string(100, 'a') + "\r\n\r\n"),
            bhttp::error::header_limit);
  EXPECT_TRUE(large_head.request().headers.empty());

  RequestParser bad;
  EXPECT_EQ(Put(bad, "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n"), bhttp::error::bad_field);
}

// --- ResponseParser ---------------------------------------------------------------------------

TEST(ResponseParser, ReadsTheStatusTheFieldsAndAWholeBody) {
  ResponseParser parser;
  std::string body;
  parser.BodyTo(&body);
  std::string input =
      "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-A: 1\r\n"
      "content-type: text/plain\r\nContent-Length: 7\r\n\r\n{\"a\":1}";
  ASSERT_FALSE(Put(parser, input));
  input.assign(input.size(), '#');  // the fields are the parser's own copy
  EXPECT_TRUE(parser.is_done());
  EXPECT_EQ(parser.status(), 201);
  EXPECT_EQ(parser.content_type(), "application/json");
  EXPECT_EQ(body, "{\"a\":1}");
  EXPECT_THAT(parser.fields(),
              ElementsAre(Pair("Content-Type", "application/json"), Pair("X-A", "1"),
                          Pair("content-type", "text/plain"), Pair("Content-Length", "7")));
  EXPECT_TRUE(parser.keep_alive());
}

// Relaying: the body goes into the caller's piece; a full piece stops the parse (need_buffer)
// until the caller gives it room again, and nothing is lost or repeated across pieces.
TEST(ResponseParser, FillsPiecesAndStopsWhenOneIsFull) {
  for (const std::string_view framing :
       {std::string_view("Content-Length: 10\r\n\r\n0123456789"),
        std::string_view(
            "Transfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n4\r\n6789\r\n0\r\n\r\n")}) {
    ResponseParser parser;
    std::string input = "HTTP/1.1 200 OK\r\n" + std::string(framing);
    parser.eager(true);
    error_code ec;
    std::string_view rest = input;
    std::string relayed;
    char piece[4];
    while (!parser.is_done()) {
      parser.PieceInto(piece, sizeof piece);
      const size_t n = parser.put(asio::buffer(rest.data(), rest.size()), ec);
      if (ec == bhttp::error::need_buffer) ec = {};
      ASSERT_FALSE(ec) << ec.message();
      rest.remove_prefix(n);
      relayed.append(piece, sizeof piece - parser.piece_left());
    }
    EXPECT_EQ(relayed, "0123456789") << framing;
    EXPECT_EQ(parser.status(), 200);
  }
}

TEST(ResponseParser, KeepsBeastsLimitsAndItsReadingOfTheConnection) {
  ResponseParser large;
  std::string body;
  large.BodyTo(&body);
  large.body_limit(3);
  EXPECT_EQ(Put(large, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd"),
            bhttp::error::body_limit);

  ResponseParser closing;
  closing.BodyTo(&body);
  ASSERT_FALSE(Put(closing, "HTTP/1.0 204 No Content\r\nX-B: 2\r\n\r\n"));
  EXPECT_TRUE(closing.is_done());
  EXPECT_FALSE(closing.keep_alive());
  EXPECT_EQ(closing.status(), 204);
  EXPECT_EQ(closing.content_type(), "");

  ResponseParser bad;
  EXPECT_EQ(Put(bad, "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n"), bhttp::error::bad_field);
}

}  // namespace
}  // namespace ksgate::http
