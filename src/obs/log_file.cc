#include "obs/log_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace ksgate::obs {

namespace {

// Every open reopenable LogFile, for ReopenLogFiles. Never destroyed: a LogFile owned by a
// static (the CLI's audit log) may be destroyed at exit after any function-local static made
// later than it, and it unregisters itself then.
std::mutex& RegistryMutex() {
  static auto* mu = new std::mutex;
  return *mu;
}
std::vector<LogFile*>& Registry() {
  static auto* files = new std::vector<LogFile*>;
  return *files;
}

Result<int> OpenForAppend(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  const int err = errno;
  std::string message = "cannot open " + path + ": " + std::strerror(err);
  if (err == EACCES || err == EPERM || err == EROFS) return PermissionDeniedError(message);
  return UnavailableError(message);
}

}  // namespace

Result<std::unique_ptr<LogFile>> LogFile::Open(const std::string& path) {
  if (path.empty()) return InvalidArgumentError("a log file path is empty");
  KSGATE_ASSIGN_OR_RETURN(const int fd, OpenForAppend(path));
  std::unique_ptr<LogFile> file(new LogFile(path, fd, true));
  std::lock_guard lock(RegistryMutex());
  Registry().push_back(file.get());
  return file;
}

std::unique_ptr<LogFile> LogFile::Stderr() {
  return std::unique_ptr<LogFile>(new LogFile("stderr", STDERR_FILENO, false));
}

LogFile::LogFile(std::string name, int fd, bool reopenable)
    : name_(std::move(name)), reopenable_(reopenable), fd_(fd) {}

LogFile::~LogFile() {
  if (!reopenable_) return;
  {
    std::lock_guard lock(RegistryMutex());
    auto& files = Registry();
    files.erase(std::remove(files.begin(), files.end(), this), files.end());
  }
  ::close(fd_);
}

Status LogFile::Write(std::string_view data) {
  std::lock_guard lock(mu_);
  while (!data.empty()) {
    const ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return UnavailableError("cannot write to " + name_ + ": " + std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status LogFile::Reopen() {
  if (!reopenable_) return Status::Ok();
  KSGATE_ASSIGN_OR_RETURN(const int fd, OpenForAppend(name_));
  int old;
  {
    std::lock_guard lock(mu_);
    old = std::exchange(fd_, fd);
  }
  ::close(old);
  return Status::Ok();
}

Status ReopenLogFiles() {
  std::lock_guard lock(RegistryMutex());
  Status first = Status::Ok();
  for (LogFile* file : Registry()) {
    Status s = file->Reopen();
    if (!s.ok() && first.ok()) first = std::move(s);
  }
  return first;
}

}  // namespace ksgate::obs
