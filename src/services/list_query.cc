#include "services/list_query.h"

#include <algorithm>
#include <limits>

#include "common/strings.h"

namespace ksgate::services {

std::vector<std::string_view> SplitCsv(std::string_view csv) {
  std::vector<std::string_view> parts;
  while (true) {
    size_t comma = csv.find(',');
    std::string_view part = csv.substr(0, comma);
    part = TrimChars(part, kSpaceOrTab);
    if (!part.empty()) parts.push_back(part);
    if (comma == std::string_view::npos) break;
    csv.remove_prefix(comma + 1);
  }
  return parts;
}

std::vector<std::string> CsvStrings(std::string_view csv) {
  std::vector<std::string> out;
  for (std::string_view s : SplitCsv(csv)) {
    if (out.size() == kMaxInValues) break;
    out.emplace_back(s);
  }
  return out;
}

PageWindow ResolvePager(std::optional<int64_t> page_size, std::optional<int64_t> page_index) {
  int64_t size = page_size.value_or(30);
  if (size <= 0 || size > kMaxPageSize) size = kMaxPageSize;
  int64_t index = std::max<int64_t>(1, page_index.value_or(1));
  index = std::min(index, std::numeric_limits<int64_t>::max() / kMaxPageSize);
  return PageWindow{size, (index - 1) * size};
}

}  // namespace ksgate::services
