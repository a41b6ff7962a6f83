// Building blocks shared by the HTML report's sections (internal to src/report/html_*.cpp).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "report/json_columns.h"
#include "util/utf8_cut.h"  // middle_ellipsis, which the page's parts use

namespace infertrace::html {

// An HTML table; cells are escaped text, numeric columns right-aligned.
class HtmlTable {
 public:
  explicit HtmlTable(std::vector<std::string> header, size_t left_cols = 1)
      : header_(std::move(header)), left_cols_(left_cols) {}
  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  // Left-align one more column (text columns after the first ones).
  void set_left(size_t col) { extra_left_.push_back(col); }
  // A cell's full text shown on hover when the visible one is shortened (kernel names).
  void set_title(size_t row, size_t col, std::string title);
  // A row whose first cell is a name that can be very long (an operator, a record_function label):
  // past kNameChars bytes it shows its start and end around "...", the full name on hover (review
  // HR L4: one 5000-character operator name pushed every other column off-screen).
  static constexpr size_t kNameChars = 80;
  void add_name_row(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }
  std::string render(const std::string& caption = "") const;

 private:
  std::vector<std::string> header_;
  size_t left_cols_;
  std::vector<size_t> extra_left_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<std::tuple<size_t, size_t, std::string>> titles_;
};

// (util/utf8_cut.h; html::middle_ellipsis as before it moved there.)
using infertrace::middle_ellipsis;

// <section> with a heading and an anchor for the table of contents.
std::string section(const std::string& id, const std::string& title, const std::string& body);

// Tolerant readers of other verbs' JSON documents: a missing or non-numeric key gives nullopt.
std::optional<double> num(const nlohmann::json& j, const char* key);
std::string str_or(const nlohmann::json& j, const char* key, const std::string& fallback);
// The member `key` of an object, or a null value when j is not an object or lacks it.
const nlohmann::json& member(const nlohmann::json& j, const char* key);
// Cells of a JSON figure in the terminal's units, `missing` when it is not a number: a time in
// ns (format_ns), a share as a percentage (format_pct), a count with thousands separators.
std::string ns_or(const nlohmann::json& v, const std::string& missing = "-");
std::string pct_or(const nlohmann::json& v, const std::string& missing = "-");
std::string count_or(const nlohmann::json& v, const std::string& missing = "-");
// The noun after a JSON count (count_or): singular for exactly 1, plural otherwise (also for "-").
std::string count_noun(const nlohmann::json& v, const char* one, const char* many);
// An integer that names rather than counts (a batch size, thread count, chain length, pid, tid):
// its digits alone, as the terminal prints it, never "1,024". Only whole numbers are names: a
// fraction (an average batch, 1.5) keeps its decimals, as scalar_text shows any other number.
std::string label_or(const nlohmann::json& v, const std::string& missing = "-");
// Keys whose whole numbers are such names (scalar_text shows them with label_or): batch, threads,
// length, n_seq (a run's batch of sequences), pid, tid, id, and keys ending in one of those after
// an underscore (transition_batch, best_threads, best_length, launch_thread_tid, ...), except two
// counts named that way (launch_pair_threads, by_external_id).
bool is_label_key(const std::string& key);
// Under a table cut to `shown` rows: "... N more WHAT (SOURCE has all)." when there were more.
std::string more_rows_note(size_t total, size_t shown, const char* what, const char* source);
// The rows an analysis table shows on the page, in a trace's section and in a saved analysis's
// alike (review FMT L4: the trace's showed 10 kernels and 15 operators, launching or not, without
// a note), with more_rows_note under it when there are more.
inline constexpr size_t kAnalysisTableRows = 15;
// A scalar JSON value as display text: a duration for a key ending in _ns, a label for a key
// is_label_key() names, else a count with thousands separators.
std::string scalar_text(const nlohmann::json& v, const std::string& key = "");

// A key the page has no label for (a later schema addition) in words: "foo_bar_ns" -> "foo bar".
std::string words(std::string key);
// A reason of a `skipped` object (events the reader could not use, "skipped_missing_ts") in words,
// without the repeated "skipped": "missing ts".
std::string skipped_reason_words(const std::string& reason);

// A scheduler verdict's signature (a machine value: clean, cpu_contention, ...) in words.
std::string signature_label(const std::string& sig);
// A figure of a labelled column as its cell shows it (`missing` when absent or null); a value
// that is not what the format expects (hand-edited JSON) shows as scalar_text would.
std::string cell_text(const nlohmann::json& v, CellFormat f, const std::string& missing = "-");
// A table for an array of objects under readable headers: the columns of `cols` (in that order)
// that some row has, then any other scalar key under its own name (a key added to a writer after
// its label list, or a document from elsewhere: shown, not dropped). Text columns align left.
// A figure of a column of numbers that is no number (hand-edited "abc") is named in a note under the
// table; `note_non_numbers` false leaves that to the caller, whose rows hold cells it made text itself
// (compare's "not recorded", "≥ 12.5"), which non_number_note() then checks as the document had them.
std::string labelled_table(const nlohmann::json& arr, const std::vector<JsonColumn>& cols, const std::string& caption,
                           size_t max_rows = 50, bool note_non_numbers = true);
// The note labelled_table writes for the figures of its first `max_rows` rows that are no number;
// "" when every one is a number or null.
std::string non_number_note(const nlohmann::json& arr, const std::vector<JsonColumn>& cols, size_t max_rows = 50);
// A note for preemption penalties below 0 (`penalties`: what each is, e.g. a scenario's name, and its
// nanoseconds): the switched pairs' median interval is below the clean pairs', which noise between
// the two medians gives; no measurable penalty, not a gain (review HR L6: "-5 ns" without a word).
// "" when none is below 0.
std::string negative_penalty_note(const std::vector<std::pair<std::string, double>>& penalties);
// A two-column table (figure, value) of an object's members, labelled the same way.
std::string labelled_scalars(const nlohmann::json& obj, const std::vector<JsonColumn>& cols, const std::string& caption);

// A generic table for an array of objects: one column per scalar key (in first-seen order).
// `first_key` (the x of the document's charts: batch, length, threads) leads when present.
std::string objects_table(const nlohmann::json& arr, const std::string& caption, size_t max_rows = 50,
                          const std::string& first_key = "");
// A generic two-column table of an object's scalar members.
std::string scalars_table(const nlohmann::json& obj, const std::string& caption);

}  // namespace infertrace::html
