#include "report/html_parts.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string_view>

#include "report/html_svg.h"
#include "report/json_brief.h"
#include "util/units.h"

namespace infertrace::html {

void HtmlTable::set_title(size_t row, size_t col, std::string title) {
  titles_.emplace_back(row, col, std::move(title));
}

void HtmlTable::add_name_row(std::vector<std::string> cells) {
  if (!cells.empty() && cells[0].size() > kNameChars) {
    std::string full = std::move(cells[0]);
    cells[0] = middle_ellipsis(full, kNameChars);
    set_title(rows_.size(), 0, std::move(full));
  }
  add_row(std::move(cells));
}

std::string HtmlTable::render(const std::string& caption) const {
  auto align = [&](size_t c) {
    return c < left_cols_ || std::find(extra_left_.begin(), extra_left_.end(), c) != extra_left_.end() ? "l" : "r";
  };
  std::string s = "<div class=\"tw\"><table>";
  if (!caption.empty()) s += "<caption>" + escape(caption) + "</caption>";
  s += "<thead><tr>";
  for (size_t c = 0; c < header_.size(); ++c)
    s += fmt::format("<th class=\"{}\">{}</th>", align(c), escape(header_[c]));
  s += "</tr></thead><tbody>";
  for (size_t r = 0; r < rows_.size(); ++r) {
    s += "<tr>";
    for (size_t c = 0; c < rows_[r].size(); ++c) {
      std::string title;
      for (auto& [tr, tc, text] : titles_)
        if (tr == r && tc == c) title = " title=\"" + escape(text) + "\"";
      s += fmt::format("<td class=\"{}\"{}>{}</td>", align(c), title, escape(rows_[r][c]));
    }
    s += "</tr>";
  }
  return s + "</tbody></table></div>\n";
}

std::string section(const std::string& id, const std::string& title, const std::string& body) {
  return fmt::format("<section id=\"{}\"><h2>{}</h2>\n{}</section>\n", escape(id), escape(title), body);
}

std::optional<double> num(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

const nlohmann::json& member(const nlohmann::json& j, const char* key) {
  static const nlohmann::json null_value;
  if (!j.is_object()) return null_value;
  auto it = j.find(key);
  return it == j.end() ? null_value : *it;
}

std::string ns_or(const nlohmann::json& v, const std::string& missing) {
  return v.is_number() ? format_ns(v.get<double>()) : missing;
}
std::string pct_or(const nlohmann::json& v, const std::string& missing) {
  return v.is_number() ? format_pct(v.get<double>()) : missing;
}
std::string count_or(const nlohmann::json& v, const std::string& missing) {
  // Unsigned values beyond int64 (JSON from elsewhere) print as what they are, not wrapped negative.
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return std::to_string(v.get<uint64_t>());
  if (v.is_number_integer()) return format_count(v.get<int64_t>());
  return v.is_number() ? format_fixed(v.get<double>(), 0) : missing;
}

std::string count_noun(const nlohmann::json& v, const char* one, const char* many) {
  return v.is_number() && v.get<double>() == 1 ? one : many;
}

std::string label_or(const nlohmann::json& v, const std::string& missing) {
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (!v.is_number()) return missing;
  // A whole number written as a float (JSON from elsewhere: 1024.0) is still the label 1024. A
  // fraction is no name (an average batch of 1.5, a mean length of 3.75): it keeps its decimals,
  // as the same value under any other key would (rounded, 1.5 would read as a batch of 2).
  const double d = v.get<double>();
  return d == std::floor(d) ? format_fixed(d, 0) : format_value(d, "");
}

bool is_label_key(const std::string& key) {
  static const char* const names[] = {"batch", "threads", "length", "n_seq", "pid", "tid", "id"};
  // Counts whose last word happens to be one of those: how many threads had launch pairs, how many
  // operator links were made by external id (review DV low: they read "1234", not "1,234").
  static const char* const counts[] = {"launch_pair_threads", "by_external_id"};
  for (const char* c : counts)
    if (key == c) return false;
  for (const char* n : names) {
    const std::string_view name(n);
    if (key == name) return true;
    // "transition_batch", "launch_thread_tid": the name as the key's last word.
    if (key.size() > name.size() && key.compare(key.size() - name.size(), name.size(), name) == 0 &&
        key[key.size() - name.size() - 1] == '_')
      return true;
  }
  return false;
}

std::string more_rows_note(size_t total, size_t shown, const char* what, const char* source) {
  return total > shown ? fmt::format("<p class=\"note\">... {} more {} ({} has all).</p>", total - shown, what, source) : "";
}

std::string str_or(const nlohmann::json& j, const char* key, const std::string& fallback) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

std::string scalar_text(const nlohmann::json& v, const std::string& key) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_null()) return "-";
  if (v.is_number() && is_label_key(key)) return label_or(v);
  if (v.is_number_integer()) {
    const int64_t n = v.get<int64_t>();
    // Keys ending in _ns are durations (project convention): show them with units.
    if (key.size() > 3 && key.compare(key.size() - 3, 3, "_ns") == 0) return format_ns(n);
    return format_count(n);
  }
  if (v.is_number()) {
    const double d = v.get<double>();
    if (key.size() > 3 && key.compare(key.size() - 3, 3, "_ns") == 0) return format_ns(d);
    return format_value(d, "");
  }
  return json_brief(v);
}

std::string words(std::string key) {
  if (key.size() > 3 && key.compare(key.size() - 3, 3, "_ns") == 0) key.resize(key.size() - 3);
  std::replace(key.begin(), key.end(), '_', ' ');
  return key;
}

std::string skipped_reason_words(const std::string& reason) {
  return words(reason.rfind("skipped_", 0) == 0 ? reason.substr(8) : reason);
}

std::string signature_label(const std::string& sig) {
  static const std::pair<const char*, const char*> names[] = {
      {"clean", "Clean"},          {"cpu_contention", "CPU contention"}, {"irq_pressure", "IRQ pressure"},
      {"blocking", "Blocking"},    {"too_few_launches", "Too few launches"},
      {"not_recorded", "Context switches not recorded"}, {"no_os_events", "No OS events"},
      {"launches_not_measured", "Launches not measured"}};
  for (auto& [k, v] : names)
    if (sig == k) return v;
  std::string s = sig;
  std::replace(s.begin(), s.end(), '_', ' ');
  return s;
}

// A list of names (compare's irq_system_vectors_traced) as "LOC, RES", "none" when empty; a list
// holding anything else keeps json_brief's "[N items]".
static std::string name_list(const nlohmann::json& v) {
  std::string out;
  for (const auto& n : v) {
    if (!n.is_string()) return scalar_text(v);
    out += (out.empty() ? "" : ", ") + n.get<std::string>();
  }
  return out.empty() ? "none" : out;
}

std::string cell_text(const nlohmann::json& v, CellFormat f, const std::string& missing) {
  if (v.is_null()) return missing;
  const bool number = v.is_number();
  const double d = number ? v.get<double>() : 0;
  switch (f) {
    case CellFormat::Text: return v.is_string() ? v.get<std::string>() : v.is_array() ? name_list(v) : scalar_text(v);
    case CellFormat::Count: return number ? count_or(v, missing) : scalar_text(v);
    case CellFormat::Label: return number ? label_or(v, missing) : scalar_text(v);
    case CellFormat::Ns: return number ? format_ns(d) : scalar_text(v);
    case CellFormat::Share: return number ? format_pct(d) : scalar_text(v);
    case CellFormat::Percent: return number ? format_fixed(d, 1) + "%" : scalar_text(v);
    case CellFormat::SignedShare: return number ? format_signed_pct(d) : scalar_text(v);
    case CellFormat::Times1: return number ? format_fixed(d, 1) + "x" : scalar_text(v);
    case CellFormat::Times2: return number ? format_fixed(d, 2) + "x" : scalar_text(v);
    case CellFormat::Times3: return number ? format_fixed(d, 3) + "x" : scalar_text(v);
    case CellFormat::Fixed1: return number ? format_fixed(d, 1) : scalar_text(v);
    case CellFormat::Fixed2: return number ? format_fixed(d, 2) : scalar_text(v);
    case CellFormat::Fixed3: return number ? format_fixed_not_whole(d, 3) : scalar_text(v);
    case CellFormat::YesNo: return scalar_text(v);
    case CellFormat::Signature: return v.is_string() ? signature_label(v.get<std::string>()) : scalar_text(v);
    case CellFormat::Seconds: return number ? format_ns(d * 1e9) : scalar_text(v);
    case CellFormat::Rate: return number ? format_rate(d) : scalar_text(v);
  }
  return scalar_text(v);
}

namespace {

// The figure of one labelled column in a row (null when the row lacks it).
const nlohmann::json& column_value(const nlohmann::json& row, const JsonColumn& c) {
  return member(c.within ? member(row, c.within) : row, c.key);
}

bool has_column(const nlohmann::json& row, const JsonColumn& c) {
  const nlohmann::json& o = c.within ? member(row, c.within) : row;
  return o.is_object() && o.contains(c.key);
}

// Figures of columns of numbers that are no number (a hand-edited or another writer's document:
// "abc" where a time belongs), which the cells show as written: said under the table, so that a
// text is not read as a figure (review HR L3: shown without a word).
struct NotNumbers {
  size_t count = 0;
  std::string listed;  // the first three: LABEL "VALUE"
  void check(const nlohmann::json& v, const JsonColumn& c) {
    if (c.format == CellFormat::Text || c.format == CellFormat::Signature || c.format == CellFormat::YesNo) return;
    if (v.is_null() || v.is_number()) return;
    if (count++ < 3)
      listed += (listed.empty() ? "" : ", ") + std::string(c.label) + " " +
                middle_ellipsis(v.is_string() ? "\"" + v.get<std::string>() + "\"" : v.dump(), 40);
  }
  std::string note() const {
    if (count == 0) return "";
    return fmt::format("<p class=\"note\">{} {} not a number ({}{}): shown as written.</p>", count,
                       count == 1 ? "figure of a column of numbers is" : "figures of columns of numbers are",
                       escape(listed), count > 3 ? ", ..." : "");
  }
};

// True when `key` (a top-level scalar of a row) is one of the labelled columns.
bool labelled(const std::vector<JsonColumn>& cols, const std::string& key) {
  return std::any_of(cols.begin(), cols.end(), [&](const JsonColumn& c) { return !c.within && key == c.key; });
}

}  // namespace

std::string non_number_note(const nlohmann::json& arr, const std::vector<JsonColumn>& cols, size_t max_rows) {
  if (!arr.is_array()) return "";
  NotNumbers not_numbers;
  size_t n = 0;
  for (auto& o : arr) {
    if (!o.is_object() || n++ >= max_rows) continue;
    for (const JsonColumn& c : cols)
      if (has_column(o, c)) not_numbers.check(column_value(o, c), c);
  }
  return not_numbers.note();
}

std::string negative_penalty_note(const std::vector<std::pair<std::string, double>>& penalties) {
  size_t count = 0;
  std::string listed;  // the first three: WHAT VALUE
  for (const auto& [what, ns] : penalties) {
    if (!(ns < 0)) continue;
    if (count++ < 3) listed += (listed.empty() ? "" : ", ") + what + " " + format_ns(ns);
  }
  if (count == 0) return "";
  return fmt::format("<p class=\"note\">{} below 0 ({}{}): the switched pairs' median interval is shorter than the "
                     "clean pairs', which noise between the two medians gives; no measurable preemption penalty, "
                     "not a gain.</p>",
                     count == 1 ? "A preemption penalty is" : format_count(static_cast<int64_t>(count)) + " preemption penalties are",
                     escape(listed), count > 3 ? ", ..." : "");
}

std::string labelled_table(const nlohmann::json& arr, const std::vector<JsonColumn>& cols, const std::string& caption,
                           size_t max_rows, bool note_non_numbers) {
  if (!arr.is_array() || arr.empty()) return "";
  std::vector<const JsonColumn*> shown;
  for (const JsonColumn& c : cols)
    if (std::any_of(arr.begin(), arr.end(), [&](const nlohmann::json& o) { return has_column(o, c); })) shown.push_back(&c);
  std::vector<std::string> others;  // scalar keys the list has no label for
  for (auto& o : arr) {
    if (!o.is_object()) continue;
    for (auto& [k, v] : o.items())
      if (!v.is_structured() && !labelled(cols, k) && std::find(others.begin(), others.end(), k) == others.end())
        others.push_back(k);
  }
  if (shown.empty() && others.empty()) return "";
  std::vector<std::string> head;
  for (const JsonColumn* c : shown) head.push_back(c->label);
  head.insert(head.end(), others.begin(), others.end());
  HtmlTable t(head, 0);
  for (size_t i = 0; i < shown.size(); ++i)
    if (shown[i]->format == CellFormat::Text || shown[i]->format == CellFormat::Signature) t.set_left(i);
  size_t n = 0;
  NotNumbers not_numbers;
  for (auto& o : arr) {
    if (!o.is_object() || n++ >= max_rows) continue;
    std::vector<std::string> row;
    // A column a row lacks is blank; one it has as null is "-" (not measured), as in the terminal.
    for (const JsonColumn* c : shown) {
      if (has_column(o, *c)) not_numbers.check(column_value(o, *c), *c);
      row.push_back(has_column(o, *c) ? cell_text(column_value(o, *c), c->format) : "");
    }
    for (auto& k : others) row.push_back(o.contains(k) ? scalar_text(o[k], k) : "");
    t.add_row(std::move(row));
  }
  std::string s = t.render(caption) + (note_non_numbers ? not_numbers.note() : "");
  if (arr.size() > max_rows)  // with the tables' thousands separators (review HR L5: "4951 more rows")
    s += "<p class=\"note\">" + format_count(static_cast<int64_t>(arr.size() - max_rows)) + " more rows not shown.</p>";
  return s;
}

std::string labelled_scalars(const nlohmann::json& obj, const std::vector<JsonColumn>& cols, const std::string& caption) {
  if (!obj.is_object()) return "";
  HtmlTable t({"figure", "value"}, 1);
  NotNumbers not_numbers;
  for (const JsonColumn& c : cols)
    if (has_column(obj, c)) {
      not_numbers.check(column_value(obj, c), c);
      t.add_row({c.label, cell_text(column_value(obj, c), c.format)});
    }
  for (auto& [k, v] : obj.items())
    if (!v.is_structured() && !labelled(cols, k)) t.add_row({k, scalar_text(v, k)});
  return t.empty() ? "" : t.render(caption) + not_numbers.note();
}

std::string objects_table(const nlohmann::json& arr, const std::string& caption, size_t max_rows,
                          const std::string& first_key) {
  if (!arr.is_array() || arr.empty()) return "";
  std::vector<std::string> keys;
  for (auto& o : arr) {
    if (!o.is_object()) continue;
    for (auto& [k, v] : o.items())
      if (!v.is_structured() && std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  }
  if (keys.empty()) return "";
  if (auto it = std::find(keys.begin(), keys.end(), first_key); it != keys.end()) std::rotate(keys.begin(), it, it + 1);
  HtmlTable t(keys);
  size_t n = 0;
  for (auto& o : arr) {
    if (!o.is_object() || n++ >= max_rows) continue;
    std::vector<std::string> row;
    for (auto& k : keys) row.push_back(o.contains(k) ? scalar_text(o[k], k) : "");
    t.add_row(std::move(row));
  }
  std::string s = t.render(caption);
  if (arr.size() > max_rows)  // with the tables' thousands separators (review HR L5: "4951 more rows")
    s += "<p class=\"note\">" + format_count(static_cast<int64_t>(arr.size() - max_rows)) + " more rows not shown.</p>";
  return s;
}

std::string scalars_table(const nlohmann::json& obj, const std::string& caption) {
  if (!obj.is_object()) return "";
  HtmlTable t({"key", "value"}, 1);
  for (auto& [k, v] : obj.items())
    if (!v.is_structured()) t.add_row({k, scalar_text(v, k)});
  return t.empty() ? "" : t.render(caption);
}

}  // namespace infertrace::html
