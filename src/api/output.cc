#include "api/output.h"

#include <cstdint>

#include "api/utf8.h"
#include "common/strings.h"

namespace ksgate::api {

namespace {

constexpr std::string_view kExposedHeaders =
    "Server, Content-Length, Content-Range, Date, X-Kaltura, X-Kaltura-Session, X-Me";

// The fields every API answer carries, as ready head lines (api/response.h): the same bytes for
// every answer, so not a pair of strings each to copy and for the HTTP layer to check again.
const std::string& CommonHeadLines() {
  static const auto* lines = new std::string(
      "Access-Control-Allow-Origin: *\r\nAccess-Control-Expose-Headers: " +
      std::string(kExposedHeaders) +
      "\r\nCache-Control: no-store, no-cache, must-revalidate, post-check=0, pre-check=0\r\n"
      "Pragma: no-cache\r\n");
  return *lines;
}

bool IsCallbackName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// The die response of spec §6.3: HTTP 200, empty body, X-Kaltura headers.
Response Die(std::string_view code, std::string_view message) {
  Response r;
  r.content_type = "text/plain";
  r.fixed_lines = CommonHeadLines();
  r.headers.emplace_back("X-Kaltura", "error-" + std::string(code));
  r.headers.emplace_back("X-Kaltura-App",
                         "exiting on error " + std::string(code) + " - " + std::string(message));
  return r;
}

void AppendResult(const OutputFormat& f, const CallResult& r, std::string* out) {
  if (f.format == Format::kXml) {
    if (r.ok()) {
      AppendXml(*r, f.ignore_null, out);
    } else {
      AppendXmlError(r.error(), out);
    }
  } else if (r.ok()) {
    AppendJson(*r, out);
  } else {
    AppendJsonError(r.error(), out);
  }
}

// Kaltura's initService sets these when it refuses an action (a multirequest answer carries
// them once per refusal; the last one wins for clients that keep one).
void AddRefusalHeaders(const ApiError& forbidden, Response* response) {
  response->headers.emplace_back("X-Kaltura", "error-" + forbidden.code);
  response->headers.emplace_back("X-Kaltura-App",
                                 "exiting on error " + forbidden.code + " - " + forbidden.message);
}

// JSON and JSONP answers: the content type and what goes before the JSON text.
void BeginJson(const OutputFormat& f, Response* response, std::string* body) {
  if (f.format == Format::kJsonp) {
    response->content_type = "application/javascript";
    *body += f.callback;
    *body += '(';
  } else {
    response->content_type = "application/json";
  }
}

// What goes after the JSON text.
void EndJson(const OutputFormat& f, std::string* body) {
  if (f.format == Format::kJsonp) *body += ");";
}

bool IsForbidden(const CallResult& r) {
  return !r.ok() && r.error().code == errors::kServiceForbidden.code;
}

}  // namespace

Result<OutputFormat, Response> ChooseFormat(const Param& params) {
  OutputFormat out;
  const std::string_view format = params.ScalarAt("format");
  if (format.empty() || format == "2") {
    out.format = Format::kXml;
  } else if (format == "1") {
    out.format = Format::kJson;
  } else if (format == "9") {
    out.format = Format::kJsonp;
    const std::string_view callback = params.ScalarAt("callback");
    if (callback.empty()) {
      return Die("MANDATORY_PARAMETER_MISSING", "Mandatory parameter missing [callback]");
    }
    if (!IsCallbackName(callback)) {
      return Die("INVALID_FIELD_VALUE", "value in field [callback] is not valid");
    }
    out.callback = std::string(callback);
  } else {
    std::string shown = IsXmlSafeUtf8(format) && format.size() < 64 ? std::string(format) : "?";
    for (char& c : shown) {
      if (c == '\r' || c == '\n') c = ' ';
    }
    return Die("UNKNOWN_RESPONSE_FORMAT",
               "Response format provided [" + shown + "] is not recognized by server");
  }
  const Param* ignore_null = params.Find("ignoreNull");
  out.ignore_null = ignore_null != nullptr &&
                    ((ignore_null->kind == Param::Kind::kBool && ignore_null->text == "true") ||
                     (ignore_null->kind != Param::Kind::kBool && ignore_null->text == "1"));
  return out;
}

OutputFormat FallbackFormat(const Param* url_params, std::string_view content_type) {
  if (url_params != nullptr && url_params->Find("format") != nullptr) {
    Result<OutputFormat, Response> chosen = ChooseFormat(*url_params);
    if (chosen.ok()) return std::move(chosen).value();
  }
  OutputFormat f;
  const std::string_view media =
      TrimChars(content_type.substr(0, content_type.find(';')), kSpaceOrTab);
  if (EqualsIgnoreCase(media, "application/json")) f.format = Format::kJson;
  return f;
}

Response WriteResponse(const OutputFormat& f, const std::vector<CallResult>& results, bool multi,
                       double execution_seconds) {
  if (multi) {
    MultiAnswer answer(f, SIZE_MAX);
    for (const CallResult& r : results) static_cast<void>(answer.Add(r));
    return answer.Finish(execution_seconds);
  }
  Response response;
  response.fixed_lines = CommonHeadLines();
  std::string body;
  if (f.format == Format::kXml) {
    response.content_type = "text/xml";
    std::string inner;
    AppendResult(f, results.front(), &inner);
    body = XmlEnvelope(inner, execution_seconds);
  } else {
    body.reserve(1024);  // one allocation for a usual answer, not one per doubling
    BeginJson(f, &response, &body);
    AppendResult(f, results.front(), &body);
    EndJson(f, &body);
  }
  response.body = std::move(body);
  if (IsForbidden(results.front())) AddRefusalHeaders(results.front().error(), &response);
  return response;
}

MultiAnswer::MultiAnswer(OutputFormat format, size_t max_bytes)
    : format_(std::move(format)), max_bytes_(max_bytes) {}

CallResult MultiAnswer::Add(CallResult result) {
  std::string piece;
  if (format_.format == Format::kXml) piece += "<item>";
  AppendResult(format_, result, &piece);
  if (format_.format == Format::kXml) piece += "</item>";
  const size_t separator = format_.format != Format::kXml && items_ > 0 ? 1 : 0;
  if (piece.size() + separator > max_bytes_ - used_) {
    result =
        ApiError::Of(errors::kRequestTooLarge, {"max_answer_size", std::to_string(max_bytes_)});
    piece.clear();
    if (format_.format == Format::kXml) piece += "<item>";
    AppendResult(format_, result, &piece);
    if (format_.format == Format::kXml) piece += "</item>";
  } else {
    used_ += piece.size() + separator;
  }
  if (separator) body_ += ',';
  body_ += piece;
  ++items_;
  if (IsForbidden(result)) refusals_.push_back(result.error());
  return result;
}

Response MultiAnswer::Finish(double execution_seconds) {
  Response response;
  response.fixed_lines = CommonHeadLines();
  if (format_.format == Format::kXml) {
    response.content_type = "text/xml";
    response.body = XmlEnvelope(body_, execution_seconds);
  } else {
    std::string body;
    body.reserve(body_.size() + format_.callback.size() + 4);
    BeginJson(format_, &response, &body);
    body += '[';
    body += body_;
    body += ']';
    EndJson(format_, &body);
    response.body = std::move(body);
  }
  for (const ApiError& refusal : refusals_) AddRefusalHeaders(refusal, &response);
  body_.clear();
  used_ = 0;
  items_ = 0;
  refusals_.clear();
  return response;
}

Response PreflightResponse() {
  Response r;
  r.content_type = "text/plain";
  r.headers = {
      {"Access-Control-Allow-Origin", "*"},
      {"Access-Control-Allow-Headers",
       "Origin, X-Requested-With, Content-Type, Accept, Range, Cache-Control"},
      {"Access-Control-Allow-Methods", "POST, GET, HEAD, OPTIONS"},
      {"Access-Control-Max-Age", "86400"},
      {"Access-Control-Expose-Headers", std::string(kExposedHeaders)},
  };
  return r;
}

}  // namespace ksgate::api
