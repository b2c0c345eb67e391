// ServerOptions::batch_answers: answers wait for the handlers already queued on their I/O thread.
// Over sockets, on one I/O thread: two requests that become ready together are both handled
// before either answer goes out; without batching the first is answered before the second is
// handled.
#include <sys/socket.h>

#include <condition_variable>
#include <mutex>

#include "http/server_test_fixture.h"

namespace ksgate::http::server_test {
namespace {

// "/hold" waits (at most 5 s) until the test lets it go, keeping the I/O thread busy meanwhile.
// "/peek/NAME": the first such request answers "first"; the second answers whether the answer
// to the first had reached its client's socket when the second was handled (the test names each
// client's socket with SetClient). Anything else answers "warm".
class BatchHandler final : public api::RequestHandler {
 public:
  std::unique_ptr<api::Exchange> Begin(api::Request&& request) const override {
    auto respond = [this](const api::Request& r) { return Handle(r); };
    return std::make_unique<ImmediateExchange<decltype(respond)>>(respond, std::move(request));
  }
  api::Response Reject(const api::Request&, std::string_view, uint64_t) const override {
    return {};
  }

  void SetClient(const std::string& name, int fd) {
    std::lock_guard lock(mu_);
    clients_[name] = fd;
  }
  bool WaitHolding() {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, 5s, [this] { return holding_; });
  }
  // Until the second "/peek/" request was handled: the test must not read the first's answer
  // before then, or the peek would not find it.
  bool WaitPeeked() {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, 5s, [this] { return peeked_; });
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      released_ = true;
    }
    changed_.notify_all();
  }

 private:
  api::Response Handle(const api::Request& request) const {
    std::unique_lock lock(mu_);
    if (request.target == "/hold") {
      holding_ = true;
      changed_.notify_all();
      changed_.wait_for(lock, 5s, [this] { return released_; });
      return Text("held");
    }
    if (!request.target.starts_with("/peek/")) return Text("warm");
    if (first_.empty()) {
      first_ = request.target.substr(6);
      return Text("first");
    }
    char byte = 0;
    const ssize_t n = ::recv(clients_.at(first_), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    peeked_ = true;
    changed_.notify_all();
    return Text(n > 0 ? "first was answered" : "first was not answered yet");
  }

  static api::Response Text(std::string body) {
    api::Response r;
    r.content_type = "text/plain";
    r.body = std::move(body);
    return r;
  }

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  mutable bool holding_ = false;
  mutable bool peeked_ = false;
  bool released_ = false;
  mutable std::string first_;
  std::map<std::string, int> clients_;
};

// The bodies of the answers to "/peek/a" and "/peek/b", sent while the server's one I/O thread
// is held, so that the two become ready together once it is let go.
std::vector<std::string> PeekWhileHeld(bool batch_answers) {
  BatchHandler handler;
  ServerOptions options;
  options.port = 0;
  options.threads = 1;
  options.limits.shutdown_grace = 1s;
  options.batch_answers = batch_answers;
  Server server(std::move(options), handler);
  if (!server.Listen().ok()) return {"no listener"};
  std::thread thread([&server] { server.Run(); });

  std::vector<std::string> bodies;
  {
    Client hold(server.port());
    Client a(server.port());
    Client b(server.port());
    handler.SetClient("a", a.fd());
    handler.SetClient("b", b.fd());
    // Each connection accepted and waiting for its next request before the thread is held.
    for (Client* client : {&hold, &a, &b}) {
      if (!client->Send(Get("/warm")) || !client->Read().has_value()) bodies.push_back("no warm");
    }
    hold.Send(Get("/hold"));
    if (!handler.WaitHolding()) bodies.push_back("not held");
    // On loopback, each request is in the server's socket when Send returns.
    a.Send(Get("/peek/a"));
    b.Send(Get("/peek/b"));
    handler.Release();
    if (!handler.WaitPeeked()) bodies.push_back("not peeked");
    for (Client* client : {&hold, &a, &b}) {
      const std::optional<HttpResponse> answer = client->Read();
      bodies.push_back(answer ? answer->body : "no answer");
    }
  }
  server.Shutdown();
  thread.join();
  return bodies;
}

TEST(ServerBatchAnswers, RequestsReadyTogetherAreAllHandledBeforeTheirAnswersGoOut) {
  EXPECT_THAT(PeekWhileHeld(true),
              ::testing::UnorderedElementsAre("held", "first", "first was not answered yet"));
}

TEST(ServerBatchAnswers, WithoutBatchingEachAnswerGoesOutBeforeTheNextRequestIsHandled) {
  EXPECT_THAT(PeekWhileHeld(false),
              ::testing::UnorderedElementsAre("held", "first", "first was answered"));
}

}  // namespace
}  // namespace ksgate::http::server_test
