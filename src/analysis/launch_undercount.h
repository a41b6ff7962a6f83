// Launches counted fewer than ran (review FC L6): the one rule for what that makes of the figures
// that divide by them, for a recording's scheduler analysis, a saved `sched --json` and a compare
// scenario alike. Launches go uncounted when the recorder lost records that may be launch calls
// (drop_may_hold_launches) or CUPTI refused some launch-class callbacks while others were recorded
// (LaunchCoverage::partial_note). A launch rate (launches / wall) is then a lower bound (compare's
// rate_lower_bound); a rate per 1000 launches (Sched/1K and its preempt/block parts, IRQ/1K hard
// and soft, the launch window's) an upper bound, unless its own events were lost too (loss windows,
// or dropped switch or IRQ events): then both sides of the ratio lost some and it is neither bound
// (docs/sched.md, "Lost events"), which `rates_over_loss` already says.
#pragma once

#include <cstdint>
#include <string>

namespace infertrace {

// Whether a recorder drop counter (RecorderDrop::key, sched --json `dropped`) counts records that
// may have been launch calls: the eBPF ring's API events ("api") and the CUPTI ring's records
// ("cupti_ring", API callbacks and GPU records alike). The one list for a recording and a saved
// analysis of it.
bool drop_may_hold_launches(const std::string& drop_key);
// Whether a drop counter counts events a rate per 1000 launches counts: context switches ("switch")
// and IRQs ("irq").
bool drop_counted_by_per_1k_rates(const std::string& drop_key);

// Why launches are under-counted, in words ("the recorder lost N records that may be launch
// calls", "CUPTI refused some launch callbacks, whose calls it leaves out", or both joined by "; "),
// from the records lost that may be launch calls and the coverage's partial note; "" when neither.
std::string launch_undercount_cause(int64_t launch_records_lost, const std::string& launch_partial_note);

// Why the rates per 1000 launches are upper bounds; "" when they are not: no launches to divide by,
// launches not under-counted, or `rate_events_lost` (the recording has loss windows, or dropped
// switch or IRQ events: the numerators lost some too, so neither bound).
std::string per_1k_upper_bound_reason(int64_t launches, int64_t launch_records_lost, const std::string& launch_partial_note,
                                      bool rate_events_lost);

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
