// LogFile: where a log's lines go — stderr, or a file opened for appending that can be reopened
// (after logrotate has moved it away, SIGHUP makes ksgate start a new one at the same path).
// The server log, the access log and the audit log each write to one.
//
//   Result<std::unique_ptr<LogFile>> f = LogFile::Open("/var/log/ksgate/access.log");
//   (*f)->Write("{...}\n");
//   ReopenLogFiles();  // e.g. from a SIGHUP handler's thread: every open LogFile reopens
//
// Thread-safe: Write, Reopen and ReopenLogFiles may be called from any thread at once.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/status.h"

namespace ksgate::obs {

class LogFile {
 public:
  // Opens `path` for appending (O_APPEND, created with mode 0600 if missing; the file's own
  // mode is kept otherwise) and registers it for ReopenLogFiles(). kInvalidArgument for an empty
  // path; kPermissionDenied or kUnavailable (with the OS's reason) when it cannot be opened.
  static Result<std::unique_ptr<LogFile>> Open(const std::string& path);
  // Standard error: never reopened.
  static std::unique_ptr<LogFile> Stderr();

  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  // Writes all of `data` with write(2) (retried on short writes and EINTR), so that on return it
  // is in the kernel: another process reading the file sees it, and it survives a crash of this
  // one. With O_APPEND, each call's bytes land together at the end of the file even when other
  // processes append too (for any size a regular file's write takes whole). Returns the OS's
  // error, as kUnavailable, if a write failed (the rest of `data` is then lost).
  Status Write(std::string_view data);

  // Opens the path again and writes there from now on; the old descriptor is closed once no
  // Write uses it. On failure (logged, returned) it keeps writing to the old one. OK for stderr.
  Status Reopen();

  // "stderr", or the path.
  const std::string& name() const { return name_; }

 private:
  LogFile(std::string name, int fd, bool reopenable);

  const std::string name_;
  const bool reopenable_;
  std::mutex mu_;  // guards fd_ against Reopen while a Write uses it
  int fd_;
};

// Reopens every LogFile that is open (LogFile::Reopen), for log rotation: call it when SIGHUP
// arrives (from a normal thread, not from the signal handler itself). Returns the first
// failure; the others are logged too. Thread-safe.
Status ReopenLogFiles();

}  // namespace ksgate::obs
