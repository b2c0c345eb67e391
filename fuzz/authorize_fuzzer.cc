// Fuzzes the gate's authorize endpoint (api/authorize.h) end to end, as the HTTP layer drives it:
// app::App over a MemoryStore, Dispatcher::Begin, then Advance(kInline) and, when it asks for
// the store, Advance(kMayBlock). The original request comes from X-Original-* or X-Forwarded-*
// header fields or the path below the endpoint; the KS from Authorization, the URI's `ks`, or
// a /ks/<ks>/ path pair; the call from an /api_v3 URI or a --route.
//
// Input (one field per line, the last field the rest):
//   TARGET              the authorize request's target (put under /ksgate/v1/authorize)
//   X-Original-Method
//   X-Original-URI
//   Authorization
//   KS-SPEC             "TYPE|USER|PRIVILEGES|VALID_FOR" (later fields optional): a KS for the
//                       fixture's partner is minted from it and replaces every "$KS" in the
//                       other fields, so the fuzzer gets past signature checks
//   X-Forwarded-Uri...
// "$PID" anywhere reads as the partner's id. A minted KS's version is 1 when the spec starts
// with "v1:".
// Properties: the exchange answers (never asks for anything else); 204 carries the identity
// headers, a refusal 401/403 an X-Ksgate-Error and a JSON body; the store never fails.
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/authorize.h"
#include "api/gateway.h"
#include "api/handler.h"
#include "api/json_value.h"
#include "app/app.h"
#include "common/clock.h"
#include "fuzz/fuzz_input.h"
#include "ks/ks.h"
#include "services/permission_catalogue.h"
#include "store/memory_store.h"

namespace {

using namespace ksgate;

constexpr int64_t kNow = 1767000000;
constexpr std::string_view kAdminSecret = "adminsecretA";

// The permissions file of docs/gateway.md.
constexpr std::string_view kPermissionsFile = R"ini(
[permission MEDIA_READ]
actions = media.list media.get
[permission REPORTS]
actions = report.*
[role BASE_USER_SESSION_ROLE]
permissions = MEDIA_READ
)ini";

struct Fixture {
  FakeClock clock{kNow};
  std::unique_ptr<app::App> app;
  int64_t partner_id = 0;

  Fixture() {
    app::AppOptions options;
    options.cache_ttl = std::chrono::milliseconds(0);
    options.usage_flush_interval = std::chrono::milliseconds(0);
    options.gateway.upstreams.push_back(
        api::ParseUpstream("media,report=http://127.0.0.1:9/kaltura").value());
    for (const char* route :
         {"GET /videos/*=media.get", "DELETE /videos/*=media.delete", "* /reports=report.list"}) {
      options.gateway.routes.push_back(api::ParseRoute(route).value());
    }
    options.gateway.signing_key = "fuzz-signing-key";
    options.catalogue = services::PermissionCatalogue::BuiltIn().Extend(kPermissionsFile).value();
    app = std::make_unique<app::App>(std::make_unique<store::MemoryStore>(), clock,
                                     std::move(options));
    store::NewPartner p;
    p.name = "A";
    p.admin_secrets = {std::string(kAdminSecret)};
    p.secret = "usersecretA";
    partner_id = app->store().CreatePartner(p, kNow).value().id;
  }
};

Fixture& GetFixture() {
  static Fixture* fixture = new Fixture();
  return *fixture;
}

void ReplaceAll(std::string* s, std::string_view from, std::string_view to) {
  for (size_t at = s->find(from); at != std::string::npos; at = s->find(from, at + to.size())) {
    s->replace(at, from.size(), to);
  }
}

int64_t ToInt(std::string_view text, int64_t fallback) {
  int64_t v = fallback;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

std::string MintKs(std::string_view spec, int64_t partner_id) {
  const bool v1 = spec.starts_with("v1:");
  if (v1) spec.remove_prefix(3);
  const auto parts = ksgate::fuzz::SplitOn(spec, "|");
  ks::KsFields f;
  f.partner_id = partner_id;
  f.type = static_cast<int>(ToInt(parts[0], 0));
  if (parts.size() > 1) f.user = std::string(parts[1]);
  if (parts.size() > 2) f.privileges = std::string(parts[2]);
  f.valid_until = kNow + (parts.size() > 3 ? ToInt(parts[3], 600) : 600);
  return v1 ? ks::EncodeV1(f, kAdminSecret, "1767000000.1234") : ks::EncodeV2(f, kAdminSecret, {});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fixture& fixture = GetFixture();
  const auto raw = ksgate::fuzz::SplitFields(ksgate::fuzz::AsText(data, size), 6);
  const std::string pid = std::to_string(fixture.partner_id);
  const std::string ks = raw[4].empty() ? "" : MintKs(raw[4], fixture.partner_id);
  std::vector<std::string> fields;
  for (std::string_view r : raw) {
    std::string field(r);
    ReplaceAll(&field, "$PID", pid);
    ReplaceAll(&field, "$KS", ks);
    fields.push_back(std::move(field));
  }

  api::Request request;
  request.method = "GET";
  request.target = fields[0];
  if (!api::IsAuthorizeTarget(request.target)) {
    const bool joins =
        !request.target.empty() && (request.target.front() == '/' || request.target.front() == '?');
    request.target.insert(0, std::string(api::kAuthorizePath) + (joins ? "" : "/"));
  }
  KSGATE_FUZZ_CHECK(api::IsAuthorizeTarget(request.target));
  request.client_ip = "127.0.0.1";
  const std::pair<std::string_view, std::string_view> headers[] = {
      {"X-Original-Method", fields[1]}, {"X-Original-URI", fields[2]},
      {"Authorization", fields[3]},     {"X-Forwarded-Method", "POST"},
      {"X-Forwarded-Uri", fields[5]},
  };
  for (const auto& [name, value] : headers) {
    if (!value.empty()) request.headers.emplace_back(name, value);
  }

  std::unique_ptr<api::Exchange> exchange = fixture.app->dispatcher().Begin(std::move(request));
  api::Step step = exchange->Advance(api::Exchange::Mode::kInline);
  if (step.kind == api::Step::Kind::kNeedsStore) {
    step = exchange->Advance(api::Exchange::Mode::kMayBlock);
  }
  KSGATE_FUZZ_CHECK(step.kind == api::Step::Kind::kRespond);
  const api::Response& r = step.response;
  // The fields: r.headers, then r.head_lines, which must be header lines as the HTTP layer
  // writes them unchecked ("Name: value\r\n", a token name, no CR, LF or NUL in the value).
  std::vector<std::pair<std::string_view, std::string_view>> answer_fields(r.headers.begin(),
                                                                           r.headers.end());
  for (std::string_view lines = r.head_lines; !lines.empty();) {
    const size_t end = lines.find("\r\n");
    KSGATE_FUZZ_CHECK(end != std::string_view::npos);
    const std::string_view line = lines.substr(0, end);
    const size_t colon = line.find(": ");
    KSGATE_FUZZ_CHECK(colon != std::string_view::npos && colon > 0);
    for (const char c : line.substr(0, colon)) {
      KSGATE_FUZZ_CHECK(std::isalnum(static_cast<unsigned char>(c)) || c == '-');
    }
    for (const char c : line.substr(colon + 2))
      KSGATE_FUZZ_CHECK(c != '\r' && c != '\n' && c != '\0');
    answer_fields.emplace_back(line.substr(0, colon), line.substr(colon + 2));
    lines.remove_prefix(end + 2);
  }
  auto header = [&](std::string_view name) -> const std::string_view* {
    for (const auto& field : answer_fields) {
      if (field.first == name) return &field.second;
    }
    return nullptr;
  };
  if (r.status != 204 && r.status != 401 && r.status != 403) {
    std::fprintf(stderr, "authorize answered %d: %s\n", r.status, r.body.c_str());
  }
  if (r.status == 204) {
    KSGATE_FUZZ_CHECK(header("X-Ksgate-Partner-Id") != nullptr);
    KSGATE_FUZZ_CHECK(header("X-Ksgate-Signature") != nullptr);
    KSGATE_FUZZ_CHECK(header("X-Ksgate-Error") == nullptr);
  } else {
    KSGATE_FUZZ_CHECK(r.status == 401 || r.status == 403);
    KSGATE_FUZZ_CHECK(header("X-Ksgate-Error") != nullptr);
    static const ApiError kBad = ApiError::Of(errors::kUpstreamBadAnswer, {"fuzz"});
    KSGATE_FUZZ_CHECK(api::ValueFromJson(r.body, 4, kBad).ok());
  }
  return 0;
}
