#include "obs/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "common/strings.h"
#include "ks/crypto.h"

namespace ksgate::obs {

namespace {

constexpr size_t kMinKeyBytes = 32;

Status OsError(const std::string& what, int err) {
  std::string message = what + ": " + std::strerror(err);
  if (err == EACCES || err == EPERM || err == EROFS) return PermissionDeniedError(message);
  return UnavailableError(message);
}

Result<std::string> ReadKey(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return OsError("cannot read audit key " + path, errno);
  std::stringstream text;
  text << in.rdbuf();
  std::string key = text.str();
  while (!key.empty() &&
         (key.back() == '\n' || key.back() == '\r' || key.back() == ' ' || key.back() == '\t')) {
    key.pop_back();
  }
  if (key.size() < kMinKeyBytes) {
    return InvalidArgumentError("audit key " + path + ": the key must be at least 32 bytes");
  }
  return key;
}

}  // namespace

std::string DefaultAuditKeyPath(const std::string& audit_log_path) {
  return audit_log_path + ".key";
}

Result<std::string> LoadOrCreateAuditKey(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return ReadKey(path);
    return OsError("cannot create audit key " + path, errno);
  }
  uint8_t bytes[kMinKeyBytes];
  ks::RandomBytes(bytes);
  const std::string key = HexEncode(std::string_view(reinterpret_cast<const char*>(bytes), 32));
  const std::string text = key + "\n";
  const ssize_t n = ::write(fd, text.data(), text.size());
  const int err = errno;
  const bool synced = n == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) {
    ::unlink(path.c_str());  // a partial key must not be found next time
    return OsError("cannot write audit key " + path, n < 0 ? err : EIO);
  }
  return key;
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& log_path,
                                                 const std::string& key_path) {
  KSGATE_ASSIGN_OR_RETURN(std::string key, LoadOrCreateAuditKey(key_path));
  KSGATE_ASSIGN_OR_RETURN(std::unique_ptr<LogFile> file, LogFile::Open(log_path));
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(file), std::move(key)));
}

std::unique_ptr<AuditLog> AuditLog::ForTesting(std::unique_ptr<LogFile> file, std::string key) {
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(file), std::move(key)));
}

AuditLog::AuditLog(std::unique_ptr<LogFile> file, std::string key)
    : file_(std::move(file)), key_(std::move(key)) {}

std::string AuditLog::Hmac(std::string_view secret) const {
  return "hmac-sha256:" + ks::HmacSha256Hex(key_, secret);
}

Status AuditLog::Write(std::string_view line) {
  thread_local std::string buffer;
  buffer.assign(line);
  buffer.push_back('\n');
  return file_->Write(buffer);
}

}  // namespace ksgate::obs
