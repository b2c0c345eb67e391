// The upstream client: Fetch (a whole answer) and its connection pool.
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
using upstream_test::Clock;
using upstream_test::ClosedPort;
using upstream_test::Eventually;
using upstream_test::Failure;
using upstream_test::FetchInto;
using upstream_test::Reply;
using upstream_test::Seen;
using upstream_test::UpstreamTest;

// ---------------------------------------------------------------------------------------------
// Fetch.

TEST_F(UpstreamTest, FetchReturnsStatusContentTypeAndBody) {
  upstream_.set_script([](const Seen&) {
    return Reply{
        "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
        "Content-Length: 7\r\n\r\n{\"a\":1}"};
  });
  api::UpstreamRequest request = Request("POST", "/api_v3/service/media?x=1", "a=1&b=2");
  request.headers = {{"X-Ksgate-Partner", "42"},
                     {"Host", "evil"},
                     {"Content-Length", "99"},
                     {"Connection", "close"},
                     {"Keep-Alive", "timeout=1"},
                     {"Transfer-Encoding", "chunked"},
                     {"Proxy-Authorization", "x"},
                     {"Bad Name", "x"},
                     {"X-Injected", "a\r\nB: c"},
                     {"Content-Type", "text/plain"},
                     {"TE", "trailers"},
                     {"trailer", "X-Sum"},
                     {"UPGRADE", "h2c"},
                     {"keep-alive", "max=3"},
                     {"X-Trace", "7"},
                     {"Proxy", "kept"}};
  Run([&]() -> Task<> {
    const api::UpstreamAnswer answer = co_await Fetch(request);
    EXPECT_EQ(answer.failure, Failure::kNone);
    EXPECT_EQ(answer.status, 201);
    EXPECT_EQ(answer.content_type, "application/json");
    EXPECT_EQ(answer.body, "{\"a\":1}");
  });
  ASSERT_EQ(upstream_.seen().size(), 1u);
  const Seen& seen = upstream_.seen()[0];
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/api_v3/service/media?x=1");
  EXPECT_EQ(seen.body, "a=1&b=2");
  EXPECT_EQ(seen.Field("Host"), "127.0.0.1:" + std::to_string(upstream_.port()));
  EXPECT_EQ(seen.Field("Content-Length"), "7");
  EXPECT_EQ(seen.Field("X-Ksgate-Partner"), "42");
  EXPECT_EQ(seen.Field("Content-Type"), "text/plain");
  EXPECT_EQ(seen.Field("X-Trace"), "7");   // as long as Trailer and Upgrade, and not hop-by-hop
  EXPECT_EQ(seen.Field("Proxy"), "kept");  // not a Proxy-* field
  for (const char* name : {"Host", "Content-Length"}) {
    EXPECT_EQ(seen.Count(name), 1) << name;
  }
  // Not the client's Connection, nor one of the gate's own: HTTP/1.1 persists by default.
  for (const char* name : {"Connection", "Keep-Alive", "Transfer-Encoding", "Proxy-Authorization",
                           "Bad Name", "X-Injected", "B", "TE", "Trailer", "Upgrade"}) {
    EXPECT_EQ(seen.Count(name), 0) << name;
  }
}

TEST_F(UpstreamTest, FetchSendsContentLengthOnlyWhenTheRequestHasContent) {
  Run([&]() -> Task<> {
    for (const char* method : {"GET", "POST", "DELETE"}) {
      EXPECT_EQ((co_await Fetch(Request(method, "/"))).failure, Failure::kNone) << method;
    }
  });
  ASSERT_EQ(upstream_.seen().size(), 3u);
  EXPECT_EQ(upstream_.seen()[0].Count("Content-Length"), 0);    // GET
  EXPECT_EQ(upstream_.seen()[1].Field("Content-Length"), "0");  // POST: content expected
  EXPECT_EQ(upstream_.seen()[2].Count("Content-Length"), 0);    // DELETE
}

TEST_F(UpstreamTest, FetchDecodesAChunkedBody) {
  upstream_.set_script([](const Seen&) {
    return Reply{
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"};
  });
  Run([&]() -> Task<> {
    for (int i = 0; i < 2; ++i) {
      const api::UpstreamAnswer answer = co_await Fetch(Request("GET", "/"));
      EXPECT_EQ(answer.failure, Failure::kNone);
      EXPECT_EQ(answer.status, 200);
      EXPECT_EQ(answer.body, "hello world");
    }
  });
  EXPECT_EQ(upstream_.accepted(), 1);  // read to its end, the connection was reused
}

TEST_F(UpstreamTest, FetchReadsACloseDelimitedBodyAndDropsItsConnection) {
  upstream_.set_script([](const Seen&) {
    return Reply{"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\n\r\na,b\n1,2\n", "", 0ms, 0,
                 Reply::Then::kClose};
  });
  Run([&]() -> Task<> {
    for (int i = 0; i < 2; ++i) {
      const api::UpstreamAnswer answer = co_await Fetch(Request("GET", "/"));
      EXPECT_EQ(answer.failure, Failure::kNone);
      EXPECT_EQ(answer.content_type, "text/csv");
      EXPECT_EQ(answer.body, "a,b\n1,2\n");
    }
  });
  EXPECT_EQ(upstream_.accepted(), 2);
}

TEST_F(UpstreamTest, FetchReusesKeepAliveConnections) {
  Run([&]() -> Task<> {
    for (int i = 0; i < 3; ++i) {
      const api::UpstreamAnswer answer = co_await Fetch(Request("GET", "/" + std::to_string(i)));
      EXPECT_EQ(answer.failure, Failure::kNone);
      EXPECT_EQ(answer.body, "ok");
    }
  });
  EXPECT_EQ(upstream_.accepted(), 1);
  ASSERT_EQ(upstream_.seen().size(), 3u);
  EXPECT_EQ(upstream_.seen()[2].connection, 0);
  EXPECT_EQ(upstream_.seen()[2].index, 2);
}

TEST_F(UpstreamTest, FetchKeepsAtMostMaxIdleConnectionsPerUpstream) {
  UpstreamOptions options = ShortTimeout();
  options.max_idle_per_upstream = 1;
  MakeClient(options);
  Run([&]() -> Task<> {
    const Executor executor = co_await asio::this_coro::executor;
    // Two at once: two connections; one is kept idle, the other closed.
    std::optional<api::UpstreamAnswer> a, b;
    asio::co_spawn(executor, FetchInto(client_.get(), Request("GET", "/a"), &a), asio::detached);
    asio::co_spawn(executor, FetchInto(client_.get(), Request("GET", "/b"), &b), asio::detached);
    EXPECT_TRUE(co_await Eventually([&] { return a && b; }));
    EXPECT_EQ(upstream_.accepted(), 2);
    EXPECT_TRUE(co_await Eventually([&] { return upstream_.ended() == 1; }));
    // Two at once again: one takes the idle connection, the other opens a third.
    a.reset();
    b.reset();
    asio::co_spawn(executor, FetchInto(client_.get(), Request("GET", "/c"), &a), asio::detached);
    asio::co_spawn(executor, FetchInto(client_.get(), Request("GET", "/d"), &b), asio::detached);
    EXPECT_TRUE(co_await Eventually([&] { return a && b; }));
    EXPECT_EQ(a->failure, Failure::kNone);
    EXPECT_EQ(b->failure, Failure::kNone);
    EXPECT_EQ(upstream_.accepted(), 3);
  });
}

TEST_F(UpstreamTest, FetchDoesNotReuseAConnectionAnsweredWithConnectionClose) {
  // The upstream says close but leaves the socket open: the client closes it all the same.
  upstream_.set_script([](const Seen&) { return Reply{Answer("bye", "Connection: close\r\n")}; });
  Run([&]() -> Task<> {
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ((co_await Fetch(Request("GET", "/"))).body, "bye");
    }
  });
  EXPECT_EQ(upstream_.accepted(), 2);
}

TEST_F(UpstreamTest, FetchReusesAnHttp10ConnectionOnlyWhenItSaysKeepAlive) {
  upstream_.set_script([](const Seen& seen) {
    const std::string extra = seen.target == "/keep" ? "Connection: keep-alive\r\n" : "";
    return Reply{"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n" + extra + "\r\nok"};
  });
  Run([&]() -> Task<> {
    for (const char* target : {"/keep", "/keep", "/plain", "/keep"}) {
      EXPECT_EQ((co_await Fetch(Request("GET", target))).body, "ok") << target;
    }
  });
  // /keep, /keep and /plain on the first connection; /plain's is not reused.
  EXPECT_EQ(upstream_.accepted(), 2);
}

TEST_F(UpstreamTest, FetchDoesNotReuseAConnectionTheUpstreamClosedWhileIdle) {
  upstream_.set_script([](const Seen&) {
    return Reply{Answer("ok"), "", 0ms, 0, Reply::Then::kClose};  // says keep-alive, closes
  });
  Run([&]() -> Task<> {
    EXPECT_EQ((co_await Fetch(Request("POST", "/a"))).failure, Failure::kNone);
    EXPECT_TRUE(co_await Eventually([&] { return upstream_.ended() == 1; }));
    // Not even a POST is lost to the closed connection: it is never written on it.
    EXPECT_EQ((co_await Fetch(Request("POST", "/b"))).failure, Failure::kNone);
  });
  EXPECT_EQ(upstream_.accepted(), 2);
  EXPECT_EQ(upstream_.seen().size(), 2u);
}

// The upstream reads the second request on a connection, then closes it without answering:
// the race of an upstream's idle timeout with a request on a pooled connection.
Reply DropSecondRequest(const Seen& seen) {
  if (seen.index == 1) return Reply{"", "", 0ms, 0, Reply::Then::kClose};
  return Reply{Answer(seen.target)};
}

TEST_F(UpstreamTest, FetchRetriesAnIdempotentRequestOnceWhenAPooledConnectionDrops) {
  upstream_.set_script(DropSecondRequest);
  Run([&]() -> Task<> {
    EXPECT_EQ((co_await Fetch(Request("GET", "/a"))).body, "/a");
    const api::UpstreamAnswer answer = co_await Fetch(Request("GET", "/b"));
    EXPECT_EQ(answer.failure, Failure::kNone);
    EXPECT_EQ(answer.body, "/b");
  });
  EXPECT_EQ(upstream_.accepted(), 2);
  ASSERT_EQ(upstream_.seen().size(), 3u);  // /b twice: dropped on connection 0, answered on 1
  EXPECT_EQ(upstream_.seen()[2].target, "/b");
  EXPECT_EQ(upstream_.seen()[2].connection, 1);
}

TEST_F(UpstreamTest, FetchDoesNotRetryAPostTheUpstreamMayHaveRead) {
  upstream_.set_script(DropSecondRequest);
  Run([&]() -> Task<> {
    EXPECT_EQ((co_await Fetch(Request("GET", "/a"))).body, "/a");
    EXPECT_EQ((co_await Fetch(Request("POST", "/b"))).failure, Failure::kUnavailable);
  });
  EXPECT_EQ(upstream_.accepted(), 1);
  EXPECT_EQ(upstream_.seen().size(), 2u);
}

TEST_F(UpstreamTest, FetchDoesNotRetryOnANewConnection) {
  upstream_.set_script([](const Seen&) { return Reply{"", "", 0ms, 0, Reply::Then::kClose}; });
  Run([&]() -> Task<> {
    EXPECT_EQ((co_await Fetch(Request("GET", "/"))).failure, Failure::kUnavailable);
  });
  EXPECT_EQ(upstream_.accepted(), 1);
}

TEST_F(UpstreamTest, FetchSkipsInterimAnswers) {
  upstream_.set_script([](const Seen&) {
    return Reply{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" +
                 Answer("final")};
  });
  Run([&]() -> Task<> {
    for (int i = 0; i < 2; ++i) {
      const api::UpstreamAnswer answer = co_await Fetch(Request("GET", "/"));
      EXPECT_EQ(answer.status, 200);
      EXPECT_EQ(answer.body, "final");
    }
  });
  EXPECT_EQ(upstream_.accepted(), 1);
}

TEST_F(UpstreamTest, FetchOfHeadReadsNoBody) {
  upstream_.set_script([](const Seen& seen) {
    if (seen.method == "HEAD") return Reply{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"};
    return Reply{Answer("after")};
  });
  Run([&]() -> Task<> {
    const api::UpstreamAnswer head = co_await Fetch(Request("HEAD", "/"));
    EXPECT_EQ(head.failure, Failure::kNone);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.body, "");
    EXPECT_EQ((co_await Fetch(Request("GET", "/"))).body, "after");
  });
  EXPECT_EQ(upstream_.accepted(), 1);
}

TEST_F(UpstreamTest, FetchOf204And304ReadsNoBody) {
  upstream_.set_script([](const Seen& seen) {
    if (seen.target == "/204") return Reply{"HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n"};
    return Reply{"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"};
  });
  Run([&]() -> Task<> {
    for (const char* target : {"/204", "/304", "/204"}) {
      const api::UpstreamAnswer answer = co_await Fetch(Request("GET", target));
      EXPECT_EQ(answer.failure, Failure::kNone) << target;
      EXPECT_EQ(answer.status, std::stoi(target + 1));
      EXPECT_EQ(answer.body, "");
    }
  });
  EXPECT_EQ(upstream_.accepted(), 1);
}

TEST_F(UpstreamTest, FetchOfGarbageIsABadAnswer) {
  upstream_.set_script([](const Seen& seen) {
    if (seen.target == "/101") return Reply{"HTTP/1.1 101 Switching Protocols\r\n\r\n"};
    if (seen.target == "/status") return Reply{"HTTP/1.1 2x0 OK\r\n\r\n"};
    return Reply{"garbage\r\n\r\n"};
  });
  Run([&]() -> Task<> {
    for (const char* target : {"/garbage", "/status", "/101"}) {
      EXPECT_EQ((co_await Fetch(Request("GET", target))).failure, Failure::kBadAnswer) << target;
    }
  });
}

TEST_F(UpstreamTest, FetchOfABodyOverFetchLimitIsABadAnswer) {
  UpstreamOptions options = ShortTimeout();
  options.fetch_limit = 10;
  MakeClient(options);
  upstream_.set_script([](const Seen& seen) {
    if (seen.target == "/10") return Reply{Answer("0123456789")};
    if (seen.target == "/11") return Reply{Answer("0123456789A")};
    return Reply{
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "6\r\n012345\r\n5\r\n6789A\r\n0\r\n\r\n"};
  });
  Run([&]() -> Task<> {
    EXPECT_EQ((co_await Fetch(Request("GET", "/10"))).body, "0123456789");
    EXPECT_EQ((co_await Fetch(Request("GET", "/11"))).failure, Failure::kBadAnswer);
    EXPECT_EQ((co_await Fetch(Request("GET", "/chunked"))).failure, Failure::kBadAnswer);
  });
}

TEST_F(UpstreamTest, FetchOfAHeadOverHeaderLimitIsABadAnswer) {
  UpstreamOptions options = ShortTimeout();
  options.header_limit = 1024;
  MakeClient(options);
  upstream_.set_script([](const Seen& seen) {
    const size_t size = seen.target == "/small" ? 900 : 2000;
    return Reply{Answer("ok", "X-Big: " + std::string(size, 'x') + "\r\n")};
  });
  Run([&]() -> Task<> {
    EXPECT_EQ((co_await Fetch(Request("GET", "/small"))).body, "ok");
    EXPECT_EQ((co_await Fetch(Request("GET", "/big"))).failure, Failure::kBadAnswer);
  });
}

TEST_F(UpstreamTest, FetchTimesOutWhenTheUpstreamNeverAnswers) {
  upstream_.set_script([](const Seen&) { return Reply{"", "", 0ms, 0, Reply::Then::kHang}; });
  Run([&]() -> Task<> {
    const auto start = Clock::now();
    EXPECT_EQ((co_await Fetch(Request("GET", "/"))).failure, Failure::kTimeout);
    const auto elapsed = Clock::now() - start;
    EXPECT_GE(elapsed, 190ms);
    EXPECT_LT(elapsed, 1000ms);
    // The upstream sees the connection closed.
    EXPECT_TRUE(co_await Eventually([&] { return upstream_.ended() == 1; }));
  });
}

TEST_F(UpstreamTest, FetchTimesOutOnAHeadSlowerThanTheTimeout) {
  // 30 ms a byte is in time for each read, but the head as a whole has one deadline.
  upstream_.set_script([](const Seen&) { return Reply{"", Answer("ok"), 30ms}; });
  Run([&]() -> Task<> {
    const auto start = Clock::now();
    EXPECT_EQ((co_await Fetch(Request("GET", "/"))).failure, Failure::kTimeout);
    EXPECT_LT(Clock::now() - start, 1000ms);
  });
}

TEST_F(UpstreamTest, FetchAcceptsASlowBodyWhenEachReadIsInTime) {
  // Ten body bytes 40 ms apart: 400 ms in all, twice the timeout, but every read is in time.
  upstream_.set_script([](const Seen&) {
    return Reply{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "0123456789", 40ms};
  });
  Run([&]() -> Task<> {
    const auto start = Clock::now();
    const api::UpstreamAnswer answer = co_await Fetch(Request("GET", "/"));
    EXPECT_EQ(answer.failure, Failure::kNone);
    EXPECT_EQ(answer.body, "0123456789");
    EXPECT_GE(Clock::now() - start, 360ms);
  });
}

TEST_F(UpstreamTest, FetchCutMidBodyIsUnavailable) {
  upstream_.set_script([](const Seen&) {
    return Reply{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n012", "", 0ms, 0,
                 Reply::Then::kClose};
  });
  Run([&]() -> Task<> {
    EXPECT_EQ((co_await Fetch(Request("GET", "/"))).failure, Failure::kUnavailable);
  });
}

TEST_F(UpstreamTest, FetchFromAClosedPortIsUnavailable) {
  MakeClient(ShortTimeout(), {"127.0.0.1", ClosedPort()});
  Run([&]() -> Task<> {
    const auto start = Clock::now();
    EXPECT_EQ((co_await Fetch(Request("GET", "/"))).failure, Failure::kUnavailable);
    EXPECT_LT(Clock::now() - start, 190ms);  // refused, not timed out
  });
}

TEST_F(UpstreamTest, FetchResolvesANameAndSendsItAsHost) {
  MakeClient(ShortTimeout(), {"localhost", upstream_.port()});
  Run([&]() -> Task<> {
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ((co_await Fetch(Request("GET", "/"))).body, "ok");
    }
  });
  ASSERT_EQ(upstream_.seen().size(), 2u);
  EXPECT_EQ(upstream_.seen()[0].Field("Host"), "localhost:" + std::to_string(upstream_.port()));
  EXPECT_EQ(upstream_.accepted(), 1);
}

TEST_F(UpstreamTest, FetchOfARequestThatCannotBeSentIsUnavailable) {
  Run([&]() -> Task<> {
    api::UpstreamRequest unknown = Request("GET", "/");
    unknown.host.clear();
    EXPECT_EQ((co_await Fetch(unknown)).failure, Failure::kUnavailable);
    EXPECT_EQ((co_await Fetch(Request("GE T", "/"))).failure, Failure::kUnavailable);
    EXPECT_EQ((co_await Fetch(Request("GET", "/a b"))).failure, Failure::kUnavailable);
    EXPECT_EQ((co_await Fetch(Request("GET", ""))).failure, Failure::kUnavailable);
  });
  EXPECT_EQ(upstream_.accepted(), 0);
}

TEST_F(UpstreamTest, CloseIdleClosesPooledConnectionsAndPoolsNoMore) {
  Run([&]() -> Task<> {
    EXPECT_EQ((co_await Fetch(Request("GET", "/"))).body, "ok");
    EXPECT_EQ(upstream_.ended(), 0);
    client_->CloseIdle();
    EXPECT_TRUE(co_await Eventually([&] { return upstream_.ended() == 1; }));
    EXPECT_EQ((co_await Fetch(Request("GET", "/"))).body, "ok");
    EXPECT_TRUE(co_await Eventually([&] { return upstream_.ended() == 2; }));
  });
  EXPECT_EQ(upstream_.accepted(), 2);
}

TEST_F(UpstreamTest, CloseAllEndsACallInProgressAtOnce) {
  UpstreamOptions options;
  options.timeout = 5s;
  MakeClient(options);
  upstream_.set_script([](const Seen&) { return Reply{.then = Reply::Then::kHang}; });
  Run([&]() -> Task<> {
    std::optional<api::UpstreamAnswer> answer;
    asio::co_spawn(co_await asio::this_coro::executor,
                   FetchInto(client_.get(), Request("GET", "/slow"), &answer), asio::detached);
    EXPECT_TRUE(co_await Eventually([&] { return upstream_.seen().size() == 1; }));
    const auto start = Clock::now();
    client_->CloseAll();
    EXPECT_TRUE(co_await Eventually([&] { return answer.has_value(); }, 1000ms));
    EXPECT_LT(Clock::now() - start, 1000ms);
    if (answer) {
      EXPECT_EQ(answer->failure, Failure::kUnavailable);
    }
  });
}

TEST_F(UpstreamTest, EachEndpointARequestNamesHasAPoolOfItsOwn) {
  Run([&]() -> Task<> {
    api::UpstreamRequest by_address = Request("GET", "/");
    api::UpstreamRequest by_name = by_address;
    by_name.host = "localhost";
    for (const api::UpstreamRequest* r : {&by_address, &by_address, &by_name, &by_name}) {
      EXPECT_EQ((co_await Fetch(*r)).body, "ok");
    }
  });
  ASSERT_EQ(upstream_.seen().size(), 4u);
  EXPECT_EQ(upstream_.seen()[0].Field("Host"), "127.0.0.1:" + std::to_string(upstream_.port()));
  EXPECT_EQ(upstream_.seen()[2].Field("Host"), "localhost:" + std::to_string(upstream_.port()));
  EXPECT_EQ(upstream_.accepted(), 2);  // one connection per endpoint, each reused once
}

}  // namespace
}  // namespace ksgate::http
