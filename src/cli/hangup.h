// HangupHandler: SIGHUP for `ksgate serve`, taken by a thread of its own (never an I/O thread)
// that runs the reload for each one.
//
//   HangupHandler::BlockInThisThread();   // first, before any other thread is started
//   ... start the app and the server (their threads inherit the blocked SIGHUP) ...
//   HangupHandler hangup([&] { Reload(); });
//   server.Run();
//
// A SIGHUP sent while a run is in progress is remembered (the kernel keeps one pending) and
// makes one more run afterwards. SIGHUP stays blocked after the handler is gone, so a late one
// is dropped instead of ending the process.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace ksgate::cli {

class HangupHandler {
 public:
  // Blocks SIGHUP in the calling thread, and so in every thread it starts afterwards.
  static void BlockInThisThread();

  // Starts the thread that waits for SIGHUP and calls `on_hangup` (on that thread) for each.
  // BlockInThisThread must have run in every thread alive (the calling one included).
  explicit HangupHandler(std::function<void()> on_hangup);
  // Stops the thread, waiting for a run in progress to end.
  ~HangupHandler();

  HangupHandler(const HangupHandler&) = delete;
  HangupHandler& operator=(const HangupHandler&) = delete;

 private:
  std::function<void()> on_hangup_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace ksgate::cli
