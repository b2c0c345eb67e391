#include "api/output.h"

#include "api/utf8.h"
#include "common/strings.h"

namespace ksgate::api {

namespace {

constexpr std::string_view kExposedHeaders =
    "Server, Content-Length, Content-Range, Date, X-Kaltura, X-Kaltura-Session, X-Me";

using Headers = std::vector<std::pair<std::string, std::string>>;

const Headers& CommonHeaders() {
  static const auto* headers = new Headers{
      {"Access-Control-Allow-Origin", "*"},
      {"Access-Control-Expose-Headers", std::string(kExposedHeaders)},
      {"Cache-Control", "no-store, no-cache, must-revalidate, post-check=0, pre-check=0"},
      {"Pragma", "no-cache"},
  };
  return *headers;
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
  r.headers = CommonHeaders();
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
  Response response;
  response.headers = CommonHeaders();
  std::string body;
  if (f.format == Format::kXml) {
    response.content_type = "text/xml";
    std::string inner;
    if (multi) {
      for (const CallResult& r : results) {
        inner += "<item>";
        AppendResult(f, r, &inner);
        inner += "</item>";
      }
    } else {
      AppendResult(f, results.front(), &inner);
    }
    body = XmlEnvelope(inner, execution_seconds);
  } else {
    if (f.format == Format::kJsonp) {
      response.content_type = "application/javascript";
      body += f.callback;
      body += '(';
    } else {
      response.content_type = "application/json";
    }
    if (multi) {
      body += '[';
      for (size_t i = 0; i < results.size(); ++i) {
        if (i) body += ',';
        AppendResult(f, results[i], &body);
      }
      body += ']';
    } else {
      AppendResult(f, results.front(), &body);
    }
    if (f.format == Format::kJsonp) body += ");";
  }
  response.body = std::move(body);
  // Kaltura's initService sets these when it refuses an action (the last refusal wins).
  for (const CallResult& r : results) {
    if (!r.ok() && r.error().code == errors::kServiceForbidden.code) {
      response.headers.emplace_back("X-Kaltura", "error-" + r.error().code);
      response.headers.emplace_back(
          "X-Kaltura-App", "exiting on error " + r.error().code + " - " + r.error().message);
    }
  }
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
