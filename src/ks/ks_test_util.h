// Fixtures shared by the KS codec's tests: the §4.9 vectors and KS builders.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ks/base64.h"
#include "ks/crypto.h"
#include "ks/ks.h"

namespace ksgate::ks::ks_test_util {

// Matches a ParsedKs whose fields.privileges is `privileges`.
inline ::testing::Matcher<const ParsedKs&> HasPrivileges(const std::string& privileges) {
  return ::testing::Field(&ParsedKs::fields, ::testing::Field(&KsFields::privileges, privileges));
}

inline constexpr int64_t kPartnerId = 12345;
inline const std::string kSecret = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6";
inline const std::string kOtherSecret = "ffffffffffffffffffffffffffffffff";
inline const std::vector<std::string> kSecrets = {kSecret};
inline constexpr int64_t kValidUntil = 1767225600;

inline constexpr std::array<uint8_t, 16> kRand = {0, 1, 2,  3,  4,  5,  6,  7,
                                                  8, 9, 10, 11, 12, 13, 14, 15};

// §4.9 vector A: an app-token KS.
inline const std::string kKsA =
    "djJ8MTIzNDV8dRsPwm-WarfBZrAcQGHdDSBnWOSpF7H0p8IIkar3DKcxiEHC_"
    "Cv8hb02cUn42sRqfBnIxwaoyLiPGSxN4nTS"
    "plZPPTJRNtoVz8_2J2fujIgoKWLhHrtrudvEth4lMYAKXguGmHCeHEXXslUXMJsvt_"
    "r6fnOyeKDLZCnWsQhNvANJvFGu9h4"
    "OkEOE-iao7RLM";
// §4.9 vector B: a widget KS.
inline const std::string kKsB =
    "djJ8MTIzNDV8xD7rYnBFrgxxxsnLZCevAmQ-r00Xr2LH6m9BNgzteF8nYcD4U0Cuz--Qz3tAfCnFo7ga8rgETE_"
    "6rdjL2IvM"
    "iYRUfBgOWOrBwDWOlpGtMpA=";
// §4.9 vector C: a v1 KS.
inline const std::string kKsC =
    "MjFmYzczYWY4NTQ4MzQxNmE2MWQ1ZWQ4ODY2ZmM5NjA4OTFlMjU5N3wxMjM0NTsxMjM0NTsxNzY3MjI1NjAwOzA7MTc2Nz"
    "EzOTIwMC4xMjM0O3VzZXJAZXhhbXBsZS5jb207c2Vzc2lvbmlkOjBfYWJjZDEyMzQsYXBwdG9rZW46MF9hYmNkMTIzNDs"
    "7";

inline KsFields FieldsA() {
  KsFields f;
  f.partner_id = kPartnerId;
  f.valid_until = kValidUntil;
  f.type = kSessionTypeUser;
  f.user = "user@example.com";
  f.privileges = "sessionid:0_abcd1234,apptoken:0_abcd1234,setrole:PLAYBACK_BASE_ROLE";
  return f;
}

inline KsFields FieldsB() {
  KsFields f;
  f.partner_id = kPartnerId;
  f.valid_until = kValidUntil;
  f.type = kSessionTypeUser;
  f.user = "0";
  f.privileges = "view:*,widget:1";
  return f;
}

inline KsFields FieldsC() {
  KsFields f = FieldsA();
  f.privileges = "sessionid:0_abcd1234,apptoken:0_abcd1234";
  return f;
}

inline std::string UrlSafe(std::string s) {
  for (char& c : s) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return s;
}

inline std::string RawOf(std::string_view ks) {
  return Base64DecodeStrict(ks, Base64Alphabet::kStandardOrUrlSafe).value();
}

// Builds a v2 KS around an arbitrary query, signed like generateKsV2 would.
inline std::string MakeV2(std::string_view query, std::string_view secret = kSecret,
                          std::string_view partner = "12345") {
  std::string plain(16, '\x07');
  plain.append(query);
  std::string signed_text = Sha1Raw(plain) + plain;
  signed_text.resize((signed_text.size() + 15) / 16 * 16, '\0');
  const std::string key = Sha1Raw(secret).substr(0, 16);
  return UrlSafe(Base64Encode("v2|" + std::string(partner) + "|" +
                              Aes128CbcZeroIvEncrypt(key, signed_text).value()));
}

// Builds a v1 KS around an arbitrary info string.
inline std::string MakeV1(std::string_view info, std::string_view secret = kSecret) {
  return Base64Encode(HexDigest(HashAlgorithm::kSha1, std::string(secret) + std::string(info)) +
                      "|" + std::string(info));
}

// The query inside a v2 KS (for asserting what the encoder wrote).
inline std::string QueryOf(std::string_view ks, std::string_view secret = kSecret) {
  const std::string raw = RawOf(ks);
  const size_t bar = raw.find('|', 3);
  std::string plain =
      Aes128CbcZeroIvDecrypt(Sha1Raw(secret).substr(0, 16), raw.substr(bar + 1)).value();
  plain.resize(plain.find_last_not_of('\0') + 1);
  return plain.substr(20 + 16);
}

}  // namespace ksgate::ks::ks_test_util
