// Scenario comparison: reading a scenario from a saved JSON document, the terminal table and the
// --json document ("kind": "compare", schema_version 1; docs/sched.md).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "analysis/compare.h"
#include "report/json_columns.h"

namespace infertrace {

// Accepts `infertrace analyze --json`-style documents that carry the scheduler analysis at the top
// level ("kind": "sched") or under "sched"; a top-level "throughput" (number) is used when present.
// Throws InputError naming `file` when the document has no scheduler analysis.
ScenarioMetrics scenario_from_json(const nlohmann::json& doc, const std::string& name, const std::string& file);

// Whether a saved scheduler analysis (the object that holds "sched_per_1k") says its rates per 1000
// launches are upper bounds, the one reading for compare and the report page (review FH M3): as
// its `per_1k_upper_bound` says (since 2026-12-03; with its reason, else the rule's), and for a
// document saved before the key by the rule of analysis/launch_undercount.h over what it holds
// (`launch_partial_note`, `dropped`, `rates_over_loss`, `launches`). Throws InputError naming `file`
// for a malformed key or count.
struct SavedPer1kBound {
  std::string upper_bound_reason;  // "" when not upper bounds
  bool events_lost = false;        // the rates' own events lost (loss windows, switch or IRQ drops): neither bound
  int64_t launch_records_lost = 0;  // the `dropped` counters that may hold launch calls, summed
  std::string launch_partial_note;  // `launch_partial_note`, "" without
  // The rates outside the loss windows (`loss.*_outside`) neither bound: the windows lost records
  // that decide which threads they count (loss_types_changing_outside_rates of `loss.lost_by_type`,
  // those types in `outside_types_lost`), or a document saved before `loss.lost_by_type` says only
  // that there was loss (types "").
  bool outside_events_lost = false;
  std::string outside_types_lost;
  // launch_records_lost includes `dropped.cupti_ring_unpublished` (the CUPTI ring's unpublished
  // slots, up to that many records): an upper bound. False for a document saved before sched
  // --json wrote that key (2026-12-04), whose count did not include them either.
  bool launch_records_lost_up_to = false;
};
SavedPer1kBound per_1k_bound_of_saved_sched(const nlohmann::json& s, const std::string& file);

void print_comparison(std::ostream& os, const Comparison& c);
// The sentences print_comparison writes under its table (what a "-", "not recorded" or a hard IRQ
// rate of another kind means), one a line, without the newline: also compare --json's "notes" and
// the report page's, so that no surface says less than the terminal (review EA L5).
std::vector<std::string> comparison_notes(const Comparison& c);
nlohmann::json comparison_json(const Comparison& c);
// The keys of comparison_json()'s "scenarios" with the labels and units the HTML report shows
// them in (print_comparison's names and units; every key comparison_json writes has one).
const std::vector<JsonColumn>& comparison_scenario_columns();
// For a key of a scenario row whose figure needs events an input may not hold: the row's flag that
// says whether it holds them ("switches_recorded" or "irqs_recorded"); nullptr for any other key.
// With the flag false the figure is null and shown as "not recorded", as print_comparison does.
const char* comparison_unrecorded_flag(const std::string& key);
// slowdown_mark, the text table's and the report page's marks: analysis/compare.h (review FH L8).

}  // namespace infertrace
