// Internal to http/: the server's TLS context (native TLS, ServerOptions::tls_cert_file).
// Parses Asio's SSL headers: include only from server.cc and connection.cc.
#pragma once

// clang-format off
#include "http/asio_types.h"  // before any Asio header: it includes <utility> first (GCC 12)
// clang-format on

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "common/result.h"

namespace ksgate::http {

using TlsContext = asio::ssl::context;

// A server context for the PEM certificate chain in `cert_file` and its private key in
// `key_file`: TLS 1.2 and 1.3 only; TLS 1.2 with ECDHE and AEAD suites only; no compression or
// renegotiation; ALPN "http/1.1" when the client offers it. kInvalidArgument, naming the file,
// when only one file is given, a file cannot be read or is not PEM, or the key is not the
// certificate's; kInternal when OpenSSL refuses the settings.
Result<std::unique_ptr<TlsContext>> MakeTlsContext(const std::string& cert_file,
                                                   const std::string& key_file);

}  // namespace ksgate::http
