// http::Server with a store writer (ServerOptions::store_writer): a write step runs on the
// writer's thread and its answer waits for the writer's batch to end; a failed batch is
// answered with the exchange's StoreFailed(), a full writer with Overloaded(). Over a socket.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>

#include "http/server_test_fixture.h"

namespace ksgate::http::server_test {
namespace {

// "/write" needs the write lane; once advanced there it answers where it ran.
class WriteExchange final : public api::Exchange {
 public:
  explicit WriteExchange(api::Request request) : request_(std::move(request)) {}
  api::Step Advance(Mode mode) override {
    if (request_.target == "/write" && mode == Mode::kInline) {
      return api::Step::NeedsStore(api::Step::Lane::kWrite);
    }
    return api::Step::Respond(Text(mode == Mode::kMayBlock ? "advanced" : "inline"));
  }
  void Deliver(api::UpstreamAnswer) override {}
  api::Response UpstreamFailed(api::UpstreamFailure) override { return {}; }
  api::Response Overloaded() override { return Text("overloaded"); }
  api::Response StoreFailed() override { return Text("store failed"); }

 private:
  static api::Response Text(std::string body) {
    api::Response r;
    r.content_type = "text/plain";
    r.body = std::move(body);
    return r;
  }
  api::Request request_;
};

class WriteHandler final : public api::RequestHandler {
 public:
  std::unique_ptr<api::Exchange> Begin(api::Request&& request) const override {
    return std::make_unique<WriteExchange>(std::move(request));
  }
  api::Response Reject(const api::Request&, std::string_view, uint64_t) const override {
    return {};
  }
};

// A writer thread as store::WriteLane gives one: it runs the tasks queued, then ends their
// batch when the test says so, committed or not. It refuses work while `full`.
class FakeWriter {
 public:
  FakeWriter() : thread_([this] { Loop(); }) {}
  ~FakeWriter() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

  bool Submit(std::function<void()> task, std::function<void(bool)> done) {
    std::lock_guard lock(mu_);
    if (full_) return false;
    queue_.push_back({std::move(task), std::move(done)});
    changed_.notify_all();
    return true;
  }

  void SetFull(bool full) {
    std::lock_guard lock(mu_);
    full_ = full;
  }
  // Ends the next batch, committed or not; it holds what was queued by then.
  void EndBatch(bool committed) {
    std::lock_guard lock(mu_);
    endings_.push_back(committed);
    changed_.notify_all();
  }
  // Waits (up to 2 s) until `n` tasks have run on the writer thread.
  bool WaitRan(int n) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, 2s, [&] { return ran_ >= n; });
  }
  bool RanOnWriterThread() const { return ran_on_writer_; }

 private:
  struct Item {
    std::function<void()> task;
    std::function<void(bool)> done;
  };
  void Loop() {
    std::unique_lock lock(mu_);
    while (true) {
      changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      std::deque<Item> batch = std::move(queue_);
      queue_.clear();
      lock.unlock();
      for (Item& item : batch) {
        item.task();
        ran_on_writer_ = std::this_thread::get_id() == thread_.get_id();
      }
      lock.lock();
      ran_ += static_cast<int>(batch.size());
      changed_.notify_all();
      changed_.wait(lock, [&] { return stopping_ || !endings_.empty(); });
      if (stopping_) return;
      const bool committed = endings_.front();
      endings_.pop_front();
      lock.unlock();
      for (Item& item : batch) item.done(committed);
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Item> queue_;
  std::deque<bool> endings_;
  bool full_ = false;
  bool stopping_ = false;
  int ran_ = 0;
  std::atomic<bool> ran_on_writer_{false};
  std::thread thread_;  // last: started once the rest exists
};

class ServerStoreWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.port = 0;
    options.threads = 1;
    options.limits.shutdown_grace = 1s;
    options.store_writer = [this](std::function<void()> task, std::function<void(bool)> done) {
      return writer_.Submit(std::move(task), std::move(done));
    };
    server_ = std::make_unique<Server>(std::move(options), handler_);
    ASSERT_THAT(server_->Listen(), ::ksgate::testing::IsOk());
    thread_ = std::thread([this] { server_->Run(); });
  }
  void TearDown() override {
    server_->Shutdown();
    thread_.join();
  }

  WriteHandler handler_;
  FakeWriter writer_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

TEST_F(ServerStoreWriterTest, AWriteRunsOnTheWriterAndIsAnsweredOnlyOnceItsBatchCommitted) {
  Client client(server_->port());
  ASSERT_TRUE(client.Send(Get("/write")));
  ASSERT_TRUE(writer_.WaitRan(1));
  EXPECT_TRUE(writer_.RanOnWriterThread());
  EXPECT_FALSE(client.Read(false, 200ms).has_value()) << "answered before its batch ended";
  writer_.EndBatch(true);
  const std::optional<HttpResponse> answer = client.Read();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->body, "advanced");

  // The connection goes on; what needs no store is answered inline meanwhile.
  ASSERT_TRUE(client.Send(Get("/read")));
  const std::optional<HttpResponse> read = client.Read();
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->body, "inline");
}

TEST_F(ServerStoreWriterTest, AWriteWhoseBatchFailedIsAnsweredWithStoreFailed) {
  Client client(server_->port());
  ASSERT_TRUE(client.Send(Get("/write")));
  ASSERT_TRUE(writer_.WaitRan(1));
  writer_.EndBatch(false);
  const std::optional<HttpResponse> answer = client.Read();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->body, "store failed");
}

TEST_F(ServerStoreWriterTest, AWriteTheWriterCannotTakeIsAnsweredWithOverloaded) {
  writer_.SetFull(true);
  Client client(server_->port());
  ASSERT_TRUE(client.Send(Get("/write")));
  const std::optional<HttpResponse> answer = client.Read();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->body, "overloaded");
  EXPECT_EQ(server_->store_queue_depth(), 0u);
}

}  // namespace
}  // namespace ksgate::http::server_test
