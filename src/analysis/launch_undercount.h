// Launches counted fewer than ran (review FC L6): the one rule for what that makes of the figures
// that divide by them, for a recording's scheduler analysis, a saved `sched --json` and a compare
// scenario alike. Launches go uncounted when the recorder lost records that may be launch calls
// (drop_may_hold_launches) or CUPTI refused some launch-class callbacks while others were recorded
// (LaunchCoverage::partial_note). A launch rate (launches / wall) is then a lower bound (compare's
// rate_lower_bound); a rate per 1000 launches (Sched/1K and its preempt/block parts, IRQ/1K hard
// and soft, the launch window's) an upper bound, unless its own events were lost too (loss windows,
// or dropped switch or IRQ events): then both sides of the ratio lost some and it is neither bound
// (docs/sched.md, "Lost events"). Loss windows make it so only when they lost switches or IRQs
// (loss_lost_per_1k_events): a window that lost only launch records gives upper bounds (review FH L3);
// a lost task, wakeup or syscall record may change which threads are counted (review FN M3).
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace infertrace {

// Whether a recorder drop counter (RecorderDrop::key, sched --json `dropped`) counts records that
// may have been launch calls: the eBPF ring's API events ("api") and the CUPTI ring's records
// ("cupti_ring", API callbacks and GPU records alike; "cupti_ring_unpublished", the slots a killed
// producer never published and the ring after them: up to that many records, of any kind), and the
// timed CUDA calls the kernel side kept no entry for ("pending_full_api": its map was full). The one
// list for a recording and a saved analysis of it.
bool drop_may_hold_launches(const std::string& drop_key);
// Whether a drop counter counts events a rate per 1000 launches counts: context switches ("switch")
// and IRQs ("irq"), and processes not traced at all ("untraced_processes": their switches and IRQs
// with their launches); or launches counted twice ("pending_full_fold": a driver call not folded
// into its runtime call). Each makes the rates neither bound.
bool drop_counted_by_per_1k_rates(const std::string& drop_key);
// Whether records of a loss window's type leave every rate per 1000 launches' numerator whole and
// name no thread of its scope: launch records (drop_may_hold_launches: they only under-count the
// launches, making the rates upper bounds) and an ioctl's file name ("fdname": counted by no rate,
// the reader takes no process from it). The allow-list both loss rules below start from.
bool loss_type_spares_rate_numerators(const std::string& type);

// The drop counters (RecorderDrop, sched --json `dropped`) tallied for the rates per 1000 launches:
// the one sum for a recording, its stderr note and a saved analysis (review FK d).
struct Per1kDropTally {
  // Records lost that may be launch calls (drop_may_hold_launches): the positive counts summed,
  // held at INT64_MAX (saturating_add_drops).
  int64_t launch_records_lost = 0;
  // Whether switch or IRQ events were dropped (drop_counted_by_per_1k_rates, a positive count).
  bool rate_events_lost = false;
  // Of launch_records_lost, those a ring without loss windows lost (the CUPTI ring's "cupti_ring"):
  // they may be missing outside the windows too, where the eBPF ring's ("api") are not.
  int64_t launch_records_lost_anywhere = 0;
  // Launch records the loss windows lost (tally_loss_window): the eBPF ring's, as its "api"
  // counter counts them once more (per_1k_launch_records_lost takes the larger).
  int64_t launch_records_in_windows = 0;
  // Whether loss windows lost records that decide which threads the rates outside the windows count
  // (loss_changes_outside_rates): then those rates are neither bound too.
  bool outside_rate_events_lost = false;
  // Whether launch_records_lost includes the CUPTI ring's unpublished slots ("cupti_ring_unpublished"):
  // a slot count, at most that many records, so the sum is an upper bound and is worded "up to".
  bool launch_records_lost_up_to = false;
};
// Adds one counter; a count <= 0 (nothing lost, or a corrupt negative) adds nothing.
void tally_per_1k_drop(Per1kDropTally& t, const std::string& drop_key, int64_t count);
// Whether a loss window (LossWindow::lost; sched --json `loss.lost_by_type`, the windows' per-type
// sums) may have lost events a rate per 1000 launches counts, or that decide which threads it
// counts: a positive count of any type outside loss_type_spares_rate_numerators (review FH L3, FN
// M3, FQ L1). A window that lost only those leaves the numerators whole: with launches under-counted
// the rates are then upper bounds, not neither bound.
bool loss_lost_per_1k_events(const std::map<std::string, int64_t>& lost_by_type);
// The same for the rates counted outside the loss windows (sched's `loss.*_outside`): the types a
// window lost, with a positive count, that may change them, joined by ", " in the map's order ("" when
// none). A lost switch lies inside its window (it is stamped before its reserve, and a window spans
// its lost records' stamps: record.bpf.c), which those rates leave out, and decides no thread's
// scope; launch records make them upper bounds (an API record names its process too, but every
// traced process also has a TASK record: written by the recorder for a --pid process's threads, by
// the kernel side at fork or exec, where a lost one makes these rates neither bound; so losing launch
// records never takes a process out of the scope: review FQ M2); ioctl file names, as
// loss_type_spares_rate_numerators says. Every other type may: wake-up, IRQ, syscall and task
// records put their process in the scope (recording_reader, sched_scope), and a type this build
// does not know may matter too. An allow-list, as loss_lost_per_1k_events' (review FN).
std::string loss_types_changing_outside_rates(const std::map<std::string, int64_t>& lost_by_type);
inline bool loss_changes_outside_rates(const std::map<std::string, int64_t>& lost_by_type) {
  return !loss_types_changing_outside_rates(lost_by_type).empty();
}
// Why the rates outside the loss windows are neither bound, in sched's words, from
// loss_types_changing_outside_rates ("" when a saved analysis does not say which types were lost):
// "the loss windows lost task, wakeup records, which may decide which threads are counted".
std::string outside_loss_scope_words(const std::string& types);
// Adds one loss window (LossWindow::lost, or a saved analysis's `loss.lost_by_type`): whether it lost
// events the rates count (loss_lost_per_1k_events), or that change the rates outside the windows
// (loss_changes_outside_rates), and the launch records it lost.
void tally_loss_window(Per1kDropTally& t, const std::map<std::string, int64_t>& lost_by_type);
// The records lost that may be launch calls, by the drop counters or, for a recording cut before
// its stop (no counters written), by its loss windows: the larger.
int64_t per_1k_launch_records_lost(const Per1kDropTally& t);

// A rate per 1000 launches with its bound mark: `mark` before `text` when the rates are upper bounds
// (`upper_bound`), except on an exact 0: no event counted is 0 of any number of launches, exact
// however many ran (review FH L2). The JSON's `per_1k_upper_bound` stays a flag of the recording.
std::string per_1k_marked(bool upper_bound, double value, const std::string& mark, const std::string& text);

// Why launches are under-counted, in words ("the recorder lost N records that may be launch
// calls", "CUPTI refused some launch callbacks, whose calls it leaves out", "a CUDA library was probed
// late, ..." when the note says a library was probed late (review TI M2), joined by "; "),
// from the records lost that may be launch calls and the coverage's partial note; "" when neither.
// `up_to`: the count includes the CUPTI ring's unpublished slots (Per1kDropTally::launch_records_lost_up_to),
// a bound on the records they held, so it reads "the recorder lost up to N records ...".
std::string launch_undercount_cause(int64_t launch_records_lost, const std::string& launch_partial_note,
                                    bool up_to = false);

// Why the rates per 1000 launches are upper bounds; "" when they are not: no launches to divide by,
// launches not under-counted, or `rate_events_lost` (the recording has loss windows, or dropped
// switch or IRQ events: the numerators lost some too, so neither bound; loss windows that lost
// only launch records leave it false: loss_lost_per_1k_events). `up_to` as launch_undercount_cause's.
std::string per_1k_upper_bound_reason(int64_t launches, int64_t launch_records_lost, const std::string& launch_partial_note,
                                      bool rate_events_lost, bool up_to = false);

// Which way a ratio of two such rates (a scenario's over its baseline's) may be off, in compare's
// words for the slowdown: "" exact, "at_most" (the numerator is an upper bound: the true ratio is at
// most this), "at_least" (the denominator is), "either_way" (both are).
std::string ratio_of_upper_bounds(bool numerator_upper, bool denominator_upper);
// The same for rates that may also be neither bound (`*_neither`: their own events were lost, loss
// windows or dropped switch or IRQ events): once either side is an upper bound, a neither-bound rate
// on either side leaves the ratio's direction unknown, "either_way" (review FH M1); without any
// upper bound "" (the loss is said apart, as `rates_over_loss`).
std::string ratio_of_per_1k_rates(bool numerator_upper, bool numerator_neither, bool denominator_upper,
                                  bool denominator_neither);

}  // namespace infertrace
