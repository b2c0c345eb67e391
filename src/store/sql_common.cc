#include "store/sql_common.h"

#include <algorithm>
#include <utility>

namespace ksgate::store::sql {
namespace {

// WHERE text and its parameters, numbering placeholders as the dialect wants.
class WhereBuilder {
 public:
  WhereBuilder(const Dialect& dialect, std::string base)
      : dialect_(dialect), sql_(std::move(base)) {}

  // Appends `text` with its one "?" replaced by the next placeholder, and the value.
  void Add(std::string_view text, Param value) {
    const size_t mark = text.find('?');
    sql_.append(text.substr(0, mark));
    AppendPlaceholder();
    sql_.append(text.substr(mark + 1));
    params_.push_back(std::move(value));
  }
  template <typename T>
  void AddIfSet(const std::optional<T>& value, std::string_view text) {
    if (value) Add(text, Param(*value));
  }
  // " AND column IN (...)" over `values`; false (matches nothing) when the list is empty.
  template <typename T>
  bool AddIn(const std::optional<std::vector<T>>& values, std::string_view column) {
    if (!values) return true;
    if (values->empty()) return false;
    sql_ += " AND ";
    sql_ += column;
    sql_ += " IN (" + Placeholders(dialect_, NextIndex(), values->size()) + ")";
    for (const T& v : *values) params_.emplace_back(v);
    return true;
  }
  // " AND contains(column, ?) > 0".
  void AddContains(std::string_view column, const std::string& word, std::string_view prefix) {
    sql_ += prefix;
    sql_ += dialect_.contains;
    sql_ += '(';
    sql_ += column;
    sql_ += ", ";
    AppendPlaceholder();
    sql_ += ") > 0";
    params_.emplace_back(word);
  }
  void Append(std::string_view text) { sql_ += text; }
  // The number of values added so far.
  size_t Values() const { return params_.size(); }

  // The finished ListSql: COUNT(*) and the page with `columns`, `order`, limit and offset.
  // With a `key` (a unique column every index holds) and its `table`, the page picks the keys
  // first, in a subquery that an index can answer alone, and reads only the rows of the page:
  //   SELECT columns FROM table WHERE key IN (SELECT key FROM ... LIMIT ...) ORDER BY ...
  // so that a sort of many matches (a range filter in another order) sorts keys, not rows.
  ListSql Finish(std::string_view columns, const std::string& order, int64_t limit, int64_t offset,
                 std::string_view table = {}, std::string_view key = {}) && {
    ListSql out;
    out.count = "SELECT COUNT(*)" + sql_;
    out.page = "SELECT ";
    if (key.empty()) {
      out.page += columns;
    } else {
      out.page += std::string(columns) + " FROM " + std::string(table) + " WHERE " +
                  std::string(key) + " IN (SELECT " + std::string(key);
    }
    out.page += sql_ + order + " LIMIT ";
    out.page_params = params_;
    if (limit > 0) {
      out.page += Placeholder(NextIndex());
      out.page_params.emplace_back(limit);
    } else {
      out.page += dialect_.no_limit;
    }
    out.page += " OFFSET " + Placeholder(static_cast<int>(out.page_params.size()) + 1);
    out.page_params.emplace_back(std::max<int64_t>(offset, 0));
    if (!key.empty()) out.page += ")" + order;
    out.limit = limit;
    out.offset = std::max<int64_t>(offset, 0);
    out.params = std::move(params_);
    return out;
  }

 private:
  int NextIndex() const { return static_cast<int>(params_.size()) + 1; }
  std::string Placeholder(int index) const { return Placeholders(dialect_, index, 1); }
  void AppendPlaceholder() { sql_ += Placeholder(NextIndex()); }

  const Dialect& dialect_;
  std::string sql_;
  std::vector<Param> params_;
};

}  // namespace

std::string JoinSecrets(const std::vector<std::string>& secrets) {
  std::string joined;
  for (const std::string& s : secrets) {
    if (!joined.empty()) joined += '\n';
    joined += s;
  }
  return joined;
}

std::vector<std::string> SplitSecrets(std::string_view joined) {
  std::vector<std::string> secrets;
  while (!joined.empty()) {
    size_t end = joined.find('\n');
    secrets.emplace_back(joined.substr(0, end));
    if (end == std::string_view::npos) break;
    joined.remove_prefix(end + 1);
  }
  return secrets;
}

int64_t NextUserRoleId(std::optional<int64_t> max_id) {
  return max_id ? std::max(*max_id + 1, kFirstUserRoleId) : kFirstUserRoleId;
}

Status RoleWriteStatus(Status written, const UserRole& role) {
  if (written.code() == StatusCode::kAlreadyExists) {
    return AlreadyExistsError("user role name " + role.name + " or system name " +
                              role.system_name + " is taken");
  }
  return written;
}

std::string Placeholders(const Dialect& dialect, int first, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) out += ", ";
    if (dialect.numbered_placeholders) {
      out += '$';
      out += std::to_string(first + static_cast<int>(i));
    } else {
      out += '?';
    }
  }
  return out;
}

std::optional<int64_t> TotalFromPage(const ListSql& list, size_t rows) {
  const auto n = static_cast<int64_t>(rows);
  if (n == 0 || (list.limit > 0 && n >= list.limit)) return std::nullopt;
  return list.offset + n;
}

std::optional<ListSql> AppTokenListSql(const Dialect& dialect, int64_t partner_id,
                                       const AppTokenQuery& q) {
  // The live statuses the query admits: statusEqual and statusIn narrow {disabled, active}.
  std::vector<int64_t> statuses = {static_cast<int64_t>(AppTokenStatus::kDisabled),
                                   static_cast<int64_t>(AppTokenStatus::kActive)};
  std::erase_if(statuses, [&q](int64_t s) {
    return (q.status_equal && *q.status_equal != s) ||
           (q.status_in &&
            std::find(q.status_in->begin(), q.status_in->end(), s) == q.status_in->end());
  });
  if (statuses.empty()) return std::nullopt;

  const AppTokenOrderField first =
      q.order_by.empty() ? AppTokenOrderField::kCreatedAt : q.order_by.front().field;
  const bool created_range = q.created_at_gte || q.created_at_lte;
  const bool updated_range = q.updated_at_gte || q.updated_at_lte;
  const bool range_off_order =
      (created_range && (q.order_by.empty() || first != AppTokenOrderField::kCreatedAt)) ||
      (updated_range && (q.order_by.empty() || first != AppTokenOrderField::kUpdatedAt));
  std::string from = " FROM app_tokens";
  if (dialect.index_hints && range_off_order && created_range != updated_range && !q.id_equal &&
      !q.id_in && !q.session_user_id_equal) {
    // A range in another order (and no id or user, whose indexes find fewer rows): its matches
    // are read in the range's index and the page's share kept in a bounded sort. Read them in the
    // direction of the order asked for (insertion order: ascending), which tokens' times mostly
    // follow, so that a later match seldom displaces an earlier: SQLite otherwise reads the range's
    // descending index (for a day's 2,900 matches of a million tokens: 1.8 ms, against 0.7).
    from += created_range ? " INDEXED BY app_tokens_partner_created"
                          : " INDEXED BY app_tokens_partner_updated";
    if (!q.order_by.empty() && !q.order_by.front().ascending) from += "_desc";
  }
  WhereBuilder w(dialect, from + " WHERE status <> " KSGATE_DELETED);
  // By id, a few rows come from the unique index on id. "+partner_id" keeps the planner from
  // walking a partner index instead, in the order asked for, to spare itself a sort of those
  // few rows (SQLite does, without statistics: a scan of every token of the partner).
  const bool by_id = q.id_equal || q.id_in;
  w.Add(by_id ? " AND +partner_id = ?" : " AND partner_id = ?", partner_id);
  w.AddIfSet(q.id_equal, " AND id = ?");
  if (!w.AddIn(q.id_in, "id")) return std::nullopt;
  w.AddIfSet(q.created_at_gte, " AND created_at >= ?");
  w.AddIfSet(q.created_at_lte, " AND created_at <= ?");
  w.AddIfSet(q.updated_at_gte, " AND updated_at >= ?");
  w.AddIfSet(q.updated_at_lte, " AND updated_at <= ?");
  // Both live statuses: "status <> 3" says it already (and matches the indexes' WHERE).
  if (statuses.size() == 1) w.Add(" AND status = ?", statuses[0]);
  w.AddIfSet(q.session_user_id_equal, " AND session_user_id = ?");

  // ORDER BY from the enum only, then insertion order. No order and each single order have an
  // index in that order (migrations 0008): a page, deep or not, is read in index order. By id
  // or session user the matches are few (a user's tokens, typically), and a range filter in
  // another order costs its matches anyway (its count does): sorting the matches beats walking
  // an order index in search of them (PostgreSQL does, hoping to meet 30 early, and walked half
  // a million tokens to a one-day range). "+" keeps the planners off the order indexes.
  const char* sort_key = by_id || q.session_user_id_equal || range_off_order ? "+" : "";
  std::string order = " ORDER BY ";
  for (const AppTokenOrder& o : q.order_by) {
    order += sort_key;
    order += o.field == AppTokenOrderField::kCreatedAt ? "created_at" : "updated_at";
    order += o.ascending ? " ASC, " : " DESC, ";
  }
  // The tie-break too, but for a session user alone: (partner_id, session_user_id) ends in seq.
  if (by_id || range_off_order) order += "+";
  order += "seq ASC";
  constexpr std::string_view kColumns = KSGATE_TOKEN_COLUMNS ", seq";
  // Read in the order's index from its start: a deep page may start at a mark instead, the
  // mark's key a bound the index seeks to (the subquery's WHERE) and the rest of the walk an
  // offset. Ties of the order column are in seq order, so the key (value, seq) is bounded as
  // value >= v AND (value > v OR seq >= s) (<, > for a descending order): the first term is
  // the index range, the second drops the few tied rows before the mark.
  std::optional<WhereBuilder> marked;
  MarkKey mark_key = MarkKey::kSeq;
  if (*sort_key == '\0' && q.order_by.size() <= 1) {
    marked.emplace(w);
    if (q.order_by.empty()) {
      marked->Add(" AND seq >= ?", int64_t{0});
    } else {
      const AppTokenOrder& o = q.order_by.front();
      const bool created = o.field == AppTokenOrderField::kCreatedAt;
      const std::string column = created ? "created_at" : "updated_at";
      mark_key = created ? MarkKey::kCreatedAt : MarkKey::kUpdatedAt;
      marked->Add(" AND " + column + (o.ascending ? " >= ?" : " <= ?"), int64_t{0});
      marked->Add(" AND (" + column + (o.ascending ? " > ?" : " < ?"), int64_t{0});
      marked->Add(" OR seq >= ?)", int64_t{0});
    }
  }
  const size_t where_values = w.Values();
  ListSql list = std::move(w).Finish(kColumns, order, q.limit, q.offset, "app_tokens", "seq");
  if (marked) {
    ListSql m = std::move(*marked).Finish(kColumns, order, q.limit, q.offset, "app_tokens", "seq");
    list.marked_page = std::move(m.page);
    list.marked_params = std::move(m.page_params);
    list.mark_at = where_values;
    list.mark_key = mark_key;
    list.changes =
        "SELECT CAST(COALESCE(SUM(changes), 0) AS BIGINT) FROM app_token_counts WHERE "
        "partner_id = " +
        Placeholders(dialect, 1, 1);
    list.changes_params = {partner_id};
    list.shape = list.page;
    for (const Param& p : list.params) {
      if (const auto* n = std::get_if<int64_t>(&p)) {
        list.shape += "\x1fi" + std::to_string(*n);
      } else {
        const std::string& text = std::get<std::string>(p);
        list.shape += "\x1fs" + std::to_string(text.size()) + ":" + text;
      }
    }
  }

  // Filtered by status alone: the count is the sum of the maintained counts (app_token_counts,
  // kept by triggers), a few rows whatever the number of tokens.
  if (!q.id_equal && !q.id_in && !q.created_at_gte && !q.created_at_lte && !q.updated_at_gte &&
      !q.updated_at_lte && !q.session_user_id_equal) {
    list.count =
        "SELECT CAST(COALESCE(SUM(tokens), 0) AS BIGINT) FROM app_token_counts WHERE partner_id"
        " = " +
        Placeholders(dialect, 1, 1) + " AND status IN (" +
        Placeholders(dialect, 2, statuses.size()) + ")";
    list.params = {partner_id};
    list.params.insert(list.params.end(), statuses.begin(), statuses.end());
  }
  return list;
}

bool PageUsesMarks(const ListSql& list) {
  return !list.marked_page.empty() && list.offset >= ListMarks::kMinOffset;
}

PageRun PageToRun(const ListSql& list, const ListMarks& marks, std::optional<int64_t> changes,
                  int64_t now) {
  std::optional<ListMark> mark;
  if (changes && PageUsesMarks(list)) mark = marks.Nearest(list.shape, *changes, list.offset, now);
  if (!mark) return PageRun{.sql = &list.page, .params = list.page_params};
  PageRun run{.sql = &list.marked_page, .params = list.marked_params};
  if (list.mark_key == MarkKey::kSeq) {
    run.params[list.mark_at] = mark->seq;
  } else {
    run.params[list.mark_at] = mark->value;
    run.params[list.mark_at + 1] = mark->value;
    run.params[list.mark_at + 2] = mark->seq;
  }
  run.params.back() = list.offset - mark->position;
  return run;
}

std::vector<ListMark> MarksOfPage(const ListSql& list, const std::vector<AppToken>& tokens,
                                  const std::vector<int64_t>& seqs) {
  std::vector<ListMark> marks;
  if (!PageUsesMarks(list) || tokens.empty()) return marks;
  auto mark = [&](size_t i) {
    ListMark m{.position = list.offset + static_cast<int64_t>(i), .seq = seqs[i]};
    switch (list.mark_key) {
      case MarkKey::kSeq:
        break;
      case MarkKey::kCreatedAt:
        m.value = tokens[i].created_at;
        break;
      case MarkKey::kUpdatedAt:
        m.value = tokens[i].updated_at;
        break;
    }
    marks.push_back(m);
  };
  mark(0);
  if (tokens.size() > 1) mark(tokens.size() - 1);
  return marks;
}

std::optional<ListSql> UserRoleListSql(const Dialect& dialect, int64_t partner_id,
                                       const UserRoleQuery& q) {
  WhereBuilder w(dialect, " FROM user_roles WHERE status <> " KSGATE_DELETED);
  w.Add(" AND partner_id = ?", partner_id);
  w.AddIfSet(q.id_equal, " AND id = ?");
  if (!w.AddIn(q.id_in, "id")) return std::nullopt;
  w.AddIfSet(q.name_equal, " AND name = ?");
  if (!w.AddIn(q.name_in, "name")) return std::nullopt;
  w.AddIfSet(q.system_name_equal, " AND system_name = ?");
  if (!w.AddIn(q.system_name_in, "system_name")) return std::nullopt;
  // A case-sensitive substring test without LIKE's wildcards; NULL text never matches.
  if (q.description_like) w.AddContains("description", *q.description_like, " AND ");
  if (q.status_equal) w.Add(" AND status = ?", int64_t{*q.status_equal});
  std::optional<std::vector<int64_t>> status_in;
  if (q.status_in) status_in.emplace(q.status_in->begin(), q.status_in->end());
  if (!w.AddIn(status_in, "status")) return std::nullopt;
  if (q.tags_multi_like_or) {
    if (q.tags_multi_like_or->empty()) return std::nullopt;
    w.Append(" AND (");
    for (size_t i = 0; i < q.tags_multi_like_or->size(); ++i) {
      w.AddContains("tags", (*q.tags_multi_like_or)[i], i == 0 ? "" : " OR ");
    }
    w.Append(")");
  }
  if (q.tags_multi_like_and) {
    for (const std::string& word : *q.tags_multi_like_and) w.AddContains("tags", word, " AND ");
  }
  w.AddIfSet(q.created_at_gte, " AND created_at >= ?");
  w.AddIfSet(q.created_at_lte, " AND created_at <= ?");
  w.AddIfSet(q.updated_at_gte, " AND updated_at >= ?");
  w.AddIfSet(q.updated_at_lte, " AND updated_at <= ?");

  // ORDER BY from the enum only, then id.
  std::string order = " ORDER BY ";
  for (const UserRoleOrder& o : q.order_by) {
    switch (o.field) {
      case UserRoleOrderField::kId:
        order += "id";
        break;
      case UserRoleOrderField::kName:
        order += "name";
        order += dialect.byte_order;  // byte-wise, whatever the collation
        break;
      case UserRoleOrderField::kCreatedAt:
        order += "created_at";
        break;
      case UserRoleOrderField::kUpdatedAt:
        order += "updated_at";
        break;
    }
    order += o.ascending ? " ASC, " : " DESC, ";
  }
  order += "id ASC";
  return std::move(w).Finish(KSGATE_ROLE_COLUMNS, order, q.limit, q.offset);
}

}  // namespace ksgate::store::sql
