// The server log: what ksgate says about itself (start, stop, warnings, failures) through
// spdlog, as text for a terminal or as JSON lines for a log shipper, to stderr or a file that
// SIGHUP reopens (log_file.h). Access and audit lines have logs of their own.
//
// JSON lines carry "time" (RFC 3339 UTC, microseconds), "level", "msg", and, when the line was
// written while serving a request (log_line.h RequestScope), "request_id" and "client_ip".
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace ksgate::obs {

struct ServerLogOptions {
  // "trace", "debug", "info", "warn" or "error": lines below it are not written.
  std::string level = "info";
  // "text" (spdlog's usual "[time] [logger] [level] message") or "json" (one object per line).
  std::string format = "text";
  // A file to append to; empty: stderr.
  std::string file;
};

// True if `level` / `format` is one ServerLogOptions accepts.
bool IsLogLevel(std::string_view level);
bool IsLogFormat(std::string_view format);

// Makes spdlog's default logger write as `options` say, for the rest of the process (the file,
// when one is named, is reopened by ReopenLogFiles()). kInvalidArgument for an unknown level
// or format; the file's error when it cannot be opened (the logger is then left as it was).
// Call once, at start-up, before other threads log.
Status ConfigureServerLog(const ServerLogOptions& options);

// One server log line as the JSON format writes it (without the newline): for tests.
std::string JsonLogLineForTesting(std::string_view level, std::string_view message,
                                  int64_t unix_micros);

}  // namespace ksgate::obs
