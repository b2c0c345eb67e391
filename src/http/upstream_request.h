// The request head the gate's upstream client writes (upstream.h, "The request sent"), and the
// field rules it shares with the relay of answers. Plain strings, no Beast: internal to http/,
// included by upstream.cc and its tests.
#pragma once

#include <string>
#include <string_view>

#include "api/handler.h"

namespace ksgate::http {

// Methods whose requests carry content by definition (POST, PUT, PATCH): they get a
// Content-Length even when the body is empty (RFC 9110 8.6).
bool AnticipatesBody(std::string_view method);

// Fields that describe one connection rather than the message (RFC 9110 7.6.1), in requests and
// answers alike: Connection, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade and Proxy-*.
bool IsHopByHop(std::string_view name);

// A request target this client writes: not empty, without spaces or controls.
bool IsValidTarget(std::string_view target);

// The request's head as sent upstream, into `out`, or false when `request` cannot be written (a
// method that is not a token, an invalid target). Fields the client sets itself (Host,
// Content-Length) and hop-by-hop fields are dropped from request.headers; invalid ones are
// dropped and logged.
bool FormatRequestHead(const api::UpstreamRequest& request, std::string_view host_field,
                       std::string& out);

}  // namespace ksgate::http
