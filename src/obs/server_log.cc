#include "obs/server_log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <utility>

#include "obs/log_file.h"
#include "obs/log_line.h"

namespace ksgate::obs {

namespace {

std::string_view LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

void AppendJsonLine(std::string_view level, std::string_view message, int64_t unix_micros,
                    std::string* out) {
  JsonLine line(out);
  line.Time("time", unix_micros).String("level", level).String("msg", message);
  if (const RequestContext* request = CurrentRequest()) {
    line.String("request_id", request->request_id);
    if (!request->client_ip.empty()) line.String("client_ip", request->client_ip);
  }
  line.End();
}

// spdlog's formatter for JSON lines: every field escaped (messages may quote caller input).
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const int64_t micros =
        std::chrono::duration_cast<std::chrono::microseconds>(msg.time.time_since_epoch()).count();
    thread_local std::string line;
    line.clear();
    AppendJsonLine(LevelName(msg.level), std::string_view(msg.payload.data(), msg.payload.size()),
                   micros, &line);
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// A sink over a LogFile (stderr or a reopenable file).
class LogFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit LogFileSink(std::unique_ptr<LogFile> file) : file_(std::move(file)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    // A log line that cannot be written has nowhere to be reported.
    (void)file_->Write(std::string_view(formatted.data(), formatted.size()));
  }
  void flush_() override {}

 private:
  std::unique_ptr<LogFile> file_;
};

}  // namespace

bool IsLogLevel(std::string_view level) {
  return level == "trace" || level == "debug" || level == "info" || level == "warn" ||
         level == "error";
}

bool IsLogFormat(std::string_view format) { return format == "text" || format == "json"; }

Status ConfigureServerLog(const ServerLogOptions& options) {
  if (!IsLogLevel(options.level)) {
    return InvalidArgumentError("--log-level must be trace, debug, info, warn or error, got '" +
                                options.level.substr(0, 32) + "'");
  }
  if (!IsLogFormat(options.format)) {
    return InvalidArgumentError("--log-format must be text or json, got '" +
                                options.format.substr(0, 32) + "'");
  }
  std::unique_ptr<LogFile> file;
  if (options.file.empty()) {
    file = LogFile::Stderr();
  } else {
    KSGATE_ASSIGN_OR_RETURN(file, LogFile::Open(options.file));
  }
  auto sink = std::make_shared<LogFileSink>(std::move(file));
  if (options.format == "json") {
    sink->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    sink->set_formatter(std::make_unique<spdlog::pattern_formatter>());
  }
  auto logger = std::make_shared<spdlog::logger>("ksgate", std::move(sink));
  logger->set_level(spdlog::level::from_str(options.level));
  // Warnings and errors reach the file at once; the sink writes every line with write(2), so
  // nothing is held in a buffer anyway.
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  return Status::Ok();
}

std::string JsonLogLineForTesting(std::string_view level, std::string_view message,
                                  int64_t unix_micros) {
  std::string line;
  AppendJsonLine(level, message, unix_micros, &line);
  line.pop_back();
  return line;
}

}  // namespace ksgate::obs
