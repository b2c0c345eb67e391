// api::RequestHandler: what the HTTP layer asks of the API for every request, free of any HTTP
// library type. The Dispatcher implements it; http::Server calls it.
#pragma once

#include <cstdint>
#include <string_view>

#include "api/request.h"
#include "api/response.h"

namespace ksgate::api {

// Called concurrently from every I/O thread, so implementations must be thread-safe; calls run
// on the I/O thread itself (no hop), so they should not block for long. An exception thrown by
// either method is logged by the caller and answered with HTTP 500.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;

  // The answer to a request read whole. request.body is the decoded body (no chunking).
  virtual Response Handle(const Request& request) const = 0;

  // The answer to a request refused before it was read whole, because it broke a limit:
  // `limit` is "header_limit" or "body_limit" and `max` that limit's value. partial.method and
  // partial.target are filled when the request line could be read (so the answer can honour
  // format=1); content_type may be; body is always empty. The HTTP layer sends the answer with
  // "Connection: close" and closes without reading the rest of the request.
  virtual Response Reject(const Request& partial, std::string_view limit,
                          uint64_t max) const = 0;
};

}  // namespace ksgate::api
