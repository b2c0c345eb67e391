// Helpers shared by the list actions: CSV filter values, orderBy and KalturaFilterPager.
#pragma once

#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ksgate::services {

// Largest page a list returns; pageSize <= 0 also gives it (see docs/compatibility.md).
inline constexpr int64_t kMaxPageSize = 500;
// Most values an `...In` filter takes; later ones are ignored.
inline constexpr size_t kMaxInValues = 500;

// Splits a comma-separated list, trimming spaces and dropping empty entries.
std::vector<std::string_view> SplitCsv(std::string_view csv);

// The first kMaxInValues entries of a CSV filter value.
std::vector<std::string> CsvStrings(std::string_view csv);

// The entries of a CSV filter value that are integers (others are skipped), at most
// kMaxInValues.
template <typename T>
std::vector<T> CsvIntegers(std::string_view csv) {
  std::vector<T> out;
  for (std::string_view s : SplitCsv(csv)) {
    if (out.size() == kMaxInValues) break;
    T v{};
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && ptr == s.data() + s.size()) out.push_back(v);
  }
  return out;
}

// A Kaltura orderBy value ("+createdAt,-name") as store order entries (structs with `field`
// and `ascending`): each CSV entry is '+' (ascending) or '-' (descending) followed by the name
// of one of `fields`; other entries are dropped, as Kaltura does.
template <typename Order, typename Field = decltype(Order::field)>
std::vector<Order> ParseOrderBy(std::string_view csv,
                                std::initializer_list<std::pair<std::string_view, Field>> fields) {
  std::vector<Order> orders;
  for (std::string_view entry : SplitCsv(csv)) {
    if (entry.size() < 2 || (entry.front() != '+' && entry.front() != '-')) continue;
    for (const auto& [name, field] : fields) {
      if (entry.substr(1) == name) {
        Order order;
        order.field = field;
        order.ascending = entry.front() == '+';
        orders.push_back(order);
        break;
      }
    }
  }
  return orders;
}

// A KalturaFilterPager as rows: pageSize defaults to 30 and is capped at kMaxPageSize
// (<= 0 gives kMaxPageSize); pageIndex defaults to 1, values below 1 count as 1.
struct PageWindow {
  int64_t limit = 30;
  int64_t offset = 0;
};
PageWindow ResolvePager(std::optional<int64_t> page_size, std::optional<int64_t> page_index);

}  // namespace ksgate::services
