// ReadMessage (read_message.h) against Beast's test stream, which can hand out its input a few
// bytes per read: a message that arrives whole, in pieces of any size, pipelined, cut short,
// or over a limit reads as Beast's own async_read_header and async_read would read it.
// clang-format off
#include "http/read_message.h"
// clang-format on

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/parsers.h"

namespace ksgate::http {
namespace {

// What one read of a message came to.
struct Outcome {
  error_code ec;
  std::string method, target, body;
  std::string left;  // input still buffered after it (a pipelined request)
  bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  return os << "{" << o.ec.message() << ", " << o.method << " " << o.target << ", body \"" << o.body
            << "\", left \"" << o.left << "\"}";
}

// One read of a request from `input`, served `piece` bytes per read (0: all at once); `eof`: the
// stream ends after the input. `start(stream, buffer, parser, out.ec, finished)` starts the
// reading, which sets `finished` when it is over; one still waiting for input after 5 s (a bug:
// the stream holds all it will ever hand out) is reported as timed_out rather than hanging.
template <typename Start>
Outcome ReadOne(std::string_view input, size_t piece, bool eof, size_t header_limit,
                size_t body_limit, Start start) {
  asio::io_context io;
  beast::test::stream stream(io);
  stream.append(input);
  if (piece > 0) stream.read_size(piece);
  if (eof) stream.close_remote();
  beast::flat_buffer buffer;
  RequestParser parser;
  parser.header_limit(static_cast<uint32_t>(header_limit));
  parser.body_limit(body_limit);
  Outcome out;
  bool finished = false;
  start(stream, buffer, parser, out.ec, finished);
  io.run_for(std::chrono::seconds(5));
  if (!finished) out.ec = asio::error::timed_out;
  if (!out.ec) {
    out.method = parser.request().method;
    out.target = parser.request().target;
    out.body = parser.request().body;
  }
  out.left = std::string(static_cast<const char*>(buffer.data().data()), buffer.size());
  return out;
}

// Reads one request as connection.cc does: the head, then the rest unless the head ended it.
Outcome ReadWithReadMessage(std::string_view input, size_t piece, bool eof = true,
                            size_t header_limit = 8192, size_t body_limit = 1 << 20) {
  return ReadOne(input, piece, eof, header_limit, body_limit,
                 [](beast::test::stream& stream, beast::flat_buffer& buffer, RequestParser& parser,
                    error_code& ec, bool& finished) {
                   asio::co_spawn(
                       stream.get_executor(),
                       [&]() -> Task<> {
                         ec = co_await ReadMessage(stream, buffer, parser, /*whole=*/false);
                         if (!ec && !parser.is_done()) {
                           ec = co_await ReadMessage(stream, buffer, parser, /*whole=*/true);
                         }
                         finished = true;
                       },
                       asio::detached);
                 });
}

// The same request through Beast's own operations: what ReadMessage must agree with.
Outcome ReadWithBeast(std::string_view input, size_t piece, bool eof = true,
                      size_t header_limit = 8192, size_t body_limit = 1 << 20) {
  return ReadOne(input, piece, eof, header_limit, body_limit,
                 [](beast::test::stream& stream, beast::flat_buffer& buffer, RequestParser& parser,
                    error_code& ec, bool& finished) {
                   bhttp::async_read_header(stream, buffer, parser, [&](error_code e, size_t) {
                     ec = e;
                     finished = e || parser.is_done();
                     if (finished) return;
                     bhttp::async_read(stream, buffer, parser, [&](error_code e2, size_t) {
                       ec = e2;
                       finished = true;
                     });
                   });
                 });
}

constexpr std::string_view kGet = "GET /a?b=1 HTTP/1.1\r\nHost: t\r\n\r\n";
constexpr std::string_view kPost =
    "POST /p HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n"
    "{\"ks\":\"x\"}";
constexpr std::string_view kChunked =
    "POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: "
    "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";

TEST(ReadMessage, AMessageThatArrivedWholeIsRead) {
  const Outcome get = ReadWithReadMessage(kGet, 0);
  EXPECT_FALSE(get.ec) << get;
  EXPECT_EQ(get.target, "/a?b=1");
  const Outcome post = ReadWithReadMessage(kPost, 0);
  EXPECT_FALSE(post.ec) << post;
  EXPECT_EQ(post.body, "{\"ks\":\"x\"}");
  EXPECT_EQ(ReadWithReadMessage(kChunked, 0).body, "abcde");
}

TEST(ReadMessage, InPiecesOfEverySizeItReadsAsBeastDoes) {
  const std::string pipelined = std::string(kPost) + std::string(kGet);
  for (std::string_view input : {kGet, kPost, kChunked, std::string_view(pipelined)}) {
    for (size_t piece : {1, 2, 3, 7, 16, 64, 0}) {
      const Outcome ours = ReadWithReadMessage(input, piece, /*eof=*/false);
      EXPECT_EQ(ours, ReadWithBeast(input, piece, /*eof=*/false)) << input << " by " << piece;
      EXPECT_FALSE(ours.ec) << input << " by " << piece;
    }
  }
  const Outcome first = ReadWithReadMessage(pipelined, 5, /*eof=*/false);
  EXPECT_EQ(first.body, "{\"ks\":\"x\"}");
  EXPECT_TRUE(std::string_view(kGet).starts_with(first.left))
      << "what follows the first request stays buffered for the next: " << first;
}

TEST(ReadMessage, AStreamThatEndsEarlyFailsAsBeastSays) {
  // Nothing at all; cut in the head; cut in the body; cut in a chunk.
  for (std::string_view input :
       {std::string_view(), kGet.substr(0, 10), kPost.substr(0, 90), kChunked.substr(0, 70)}) {
    for (size_t piece : {1, 4, 0}) {
      const Outcome ours = ReadWithReadMessage(input, piece);
      EXPECT_TRUE(ours.ec) << input << " by " << piece;
      EXPECT_EQ(ours, ReadWithBeast(input, piece)) << input << " by " << piece;
    }
  }
  EXPECT_EQ(ReadWithReadMessage("", 0).ec, bhttp::error::end_of_stream);
  EXPECT_EQ(ReadWithReadMessage(kGet.substr(0, 10), 3).ec, bhttp::error::partial_message);
}

TEST(ReadMessage, LimitsAndBadInputFailAsBeastSays) {
  const std::string big_head = "GET / HTTP/1.1\r\nX: " + std::string(200, 'a') + "\r\n\r\n";
  for (size_t piece : {1, 9, 0}) {
    const Outcome head = ReadWithReadMessage(big_head, piece, true, /*header_limit=*/100);
    EXPECT_EQ(head.ec, bhttp::error::header_limit) << piece;
    EXPECT_EQ(head, ReadWithBeast(big_head, piece, true, 100));
    const Outcome body = ReadWithReadMessage(kPost, piece, true, 8192, /*body_limit=*/5);
    EXPECT_EQ(body.ec, bhttp::error::body_limit) << piece;
    EXPECT_EQ(body, ReadWithBeast(kPost, piece, true, 8192, 5));
    const std::string bad = "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n";
    const Outcome malformed = ReadWithReadMessage(bad, piece);
    EXPECT_TRUE(malformed.ec) << piece;
    EXPECT_EQ(malformed, ReadWithBeast(bad, piece));
  }
}

// AsyncReadSomeLater: a read that starts behind the handlers already queued, or not at all.

// What happened, in order, around one AsyncReadSomeLater on a stream holding "GET": a handler
// queued before it, the read's start (on_start) and its end. `abandon_after` sets the abandon
// flag once the read was asked for, before the io_context runs.
std::vector<std::string> ReadLaterOrder(bool abandon_after, size_t* bytes_read) {
  asio::io_context io;
  beast::test::stream stream(io);
  stream.append("GET");
  std::vector<std::string> order;
  asio::post(io, [&order] { order.push_back("queued before"); });
  bool abandon = false;
  std::array<char, 16> data{};
  AsyncReadSomeLater(
      stream, asio::buffer(data), abandon, [&order] { order.push_back("read starts"); },
      [&order](error_code ec, size_t n) {
        order.push_back(ec ? "read ends: " + ec.message() : "read " + std::to_string(n) + " bytes");
      });
  order.push_back("asked");
  abandon = abandon_after;
  io.run_for(std::chrono::seconds(5));
  *bytes_read = stream.nread_bytes();
  return order;
}

TEST(AsyncReadSomeLater, StartsAfterTheHandlersAlreadyQueued) {
  size_t bytes_read = 0;
  EXPECT_THAT(ReadLaterOrder(false, &bytes_read),
              ::testing::ElementsAre("asked", "queued before", "read starts", "read 3 bytes"));
  EXPECT_EQ(bytes_read, 3u);
}

TEST(AsyncReadSomeLater, AnAbandonedReadEndsWithoutStarting) {
  size_t bytes_read = 0;
  const error_code aborted = asio::error::operation_aborted;
  EXPECT_THAT(ReadLaterOrder(true, &bytes_read),
              ::testing::ElementsAre("asked", "queued before", "read ends: " + aborted.message()));
  EXPECT_EQ(bytes_read, 0u);  // the input is still there
}

// On a plain TCP stream the read is made in place: what is already in the socket completes it
// within the posted handler (before a handler posted as it starts); with nothing there it waits
// for the socket, and a cancel or the peer's end still ends it.

struct SocketPair {
  asio::io_context io;
  Stream stream{io};
  tcp::socket peer{io};

  SocketPair() {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    peer.connect(acceptor.local_endpoint());
    acceptor.accept(stream.socket());
  }
};

// What happened, in order, around one AsyncReadSomeLater on `pair`'s stream: a handler queued
// before it, the read's start, what `at_start` does (posted as the read starts) and the read's
// end.
template <typename AtStart>
std::vector<std::string> PlainReadOrder(SocketPair& pair, AtStart at_start) {
  std::vector<std::string> order;
  asio::post(pair.io, [&order] { order.push_back("queued before"); });
  bool abandon = false;
  std::array<char, 16> data{};
  AsyncReadSomeLater(
      pair.stream, asio::buffer(data), abandon,
      [&] {
        order.push_back("read starts");
        asio::post(pair.io, [&] { order.push_back(at_start()); });
      },
      [&order, &data](error_code ec, size_t n) {
        order.push_back(ec ? "read ends: " + ec.message()
                           : "read \"" + std::string(data.data(), n) + "\"");
      });
  pair.io.run_for(std::chrono::seconds(5));
  return order;
}

TEST(AsyncReadSomeLater, OnAPlainSocketReadsWhatIsThereWithoutWaiting) {
  SocketPair pair;
  asio::write(pair.peer, asio::buffer(std::string_view("GET")));
  EXPECT_THAT(
      PlainReadOrder(pair, [] { return std::string("posted at start"); }),
      ::testing::ElementsAre("queued before", "read starts", "read \"GET\"", "posted at start"));
}

TEST(AsyncReadSomeLater, OnAPlainSocketWaitsForWhatIsNotThereYet) {
  SocketPair pair;
  EXPECT_THAT(
      PlainReadOrder(pair,
                     [&pair] {
                       asio::write(pair.peer, asio::buffer(std::string_view("POST")));
                       return std::string("peer writes");
                     }),
      ::testing::ElementsAre("queued before", "read starts", "peer writes", "read \"POST\""));
}

TEST(AsyncReadSomeLater, OnAPlainSocketEndsWithThePeersEnd) {
  SocketPair pair;
  pair.peer.close();
  const error_code eof = asio::error::eof;
  EXPECT_THAT(PlainReadOrder(pair, [] { return std::string("posted at start"); }),
              ::testing::ElementsAre("queued before", "read starts", "read ends: " + eof.message(),
                                     "posted at start"));
}

TEST(AsyncReadSomeLater, OnAPlainSocketAWaitingReadEndsWhenCancelled) {
  SocketPair pair;
  const error_code aborted = asio::error::operation_aborted;
  EXPECT_THAT(PlainReadOrder(pair,
                             [&pair] {
                               pair.stream.socket().cancel();  // as Worker::Sweep does
                               return std::string("cancelled");
                             }),
              ::testing::ElementsAre("queued before", "read starts", "cancelled",
                                     "read ends: " + aborted.message()));
}

}  // namespace
}  // namespace ksgate::http
