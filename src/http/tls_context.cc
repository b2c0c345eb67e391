#include "http/tls_context.h"

#include <openssl/ssl.h>

namespace ksgate::http {
namespace {

// TLS 1.2 suites: ECDHE key exchange and AEAD only (Mozilla's "intermediate" list without DHE).
// TLS 1.3 keeps OpenSSL's default suites, all of them AEAD.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// ALPN: HTTP/1.1 when the client offers it; otherwise no protocol is agreed on.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
               unsigned int in_length, void*) {
  static constexpr unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_length, kHttp11, sizeof kHttp11, in, in_length) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

Result<std::unique_ptr<TlsContext>> MakeTlsContext(const std::string& cert_file,
                                                   const std::string& key_file) {
  if (cert_file.empty() != key_file.empty()) {
    return InvalidArgumentError("http: TLS needs both a certificate file and a key file");
  }
  auto context = std::make_unique<TlsContext>(TlsContext::tls_server);
  SSL_CTX* native = context->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return InternalError("http: cannot configure TLS");
  }
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                  SSL_OP_SINGLE_ECDH_USE | SSL_OP_NO_SSLv3);
  // An idle connection does not keep OpenSSL's read and write buffers (about 34 KiB).
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_alpn_select_cb(native, SelectAlpn, nullptr);
  error_code ec;
  context->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    return InvalidArgumentError("http: TLS certificate file " + cert_file + ": " + ec.message());
  }
  // OpenSSL checks here that the key is the certificate's ("key values mismatch").
  context->use_private_key_file(key_file, TlsContext::pem, ec);
  if (ec) {
    return InvalidArgumentError("http: TLS key file " + key_file + " (for the certificate in " +
                                cert_file + "): " + ec.message());
  }
  return context;
}

}  // namespace ksgate::http
