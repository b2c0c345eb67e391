// Output: how an API answer is encoded (spec/api-v3-wire-protocol.md §6) — the format a request
// asks for, the response envelope of one call or a multirequest, Kaltura's headers, and the
// answers that are not API results (the "die" answer, the CORS preflight).
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/params.h"
#include "api/response.h"
#include "api/value.h"
#include "common/api_error.h"
#include "common/result.h"

namespace ksgate::api {

// The outcome of one call: a result to serialise, or a KalturaAPIException.
using CallResult = Result<Value, ApiError>;

enum class Format { kJson, kXml, kJsonp };

struct OutputFormat {
  Format format = Format::kXml;
  bool ignore_null = false;  // XML: leave out null object fields
  std::string callback;      // JSONP: the function name
};

// Reads `format` (1 JSON, 2 or absent XML, 9 JSONP), `ignoreNull` and, for JSONP, `callback`
// from the request parameters. When they cannot be honoured (an unknown format, a missing or
// malformed callback) the error is the "die" answer Kaltura gives (HTTP 200, empty body,
// X-Kaltura error headers; §6.3).
Result<OutputFormat, Response> ChooseFormat(const Param& params);

// The format for answering a request whose parameters could not all be read: what the URL's
// own parameters ask for (`url_params`, when the URL decoded; an unusable format there is
// ignored); else JSON when the body was JSON (clients that send JSON put `format` in the body
// and read JSON back); else the default, XML.
OutputFormat FallbackFormat(const Param* url_params, std::string_view content_type);

// The answer to a single call, or to a multirequest (`multi`: a list of results, in order).
// XML wraps the results in Kaltura's envelope with `execution_seconds`. Every answer carries
// Kaltura's common headers (CORS, no caching); a SERVICE_FORBIDDEN result also sets Kaltura's
// X-Kaltura / X-Kaltura-App error headers (the last refusal wins).
Response WriteResponse(const OutputFormat& format, const std::vector<CallResult>& results,
                       bool multi, double execution_seconds);

// A multirequest's answer, built as its items finish, so that its size is known at every step
// and bounded (docs/operations.md, Limits). WriteResponse(..., multi = true, ...) gives the same
// bytes when nothing is over the bound. Not thread-safe.
class MultiAnswer {
 public:
  // `max_bytes` bounds the encoded results of the items together (their <item> elements in
  // XML, their array elements and commas in JSON), not the envelope around them.
  MultiAnswer(OutputFormat format, size_t max_bytes);

  // Encodes the next item's result into the answer and returns it. When it would take the
  // encoded results past max_bytes it is dropped, and REQUEST_LIMIT_EXCEEDED
  // ("max_answer_size", max_bytes) is added and returned in its place (so later references to
  // the item resolve to ""); these errors are not counted against max_bytes, so the answer can
  // be longer than it by one short error per item.
  CallResult Add(CallResult result);

  size_t items() const { return items_; }

  // The whole answer, with the headers WriteResponse gives. Leaves *this empty.
  Response Finish(double execution_seconds);

 private:
  OutputFormat format_;
  size_t max_bytes_;
  size_t items_ = 0;
  size_t used_ = 0;   // bytes of body_ counted against max_bytes_ (not the limit errors)
  std::string body_;  // the encoded results, separators included
  std::vector<ApiError> refusals_;  // SERVICE_FORBIDDEN results, for their headers
};

// The answer to an OPTIONS request (CORS preflight).
Response PreflightResponse();

}  // namespace ksgate::api
