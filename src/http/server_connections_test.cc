// http::Server: shutdown and signals, trusted proxies, listening, connection limits and quotas.
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

#include "http/server.h"
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

class ShutdownTest : public ServerTest, public ::testing::WithParamInterface<int> {};

TEST_P(ShutdownTest, LetsInFlightRequestFinish) {
  ServerOptions options = Options();
  options.threads = GetParam();
  Start(options);
  Client idle(port());  // a keep-alive connection between requests
  ASSERT_TRUE(idle.Send(Get("/warm")));
  ASSERT_TRUE(idle.Read());
  Client busy(port());
  ASSERT_TRUE(busy.Send(Get("/slow")));
  std::this_thread::sleep_for(100ms);  // the handler is sleeping now
  const auto start = Clock::now();
  server_->Shutdown();
  auto r = busy.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("target=/slow "), std::string::npos);
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(busy.WaitClosed());
  EXPECT_TRUE(idle.WaitClosed());
  thread_.join();
  EXPECT_TRUE(run_returned_);
  EXPECT_LT(Clock::now() - start, 1000ms);
  Client late(port());
  EXPECT_FALSE(late.connected());
  server_.reset();
}

INSTANTIATE_TEST_SUITE_P(Threads, ShutdownTest, ::testing::Values(1, 2));

TEST_F(ServerTest, ShutdownClosesStragglersAfterGrace) {
  ServerOptions options = Options();
  options.limits.shutdown_grace = 1s;
  Start(options);
  Client client(port());
  ASSERT_TRUE(client.Send("POST /never-finished HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"));
  std::this_thread::sleep_for(50ms);  // the request is in flight, not idle
  const auto start = Clock::now();
  server_->Shutdown();
  EXPECT_TRUE(client.WaitClosed(1800ms));
  EXPECT_GE(Clock::now() - start, 900ms);
  EXPECT_TRUE(Stop(500ms));
  EXPECT_EQ(handler_.handled(), 0);
}

TEST_F(ServerTest, ShutdownBeforeRunMakesRunReturn) {
  ServerOptions options = Options();
  Server server(options, handler_);
  ASSERT_THAT(server.Listen(), IsOk());
  server.Shutdown();
  server.Run();  // returns at once
}

TEST_F(ServerTest, SignalStartsShutdown) {
  server_ = std::make_unique<Server>(Options(), handler_);
  ASSERT_THAT(server_->Listen(), IsOk());
  server_->HandleSignals();
  thread_ = std::thread([this] {
    server_->Run();
    run_returned_ = true;
  });
  std::this_thread::sleep_for(50ms);
  std::raise(SIGTERM);
  thread_.join();
  EXPECT_TRUE(run_returned_);
  server_.reset();
}

// The rule itself is tabled in client_address_test.cc; this checks the wiring: every
// X-Forwarded-For line reaches it, in order.
TEST_F(ServerTest, TrustedProxyNamesTheClient) {
  ServerOptions options = Options();
  options.trusted_proxies = {"127.0.0.1", "10.0.0.0/8"};
  Start(options);
  Client client(port());
  ASSERT_TRUE(client.Send(Get("/x",
                              "X-Forwarded-For: 198.51.100.1\r\n"
                              "X-Forwarded-For: 203.0.113.7, 10.1.2.3\r\n")));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("ip=203.0.113.7 "), std::string::npos) << r->body;
  ASSERT_TRUE(client.Send(Get("/x",
                              "X-Forwarded-For: 198.51.100.1\r\n"
                              "X-Forwarded-For: 10.1.2.3\r\n")));
  r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("ip=198.51.100.1 "), std::string::npos) << r->body;
}

TEST_F(ServerTest, UntrustedPeerCannotSetClientIp) {
  ServerOptions options = Options();
  options.trusted_proxies = {"10.0.0.0/8", "::1"};
  Start(options);
  Client client(port());
  ASSERT_TRUE(client.Send(Get("/x", "X-Forwarded-For: 203.0.113.7\r\n")));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("ip=127.0.0.1 "), std::string::npos) << r->body;
}

TEST_F(ServerTest, PortTakenIsUnavailable) {
  Start();
  ServerOptions options = Options();
  options.port = port();
  Server second(options, handler_);
  EXPECT_THAT(second.Listen(), StatusIs(StatusCode::kUnavailable));
  EXPECT_EQ(second.port(), 0);
}

TEST_F(ServerTest, BadHostOrProxyIsInvalidArgument) {
  for (const char* host : {"localhost", "300.1.1.1", ""}) {
    ServerOptions options = Options();
    options.host = host;
    Server server(options, handler_);
    EXPECT_THAT(server.Listen(), StatusIs(StatusCode::kInvalidArgument)) << host;
  }
  for (const char* proxy : {"10.0.0.0/33", "bogus", "10.0.0.0/", "::/129", "1.2.3.4/x"}) {
    ServerOptions options = Options();
    options.trusted_proxies = {proxy};
    Server server(options, handler_);
    EXPECT_THAT(server.Listen(), StatusIs(StatusCode::kInvalidArgument)) << proxy;
  }
}

TEST_F(ServerTest, ListensOnIpv6Loopback) {
  ServerOptions options = Options();
  options.host = "::1";
  Server server(options, handler_);
  const Status status = server.Listen();
  if (!status.ok()) GTEST_SKIP() << "no IPv6 here: " << status.ToString();
  EXPECT_NE(server.port(), 0);
}

// ---------------------------------------------------------------------------------------------
// Connections shared fairly: the first-byte deadline, the per-address limit, a flood.

TEST_F(ServerTest, SilentConnectionIsClosedAfterTheFirstByteTimeout) {
  ServerOptions options = Options();
  options.limits.first_byte_timeout = 500ms;  // the read timeout stays 30 s
  Start(options);
  Client silent(port());
  ASSERT_TRUE(silent.connected());
  const auto start = Clock::now();
  EXPECT_TRUE(silent.WaitClosed(3000ms));
  const auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 400ms);
  EXPECT_LT(elapsed, 2000ms);
  EXPECT_EQ(handler_.handled(), 0);
}

TEST_F(ServerTest, FirstByteTimeoutDoesNotCutARequestUnderWay) {
  ServerOptions options = Options();
  options.limits.first_byte_timeout = 300ms;
  Start(options);
  Client client(port());
  ASSERT_TRUE(client.Send("GET /slow-client HTTP/1.1\r\n"));
  // A client slower than the first-byte deadline, but within the read timeout.
  std::this_thread::sleep_for(700ms);
  ASSERT_TRUE(client.Send("Host: t\r\n\r\n"));
  auto r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerTest, ConnectionsOverThePerAddressLimitAreClosedAtOnce) {
  ServerOptions options = Options();
  options.limits.max_connections_per_address = 2;
  Start(options);
  auto first = std::make_unique<Client>(port(), "127.0.0.1");
  Client second(port(), "127.0.0.1");
  for (Client* c : {first.get(), &second}) {
    ASSERT_TRUE(c->Send(Get("/held")));
    ASSERT_TRUE(c->Read());
  }
  Client third(port(), "127.0.0.1");
  ASSERT_TRUE(third.connected());  // the kernel completes the handshake; the server resets it
  const auto start = Clock::now();
  third.Send(Get("/third"));
  EXPECT_TRUE(third.WaitClosed(2000ms));
  EXPECT_LT(Clock::now() - start, 1000ms);

  // Another address is not affected.
  Client other(port(), "127.0.0.2");
  ASSERT_TRUE(other.Send(Get("/other")));
  auto r = other.Read();
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("ip=127.0.0.2"), std::string::npos);

  // A closed connection gives its place back (the server sees the close asynchronously).
  first.reset();
  bool served = false;
  for (const auto deadline = Clock::now() + 3s; !served && Clock::now() < deadline;) {
    Client again(port(), "127.0.0.1");
    served = again.Send(Get("/again")) && again.Read(false, 500ms).has_value();
  }
  EXPECT_TRUE(served);
  EXPECT_EQ(handler_.handled(), 4);
}

TEST_F(ServerTest, PerAddressLimitIsAtMostHalfTheCap) {
  ServerOptions options = Options();
  options.limits.max_connections = 4;  // max_connections_per_address stays 256
  Start(options);
  Client first(port(), "127.0.0.1");
  Client second(port(), "127.0.0.1");
  for (Client* c : {&first, &second}) {
    ASSERT_TRUE(c->Send(Get("/held")));
    ASSERT_TRUE(c->Read());
  }
  Client third(port(), "127.0.0.1");
  third.Send(Get("/third"));
  EXPECT_TRUE(third.WaitClosed());
  Client other(port(), "127.0.0.2");
  ASSERT_TRUE(other.Send(Get("/other")));
  EXPECT_TRUE(other.Read());
}

TEST_F(ServerTest, TrustedProxyIsNotLimitedPerAddress) {
  ServerOptions options = Options();
  options.limits.max_connections_per_address = 1;
  options.trusted_proxies = {"127.0.0.3"};
  Start(options);
  std::vector<std::unique_ptr<Client>> via_proxy;
  for (int i = 0; i < 3; ++i) {
    via_proxy.push_back(std::make_unique<Client>(port(), "127.0.0.3"));
    ASSERT_TRUE(via_proxy.back()->Send(
        Get("/p", "X-Forwarded-For: 192.0.2." + std::to_string(i + 1) + "\r\n")));
    auto r = via_proxy.back()->Read();
    ASSERT_TRUE(r) << i;
    EXPECT_NE(r->body.find("ip=192.0.2." + std::to_string(i + 1)), std::string::npos);
  }
  Client direct(port(), "127.0.0.4");
  ASSERT_TRUE(direct.Send(Get("/d")));
  ASSERT_TRUE(direct.Read());
  Client again(port(), "127.0.0.4");
  again.Send(Get("/d2"));
  EXPECT_TRUE(again.WaitClosed());
}

// Opens `n` connections to 127.0.0.1:port from `source` as fast as the kernel takes them,
// without waiting for any to complete. Returns their descriptors (the caller closes them).
std::vector<int> OpenConnections(uint16_t port, const char* source, int n) {
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<int> fds;
  fds.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) break;
    fds.push_back(fd);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) break;
    ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to);  // 0 or EINPROGRESS
  }
  return fds;
}

// One address opens 12,000 connections as fast as it can and keeps them; a client from another
// address, opening a new connection for each request all along, still gets every answer, with
// a 99th percentile under 100 ms. Runs with the shipped limits.
TEST_F(ServerTest, OneAddressFloodingConnectionsDoesNotStarveAnother) {
  constexpr int kFlood = 12000;
  constexpr size_t kMinRequests = 200;
  const uint64_t open_files = RaiseOpenFileLimit();
  if (open_files < kFlood + 1024) {
    GTEST_SKIP() << "needs " << kFlood + 1024 << " open files for " << kFlood
                 << " client sockets and the server's; the hard limit (ulimit -Hn) is "
                 << open_files;
  }
  ServerOptions options = Options();
  ASSERT_EQ(options.limits.max_connections_per_address, HttpLimits().max_connections_per_address);
  Start(options);

  std::atomic<bool> flooded{false};
  std::vector<int> flood;
  Clock::duration flood_time{};
  std::thread flooder([&] {
    const auto start = Clock::now();
    flood = OpenConnections(port(), "127.0.0.1", kFlood);
    flood_time = Clock::now() - start;
    flooded = true;
  });
  std::vector<double> latencies_ms;
  size_t unanswered = 0;
  const auto deadline = Clock::now() + 60s;
  while ((!flooded || latencies_ms.size() < kMinRequests) && Clock::now() < deadline) {
    const auto start = Clock::now();
    Client client(port(), "127.0.0.2");
    const bool answered =
        client.connected() && client.Send(Get("/fair")) && client.Read(false, 5000ms).has_value();
    if (!answered) ++unanswered;
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  flooder.join();
  for (int fd : flood) ::close(fd);

  ASSERT_EQ(flood.size(), static_cast<size_t>(kFlood));
  ASSERT_GE(latencies_ms.size(), kMinRequests);
  std::sort(latencies_ms.begin(), latencies_ms.end());
  const auto at = [&](double q) {
    return latencies_ms[static_cast<size_t>(std::ceil(q * latencies_ms.size())) - 1];
  };
  std::printf(
      "flood: %d connections in %.0f ms; the other client: %zu requests, p50 %.2f ms, "
      "p99 %.2f ms, max %.2f ms, %zu unanswered\n",
      kFlood, std::chrono::duration<double, std::milli>(flood_time).count(), latencies_ms.size(),
      at(0.5), at(0.99), latencies_ms.back(), unanswered);
  EXPECT_EQ(unanswered, 0u);
  EXPECT_LT(at(0.99), 100.0);
}

TEST(RaiseOpenFileLimit, RaisesTheSoftLimitToTheHardOne) {
  const uint64_t raised = RaiseOpenFileLimit();
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  EXPECT_EQ(raised, limit.rlim_cur);
  EXPECT_EQ(limit.rlim_cur, limit.rlim_max);
}

}  // namespace
}  // namespace ksgate::http
