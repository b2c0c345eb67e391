// AuditLog: the append-only JSON-lines file of security events (docs/operations.md "Audit
// log"), and the per-install key that stands in for secrets in it.
//
// A secret, token value or KS is never written; where an event must identify one (a token's
// value before and after a rotation, the KS a session.end ended) it writes
// "hmac-sha256:<hex>", HMAC-SHA256 of the value under the install's audit key — as Vault's audit
// devices do: whoever holds the key and a candidate value can tell whether the log names it, and
// nobody else learns anything from the log.
//
// Write() puts the line in the kernel with one write(2) (O_APPEND) before it returns, so an
// event is on its way to disk before the response that reports the action is sent. Writes may
// wait for the disk: call them from threads that may wait (the store executor, a CLI command),
// never from an I/O thread. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/status.h"
#include "obs/log_file.h"

namespace ksgate::obs {

// The audit key file next to `audit_log_path` when none is named: "<audit_log_path>.key".
std::string DefaultAuditKeyPath(const std::string& audit_log_path);

// Reads the audit key at `path`: the file's bytes less trailing whitespace, at least 32 of them.
// If the file does not exist, creates it (mode 0600, O_EXCL: an existing file is never
// overwritten) holding 64 lowercase hex characters from 32 bytes of the OS CSPRNG, and a
// newline. kInvalidArgument for a key under 32 bytes; the OS's error otherwise.
Result<std::string> LoadOrCreateAuditKey(const std::string& path);

class AuditLog {
 public:
  // Opens (creating, mode 0600) the log at `log_path` for appending, reopened by
  // ReopenLogFiles(), and loads or creates the key at `key_path` (LoadOrCreateAuditKey).
  static Result<std::unique_ptr<AuditLog>> Open(const std::string& log_path,
                                                const std::string& key_path);

  // "hmac-sha256:" + lowercase hex HMAC-SHA256 of `secret` under the audit key.
  std::string Hmac(std::string_view secret) const;

  // Appends `line` (one JSON object, without a newline: one is added) with one write(2).
  // kUnavailable with the OS's reason if it could not be written.
  Status Write(std::string_view line);

  // For tests: a log over `file` with `key`.
  static std::unique_ptr<AuditLog> ForTesting(std::unique_ptr<LogFile> file, std::string key);

 private:
  AuditLog(std::unique_ptr<LogFile> file, std::string key);

  const std::unique_ptr<LogFile> file_;
  const std::string key_;
};

}  // namespace ksgate::obs
