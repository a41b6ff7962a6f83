#include "analysis/launch_undercount.h"

#include <algorithm>

#include "trace/recorder_drops.h"
#include "util/plural.h"

namespace infertrace {

bool drop_may_hold_launches(const std::string& drop_key) {
  // pending_full_api: a timed CUDA call whose entry the kernel side could not keep (a full map).
  return drop_key == "api" || drop_key == "cupti_ring" || drop_key == "cupti_ring_unpublished" ||
         drop_key == "pending_full_api";
}

bool drop_counted_by_per_1k_rates(const std::string& drop_key) {
  // untraced_processes: processes not traced at all, their switches and IRQs as much as their
  // launches; pending_full_fold: a driver call recorded beside its runtime call, a launch counted
  // twice. Either leaves the rates neither bound.
  return drop_key == "switch" || drop_key == "irq" || drop_key == "untraced_processes" || drop_key == "pending_full_fold";
}

void tally_per_1k_drop(Per1kDropTally& t, const std::string& drop_key, int64_t count) {
  if (count <= 0) return;
  if (drop_may_hold_launches(drop_key)) {
    t.launch_records_lost = saturating_add_drops(t.launch_records_lost, count);
    // A slot count bounds the records it held: the sum is then "up to" (review: unpublished slots).
    if (drop_key == "cupti_ring_unpublished") t.launch_records_lost_up_to = true;
    // The eBPF ring's counters (dropped.<type>) count failed reserves, each inside a LOSS window;
    // the CUPTI ones ("cupti_...") have no windows.
    if (drop_key.rfind("cupti_", 0) == 0)
      t.launch_records_lost_anywhere = saturating_add_drops(t.launch_records_lost_anywhere, count);
  }
  if (drop_counted_by_per_1k_rates(drop_key)) t.rate_events_lost = true;
}

bool loss_type_spares_rate_numerators(const std::string& type) { return drop_may_hold_launches(type) || type == "fdname"; }

bool loss_lost_per_1k_events(const std::map<std::string, int64_t>& lost_by_type) {
  // Only the allow-list is known to leave the numerators whole: a lost task, wakeup or syscall
  // record decides which threads the rates count (recording_reader, sched_scope), and a type this
  // build does not know may matter too (review FN M3; fdname: review FQ L1).
  for (const auto& [type, count] : lost_by_type)
    if (count > 0 && !loss_type_spares_rate_numerators(type)) return true;
  return false;
}

std::string loss_types_changing_outside_rates(const std::map<std::string, int64_t>& lost_by_type) {
  std::string types;
  for (const auto& [type, count] : lost_by_type)
    if (count > 0 && !loss_type_spares_rate_numerators(type) && type != "switch") types += (types.empty() ? "" : ", ") + type;
  return types;
}

std::string outside_loss_scope_words(const std::string& types) {
  return "the loss windows lost " + (types.empty() ? std::string("records of types not saved") : types + " records") +
         ", which may decide which threads are counted";
}

void tally_loss_window(Per1kDropTally& t, const std::map<std::string, int64_t>& lost_by_type) {
  if (loss_lost_per_1k_events(lost_by_type)) t.rate_events_lost = true;
  if (loss_changes_outside_rates(lost_by_type)) t.outside_rate_events_lost = true;
  for (const auto& [type, count] : lost_by_type)
    if (count > 0 && drop_may_hold_launches(type))
      t.launch_records_in_windows = saturating_add_drops(t.launch_records_in_windows, count);
}

int64_t per_1k_launch_records_lost(const Per1kDropTally& t) {
  // The same loss counted twice: the eBPF ring's drop counters (written at the stop) and its loss
  // windows (written as they close). A recorder killed before its stop leaves only the windows
  // (review FN M2); the CUPTI ring's losses have no windows and add to them.
  return std::max(t.launch_records_lost, saturating_add_drops(t.launch_records_lost_anywhere, t.launch_records_in_windows));
}

std::string per_1k_marked(bool upper_bound, double value, const std::string& mark, const std::string& text) {
  return (upper_bound && value != 0.0 ? mark : std::string()) + text;
}

std::string launch_undercount_cause(int64_t launch_records_lost, const std::string& launch_partial_note, bool up_to) {
  std::string why;
  if (launch_records_lost > 0)
    why = std::string("the recorder lost ") + (up_to ? "up to " : "") + std::to_string(launch_records_lost) +
          plural(launch_records_lost, " record that may be a launch call", " records that may be launch calls");
  if (!launch_partial_note.empty()) {
    // The coverage's note names its causes (ingest/recording/cupti_callbacks.cpp): CUPTI's refused or
    // unknown callbacks, and a library probed late (review TI M2), each said as what it is.
    const bool late = launch_partial_note.find("before it was probed") != std::string::npos;
    const bool cupti = launch_partial_note.find("callbacks") != std::string::npos || !late;
    if (cupti) why += std::string(why.empty() ? "" : "; ") + "CUPTI refused some launch callbacks, whose calls it leaves out";
    if (late)
      why += std::string(why.empty() ? "" : "; ") +
             "a CUDA library was probed late, after the program had mapped it: the launches made through it before "
             "then are not recorded (the launch figures' note names it)";
  }
  return why;
}

std::string per_1k_upper_bound_reason(int64_t launches, int64_t launch_records_lost, const std::string& launch_partial_note,
                                      bool rate_events_lost, bool up_to) {
  if (launches <= 0 || rate_events_lost) return "";
  const std::string cause = launch_undercount_cause(launch_records_lost, launch_partial_note, up_to);
  return cause.empty() ? "" : "fewer launches counted than ran (" + cause + ")";
}

std::string ratio_of_upper_bounds(bool numerator_upper, bool denominator_upper) {
  if (numerator_upper && denominator_upper) return "either_way";
  return numerator_upper ? "at_most" : denominator_upper ? "at_least" : "";
}

std::string ratio_of_per_1k_rates(bool numerator_upper, bool numerator_neither, bool denominator_upper,
                                  bool denominator_neither) {
  if (!numerator_upper && !denominator_upper) return "";
  if (numerator_neither || denominator_neither) return "either_way";
  return ratio_of_upper_bounds(numerator_upper, denominator_upper);
}

}  // namespace infertrace
