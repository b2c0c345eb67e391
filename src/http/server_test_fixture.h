// The fixture of http::Server's socket tests (server_test.cc, server_connections_test.cc): a
// handler that echoes what the server passed on, a raw HTTP client, and a server on a free port.
#pragma once

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
#include "testing/matchers.h"

namespace ksgate::http::server_test {

using namespace std::chrono_literals;  // NOLINT(google-build-using-namespace): durations
using Clock = std::chrono::steady_clock;

// Answers "method=.. target=.. ip=.. type=.. body=.." so a test can see what the server passed
// on. Target "/slow" sleeps 300 ms first; "/throw" throws.
// An exchange that answers at once with what `respond` makes of the request.
template <typename Respond>
class ImmediateExchange final : public api::Exchange {
 public:
  ImmediateExchange(Respond respond, api::Request request)
      : respond_(std::move(respond)), request_(std::move(request)) {}
  api::Step Advance(Mode) override { return api::Step::Respond(respond_(request_)); }
  void Deliver(api::UpstreamAnswer) override {}
  api::Response UpstreamFailed(api::UpstreamFailure) override { return {}; }
  api::Response Overloaded() override { return {}; }
  api::Response StoreFailed() override { return {}; }

 private:
  Respond respond_;
  api::Request request_;
};

class EchoHandler : public api::RequestHandler {
 public:
  std::unique_ptr<api::Exchange> Begin(api::Request&& request) const override {
    auto respond = [this](const api::Request& r) { return Handle(r); };
    return std::make_unique<ImmediateExchange<decltype(respond)>>(respond, std::move(request));
  }

  api::Response Handle(const api::Request& request) const {
    handled_.fetch_add(1);
    if (request.target == "/slow") std::this_thread::sleep_for(300ms);
    if (request.target == "/throw") throw std::runtime_error("boom");
    api::Response response;
    response.content_type = "text/plain";
    response.body = "method=" + request.method + " target=" + request.target +
                    " ip=" + request.client_ip + " type=" + request.content_type +
                    " body=" + request.body;
    response.headers = {{"X-Test", "yes"}, {"Content-Length", "999"}, {"Bad\r\nName", "x"}};
    return response;
  }

  api::Response Reject(const api::Request& partial, std::string_view limit,
                       uint64_t max) const override {
    {
      std::lock_guard lock(mu_);
      last_partial_ = partial;
    }
    rejected_.fetch_add(1);
    api::Response response;
    response.content_type = "application/json";
    response.body = "rejected " + std::string(limit) + " " + std::to_string(max) + " " +
                    partial.method + " " + partial.target;
    return response;
  }

  int handled() const { return handled_.load(); }
  int rejected() const { return rejected_.load(); }
  api::Request last_partial() {
    std::lock_guard lock(mu_);
    return last_partial_;
  }

 private:
  mutable std::atomic<int> handled_{0};
  mutable std::atomic<int> rejected_{0};
  mutable std::mutex mu_;
  mutable api::Request last_partial_;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// A blocking client on a raw socket, every wait bounded by a deadline. It connects to
// 127.0.0.1:port from `source` when given (any 127.x.y.z address is local), else from the
// kernel's choice (127.0.0.1).
class Client {
 public:
  explicit Client(uint16_t port, const char* source = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (source != nullptr) {
      sockaddr_in from{};
      from.sin_family = AF_INET;
      if (::inet_pton(AF_INET, source, &from.sin_addr) != 1 ||
          ::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
        return;  // not connected
      }
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // One response; nullopt if the connection ends or the deadline passes first.
  std::optional<HttpResponse> Read(bool head = false, std::chrono::milliseconds timeout = 2000ms) {
    const auto deadline = Clock::now() + timeout;
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(deadline)) return std::nullopt;
    }
    HttpResponse response;
    const std::string head_text = buffer_.substr(0, end + 2);
    buffer_.erase(0, end + 4);
    size_t line_end = head_text.find("\r\n");
    const std::string status_line = head_text.substr(0, line_end);
    if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return std::nullopt;
    response.status = std::stoi(status_line.substr(9, 3));
    size_t pos = line_end + 2;
    while (pos < head_text.size()) {
      line_end = head_text.find("\r\n", pos);
      const std::string line = head_text.substr(pos, line_end - pos);
      pos = line_end + 2;
      const size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      if (response.headers.count(name)) name += "#2";  // duplicates are visible to tests
      response.headers[name] = value;
    }
    if (head || response.status == 100) return response;
    const size_t length = std::stoul(
        response.Header("content-length").empty() ? "0" : response.Header("content-length"));
    while (buffer_.size() < length) {
      if (!Fill(deadline)) return std::nullopt;
    }
    response.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return response;
  }

  // True if the server closes the connection (EOF or reset) within `timeout` without sending
  // anything more.
  bool WaitClosed(std::chrono::milliseconds timeout = 2000ms) {
    const auto deadline = Clock::now() + timeout;
    const size_t before = buffer_.size();
    while (Fill(deadline)) {
    }
    return closed_ && buffer_.size() == before;
  }

 private:
  // Reads what is available; false on EOF, error or deadline.
  bool Fill(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[8192];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  std::string buffer_;
};

inline std::string Get(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) +
         "\r\n";
}

inline std::string Post(std::string_view target, std::string_view body) {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

class ServerTest : public ::testing::Test {
 protected:
  static ServerOptions Options() {
    ServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.limits.shutdown_grace = 1s;
    return options;
  }

  void Start(ServerOptions options = Options()) {
    server_ = std::make_unique<Server>(std::move(options), handler_);
    ASSERT_THAT(server_->Listen(), ::ksgate::testing::IsOk());
    ASSERT_NE(server_->port(), 0);
    thread_ = std::thread([this] {
      server_->Run();
      run_returned_ = true;
    });
  }

  // Shuts down and waits for Run() to return; false if it takes longer than `timeout`.
  bool Stop(std::chrono::milliseconds timeout = 2000ms) {
    if (!server_) return true;
    server_->Shutdown();
    const auto deadline = Clock::now() + timeout;
    while (!run_returned_ && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
    const bool ok = run_returned_;
    thread_.join();
    server_.reset();
    return ok;
  }

  void TearDown() override { Stop(5000ms); }

  uint16_t port() const { return server_->port(); }

  EchoHandler handler_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::atomic<bool> run_returned_{false};
};

}  // namespace ksgate::http::server_test
