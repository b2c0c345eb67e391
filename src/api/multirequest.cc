#include "api/multirequest.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>

namespace ksgate::api {

namespace {

std::optional<size_t> ItemIndex(std::string_view key) {
  if (key.empty() || key.size() > 6) return std::nullopt;
  size_t n = 0;
  auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), n);
  if (ec != std::errc() || end != key.data() + key.size()) return std::nullopt;
  return n;
}

std::string Stringify(const Value* v) {
  if (v == nullptr) return "";
  switch (v->kind()) {
    case Value::Kind::kBool:
      return v->bool_value() ? "1" : "";
    case Value::Kind::kInt:
      return std::to_string(v->int_value());
    case Value::Kind::kFloat: {
      char buf[64];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v->float_value());
      return ec == std::errc() ? std::string(buf, end) : "";
    }
    case Value::Kind::kString:
      return v->string_value();
    default:
      return "";
  }
}

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    const size_t colon = path.find(':');
    segments.push_back(path.substr(0, colon));
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  return segments;
}

std::string Walk(const Value* v, const std::vector<std::string_view>& path, size_t i) {
  for (; i < path.size() && v != nullptr; ++i) {
    const std::string_view seg = path[i];
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

// Writes `s` to *out with every {N:result[:path]} whose N names an item already executed
// replaced; sets *replaced if there was one. False, with *out incomplete, as soon as *out would
// be longer than `max_size` bytes.
bool ResolveString(std::string_view s, const std::vector<CallResult>& results, size_t max_size,
                   std::string* out, bool* replaced) {
  constexpr std::string_view kResult = ":result";
  out->clear();
  size_t copied = 0;  // s[0, copied) is in *out
  size_t pos = 0;
  auto append = [&](std::string_view text) {
    if (text.size() > max_size - out->size()) return false;
    out->append(text);
    return true;
  };
  while ((pos = s.find('{', pos)) != std::string_view::npos) {
    size_t i = pos + 1;
    const size_t digits_start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - digits_start < 6) ++i;
    size_t n = 0;
    bool ok = i > digits_start &&
              std::from_chars(s.data() + digits_start, s.data() + i, n).ec == std::errc() &&
              s.substr(i, kResult.size()) == kResult;
    if (ok) {
      i += kResult.size();
      std::string_view path;
      const size_t close = s.find('}', i);
      if (close == std::string_view::npos) {
        ok = false;
      } else if (close == i) {
        path = {};
      } else if (s[i] == ':') {
        path = s.substr(i + 1, close - i - 1);
      } else {
        ok = false;
      }
      if (ok && n >= 1 && n <= results.size()) {
        if (!append(s.substr(copied, pos - copied))) return false;
        if (!append(ResolveReference(results[n - 1], path))) return false;
        *replaced = true;
        pos = copied = close + 1;
        continue;
      }
    }
    ++pos;
  }
  return append(s.substr(copied));
}

// ResolveReferences over `p`, counting in *total the bytes of the values it rewrote.
Result<Void, ApiError> ResolveWithin(Param* p, const std::vector<CallResult>& results,
                                     const ReferenceLimits& limits, size_t* total) {
  if (p->is_map()) {
    for (auto& [key, member] : p->members) {
      KSGATE_ASSIGN_OR_RETURN(Void done, ResolveWithin(&member, results, limits, total));
      (void)done;
    }
  } else if (p->kind == Param::Kind::kString && p->text.find('{') != std::string::npos) {
    std::string resolved;
    bool replaced = false;
    if (!ResolveString(p->text, results, limits.max_value, &resolved, &replaced)) {
      return ApiError::Of(errors::kRequestTooLarge,
                          {"max_string_length", std::to_string(limits.max_value)});
    }
    if (replaced) {
      *total += resolved.size();
      if (*total > limits.max_item) {
        return ApiError::Of(errors::kRequestTooLarge,
                            {"body_limit", std::to_string(limits.max_item)});
      }
      p->text = std::move(resolved);
    }
  }
  return Void{};
}

}  // namespace

Result<std::vector<const Param*>, ApiError> MultiRequestItems(const Param& params,
                                                              size_t max_items) {
  std::vector<std::pair<size_t, const Param*>> present;
  for (const auto& [key, value] : params.members) {
    if (std::optional<size_t> index = ItemIndex(key); index && value.is_map()) {
      present.emplace_back(*index, &value);
    }
  }
  if (present.size() > max_items) {
    return ApiError::Of(errors::kRequestTooLarge,
                        {"max_multirequest_items", std::to_string(max_items)});
  }
  auto find = [&](size_t index) -> const Param* {
    for (const auto& [i, p] : present) {
      if (i == index) return p;
    }
    return nullptr;
  };
  size_t first = 1;
  for (const auto& [i, p] : present) first = std::min(first, i);
  std::vector<const Param*> items;
  for (size_t index = first;; ++index) {
    const Param* item = find(index);
    if (item == nullptr || item->ScalarAt("service").empty() || item->ScalarAt("action").empty()) {
      break;
    }
    items.push_back(item);
  }
  return items;
}

Result<Param, ApiError> PrepareItem(const Param& item, const Param& multirequest,
                                    const std::vector<CallResult>& results,
                                    const ReferenceLimits& limits) {
  Param call = item;
  call.Erase("format");
  for (std::string_view inherited : {"ks", "partnerId", "clientTag"}) {
    const Param* common = multirequest.Find(inherited);
    if (common != nullptr && call.Find(inherited) == nullptr) {
      call.Set(std::string(inherited), *common);
    }
  }
  KSGATE_ASSIGN_OR_RETURN(Void resolved, ResolveReferences(&call, results, limits));
  (void)resolved;
  return call;
}

Result<Void, ApiError> ResolveReferences(Param* p, const std::vector<CallResult>& results,
                                         const ReferenceLimits& limits) {
  size_t total = 0;
  return ResolveWithin(p, results, limits, &total);
}

}  // namespace ksgate::api
