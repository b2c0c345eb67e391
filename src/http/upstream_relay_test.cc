// The upstream client: Relay (an answer streamed to the client as it comes).
// clang-format off
#include "http/upstream_test_fixture.h"  // first of the Asio headers: see asio_types.h
// clang-format on

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace ksgate::http {
namespace {

using namespace std::chrono_literals;
using upstream_test::Answer;
using upstream_test::ClientConnection;
using upstream_test::Clock;
using upstream_test::ClosedPort;
using upstream_test::ConnectClient;
using upstream_test::Dechunk;
using upstream_test::Eventually;
using upstream_test::Failure;
using upstream_test::PatternByte;
using upstream_test::Pause;
using upstream_test::RelayInto;
using upstream_test::RelayTest;
using upstream_test::Reply;
using upstream_test::Seen;

TEST_F(RelayTest, WritesTheHeadWithoutHopByHopFieldsThenTheBody) {
  upstream_.set_script([](const Seen&) {
    return Reply{
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: text/plain\r\n"
        "Connection: keep-alive, X-Hop\r\n"
        "Keep-Alive: timeout=5\r\n"
        "X-Hop: named by Connection\r\n"
        "Proxy-Authenticate: Basic\r\n"
        "Upgrade: h2c\r\n"
        "Server: upstream\r\n"
        "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
        "Cache-Control: no-cache\r\n"
        "X-Kept: 1\r\n"
        "X-Kept: 2\r\n"
        "Content-Length: 5\r\n"
        "\r\n"
        "hello"};
  });
  Run([&]() -> Task<> {
    for (int i = 0; i < 2; ++i) {
      RelayOutcome outcome;
      const std::string wire = co_await RelayAndRead(Request("GET", "/"), outcome);
      EXPECT_EQ(outcome.failure, Failure::kNone);
      EXPECT_TRUE(outcome.client_reusable);
      EXPECT_EQ(wire,
                "HTTP/1.1 200 OK\r\nServer: ksgate\r\nDate: X\r\nContent-Length: 5\r\n"
                "Connection: keep-alive\r\nContent-Type: text/plain\r\n"
                "Cache-Control: no-cache\r\nX-Kept: 1\r\nX-Kept: 2\r\n\r\nhello");
    }
  });
  EXPECT_EQ(upstream_.accepted(), 1);
}

// An answer that arrives whole (the common case: a small JSON answer in one segment) leaves in
// one write, head and body together, not in a write per read of a small buffer.
TEST_F(RelayTest, AnAnswerThatArrivesWholeLeavesInOneWrite) {
  const std::string body(6000, 'x');
  upstream_.set_script([&](const Seen&) {
    return Reply{
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 6000\r\n\r\n" + body};
  });
  Run([&]() -> Task<> {
    for (int i = 0; i < 2; ++i) {  // a new connection, then a pooled one
      RelayOutcome outcome;
      int writes = 0;
      const std::string wire =
          co_await RelayAndRead(Request("GET", "/"), outcome, true, false, &writes);
      EXPECT_EQ(outcome.failure, Failure::kNone);
      EXPECT_TRUE(wire.ends_with("\r\n\r\n" + body)) << wire.substr(0, 200);
      EXPECT_EQ(writes, 1);
    }
  });
  EXPECT_EQ(upstream_.accepted(), 1);
}

TEST_F(RelayTest, TheGatesOwnFieldsReplaceTheUpstreamsAndTheOutcomeSaysWhatWasSent) {
  upstream_.set_script([](const Seen&) {
    return Reply{
        "HTTP/1.1 201 Created\r\n"
        "X-Request-Id: upstream-made-this\r\n"
        "X-Kept: 1\r\n"
        "Content-Length: 5\r\n"
        "\r\n"
        "hello"};
  });
  Run([&]() -> Task<> {
    api::UpstreamRequest request = Request("GET", "/");
    request.response_headers.emplace_back("X-Request-Id", "gate-rid-1");
    RelayOutcome outcome;
    const std::string wire = co_await RelayAndRead(request, outcome);
    EXPECT_EQ(outcome.failure, Failure::kNone);
    EXPECT_EQ(outcome.status, 201);
    EXPECT_EQ(outcome.bytes, 5u);
    EXPECT_EQ(wire,
              "HTTP/1.1 201 Created\r\nServer: ksgate\r\nDate: X\r\nContent-Length: 5\r\n"
              "Connection: keep-alive\r\nX-Kept: 1\r\nX-Request-Id: gate-rid-1\r\n\r\nhello");
  });
}

TEST_F(RelayTest, ReframesAChunkedAnswerInItsOwnChunks) {
  upstream_.set_script([](const Seen&) {
    return Reply{
        "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"
        "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n"};
  });
  Run([&]() -> Task<> {
    RelayOutcome outcome;
    const std::string wire = co_await RelayAndRead(Request("GET", "/"), outcome);
    EXPECT_EQ(outcome.failure, Failure::kNone);
    EXPECT_TRUE(outcome.client_reusable);
    const std::string head =
        "HTTP/1.1 404 Not Found\r\nServer: ksgate\r\nDate: X\r\n"
        "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n";
    EXPECT_EQ(wire.substr(0, head.size()), head);
    EXPECT_EQ(Dechunk(wire.substr(std::min(head.size(), wire.size()))), "hello world");
  });
  EXPECT_EQ(upstream_.seen().size(), 1u);
}

TEST_F(RelayTest, ChunksACloseDelimitedHttp10Answer) {
  upstream_.set_script([](const Seen&) {
    return Reply{"HTTP/1.0 200 OK\r\nContent-Type: text/csv\r\n\r\n", "a,b\n", 20ms, 0,
                 Reply::Then::kClose};
  });
  Run([&]() -> Task<> {
    for (int i = 0; i < 2; ++i) {
      RelayOutcome outcome;
      const std::string wire = co_await RelayAndRead(Request("GET", "/"), outcome);
      EXPECT_TRUE(outcome.client_reusable);
      const std::string head =
          "HTTP/1.1 200 OK\r\nServer: ksgate\r\nDate: X\r\nTransfer-Encoding: chunked\r\n"
          "Connection: keep-alive\r\nContent-Type: text/csv\r\n\r\n";
      EXPECT_EQ(wire.substr(0, head.size()), head);
      // One byte at a time upstream: relayed as it came, in several chunks.
      EXPECT_EQ(Dechunk(wire.substr(std::min(head.size(), wire.size()))), "a,b\n");
      EXPECT_GT(wire.size(), head.size() + 4 * (1 + 2 + 2) + 5 - 1);
    }
  });
  EXPECT_EQ(upstream_.accepted(), 2);
}

TEST_F(RelayTest, SaysCloseWhenTheClientConnectionEnds) {
  Run([&]() -> Task<> {
    RelayOutcome outcome;
    const std::string wire = co_await RelayAndRead(Request("GET", "/"), outcome, false);
    EXPECT_EQ(outcome.failure, Failure::kNone);
    EXPECT_FALSE(outcome.client_reusable);
    EXPECT_EQ(wire,
              "HTTP/1.1 200 OK\r\nServer: ksgate\r\nDate: X\r\nContent-Length: 2\r\n"
              "Connection: close\r\nContent-Type: text/plain\r\n\r\nok");
  });
}

TEST_F(RelayTest, OfHeadWritesTheHeadOnly) {
  upstream_.set_script([](const Seen& seen) {
    if (seen.method == "HEAD") {
      return Reply{"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: 1000\r\n\r\n"};
    }
    return Reply{Answer("after")};
  });
  Run([&]() -> Task<> {
    RelayOutcome outcome;
    const std::string wire = co_await RelayAndRead(Request("HEAD", "/"), outcome, true, true);
    EXPECT_EQ(outcome.failure, Failure::kNone);
    EXPECT_TRUE(outcome.client_reusable);
    EXPECT_EQ(wire,
              "HTTP/1.1 200 OK\r\nServer: ksgate\r\nDate: X\r\nContent-Length: 1000\r\n"
              "Connection: keep-alive\r\nContent-Type: video/mp4\r\n\r\n");
    EXPECT_EQ((co_await Fetch(Request("GET", "/"))).body, "after");
  });
  EXPECT_EQ(upstream_.accepted(), 1);
}

TEST_F(RelayTest, Of204And304WritesNoFramingAndNoBody) {
  upstream_.set_script([](const Seen& seen) {
    if (seen.target == "/204") return Reply{"HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n"};
    return Reply{"HTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\nContent-Length: 10\r\n\r\n"};
  });
  Run([&]() -> Task<> {
    RelayOutcome outcome;
    EXPECT_EQ(co_await RelayAndRead(Request("GET", "/204"), outcome),
              "HTTP/1.1 204 No Content\r\nServer: ksgate\r\nDate: X\r\n"
              "Connection: keep-alive\r\nX-A: 1\r\n\r\n");
    EXPECT_TRUE(outcome.client_reusable);
    EXPECT_EQ(co_await RelayAndRead(Request("GET", "/304"), outcome),
              "HTTP/1.1 304 Not Modified\r\nServer: ksgate\r\nDate: X\r\n"
              "Connection: keep-alive\r\nETag: \"e\"\r\n\r\n");
    EXPECT_TRUE(outcome.client_reusable);
  });
  EXPECT_EQ(upstream_.accepted(), 1);
}

TEST_F(RelayTest, FailureBeforeTheHeadWritesNothing) {
  upstream_.set_script([](const Seen& seen) {
    if (seen.target == "/hang") return Reply{"", "", 0ms, 0, Reply::Then::kHang};
    return Reply{"garbage\r\n\r\n"};
  });
  Run([&]() -> Task<> {
    RelayOutcome outcome;
    EXPECT_EQ(co_await RelayAndRead(Request("GET", "/garbage"), outcome), "");
    EXPECT_EQ(outcome.failure, Failure::kBadAnswer);
    EXPECT_FALSE(outcome.client_reusable);
    EXPECT_EQ(co_await RelayAndRead(Request("GET", "/hang"), outcome), "");
    EXPECT_EQ(outcome.failure, Failure::kTimeout);
  });
  MakeClient(ShortTimeout(), {"127.0.0.1", ClosedPort()});
  Run([&]() -> Task<> {
    RelayOutcome outcome;
    EXPECT_EQ(co_await RelayAndRead(Request("GET", "/"), outcome), "");
    EXPECT_EQ(outcome.failure, Failure::kUnavailable);
  });
}

TEST_F(RelayTest, CutMidBodyLeavesTheClientUnreusable) {
  upstream_.set_script([](const Seen& seen) {
    if (seen.target == "/chunked") {
      return Reply{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", "", 0ms, 0,
                   Reply::Then::kClose};
    }
    return Reply{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789", "", 0ms, 0,
                 Reply::Then::kClose};
  });
  Run([&]() -> Task<> {
    RelayOutcome outcome;
    EXPECT_EQ(co_await RelayAndRead(Request("GET", "/length"), outcome),
              "HTTP/1.1 200 OK\r\nServer: ksgate\r\nDate: X\r\nContent-Length: 100\r\n"
              "Connection: keep-alive\r\n\r\n0123456789");
    EXPECT_EQ(outcome.failure, Failure::kNone);  // the head reached the client
    EXPECT_FALSE(outcome.client_reusable);
    const std::string wire = co_await RelayAndRead(Request("GET", "/chunked"), outcome);
    EXPECT_EQ(outcome.failure, Failure::kNone);
    EXPECT_FALSE(outcome.client_reusable);
    EXPECT_EQ(wire.substr(wire.find("\r\n\r\n") + 4), "3\r\nabc\r\n");  // no last chunk
  });
}

// 10 MB from an upstream to a browser that first reads nothing, then everything: the relay
// must stall once the few buffers between them are full, and then deliver every byte.
TEST_F(RelayTest, StreamsALargeBodyThroughBoundedBuffers) {
  constexpr size_t kSize = 10 * 1024 * 1024;
  constexpr int kSmallBuffer = 64 * 1024;
  upstream_.set_send_buffer(kSmallBuffer);
  upstream_.set_script([](const Seen&) {
    return Reply{"HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kSize) + "\r\n\r\n", "",
                 0ms, kSize};
  });
  Run([&]() -> Task<> {
    const Executor executor = co_await asio::this_coro::executor;
    ClientConnection client = co_await ConnectClient(kSmallBuffer);
    client.gate.socket().set_option(asio::socket_base::send_buffer_size(kSmallBuffer));
    std::optional<RelayOutcome> outcome;
    asio::co_spawn(executor,
                   RelayInto(client_.get(), Request("GET", "/"), &client.gate, 5s, &outcome),
                   asio::detached);

    // Nobody reads: the upstream's writes stop once the buffers are full (10 quiet polls).
    size_t last = 0;
    int quiet = 0;
    const auto deadline = Clock::now() + 5s;
    while (quiet < 10 && Clock::now() < deadline) {
      co_await Pause(10ms);
      const size_t sent = upstream_.pattern_sent();
      quiet = sent == last && sent > 0 ? quiet + 1 : 0;
      last = sent;
    }
    EXPECT_EQ(quiet, 10) << "the upstream never stalled: " << last << " bytes sent";
    // About 512 KiB here: the socket buffers on the way, the connection's read buffer and the
    // relay's 64 KiB piece; never the whole body.
    EXPECT_LT(last, 2 * 1024 * 1024) << "more went out than the buffers on the way hold";
    EXPECT_FALSE(outcome.has_value());

    // Now the browser reads it all, 64 KiB at a time, checking every byte.
    std::string head;
    size_t body = 0;
    bool intact = true;
    std::vector<char> piece(64 * 1024);
    error_code ec;
    while (body < kSize && !ec) {
      const size_t n = co_await client.browser.async_read_some(asio::buffer(piece), Into(ec));
      std::string_view got(piece.data(), n);
      if (head.empty() || head.find("\r\n\r\n") == std::string::npos) {
        head.append(got);
        const size_t end = head.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        got = std::string_view(head).substr(end + 4);
      }
      for (const char c : got) intact = intact && c == PatternByte(body++);
    }
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(body, kSize);
    EXPECT_TRUE(intact);
    EXPECT_NE(head.find("Content-Length: 10485760\r\n"), std::string::npos);
    EXPECT_TRUE(co_await Eventually([&] { return outcome.has_value(); }));
    if (outcome) {
      EXPECT_EQ(outcome->failure, Failure::kNone);
      EXPECT_TRUE(outcome->client_reusable);
    }
  });
}

TEST_F(RelayTest, GivesUpOnAClientThatStopsReading) {
  constexpr size_t kSize = 10 * 1024 * 1024;
  upstream_.set_script([](const Seen&) {
    return Reply{"HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kSize) + "\r\n\r\n", "",
                 0ms, kSize};
  });
  Run([&]() -> Task<> {
    ClientConnection client = co_await ConnectClient(64 * 1024);
    const auto start = Clock::now();
    // The upstream keeps sending within its timeout; the client's writes time out after 1 s.
    StreamWriter<Stream> writer(client.gate, client.gate, 1s);
    const RelayOutcome outcome = co_await client_->Relay(Request("GET", "/"), writer, true, false);
    const auto elapsed = Clock::now() - start;
    EXPECT_EQ(outcome.failure, Failure::kNone);
    EXPECT_FALSE(outcome.client_reusable);
    EXPECT_GE(elapsed, 900ms);
    EXPECT_LT(elapsed, 3s);
  });
}

}  // namespace
}  // namespace ksgate::http
