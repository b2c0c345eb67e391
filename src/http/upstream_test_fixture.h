// The fixture of the upstream client's tests (upstream_test.cc, upstream_relay_test.cc): a
// scripted fake upstream on loopback, a client connection pair, helpers, and the test classes.
// Parses Beast: include it from those two files only.
#pragma once

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

#include "http/upstream.h"

namespace ksgate::http::upstream_test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Failure = api::UpstreamFailure;

inline const asio::ip::address kLoopback = asio::ip::make_address("127.0.0.1");

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

inline char PatternByte(size_t offset) { return static_cast<char>('a' + offset % 23); }

inline std::string Answer(std::string_view body, std::string_view extra_fields = "") {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + std::string(extra_fields) + "\r\n" +
         std::string(body);
}

inline Task<> Pause(std::chrono::milliseconds duration) {
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
inline uint16_t ClosedPort() {
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

inline Task<ClientConnection> ConnectClient(int browser_receive_buffer = 0) {
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
inline Task<std::string> ReadToEnd(Socket& browser) {
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
inline std::string WithFixedDate(std::string wire) {
  const size_t at = wire.find("\r\nDate: ");
  if (at == std::string::npos) return wire;
  const size_t end = wire.find("\r\n", at + 2);
  return wire.replace(at + 2, end - at - 2, "Date: X");
}

// The body of a chunked message body `wire` (after the head), or nullopt when the chunks are
// malformed or the last chunk is missing.
inline std::optional<std::string> Dechunk(std::string_view wire) {
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

// Coroutines spawned beside a test's own: plain functions whose parameters live in the frame.
inline Task<> FetchInto(UpstreamClient* client, api::UpstreamRequest request,
                        std::optional<api::UpstreamAnswer>* out) {
  *out = co_await client->Fetch(request);
}

inline Task<> RelayInto(UpstreamClient* client, api::UpstreamRequest request, Stream* gate,
                        std::chrono::seconds client_write_timeout,
                        std::optional<RelayOutcome>* out) {
  StreamWriter<Stream> writer(*gate, *gate, client_write_timeout);
  *out = co_await client->Relay(request, writer, true, false);
}

// Waits until `done()` or `limit` passed; returns done().
inline Task<bool> Eventually(std::function<bool()> done, std::chrono::milliseconds limit = 5000ms) {
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

  // (Re)creates the client, and makes Request() name `endpoint` (by default, the fake upstream).
  void MakeClient(UpstreamOptions options = ShortTimeout(), UpstreamEndpoint endpoint = {}) {
    if (endpoint.host.empty()) endpoint = {"127.0.0.1", upstream_.port()};
    endpoint_ = std::move(endpoint);
    client_ = std::make_unique<UpstreamClient>(ioc_.get_executor(), options);
  }

  // A request for the endpoint of the last MakeClient.
  api::UpstreamRequest Request(std::string method, std::string target,
                               std::string body = "") const {
    return api::UpstreamRequest{.host = endpoint_.host,
                                .port = endpoint_.port,
                                .method = std::move(method),
                                .target = std::move(target),
                                .headers = {},
                                .body = std::move(body)};
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
  UpstreamEndpoint endpoint_;
};

// ---------------------------------------------------------------------------------------------
// Relay.

// A ClientWriter that counts the writes it passes on (each WriteAll starts with one WriteNow):
// each is at least one system call.
class CountingWriter final : public ClientWriter {
 public:
  explicit CountingWriter(ClientWriter& next) : next_(next) {}
  error_code WriteNow(std::span<const asio::const_buffer> buffers, size_t* written) override {
    ++writes_;
    return next_.WriteNow(buffers, written);
  }
  Task<error_code> WriteRest(std::span<const asio::const_buffer> buffers, size_t offset) override {
    return next_.WriteRest(buffers, offset);
  }
  int writes() const { return writes_; }

 private:
  ClientWriter& next_;
  int writes_ = 0;
};

class RelayTest : public UpstreamTest {
 protected:
  // Relays `request` to a fresh client connection, then closes the gate's end as a server
  // would, and returns what the browser received (the Date line fixed). `writes`, when given,
  // is set to the number of writes to the client.
  Task<std::string> RelayAndRead(api::UpstreamRequest request, RelayOutcome& outcome,
                                 bool client_keep_alive = true, bool head_only = false,
                                 int* writes = nullptr) {
    ClientConnection client = co_await ConnectClient();
    StreamWriter<Stream> stream_writer(client.gate, client.gate, 5s);
    CountingWriter writer(stream_writer);
    outcome = co_await client_->Relay(request, writer, client_keep_alive, head_only);
    if (writes != nullptr) *writes = writer.writes();
    client.gate.close();
    co_return WithFixedDate(co_await ReadToEnd(client.browser));
  }
};

}  // namespace ksgate::http::upstream_test
