#include "obs/access_log.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
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

int64_t SteadyMicros(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

// Unix time minus steady time, now, in microseconds.
int64_t UnixMinusSteady() {
  return NowUnixMicros() - SteadyMicros(std::chrono::steady_clock::now());
}

// `unix_minus_steady` converts a steady start (UnixMinusSteady, read once per batch).
void Format(const AccessRecord& r, int64_t unix_minus_steady, std::string* out) {
  thread_local std::string path;
  path.clear();
  AppendLoggablePath(r.target, &path);
  Put("{\"time\":\"", out);
  AppendTime(
      r.start_unix_micros != 0 ? r.start_unix_micros : SteadyMicros(r.start) + unix_minus_steady,
      out);
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

// A record as the I/O thread queues it: this header, then its strings' bytes, one after the
// other. The writer thread formats it (Unpack, Format), so that the I/O thread does a copy, not
// the formatting, and the formatting code runs in batches, warm in the CPU's caches.
struct Packed {
  int64_t start_unix_micros;
  int64_t start_steady_micros;
  int64_t partner_id;
  int64_t latency_us;
  uint64_t bytes_out;
  uint64_t items;
  int32_t status;
  uint16_t length[7];  // request_id, client_ip, method, target, action, app_token_id, code
};

// What AppendLoggablePath needs of a target: never what follows the first '?' or '#', nor more
// than the prefixes it keeps (under 200 bytes), so a longer path is cut to 512 bytes, and
// kCutMark is added to a cut one so that its line still ends in "/..." (more followed).
constexpr size_t kMaxLoggableInput = 512;
constexpr std::string_view kCutMark = "/+";

// The path of `target` up to kMaxLoggableInput + 1 bytes (that many: it is cut).
std::string_view LoggableInput(std::string_view target) {
  size_t end = 0;
  while (end < target.size() && end <= kMaxLoggableInput && target[end] != '?' &&
         target[end] != '#') {
    ++end;
  }
  return target.substr(0, end);
}

// A string of a record as packed: at most 64 KiB - 1 bytes of it.
std::string_view Clip(std::string_view s) { return s.substr(0, 0xffff); }

size_t PackedSize(const AccessRecord& r) {
  const size_t path = std::min(LoggableInput(r.target).size(), kMaxLoggableInput + kCutMark.size());
  return sizeof(Packed) + Clip(r.request_id).size() + Clip(r.client_ip).size() +
         Clip(r.method).size() + path + Clip(r.action).size() + Clip(r.app_token_id).size() +
         Clip(r.code).size();
}

void Pack(const AccessRecord& r, std::string* out) {
  std::string_view path = LoggableInput(r.target);
  const bool cut = path.size() > kMaxLoggableInput;
  if (cut) path = path.substr(0, kMaxLoggableInput);
  const std::string_view strings[7] = {
      Clip(r.request_id), Clip(r.client_ip),    Clip(r.method), path,
      Clip(r.action),     Clip(r.app_token_id), Clip(r.code)};
  Packed h{r.start_unix_micros,
           SteadyMicros(r.start),
           r.partner_id,
           r.latency_us,
           r.bytes_out,
           r.items,
           r.status,
           {}};
  for (size_t i = 0; i < 7; ++i) h.length[i] = static_cast<uint16_t>(strings[i].size());
  if (cut) h.length[3] = static_cast<uint16_t>(h.length[3] + kCutMark.size());
  out->append(reinterpret_cast<const char*>(&h), sizeof(h));
  for (size_t i = 0; i < 7; ++i) {
    out->append(strings[i]);
    if (i == 3 && cut) out->append(kCutMark);
  }
}

// The record packed at `data` (views into it), and its size.
size_t Unpack(const char* data, AccessRecord* r) {
  Packed h;
  std::memcpy(&h, data, sizeof(h));
  r->start_unix_micros = h.start_unix_micros;
  r->start =
      std::chrono::steady_clock::time_point(std::chrono::microseconds(h.start_steady_micros));
  r->partner_id = h.partner_id;
  r->latency_us = h.latency_us;
  r->bytes_out = h.bytes_out;
  r->items = h.items;
  r->status = h.status;
  const char* p = data + sizeof(h);
  std::string_view* strings[7] = {&r->request_id, &r->client_ip,    &r->method, &r->target,
                                  &r->action,     &r->app_token_id, &r->code};
  for (size_t i = 0; i < 7; ++i) {
    *strings[i] = std::string_view(p, h.length[i]);
    p += h.length[i];
  }
  return static_cast<size_t>(p - data);
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
  const size_t size = PackedSize(record);
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    const size_t before = pending_.size();
    if (before + size > capacity_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (pending_.capacity() == 0) pending_.reserve(batch_bytes_ * 2);
    Pack(record, &pending_);
    appended_ += size;
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
  std::string batch;  // packed records
  std::string lines;  // formatted
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait_for(lock, kWriteInterval,
                   [&] { return stop_ || flush_requested_ || pending_.size() >= batch_bytes_; });
    flush_requested_ = false;
    if (!pending_.empty()) {
      batch.swap(pending_);
      const uint64_t upto = appended_;
      lock.unlock();
      lines.clear();
      AccessRecord record;
      const int64_t unix_minus_steady = UnixMinusSteady();
      for (size_t at = 0; at < batch.size();) {
        at += Unpack(batch.data() + at, &record);
        Format(record, unix_minus_steady, &lines);
      }
      if (Status s = file_->Write(lines); !s.ok()) {
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
  Format(record, UnixMinusSteady(), &line);
  return line;
}

}  // namespace ksgate::obs
