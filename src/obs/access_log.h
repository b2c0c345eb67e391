// AccessLog: one JSON line per HTTP request, written by a thread of its own so that the I/O
// threads that serve requests never wait for a disk or a pipe.
//
// An I/O thread copies its record's fields into a bounded in-memory buffer (a short critical
// section: a copy of a hundred-odd bytes, their sizes worked out before the lock is taken); the
// writer thread takes the whole buffer every 20 ms, or as soon as 64 KiB are waiting, formats
// the lines (so the formatting code runs in batches, warm in the CPU's caches, instead of once
// per request in the middle of the request path; each line written through a pointer into room
// made for the longest it can be) and writes them with one write(2). When the buffer is full the
// record is dropped and counted (dropped()), never waited for. What is buffered is written when the
// AccessLog is destroyed.
//
// The line (docs/operations.md "Access log"): time, request_id, client_ip, method, path (never
// the query string, where KSs travel; see LoggablePath), status, action, items
// (multirequest only), partner_id, app_token_id, code, bytes_out, latency_us.
//
// Thread-safe.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "common/result.h"
#include "obs/log_file.h"
#include "obs/loggable_path.h"  // LoggablePath: the line's path

namespace ksgate::obs {

// What one access log line says about a request. Views live only during Append.
struct AccessRecord {
  // When the request began to be read: in Unix microseconds, or, when that is 0, `start` on the
  // steady clock (converted as the line is written, which spares the I/O thread a read of the
  // wall clock).
  int64_t start_unix_micros = 0;
  std::chrono::steady_clock::time_point start{};
  std::string_view request_id;
  std::string_view client_ip;
  std::string_view method;
  std::string_view target;  // as received: LoggablePath keeps only what is safe of it
  int status = 0;
  std::string_view action;        // "service.action", "multirequest", ...; empty: none
  size_t items = 0;               // multirequest items (written for a multirequest only)
  int64_t partner_id = 0;         // 0: none (not written)
  std::string_view app_token_id;  // empty: none (not written)
  std::string_view code;          // "ok", a Kaltura error code, or another outcome
  uint64_t bytes_out = 0;
  int64_t latency_us = 0;
};

class AccessLog {
 public:
  // `target`: "stderr" or a file path (opened for appending, reopened by ReopenLogFiles()).
  // `capacity`: bytes the buffer may hold (records as queued: about the size of their lines)
  // before records are dropped. The file's error when it
  // cannot be opened.
  static Result<std::unique_ptr<AccessLog>> Open(const std::string& target,
                                                 size_t capacity = 4 * 1024 * 1024);
  // Writes what is buffered, then stops the writer thread.
  ~AccessLog();

  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Queues `record` for its line; drops it (counted) if the buffer is full. Never blocks on
  // I/O. Strings longer than 65535 bytes are cut there, a target past its first 512 bytes (the
  // path the line keeps is shorter).
  void Append(const AccessRecord& record);

  // Writes every line queued so far before returning (tests; shutdown).
  void Flush();

  // Lines dropped because the buffer was full, since start.
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

  // One record as Append writes it, newline included (tests).
  static std::string FormatForTesting(const AccessRecord& record);

 private:
  // Bytes that grow without being zeroed first (std::string's would be), written through a
  // pointer: the queue of packed records, the formatted lines. Not thread-safe.
  class Buffer {
   public:
    const char* data() const { return data_.get(); }
    size_t size() const { return size_; }
    size_t capacity() const { return capacity_; }
    // Where `n` more bytes go (at the end), growing the buffer if they do not fit.
    char* Room(size_t n) {
      if (capacity_ - size_ < n) Reserve(std::max({size_ + n, 2 * capacity_, size_t{4096}}));
      return data_.get() + size_;
    }
    // Counts `n` bytes written at Room(n) or less.
    void Commit(size_t n) { size_ += n; }
    void Clear() { size_ = 0; }
    void Reserve(size_t capacity);
    void Swap(Buffer& other) {
      data_.swap(other.data_);
      std::swap(size_, other.size_);
      std::swap(capacity_, other.capacity_);
    }

   private:
    std::unique_ptr<char[]> data_;
    size_t size_ = 0;
    size_t capacity_ = 0;
  };

  AccessLog(std::unique_ptr<LogFile> file, size_t capacity);
  void Run();

  const std::unique_ptr<LogFile> file_;
  const size_t capacity_;
  const size_t batch_bytes_;  // what wakes the writer before its interval
  std::mutex mu_;
  std::condition_variable wake_;     // the writer: half full, flush or stop
  std::condition_variable written_;  // Flush(): the writer wrote a batch
  Buffer pending_;                   // guarded by mu_: records packed
  uint64_t appended_ = 0;            // guarded by mu_: bytes queued since start
  uint64_t written_bytes_ = 0;       // guarded by mu_: bytes of those written (or failed)
  bool flush_requested_ = false;     // guarded by mu_
  bool stop_ = false;                // guarded by mu_
  std::atomic<uint64_t> dropped_{0};
  std::thread writer_;  // last: started once everything above exists
};

}  // namespace ksgate::obs
