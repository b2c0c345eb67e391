#include "http/server.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http/server_test_fixture.h"
#include "testing/matchers.h"

namespace ksgate::http {
namespace {

using ::ksgate::testing::IsOk;
using ::ksgate::testing::StatusIs;
using server_test::Client;
using server_test::Get;
using server_test::HttpResponse;
using server_test::Post;
using server_test::ServerTest;

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST_F(ServerTest, GetRoundTrip) {
  Start();
  Client client(port());
  ASSERT_TRUE(client.Send(Get("/api_v3/service/session/action/get?format=1")));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body,
            "method=GET target=/api_v3/service/session/action/get?format=1 "
            "ip=127.0.0.1 type= body=");
  EXPECT_EQ(r->Header("content-type"), "text/plain");
  EXPECT_EQ(r->Header("content-length"), std::to_string(r->body.size()));
  EXPECT_EQ(r->Header("content-length#2"), "");  // the handler's own copy was dropped
  EXPECT_EQ(r->Header("server"), "ksgate");
  EXPECT_EQ(r->Header("connection"), "keep-alive");
  EXPECT_EQ(r->Header("x-test"), "yes");
  EXPECT_NE(r->Header("date").find(" GMT"), std::string::npos);
  EXPECT_EQ(r->headers.count("bad\r\nname"), 0u);
}

TEST_F(ServerTest, PostRoundTrip) {
  Start();
  Client client(port());
  ASSERT_TRUE(client.Send(Post("/api_v3/service/session/action/start", R"({"secret":"s"})")));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body,
            "method=POST target=/api_v3/service/session/action/start ip=127.0.0.1 "
            "type=application/json body={\"secret\":\"s\"}");
}

TEST_F(ServerTest, ChunkedBodyIsDecoded) {
  Start();
  Client client(port());
  ASSERT_TRUE(
      client.Send("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "method=POST target=/c ip=127.0.0.1 type= body=abcde");
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  Start();
  Client client(port());
  for (int i = 0; i < 5; ++i) {
    const std::string target = "/k" + std::to_string(i);
    ASSERT_TRUE(client.Send(Get(target)));
    auto r = client.Read();
    ASSERT_TRUE(r) << i;
    EXPECT_NE(r->body.find("target=" + target + " "), std::string::npos);
    EXPECT_EQ(r->Header("connection"), "keep-alive");
  }
  EXPECT_EQ(handler_.handled(), 5);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  Start();
  Client client(port());
  ASSERT_TRUE(client.Send(Get("/p1") + Post("/p2", "two") + Get("/p3")));
  for (const char* target : {"/p1", "/p2", "/p3"}) {
    auto r = client.Read();
    ASSERT_TRUE(r) << target;
    EXPECT_NE(r->body.find(std::string("target=") + target + " "), std::string::npos) << r->body;
  }
}

TEST_F(ServerTest, Http10ClosesUnlessKeepAliveAsked) {
  Start();
  {
    Client client(port());
    ASSERT_TRUE(client.Send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    auto r = client.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->Header("connection"), "keep-alive");
    ASSERT_TRUE(client.Send("GET /b HTTP/1.0\r\n\r\n"));
    r = client.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->Header("connection"), "close");
    EXPECT_TRUE(client.WaitClosed());
  }
}

TEST_F(ServerTest, HeadGetsHeadersOnly) {
  Start();
  Client client(port());
  ASSERT_TRUE(client.Send("HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto r = client.Read(/*head=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("content-length"),
            std::to_string(std::string("method=HEAD target=/h ip=127.0.0.1 type= body=").size()));
  // No body was sent: the next response starts right away.
  ASSERT_TRUE(client.Send(Get("/after")));
  r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("target=/after "), std::string::npos);
}

TEST_F(ServerTest, Expect100ContinueGetsAnInterimResponse) {
  Start();
  Client client(port());
  ASSERT_TRUE(
      client.Send("POST /e HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
                  "Expect: 100-continue\r\n\r\n"));
  auto interim = client.Read(/*head=*/true);
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.Send("xyz"));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("body=xyz"), std::string::npos);
}

TEST_F(ServerTest, BodyOverLimitIsRejectedThenClosed) {
  ServerOptions options = Options();
  options.limits.body_limit = 1024;
  Start(options);
  Client client(port());
  const std::string body(5000, 'x');
  ASSERT_TRUE(client.Send(Post("/api_v3/service/x/action/y?format=1", body)));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "rejected body_limit 1024 POST /api_v3/service/x/action/y?format=1");
  EXPECT_EQ(r->Header("content-type"), "application/json");
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_EQ(handler_.handled(), 0);
  EXPECT_EQ(handler_.last_partial().client_ip, "127.0.0.1");
  EXPECT_EQ(handler_.last_partial().body, "");
}

TEST_F(ServerTest, ChunkedBodyOverLimitIsRejected) {
  ServerOptions options = Options();
  options.limits.body_limit = 10;
  Start(options);
  Client client(port());
  ASSERT_TRUE(
      client.Send("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n"));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "rejected body_limit 10 POST /c");
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(ServerTest, HeaderOverLimitIsRejectedThenClosed) {
  ServerOptions options = Options();
  options.limits.header_limit = 1024;
  Start(options);
  Client client(port());
  ASSERT_TRUE(client.Send(
      Get("/api_v3/service/x/action/y?format=1", "X-Big: " + std::string(4000, 'b') + "\r\n")));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "rejected header_limit 1024 GET /api_v3/service/x/action/y?format=1");
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_EQ(handler_.handled(), 0);
}

TEST_F(ServerTest, OverlongRequestLineIsRejectedWithoutTarget) {
  ServerOptions options = Options();
  options.limits.header_limit = 1024;
  Start(options);
  Client client(port());
  ASSERT_TRUE(client.Send(Get("/" + std::string(3000, 'a'))));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "rejected header_limit 1024  ");
  EXPECT_EQ(handler_.rejected(), 1);
}

TEST_F(ServerTest, MalformedRequestGets400ThenClosed) {
  Start();
  for (const char* bad :
       {"GARBAGE\r\n\r\n", "GET / HTTP/1.1\r\nNo colon here\r\n\r\n", "GET / HTTP/2.0\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n"}) {
    Client client(port());
    ASSERT_TRUE(client.Send(bad));
    auto r = client.Read();
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 400) << bad;
    EXPECT_EQ(r->body, "Bad Request\n");
    EXPECT_EQ(r->Header("connection"), "close");
    EXPECT_TRUE(client.WaitClosed()) << bad;
  }
  EXPECT_EQ(handler_.handled(), 0);
}

TEST_F(ServerTest, HandlerExceptionGives500AndServingGoesOn) {
  Start();
  Client client(port());
  ASSERT_TRUE(client.Send(Get("/throw")));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->Header("connection"), "keep-alive");
  ASSERT_TRUE(client.Send(Get("/fine")));
  r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerTest, IdleTimeoutClosesKeepAliveConnection) {
  ServerOptions options = Options();
  options.limits.idle_timeout = 1s;
  Start(options);
  Client client(port());
  ASSERT_TRUE(client.Send(Get("/i")));
  ASSERT_TRUE(client.Read());
  const auto start = Clock::now();
  EXPECT_TRUE(client.WaitClosed(1800ms));
  EXPECT_GE(Clock::now() - start, 900ms);
}

TEST_F(ServerTest, ReadTimeoutClosesPartialRequestSilently) {
  ServerOptions options = Options();
  options.limits.read_timeout = 1s;
  Start(options);
  Client client(port());
  ASSERT_TRUE(client.Send("GET /partial HTTP/1.1\r\nHost: t\r\n"));
  const auto start = Clock::now();
  EXPECT_TRUE(client.WaitClosed(1800ms));  // nothing was answered
  EXPECT_GE(Clock::now() - start, 900ms);
  EXPECT_EQ(handler_.handled(), 0);
}

// The idle deadline is each wait's own: a connection whose requests come more often than the
// idle timeout stays open however long it lives.
TEST_F(ServerTest, IdleTimeoutCountsFromTheLastAnswer) {
  ServerOptions options = Options();
  options.limits.idle_timeout = 1s;
  Start(options);
  Client client(port());
  const auto start = Clock::now();
  for (int i = 0; Clock::now() - start < 2500ms; ++i) {
    ASSERT_TRUE(client.Send(Get("/" + std::to_string(i)))) << i;
    auto r = client.Read();
    ASSERT_TRUE(r) << "request " << i << " after " << (Clock::now() - start).count() << " ns";
    EXPECT_EQ(r->status, 200);
    std::this_thread::sleep_for(300ms);  // a client that pauses, within the idle timeout
  }
}

// The read timeout is the whole request's, from its first byte: a client that trickles its
// head a few bytes at a time is closed when it passes, however steadily it sends.
TEST_F(ServerTest, ReadTimeoutIsForTheWholeRequestNotEachRead) {
  ServerOptions options = Options();
  options.limits.read_timeout = 1s;
  Start(options);
  Client client(port());
  const auto start = Clock::now();
  const std::string head = "GET /trickle HTTP/1.1\r\nHost: t\r\nX-Pad: " + std::string(200, 'a');
  bool sent_all = true;
  for (size_t i = 0; i < head.size() && Clock::now() - start < 3s; i += 4) {
    if (!client.Send(head.substr(i, 4))) {
      sent_all = false;
      break;
    }
    std::this_thread::sleep_for(50ms);  // one piece every 50 ms: each read well within 1 s
  }
  EXPECT_TRUE(client.WaitClosed(2000ms) || !sent_all);
  const auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 900ms);
  EXPECT_LT(elapsed, 3500ms);
  EXPECT_EQ(handler_.handled(), 0);
}

// An answer larger than the sockets' buffers: the first, non-blocking send takes part of it, and
// the rest is written as the client reads.
TEST_F(ServerTest, AnAnswerLargerThanTheSocketBuffersArrivesWhole) {
  ServerOptions options = Options();
  options.limits.body_limit = 16 << 20;
  Start(options);
  Client client(port());
  std::string body(8 << 20, 'a');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + (i * 7) % 26);
  ASSERT_TRUE(client.Send(Post("/big", body)));
  auto r = client.Read(false, 20000ms);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  const std::string echoed =
      "method=POST target=/big ip=127.0.0.1 type=application/json body=" + body;
  EXPECT_EQ(r->body.size(), echoed.size());
  EXPECT_TRUE(r->body == echoed);
  ASSERT_TRUE(client.Send(Get("/after")));
  r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerTest, AClientThatStopsReadingIsClosedAfterTheWriteTimeout) {
  ServerOptions options = Options();
  options.limits.body_limit = 16 << 20;
  options.limits.write_timeout = 1s;
  Start(options);
  Client client(port());
  ASSERT_TRUE(client.Send(Post("/big", std::string(8 << 20, 'b'))));
  const auto start = Clock::now();
  // The client reads nothing: the answer waits in the sockets' buffers until the timeout.
  const auto deadline = start + 5s;
  while (server_->open_connections() != 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(server_->open_connections(), 0u);
  EXPECT_GE(Clock::now() - start, 900ms);
}

TEST_F(ServerTest, MaxRequestsPerConnectionEndsWithClose) {
  ServerOptions options = Options();
  options.limits.max_requests_per_connection = 2;
  Start(options);
  Client client(port());
  ASSERT_TRUE(client.Send(Get("/1")));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("connection"), "keep-alive");
  ASSERT_TRUE(client.Send(Get("/2")));
  r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(ServerTest, ConnectionsOverTheCapAreClosed) {
  ServerOptions options = Options();
  options.limits.max_connections = 1;
  Start(options);
  Client first(port());
  ASSERT_TRUE(first.Send(Get("/first")));
  ASSERT_TRUE(first.Read());
  Client second(port());
  ASSERT_TRUE(second.connected());
  second.Send(Get("/second"));
  EXPECT_TRUE(second.WaitClosed());
  // The first one is still served.
  ASSERT_TRUE(first.Send(Get("/again")));
  EXPECT_TRUE(first.Read());
}

}  // namespace
}  // namespace ksgate::http
