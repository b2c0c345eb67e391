#include "obs/access_log.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

#include "obs/log_line.h"

namespace ksgate::obs {

namespace {

// How long a line may wait in the buffer when little is logged.
constexpr std::chrono::milliseconds kWriteInterval{20};

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool IsName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

// The next segment of `path` (after its leading '/'), and `path` moved past it.
std::string_view NextSegment(std::string_view* path) {
  if (path->empty()) return {};
  std::string_view rest = path->substr(1);
  const size_t slash = rest.find('/');
  const std::string_view segment = rest.substr(0, slash);
  *path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  return segment;
}

}  // namespace

void AppendLoggablePath(std::string_view target, std::string* out) {
  std::string_view path = target.substr(0, target.find_first_of("?#"));
  if (path.empty() || path.front() != '/') {
    out->append(path.empty() ? "" : "*");
    return;
  }
  for (std::string_view kept : {"/metrics", "/healthz", "/readyz"}) {
    if (path == kept) {
      out->append(path);
      return;
    }
  }
  for (std::string_view prefix : {"/api_v3", "/ksgate/v1/authorize"}) {
    if (path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/')) {
      out->append(prefix);
      path.remove_prefix(prefix.size());
      if (prefix == "/api_v3") {
        // service/NAME, then action/NAME: the only path pairs that never carry a credential.
        for (std::string_view key : {"service", "action"}) {
          std::string_view rest = path;
          if (NextSegment(&rest) != key) break;
          const std::string_view name = NextSegment(&rest);
          if (!IsName(name)) break;
          out->append("/").append(key).append("/").append(name);
          path = rest;
        }
      }
      if (path.size() > 1) out->append("/...");
      return;
    }
  }
  const std::string_view first = NextSegment(&path);
  bool visible = first.size() <= 24;
  for (char c : first) visible = visible && c > ' ' && c < 0x7f;
  out->append("/").append(visible ? first : "*");
  if (path.size() > 1) out->append("/...");
}

namespace {

void Format(const AccessRecord& r, std::string* out) {
  thread_local std::string path;
  path.clear();
  AppendLoggablePath(r.target, &path);
  JsonLine line(out);
  line.Time("time", r.start_unix_micros)
      .String("request_id", r.request_id)
      .String("client_ip", r.client_ip)
      .String("method", r.method)
      .String("path", path)
      .Int("status", r.status);
  if (!r.action.empty()) line.String("action", r.action);
  if (r.action == "multirequest") line.Int("items", static_cast<int64_t>(r.items));
  if (r.partner_id != 0) line.Int("partner_id", r.partner_id);
  if (!r.app_token_id.empty()) line.String("app_token_id", r.app_token_id);
  line.String("code", r.code)
      .Int("bytes_out", static_cast<int64_t>(r.bytes_out))
      .Int("latency_us", r.latency_us);
  line.End();
}

}  // namespace

Result<std::unique_ptr<AccessLog>> AccessLog::Open(const std::string& target, size_t capacity) {
  std::unique_ptr<LogFile> file;
  if (target == "stderr") {
    file = LogFile::Stderr();
  } else {
    KSGATE_ASSIGN_OR_RETURN(file, LogFile::Open(target));
  }
  return std::unique_ptr<AccessLog>(new AccessLog(std::move(file), capacity));
}

AccessLog::AccessLog(std::unique_ptr<LogFile> file, size_t capacity)
    : file_(std::move(file)), capacity_(capacity), writer_([this] { Run(); }) {}

AccessLog::~AccessLog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  writer_.join();
}

void AccessLog::Append(const AccessRecord& record) {
  thread_local std::string line;
  line.clear();
  Format(record, &line);
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    const size_t before = pending_.size();
    if (before + line.size() > capacity_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (pending_.capacity() == 0) pending_.reserve(capacity_);
    pending_.append(line);
    appended_ += line.size();
    // The writer wakes by itself every kWriteInterval; only a buffer filling fast wakes it early.
    wake = before < capacity_ / 2 && pending_.size() >= capacity_ / 2;
  }
  if (wake) wake_.notify_one();
}

void AccessLog::Flush() {
  std::unique_lock lock(mu_);
  const uint64_t target = appended_;
  flush_requested_ = true;
  wake_.notify_one();
  written_.wait(lock, [&] { return written_bytes_ >= target; });
}

void AccessLog::Run() {
  std::string batch;
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait_for(lock, kWriteInterval,
                   [&] { return stop_ || flush_requested_ || pending_.size() >= capacity_ / 2; });
    flush_requested_ = false;
    if (!pending_.empty()) {
      batch.swap(pending_);
      const uint64_t upto = appended_;
      lock.unlock();
      if (Status s = file_->Write(batch); !s.ok()) {
        // Said once per failing batch; the lines themselves are lost.
        spdlog::error("access log: {}", s.message());
      }
      batch.clear();
      lock.lock();
      written_bytes_ = upto;
    }
    written_.notify_all();
    if (stop_ && pending_.empty()) return;
  }
}

std::string AccessLog::FormatForTesting(const AccessRecord& record) {
  std::string line;
  Format(record, &line);
  return line;
}

}  // namespace ksgate::obs
