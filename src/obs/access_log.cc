#include "obs/access_log.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>

#include "common/json_text.h"
#include "obs/log_line.h"
#include "obs/text_at.h"

namespace ksgate::obs {

namespace {

// How long a line may wait in the buffer when little is logged.
constexpr std::chrono::milliseconds kWriteInterval{20};
// How much is written at once when requests come fast: small enough that the buffer the I/O
// threads append to (and the page cache the kernel copies it to) stays in the CPU's cache
// instead of sweeping the request path's working set out of it, large enough that one write(2)
// carries a couple of hundred lines.
constexpr size_t kBatchBytes = 64 * 1024;

using text_at::Copy;
using text_at::Is;

// The line is written at a pointer into room made for the longest it can be (LineBound), so
// that each piece is a copy rather than a std::string append with its checks.

// A literal, its length known at compile time (a few moves, no call).
template <size_t N>
char* Put(const char (&text)[N], char* out) {
  std::memcpy(out, text, N - 1);
  return out + N - 1;
}

// "00" to "99".
constexpr std::array<char, 200> MakeDigitPairs() {
  std::array<char, 200> pairs{};
  for (int i = 0; i < 100; ++i) {
    pairs[2 * i] = static_cast<char>('0' + i / 10);
    pairs[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return pairs;
}
constexpr std::array<char, 200> kDigitPairs = MakeDigitPairs();

// `value` in decimal, two digits a step from the right (inline: std::to_chars is a call, and
// the numbers here are short).
char* PutInt(int64_t value, char* out) {
  uint64_t v = static_cast<uint64_t>(value);
  if (value < 0) {
    *out++ = '-';
    v = 0 - v;
  }
  size_t digits = 1;
  for (uint64_t rest = v; rest >= 10; rest /= 10) ++digits;
  char* const end = out + digits;
  char* p = end;
  while (v >= 100) {
    p -= 2;
    std::memcpy(p, &kDigitPairs[2 * (v % 100)], 2);
    v /= 100;
  }
  if (v >= 10) {
    std::memcpy(p - 2, &kDigitPairs[2 * v], 2);
  } else {
    p[-1] = static_cast<char>('0' + v);
  }
  return end;
}

// What a line adds to its strings and path, at most: its keys and punctuation, the time, and
// five numbers of 20 characters.
constexpr size_t kLineFixed = 512;

// Room enough for the line of `r` (escaping writes at most 6 bytes per byte).
size_t LineBound(const AccessRecord& r) {
  return kLineFixed +
         6 * (r.request_id.size() + r.client_ip.size() + r.method.size() + r.action.size() +
              r.app_token_id.size() + r.code.size() + kMaxLoggablePath);
}

int64_t SteadyMicros(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

// Unix time minus steady time, now, in microseconds.
int64_t UnixMinusSteady() {
  return NowUnixMicros() - SteadyMicros(std::chrono::steady_clock::now());
}

// Times as AppendTime writes them, the date and time of day made once per second: a writer
// formats hundreds of lines a second, nearly all in the second of the line before.
class TimeText {
 public:
  char* Write(int64_t unix_micros, char* out) {
    // Floor division, as AppendTime.
    int64_t seconds = unix_micros / 1000000;
    int64_t micros = unix_micros % 1000000;
    if (micros < 0) {
      micros += 1000000;
      --seconds;
    }
    if (seconds != second_) Make(seconds, unix_micros);
    if (second_size_ == 19) {
      std::memcpy(out, second_text_, 19);  // "YYYY-MM-DDTHH:MM:SS": a copy of known size
      out += 19;
    } else {
      out = Copy(std::string_view(second_text_, second_size_), out);
    }
    const auto m = static_cast<uint32_t>(micros);
    *out++ = '.';
    std::memcpy(out, &kDigitPairs[2 * (m / 10000)], 2);
    std::memcpy(out + 2, &kDigitPairs[2 * (m / 100 % 100)], 2);
    std::memcpy(out + 4, &kDigitPairs[2 * (m % 100)], 2);
    out[6] = 'Z';
    return out + 7;
  }

 private:
  // `unix_micros`: a time in `seconds`.
  void Make(int64_t seconds, int64_t unix_micros) {
    std::string text;
    AppendTime(unix_micros, &text);
    // All of it but ".ffffffZ".
    second_size_ = std::min(text.size() - 8, sizeof(second_text_));
    std::memcpy(second_text_, text.data(), second_size_);
    second_ = seconds;
  }

  int64_t second_ = INT64_MIN;
  char second_text_[32];
  size_t second_size_ = 0;
};

// Writes the line of `r`, a record as Unpack gives it (its target cut to its path), at `out`
// (room for LineBound(r) bytes); returns its end.
// `unix_minus_steady` converts a steady start (UnixMinusSteady, read once per batch).
char* Format(const AccessRecord& r, int64_t unix_minus_steady, TimeText& time, char* out) {
  char path[kMaxLoggablePath];
  const char* path_end = WriteLoggablePath(r.target, path);  // packed: the path alone
  out = Put("{\"time\":\"", out);
  out = time.Write(
      r.start_unix_micros != 0 ? r.start_unix_micros : SteadyMicros(r.start) + unix_minus_steady,
      out);
  out = Put("\",\"request_id\":\"", out);
  out = WriteJsonEscaped(r.request_id, out);
  out = Put("\",\"client_ip\":\"", out);
  out = WriteJsonEscaped(r.client_ip, out);
  out = Put("\",\"method\":\"", out);
  out = WriteJsonEscaped(r.method, out);
  out = Put("\",\"path\":\"", out);
  out = WriteJsonEscaped(std::string_view(path, static_cast<size_t>(path_end - path)), out);
  out = Put("\",\"status\":", out);
  out = PutInt(r.status, out);
  if (!r.action.empty()) {
    out = Put(",\"action\":\"", out);
    out = WriteJsonEscaped(r.action, out);
    *out++ = '"';
    if (Is(r.action, "multirequest")) {
      out = Put(",\"items\":", out);
      out = PutInt(static_cast<int64_t>(r.items), out);
    }
  }
  if (r.partner_id != 0) {
    out = Put(",\"partner_id\":", out);
    out = PutInt(r.partner_id, out);
  }
  if (!r.app_token_id.empty()) {
    out = Put(",\"app_token_id\":\"", out);
    out = WriteJsonEscaped(r.app_token_id, out);
    *out++ = '"';
  }
  out = Put(",\"code\":\"", out);
  out = WriteJsonEscaped(r.code, out);
  out = Put("\",\"bytes_out\":", out);
  out = PutInt(static_cast<int64_t>(r.bytes_out), out);
  out = Put(",\"latency_us\":", out);
  out = PutInt(r.latency_us, out);
  return Put("}\n", out);
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

// What LoggablePath needs of a target: never what follows the first '?' or '#', nor more
// than the prefixes it keeps (under 200 bytes), so a longer path is cut to 512 bytes, and
// kCutMark is added to a cut one so that its line still ends in "/..." (more followed).
constexpr size_t kMaxLoggableInput = 512;
constexpr std::string_view kCutMark = "/+";

// A string of a record as packed: at most 64 KiB - 1 bytes of it.
std::string_view Clip(std::string_view s) { return s.size() <= 0xffff ? s : s.substr(0, 0xffff); }

// A record ready to be packed: what Append works out before it takes the lock.
struct Prepared {
  Packed header;
  std::string_view strings[7];  // as header.length, but the cut mark
  bool cut;                     // kCutMark follows the target
  size_t size;                  // packed
};

Prepared Prepare(const AccessRecord& r) {
  // (Never more than kMaxLoggableInput + 1 bytes searched: a longer path is cut anyway.)
  std::string_view path(r.target.data(),
                        LoggablePathEnd(r.target.substr(0, kMaxLoggableInput + 1)));
  const bool cut = path.size() > kMaxLoggableInput;
  if (cut) path = path.substr(0, kMaxLoggableInput);
  Prepared p{{r.start_unix_micros,
              SteadyMicros(r.start),
              r.partner_id,
              r.latency_us,
              r.bytes_out,
              r.items,
              r.status,
              {}},
             {Clip(r.request_id), Clip(r.client_ip), Clip(r.method), path, Clip(r.action),
              Clip(r.app_token_id), Clip(r.code)},
             cut,
             sizeof(Packed)};
  for (size_t i = 0; i < 7; ++i) {
    p.header.length[i] = static_cast<uint16_t>(p.strings[i].size());
    p.size += p.strings[i].size();
  }
  if (cut) {
    p.header.length[3] = static_cast<uint16_t>(p.header.length[3] + kCutMark.size());
    p.size += kCutMark.size();
  }
  return p;
}

// Packs `p` at `out` (room for p.size bytes).
void Pack(const Prepared& p, char* out) {
  std::memcpy(out, &p.header, sizeof(p.header));
  out += sizeof(p.header);
  for (size_t i = 0; i < 7; ++i) {
    out = Copy(p.strings[i], out);
    if (i == 3 && p.cut) out = Copy(kCutMark, out);
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

void AccessLog::Buffer::Reserve(size_t capacity) {
  if (capacity <= capacity_) return;
  auto data = std::make_unique_for_overwrite<char[]>(capacity);
  if (size_ != 0) std::memcpy(data.get(), data_.get(), size_);
  data_ = std::move(data);
  capacity_ = capacity;
}

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
  const Prepared packed = Prepare(record);  // before the lock: only the copy is done under it
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    const size_t before = pending_.size();
    if (before + packed.size > capacity_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (pending_.capacity() == 0) pending_.Reserve(batch_bytes_ * 2);
    Pack(packed, pending_.Room(packed.size));
    pending_.Commit(packed.size);
    appended_ += packed.size;
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
  Buffer batch;  // packed records
  Buffer lines;  // formatted
  TimeText time;
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait_for(lock, kWriteInterval,
                   [&] { return stop_ || flush_requested_ || pending_.size() >= batch_bytes_; });
    flush_requested_ = false;
    if (pending_.size() != 0) {
      batch.Swap(pending_);
      const uint64_t upto = appended_;
      lock.unlock();
      lines.Clear();
      AccessRecord record;
      const int64_t unix_minus_steady = UnixMinusSteady();
      for (size_t at = 0; at < batch.size();) {
        at += Unpack(batch.data() + at, &record);
        char* line = lines.Room(LineBound(record));
        const char* end = Format(record, unix_minus_steady, time, line);
        lines.Commit(static_cast<size_t>(end - line));
      }
      if (Status s = file_->Write(std::string_view(lines.data(), lines.size())); !s.ok()) {
        // Said once per failing batch; the lines themselves are lost.
        spdlog::error("access log: {}", s.message());
      }
      batch.Clear();
      lock.lock();
      written_bytes_ = upto;
    }
    written_.notify_all();
    if (stop_ && pending_.size() == 0) return;
  }
}

std::string AccessLog::FormatForTesting(const AccessRecord& record) {
  // Packed and unpacked first, as the writer thread gets it.
  const Prepared prepared = Prepare(record);
  std::string packed(prepared.size, '\0');
  Pack(prepared, packed.data());
  AccessRecord unpacked;
  Unpack(packed.data(), &unpacked);
  thread_local TimeText time;
  std::string line(LineBound(unpacked), '\0');
  const char* end = Format(unpacked, UnixMinusSteady(), time, line.data());
  line.resize(static_cast<size_t>(end - line.data()));
  return line;
}

}  // namespace ksgate::obs
