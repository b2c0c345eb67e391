#include "http/upstream.h"

// clang-format off
#include "http/asio_types.h"  // before any Asio header: it includes <utility> first (GCC 12)
// clang-format on

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ksgate::http {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Failure = api::UpstreamFailure;

const asio::ip::address kLoopback = asio::ip::make_address("127.0.0.1");

// ---------------------------------------------------------------------------------------------
// A tiny upstream on 127.0.0.1 that does what its script says with each request it reads.

// A request as the fake upstream read it.
struct Seen {
  int connection = 0;  // in accept order, from 0
  int index = 0;       // of the request on its connection, from 0
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  int Count(std::string_view name) const {
    int n = 0;
    for (const auto& [k, v] : headers) n += beast::iequals(k, name) ? 1 : 0;
    return n;
  }
  std::string Field(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (beast::iequals(k, name)) return v;
    }
    return "";
  }
};

// What the fake upstream does with a request: writes `bytes` at once, then `paced` one byte
// every `pace`, then `pattern_bytes` bytes of PatternByte() in 64 KiB writes; then goes on
// reading requests, closes, or hangs (reads and ignores everything until the client leaves).
struct Reply {
  enum class Then { kContinue, kClose, kHang };
  std::string bytes;
  std::string paced;
  std::chrono::milliseconds pace{0};
  size_t pattern_bytes = 0;
  Then then = Then::kContinue;
};

char PatternByte(size_t offset) { return static_cast<char>('a' + offset % 23); }

std::string Answer(std::string_view body, std::string_view extra_fields = "") {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + std::string(extra_fields) + "\r\n" +
         std::string(body);
}

Task<> Pause(std::chrono::milliseconds duration) {
  Timer timer(co_await asio::this_coro::executor);
  timer.expires_after(duration);
  co_await timer.async_wait(kAwait);
}

class FakeUpstream {
 public:
  using Script = std::function<Reply(const Seen&)>;

  explicit FakeUpstream(asio::io_context& ioc)
      : acceptor_(ioc.get_executor(), tcp::endpoint(kLoopback, 0)) {
    asio::co_spawn(ioc.get_executor(), Accept(), asio::detached);
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void set_script(Script script) { script_ = std::move(script); }
  // SO_SNDBUF of the connections accepted from now on (0: the system's).
  void set_send_buffer(int bytes) { send_buffer_ = bytes; }
  int accepted() const { return accepted_; }
  int ended() const { return ended_; }  // connections that ended, by either side
  size_t pattern_sent() const { return pattern_sent_; }
  const std::vector<Seen>& seen() const { return seen_; }

 private:
  Task<> Accept() {
    for (;;) {
      Socket socket(acceptor_.get_executor());
      error_code ec;
      co_await acceptor_.async_accept(socket, Into(ec));
      if (ec) co_return;
      if (send_buffer_ > 0) socket.set_option(asio::socket_base::send_buffer_size(send_buffer_));
      asio::co_spawn(acceptor_.get_executor(), Serve(std::move(socket), accepted_++),
                     asio::detached);
    }
  }

  Task<> Serve(Socket socket, int connection) {
    beast::flat_buffer buffer;
    error_code ec;
    for (int index = 0; !ec; ++index) {
      bhttp::request_parser<bhttp::string_body> parser;
      co_await bhttp::async_read(socket, buffer, parser, Into(ec));
      if (ec) break;
      auto& message = parser.get();
      Seen& seen = seen_.emplace_back();
      seen.connection = connection;
      seen.index = index;
      seen.method = std::string(message.method_string());
      seen.target = std::string(message.target());
      for (const auto& field : message) {
        seen.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      }
      seen.body = message.body();
      const Reply reply = script_ ? script_(seen) : Reply{Answer("ok")};

      co_await asio::async_write(socket, asio::buffer(reply.bytes), Into(ec));
      for (size_t i = 0; !ec && i < reply.paced.size(); ++i) {
        co_await Pause(reply.pace);
        co_await asio::async_write(socket, asio::buffer(&reply.paced[i], 1), Into(ec));
      }
      std::string piece(64 * 1024, '\0');
      for (size_t offset = 0; !ec && offset < reply.pattern_bytes; offset += piece.size()) {
        piece.resize(std::min(piece.size(), reply.pattern_bytes - offset));
        for (size_t i = 0; i < piece.size(); ++i) piece[i] = PatternByte(offset + i);
        co_await asio::async_write(socket, asio::buffer(piece), Into(ec));
        if (!ec) pattern_sent_ += piece.size();
      }
      if (ec || reply.then == Reply::Then::kClose) break;
      if (reply.then == Reply::Then::kHang) {
        char sink[4096];
        while (!ec) co_await socket.async_read_some(asio::buffer(sink), Into(ec));
      }
    }
    socket.close(ec);
    ++ended_;
  }

  Acceptor acceptor_;
  Script script_;
  int send_buffer_ = 0;
  int accepted_ = 0;
  int ended_ = 0;
  size_t pattern_sent_ = 0;
  std::vector<Seen> seen_;
};

// ---------------------------------------------------------------------------------------------
// Helpers for the client's side.

// A port on 127.0.0.1 that nobody listens on (was bound a moment ago).
uint16_t ClosedPort() {
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(kLoopback, 0));
  return acceptor.local_endpoint().port();
}

// A connected pair on 127.0.0.1: `gate` is the gate's end of a client connection (what Relay
// writes to), `browser` the client's end.
struct ClientConnection {
  Stream gate;
  Socket browser;
};

Task<ClientConnection> ConnectClient(int browser_receive_buffer = 0) {
  const Executor executor = co_await asio::this_coro::executor;
  Acceptor acceptor(executor, tcp::endpoint(kLoopback, 0));
  Socket browser(executor);
  browser.open(tcp::v4());
  if (browser_receive_buffer > 0) {
    browser.set_option(asio::socket_base::receive_buffer_size(browser_receive_buffer));
  }
  co_await browser.async_connect(acceptor.local_endpoint(), kAwait);
  Socket gate(executor);
  co_await acceptor.async_accept(gate, kAwait);
  co_return ClientConnection{Stream(std::move(gate)), std::move(browser)};
}

// Everything the browser receives until the gate's end closes.
Task<std::string> ReadToEnd(Socket& browser) {
  std::string all;
  char piece[4096];
  error_code ec;
  while (!ec) {
    const size_t n = co_await browser.async_read_some(asio::buffer(piece), Into(ec));
    all.append(piece, n);
  }
  co_return all;
}

// `wire` with its Date line (which changes every second) replaced by "Date: X".
std::string WithFixedDate(std::string wire) {
  const size_t at = wire.find("\r\nDate: ");
  if (at == std::string::npos) return wire;
  const size_t end = wire.find("\r\n", at + 2);
  return wire.replace(at + 2, end - at - 2, "Date: X");
}

// The body of a chunked message body `wire` (after the head), or nullopt when the chunks are
// malformed or the last chunk is missing.
std::optional<std::string> Dechunk(std::string_view wire) {
  std::string body;
  for (;;) {
    const size_t eol = wire.find("\r\n");
    if (eol == std::string_view::npos || eol == 0) return std::nullopt;
    size_t size = 0;
    for (const char c : wire.substr(0, eol)) {
      const int digit = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                        : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                                                                    : -1;
      if (digit < 0) return std::nullopt;
      size = size * 16 + static_cast<size_t>(digit);
    }
    wire.remove_prefix(eol + 2);
    if (size == 0) return wire == "\r\n" ? std::optional(body) : std::nullopt;
    if (wire.size() < size + 2 || wire.substr(size, 2) != "\r\n") return std::nullopt;
    body.append(wire.substr(0, size));
    wire.remove_prefix(size + 2);
  }
}

api::UpstreamRequest Request(std::string method, std::string target, std::string body = "") {
  return api::UpstreamRequest{.upstream = 0,
                              .method = std::move(method),
                              .target = std::move(target),
                              .headers = {},
                              .body = std::move(body)};
}

// Coroutines spawned beside a test's own: plain functions whose parameters live in the frame.
Task<> FetchInto(UpstreamClient* client, api::UpstreamRequest request,
                 std::optional<api::UpstreamAnswer>* out) {
  *out = co_await client->Fetch(request);
}

Task<> RelayInto(UpstreamClient* client, api::UpstreamRequest request, Stream* gate,
                 std::chrono::seconds client_write_timeout, std::optional<RelayOutcome>* out) {
  StreamWriter<Stream> writer(*gate, *gate, client_write_timeout);
  *out = co_await client->Relay(request, writer, true, false);
}

// Waits until `done()` or `limit` passed; returns done().
Task<bool> Eventually(std::function<bool()> done, std::chrono::milliseconds limit = 5000ms) {
  const auto deadline = Clock::now() + limit;
  while (!done() && Clock::now() < deadline) co_await Pause(5ms);
  co_return done();
}

// ---------------------------------------------------------------------------------------------

class UpstreamTest : public testing::Test {
 protected:
  static UpstreamOptions ShortTimeout() {
    UpstreamOptions options;
    options.timeout = 200ms;
    return options;
  }

  // (Re)creates the client, for upstream 0 = the fake upstream unless `endpoints` says.
  void MakeClient(UpstreamOptions options = ShortTimeout(),
                  std::vector<UpstreamEndpoint> endpoints = {}) {
    if (endpoints.empty()) endpoints.push_back({"127.0.0.1", upstream_.port()});
    client_ = std::make_unique<UpstreamClient>(ioc_.get_executor(), std::move(endpoints), options);
  }

  void SetUp() override { MakeClient(); }

  // Runs the coroutine `test()` makes on this thread's io_context until it returns (10 s at
  // most), with the fake upstream and the client's operations beside it.
  template <typename F>
  void Run(F&& test) {
    bool done = false;
    asio::co_spawn(ioc_.get_executor(), test(), [&](std::exception_ptr e) {
      done = true;
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          ADD_FAILURE() << "the test threw: " << ex.what();
        }
      }
      ioc_.stop();
    });
    ioc_.restart();
    ioc_.run_for(10s);
    EXPECT_TRUE(done) << "the test did not finish within 10 s";
  }

  Task<api::UpstreamAnswer> Fetch(api::UpstreamRequest request) {
    co_return co_await client_->Fetch(request);
  }

  // Member order is destruction order reversed: the client and the fake upstream close their
  // sockets while the io_context is alive; it then destroys any coroutine left suspended.
  asio::io_context ioc_{1};
  FakeUpstream upstream_{ioc_};
  std::unique_ptr<UpstreamClient> client_;
};

// ---------------------------------------------------------------------------------------------
// Fetch.

TEST_F(UpstreamTest, FetchReturnsStatusContentTypeAndBody) {
  upstream_.set_script([](const Seen&) {
    return Reply{
        "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
        "Content-Length: 7\r\n\r\n{\"a\":1}"};
  });
  api::UpstreamRequest request = Request("POST", "/api_v3/service/media?x=1", "a=1&b=2");
  request.headers = {{"X-Ksgate-Partner", "42"},   {"Host", "evil"},
                     {"Content-Length", "99"},     {"Connection", "close"},
                     {"Keep-Alive", "timeout=1"},  {"Transfer-Encoding", "chunked"},
                     {"Proxy-Authorization", "x"}, {"Bad Name", "x"},
                     {"X-Injected", "a\r\nB: c"},  {"Content-Type", "text/plain"}};
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
  EXPECT_EQ(seen.Field("Connection"), "keep-alive");
  EXPECT_EQ(seen.Field("X-Ksgate-Partner"), "42");
  EXPECT_EQ(seen.Field("Content-Type"), "text/plain");
  for (const char* name : {"Host", "Content-Length", "Connection"}) {
    EXPECT_EQ(seen.Count(name), 1) << name;
  }
  for (const char* name :
       {"Keep-Alive", "Transfer-Encoding", "Proxy-Authorization", "Bad Name", "X-Injected", "B"}) {
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
  MakeClient(ShortTimeout(), {{"127.0.0.1", ClosedPort()}});
  Run([&]() -> Task<> {
    const auto start = Clock::now();
    EXPECT_EQ((co_await Fetch(Request("GET", "/"))).failure, Failure::kUnavailable);
    EXPECT_LT(Clock::now() - start, 190ms);  // refused, not timed out
  });
}

TEST_F(UpstreamTest, FetchResolvesANameAndSendsItAsHost) {
  MakeClient(ShortTimeout(), {{"localhost", upstream_.port()}});
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
    unknown.upstream = 1;
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

// ---------------------------------------------------------------------------------------------
// Relay.

class RelayTest : public UpstreamTest {
 protected:
  // Relays `request` to a fresh client connection, then closes the gate's end as a server
  // would, and returns what the browser received (the Date line fixed).
  Task<std::string> RelayAndRead(api::UpstreamRequest request, RelayOutcome& outcome,
                                 bool client_keep_alive = true, bool head_only = false) {
    ClientConnection client = co_await ConnectClient();
    StreamWriter<Stream> writer(client.gate, client.gate, 5s);
    outcome = co_await client_->Relay(request, writer, client_keep_alive, head_only);
    client.gate.close();
    co_return WithFixedDate(co_await ReadToEnd(client.browser));
  }
};

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
  MakeClient(ShortTimeout(), {{"127.0.0.1", ClosedPort()}});
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
