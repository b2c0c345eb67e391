#include "api/dispatcher.h"

#include <charconv>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

namespace ksgate::api {

namespace {

using CallResult = Result<Value, ApiError>;

enum class Format { kJson, kXml, kJsonp };

struct OutputFormat {
  Format format = Format::kXml;
  bool ignore_null = false;
  std::string callback;  // JSONP
};

const std::vector<std::pair<std::string, std::string>>& CommonHeaders() {
  static const auto* headers = new std::vector<std::pair<std::string, std::string>>{
      {"Access-Control-Allow-Origin", "*"},
      {"Access-Control-Expose-Headers",
       "Server, Content-Length, Content-Range, Date, X-Kaltura, X-Kaltura-Session, X-Me"},
      {"Cache-Control", "no-store, no-cache, must-revalidate, post-check=0, pre-check=0"},
      {"Pragma", "no-cache"},
  };
  return *headers;
}

std::string_view ScalarOr(const Param* p, std::string_view fallback = {}) {
  return p != nullptr && p->is_scalar() ? std::string_view(p->text) : fallback;
}

bool IsCallbackName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
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

// Reads format, ignoreNull and callback; nullopt plus *die when the format is unusable.
std::optional<OutputFormat> ChooseFormat(const Param& params, Response* die) {
  OutputFormat out;
  std::string_view format = ScalarOr(params.Find("format"));
  if (format.empty() || format == "2") {
    out.format = Format::kXml;
  } else if (format == "1") {
    out.format = Format::kJson;
  } else if (format == "9") {
    out.format = Format::kJsonp;
    std::string_view callback = ScalarOr(params.Find("callback"));
    if (callback.empty()) {
      *die = Die("MANDATORY_PARAMETER_MISSING", "Mandatory parameter missing [callback]");
      return std::nullopt;
    }
    if (!IsCallbackName(callback)) {
      *die = Die("INVALID_FIELD_VALUE", "value in field [callback] is not valid");
      return std::nullopt;
    }
    out.callback = std::string(callback);
  } else {
    std::string shown = IsXmlSafeUtf8(format) && format.size() < 64 ? std::string(format) : "?";
    for (char& c : shown) {
      if (c == '\r' || c == '\n') c = ' ';
    }
    *die = Die("UNKNOWN_RESPONSE_FORMAT",
               "Response format provided [" + shown + "] is not recognized by server");
    return std::nullopt;
  }
  const Param* ignore_null = params.Find("ignoreNull");
  out.ignore_null = ignore_null != nullptr &&
                    ((ignore_null->kind == Param::Kind::kBool && ignore_null->text == "true") ||
                     (ignore_null->kind != Param::Kind::kBool && ignore_null->text == "1"));
  return out;
}

void AppendResult(const OutputFormat& f, const CallResult& r, std::string* out) {
  if (f.format == Format::kXml) {
    if (r.ok()) {
      AppendXml(*r, f.ignore_null, out);
    } else {
      AppendXmlError(r.error(), out);
    }
  } else {
    if (r.ok()) {
      AppendJson(*r, out);
    } else {
      AppendJsonError(r.error(), out);
    }
  }
}

Response Serialize(const OutputFormat& f, const std::vector<CallResult>& results, bool multi,
                   double seconds) {
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
    body = XmlEnvelope(inner, seconds);
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

// ---- multirequest result references: {N:result} / {N:result:path:to:value} ----------------

std::string Stringify(const Value* v) {
  if (v == nullptr) return "";
  switch (v->kind()) {
    case Value::Kind::kBool: return v->bool_value() ? "1" : "";
    case Value::Kind::kInt: return std::to_string(v->int_value());
    case Value::Kind::kFloat: {
      char buf[64];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v->float_value());
      return ec == std::errc() ? std::string(buf, end) : "";
    }
    case Value::Kind::kString: return v->string_value();
    default: return "";
  }
}

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    size_t colon = path.find(':');
    segments.push_back(path.substr(0, colon));
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  return segments;
}

std::string Walk(const Value* v, const std::vector<std::string_view>& path, size_t i) {
  for (; i < path.size() && v != nullptr; ++i) {
    std::string_view seg = path[i];
    if (v->kind() == Value::Kind::kArray) {
      if (seg == "_all") {
        std::string joined;
        for (const Value& element : v->elements()) {
          joined += Walk(&element, path, i + 1);
          joined += ',';
        }
        return joined;
      }
      size_t index = 0;
      auto [end, ec] = std::from_chars(seg.data(), seg.data() + seg.size(), index);
      if (ec != std::errc() || end != seg.data() + seg.size() || index >= v->elements().size()) {
        return "";
      }
      v = &v->elements()[index];
    } else if (v->kind() == Value::Kind::kObject || v->kind() == Value::Kind::kMap) {
      v = v->Find(seg);
    } else {
      return "";
    }
  }
  return Stringify(v);
}

std::string ResolveReference(const CallResult& result, std::string_view path) {
  if (!result.ok()) return "";
  return Walk(&*result, SplitPath(path), 0);
}

// Replaces every {N:result[:path]} in `s` whose N names an item already executed.
void ResolveString(std::string* s, const std::vector<CallResult>& results) {
  constexpr std::string_view kResult = ":result";
  size_t pos = 0;
  while ((pos = s->find('{', pos)) != std::string::npos) {
    size_t i = pos + 1;
    size_t digits_start = i;
    while (i < s->size() && (*s)[i] >= '0' && (*s)[i] <= '9' && i - digits_start < 6) ++i;
    size_t n = 0;
    bool ok = i > digits_start &&
              std::from_chars(s->data() + digits_start, s->data() + i, n).ec == std::errc() &&
              std::string_view(*s).substr(i, kResult.size()) == kResult;
    if (ok) {
      i += kResult.size();
      std::string_view path;
      size_t close = s->find('}', i);
      if (close == std::string::npos) {
        ok = false;
      } else if (close == i) {
        path = {};
      } else if ((*s)[i] == ':') {
        path = std::string_view(*s).substr(i + 1, close - i - 1);
      } else {
        ok = false;
      }
      if (ok && n >= 1 && n <= results.size()) {
        std::string replacement = ResolveReference(results[n - 1], path);
        s->replace(pos, close + 1 - pos, replacement);
        pos += replacement.size();
        continue;
      }
    }
    ++pos;
  }
}

void ResolveReferences(Param* p, const std::vector<CallResult>& results) {
  if (p->is_map()) {
    for (auto& [key, member] : p->members) ResolveReferences(&member, results);
  } else if (p->kind == Param::Kind::kString && p->text.find('{') != std::string::npos) {
    ResolveString(&p->text, results);
  }
}

std::optional<size_t> ItemIndex(std::string_view key) {
  if (key.empty() || key.size() > 6) return std::nullopt;
  size_t n = 0;
  auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), n);
  if (ec != std::errc() || end != key.data() + key.size()) return std::nullopt;
  return n;
}

// The format for answering a request whose parameters could not be read: what the URL asks
// for; else JSON when the body was JSON (clients that send JSON put `format` in the body and
// read JSON back); else the default, XML.
OutputFormat FallbackFormat(const Request& request) {
  Request url_only{request.method, request.target, "", "", request.client_ip};
  Result<Param, ApiError> url_params = DecodeRequestParams(url_only, DecodeLimits{});
  Response die;
  if (url_params.ok() && url_params->Find("format") != nullptr) {
    if (std::optional<OutputFormat> f = ChooseFormat(*url_params, &die)) return *f;
  }
  OutputFormat f;
  std::string_view type = request.content_type;
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (AsciiLower(type) == "application/json") f.format = Format::kJson;
  return f;
}

std::string_view PathOf(std::string_view target) {
  return target.substr(0, target.find('?'));
}

}  // namespace

// Parsed and validated KSs of one HTTP request, so a multirequest checks each KS once.
class Dispatcher::KsCache {
 public:
  struct Entry {
    std::string ks;
    Result<services::Caller, ApiError> parsed;
    std::optional<Result<Void, ApiError>> validated;
    std::optional<Result<services::PermissionSet, ApiError>> permissions;
  };

  Entry& Get(std::string_view ks, const services::Authenticator& authenticator) {
    for (Entry& e : entries_) {
      if (e.ks == ks) return e;
    }
    entries_.push_back(Entry{std::string(ks), authenticator.Parse(ks), std::nullopt});
    return entries_.back();
  }

 private:
  std::vector<Entry> entries_;
};

Result<Value, ApiError> Dispatcher::Execute(const Param& params, const Request& request,
                                            KsCache& ks_cache) const {
  // §5 steps 2-4: service and action.
  std::string_view service = ScalarOr(params.Find("service"));
  if (service.empty()) return ApiError::Of(errors::kServiceNotSpecified);
  std::string service_lower = AsciiLower(service);
  if (!table_.HasService(service_lower)) {
    return ApiError::Of(errors::kServiceDoesNotExists, {service_lower});
  }
  std::string_view action = ScalarOr(params.Find("action"));
  if (action.empty()) return ApiError::Of(errors::kActionNotSpecified);
  std::string action_lower = AsciiLower(action);
  const ActionDef* def = table_.Find(service_lower, action_lower);
  if (def == nullptr) {
    return ApiError::Of(errors::kActionDoesNotExists, {action_lower, service_lower});
  }

  // Step 6: a KS that is present must parse.
  static const services::Caller kAnonymous;
  const services::Caller* caller = &kAnonymous;
  KsCache::Entry* ks_entry = nullptr;
  std::string_view ks = ScalarOr(params.Find("ks"));
  if (!ks.empty()) {
    ks_entry = &ks_cache.Get(ks, authenticator_);
    if (!ks_entry->parsed.ok()) return ks_entry->parsed.error();
    caller = &*ks_entry->parsed;
  }

  // Step 8: arguments.
  const int64_t now = clock_.NowSeconds();
  KSGATE_ASSIGN_OR_RETURN(Args args, BuildArgs(def->params, params, CoercionContext{now}));

  // Step 9: KS validity (once per KS and HTTP request: actionslimit counts requests).
  if (ks_entry != nullptr) {
    if (!ks_entry->validated) {
      ks_entry->validated =
          authenticator_.Validate(*caller, services::RequestInfo{request.client_ip, request.target});
    }
    if (!ks_entry->validated->ok()) return ks_entry->validated->error();
  }

  // Step 10: the operating partner and the caller's permissions.
  const Param* p = params.Find("p");
  if (p == nullptr || ScalarOr(p).empty()) p = params.Find("partnerId");
  const int64_t request_partner = p != nullptr ? PhpIntCast(*p) : 0;
  // Kaltura names the service by its lower-case id and the action as declared.
  auto forbidden = [&] {
    return ApiError::Of(errors::kServiceForbidden,
                        {service_lower + "->" + std::string(def->action)});
  };
  int64_t partner_id = 0;
  if (caller->has_ks()) {
    partner_id = caller->partner_id();
    if (request_partner != 0 && request_partner != partner_id) return forbidden();
  } else if (request_partner != 0) {
    Result<store::Partner, ApiError> partner = authenticator_.RequirePartner(request_partner);
    if (!partner.ok()) return std::move(partner).error();
    partner_id = request_partner;
  }
  services::PermissionSet anonymous;
  const services::PermissionSet* permissions = &anonymous;
  if (ks_entry != nullptr) {
    if (!ks_entry->permissions) ks_entry->permissions = authorizer_.Permissions(*caller);
    if (!ks_entry->permissions->ok()) return ks_entry->permissions->error();
    permissions = &**ks_entry->permissions;
  } else {
    Result<services::PermissionSet, ApiError> none = authorizer_.Permissions(*caller);
    if (!none.ok()) return std::move(none).error();
    anonymous = *none;
  }
  if (!authorizer_.Allows(*permissions, def->key)) {
    if (!caller->has_ks() && partner_id == 0) return ApiError::Of(errors::kMissingKs);
    return forbidden();
  }
  if (def->needs_ks && !caller->has_ks()) return ApiError::Of(errors::kMissingKs);

  // Step 11: the action. One of the two exception fences (style.md convention 7).
  CallContext context{*caller, partner_id, request.client_ip, PathOf(request.target), now};
  try {
    return def->handler(context, args);
  } catch (const std::exception& e) {
    spdlog::error("{}.{} failed: {}", def->service, def->action, e.what());
    return ApiError::Of(errors::kInternalServerError);
  }
}

Response Dispatcher::Handle(const Request& request) const {
  if (request.method == "OPTIONS") {
    Response r;
    r.content_type = "text/plain";
    r.headers = {
        {"Access-Control-Allow-Origin", "*"},
        {"Access-Control-Allow-Headers",
         "Origin, X-Requested-With, Content-Type, Accept, Range, Cache-Control"},
        {"Access-Control-Allow-Methods", "POST, GET, HEAD, OPTIONS"},
        {"Access-Control-Max-Age", "86400"},
        {"Access-Control-Expose-Headers", CommonHeaders()[1].second},
    };
    return r;
  }
  const int64_t start_micros = clock_.NowMicros();
  auto elapsed = [&] { return static_cast<double>(clock_.NowMicros() - start_micros) / 1e6; };

  Result<Param, ApiError> decoded = DecodeRequestParams(request, options_.decode);
  if (!decoded.ok()) {
    return Serialize(FallbackFormat(request), {std::move(decoded).error()}, false, elapsed());
  }
  const Param& params = *decoded;
  Response die;
  std::optional<OutputFormat> format = ChooseFormat(params, &die);
  if (!format) return die;

  KsCache ks_cache;
  if (ScalarOr(params.Find("service")) != "multirequest") {
    std::vector<CallResult> results;
    results.push_back(Execute(params, request, ks_cache));
    return Serialize(*format, results, false, elapsed());
  }

  // Multirequest (spec §7): numeric keys are items; ks, partnerId, clientTag are inherited.
  std::vector<std::pair<size_t, const Param*>> items;
  for (const auto& [key, value] : params.members) {
    if (std::optional<size_t> index = ItemIndex(key); index && value.is_map()) {
      items.emplace_back(*index, &value);
    }
  }
  if (items.size() > options_.max_multirequest_items) {
    ApiError error = ApiError::Of(errors::kRequestTooLarge,
                                  {"max_multirequest_items",
                                   std::to_string(options_.max_multirequest_items)});
    return Serialize(*format, {std::move(error)}, false, elapsed());
  }
  auto find_item = [&](size_t index) -> const Param* {
    for (const auto& [i, p] : items) {
      if (i == index) return p;
    }
    return nullptr;
  };
  size_t first = 1;
  for (const auto& [i, p] : items) first = std::min(first, i);

  std::vector<CallResult> results;
  for (size_t index = first;; ++index) {
    const Param* item = find_item(index);
    if (item == nullptr || ScalarOr(item->Find("service")).empty() ||
        ScalarOr(item->Find("action")).empty()) {
      break;
    }
    Param call = *item;
    call.Erase("format");
    for (std::string_view inherited : {"ks", "partnerId", "clientTag"}) {
      const Param* common = params.Find(inherited);
      if (common != nullptr && call.Find(inherited) == nullptr) {
        call.Set(std::string(inherited), *common);
      }
    }
    ResolveReferences(&call, results);
    if (ScalarOr(call.Find("service")) == "multirequest") {
      results.push_back(ApiError::Of(errors::kServiceDoesNotExists, {"multirequest"}));
      continue;
    }
    results.push_back(Execute(call, request, ks_cache));
  }
  return Serialize(*format, results, true, elapsed());
}

Response Dispatcher::Reject(const Request& partial, std::string_view limit, uint64_t max) const {
  ApiError error = ApiError::Of(errors::kRequestTooLarge, {limit, std::to_string(max)});
  return Serialize(FallbackFormat(partial), {std::move(error)}, false, 0);
}

}  // namespace ksgate::api
