#include "cli/hangup.h"

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <utility>

namespace ksgate::cli {

namespace {

sigset_t HangupSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void HangupHandler::BlockInThisThread() {
  const sigset_t set = HangupSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

HangupHandler::HangupHandler(std::function<void()> on_hangup) : on_hangup_(std::move(on_hangup)) {
  thread_ = std::thread([this] {
    const sigset_t set = HangupSet();
    for (;;) {
      int signal = 0;
      if (sigwait(&set, &signal) != 0) continue;
      if (stopping_.load()) return;
      try {
        on_hangup_();
      } catch (const std::exception& e) {
        spdlog::error("reload failed: {}", e.what());
      }
    }
  });
}

HangupHandler::~HangupHandler() {
  stopping_.store(true);
  // Wakes the thread's sigwait: a SIGHUP aimed at that thread alone.
  pthread_kill(thread_.native_handle(), SIGHUP);
  thread_.join();
}

}  // namespace ksgate::cli
