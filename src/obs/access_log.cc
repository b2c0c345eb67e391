#include "obs/access_log.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <utility>

#include "common/json_text.h"
#include "obs/log_line.h"

namespace ksgate::obs {

namespace {

// How long a line may wait in the buffer when little is logged.
constexpr std::chrono::milliseconds kWriteInterval{20};
// How much is written at once when requests come fast: small enough that the buffer the I/O
// threads append to (and the page cache the kernel copies it to) stays in the CPU's cache
// instead of sweeping the request path's working set out of it, large enough that one write(2)
// carries a couple of hundred lines.
constexpr size_t kBatchBytes = 64 * 1024;

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
  // (find_first_of would call memchr once per byte of the target.)
  size_t end = 0;
  while (end < target.size() && target[end] != '?' && target[end] != '#') ++end;
  std::string_view path = target.substr(0, end);
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

// Written with literal pieces rather than JsonLine: this runs on an I/O thread for every
// request, and a piece per key is half the work (bench/obs_bench.cc).
void AppendInt(int64_t value, std::string* out) {
  char buf[24];
  const auto result = std::to_chars(buf, buf + sizeof(buf), value);
  out->append(buf, result.ptr);
}

// A literal, its length known at compile time (no strlen).
template <size_t N>
void Put(const char (&text)[N], std::string* out) {
  out->append(text, N - 1);
}

void Format(const AccessRecord& r, std::string* out) {
  thread_local std::string path;
  path.clear();
  AppendLoggablePath(r.target, &path);
  Put("{\"time\":\"", out);
  AppendTime(r.start_unix_micros, out);
  Put("\",\"request_id\":\"", out);
  AppendJsonEscaped(r.request_id, out);
  Put("\",\"client_ip\":\"", out);
  AppendJsonEscaped(r.client_ip, out);
  Put("\",\"method\":\"", out);
  AppendJsonEscaped(r.method, out);
  Put("\",\"path\":\"", out);
  AppendJsonEscaped(path, out);
  Put("\",\"status\":", out);
  AppendInt(r.status, out);
  if (!r.action.empty()) {
    Put(",\"action\":\"", out);
    AppendJsonEscaped(r.action, out);
    out->push_back('"');
    if (r.action == "multirequest") {
      Put(",\"items\":", out);
      AppendInt(static_cast<int64_t>(r.items), out);
    }
  }
  if (r.partner_id != 0) {
    Put(",\"partner_id\":", out);
    AppendInt(r.partner_id, out);
  }
  if (!r.app_token_id.empty()) {
    Put(",\"app_token_id\":\"", out);
    AppendJsonEscaped(r.app_token_id, out);
    out->push_back('"');
  }
  Put(",\"code\":\"", out);
  AppendJsonEscaped(r.code, out);
  Put("\",\"bytes_out\":", out);
  AppendInt(static_cast<int64_t>(r.bytes_out), out);
  Put(",\"latency_us\":", out);
  AppendInt(r.latency_us, out);
  Put("}\n", out);
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
    : file_(std::move(file)),
      capacity_(capacity),
      batch_bytes_(std::min(kBatchBytes, capacity / 2)),
      writer_([this] { Run(); }) {}

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
    if (pending_.capacity() == 0) pending_.reserve(batch_bytes_ * 2);
    pending_.append(line);
    appended_ += line.size();
    // The writer wakes by itself every kWriteInterval; a full batch wakes it early.
    wake = before < batch_bytes_ && pending_.size() >= batch_bytes_;
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
                   [&] { return stop_ || flush_requested_ || pending_.size() >= batch_bytes_; });
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
