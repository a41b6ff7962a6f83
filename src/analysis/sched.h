// Scheduler and IRQ impact on CUDA launches (docs/metrics.md §5, docs/sched.md): launch pairs and
// what interrupted them, preemption penalty, Sched/1K and IRQ/1K, off-CPU time, run-queue latency,
// tail attribution, the syscall profile, and a verdict naming the signature and its mitigation.
// Reads only the Trace's OS tables and launch calls; a Kineto trace (no OS events) gives launch
// counts and a verdict saying the scheduler data is missing.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/gpu_starvation.h"
#include "analysis/irq_stats.h"
#include "analysis/launch_mix.h"
#include "analysis/sched_window.h"
#include "analysis/syscall.h"
#include "trace/trace.h"

namespace infertrace {

// What happened between two consecutive launches of one thread, as exclusive groups (the cause a
// slow pair is put down to in the verdict): preempted = switched out at least once while still
// runnable; blocked = switched out, every time by blocking; interrupted = not switched out, but an
// IRQ ran on its CPU while it was current (IRQ only); clean = none of these. "switched" =
// preempted + blocked. Whether an IRQ ran is also kept as a flag of its own (docs/metrics.md
// reads "interrupted" that way: a pair can be switched and interrupted; clean is neither).
enum class PairGroup : uint8_t { Clean = 0, Interrupted = 1, Preempted = 2, Blocked = 3 };

struct IntervalStats {
  int64_t count = 0;
  double median = 0;  // of the launch-pair interval d (the mean of the middle two for an even count)
  ns_t p50 = 0;       // the median rounded to the nanosecond
  ns_t p90 = 0, p99 = 0;  // nearest-rank percentiles of d
};

struct TailShares {
  ns_t threshold = 0;  // the percentile of d; pairs with d >= threshold are the tail
  int64_t pairs = 0;
  // Shares of the tail's pairs. `interrupted`: an IRQ ran in between, switched or not (so the
  // shares overlap); `interrupted_only`: an IRQ ran and it was not switched out. preempted, blocked,
  // interrupted_only and application (neither switched nor interrupted) add up to 1.
  double switched = 0, preempted = 0, blocked = 0, interrupted = 0, interrupted_only = 0, application = 0;
};

struct ThreadSched {
  int64_t pid = -1, tid = -1;
  StrId comm = kNoString;
  int64_t launches = 0;
  int64_t switch_outs = 0, preemptions = 0, blocks = 0;
  int64_t irqs_hard = 0, irqs_soft = 0;
  ns_t offcpu = 0;  // sum of switch-out -> next switch-in
  // Blocks (voluntary switch-outs) split: asleep (switch-out -> wake-up) and then runnable, waiting
  // for a CPU (wake-up -> switch-in). A block without a recorded wake-up counts as sleep.
  ns_t blocked_sleep = 0, blocked_wait = 0;
  // The summed length of the off-CPU intervals (switch-out -> switch-in) that met a loss window and
  // were left out of offcpu and of the two parts above, and of the gaps where the recorder lost a
  // switch-in or switch-out (docs/sched.md, "Lost events").
  ns_t offcpu_left_out = 0;
  // `record --pid`: the thread's state when its process entered the recording, /proc's letter (0:
  // unknown, a recording made before 2026-12-05 or a thread that came later), and the part of
  // `offcpu` from that moment to its first switch-in when the letter was not R (a block in
  // progress at the attach; also in blocked_sleep/blocked_wait).
  char attach_state = 0;
  ns_t offcpu_at_attach = 0;
  // Softirqs the thread ran as its own work (Irq::own): not in irqs_soft.
  int64_t softirqs_own = 0;
};

struct SchedOptions {
  bool syscalls_per_thread = false;
};

struct SchedAnalysis {
  bool has_os_events = false;  // any switch, wakeup, IRQ or syscall in the trace
  // False when the recording's launch calls were not measured (CUPTI refused every launch-class
  // callback of a process, Trace::launch_coverage): no pair, rate or launching thread is formed
  // from them, and the verdict says why (signature "launches_not_measured").
  bool launches_measured = true;
  std::string launch_partial_note;  // the coverage's note when some launch APIs were left out
  int64_t launches = 0;        // logical launches of traced threads
  int64_t merged_launch_calls = 0;  // runtime/driver calls folded into one logical launch
  ns_t t_begin = 0, t_end = 0, wall = 0;  // the wall: see wall_source (the last member)

  // Launch pairs. `interrupted`: every pair an IRQ interrupted (also when switched);
  // `interrupted_only`: the exclusive group (interrupted and not switched).
  IntervalStats all, clean, interrupted, interrupted_only, preempted, blocked, switched;
  std::vector<ns_t> pair_interval;      // d of every pair (thread by thread, in time order)
  std::vector<PairGroup> pair_group;    // its group
  std::vector<uint8_t> pair_irq;        // 1 when an IRQ ran in between
  // Preemption penalty: median d of the group - median d of clean pairs, rounded to the nanosecond
  // (unset without both).
  std::optional<ns_t> penalty, penalty_preempted, penalty_blocked;
  // Sum over switched pairs of (d - median clean d) / wall, and its two parts (preempted pairs,
  // blocked pairs), which name the signature when the scheduler's cost lies below the tail. Under
  // loss, per launching thread over the wall less that thread's left-out pairs, summed (sched.cpp).
  std::optional<double> scheduler_impact, impact_preempted, impact_blocked;
  // Threads with at least one launch pair. The impact sums the pairs of all of them, which overlap in
  // time, so with several it can pass 1; the verdict then also gives the mean per thread.
  int64_t pair_threads = 0;
  TailShares tail95, tail99;

  // Whether the recording asked for these events (META events; when it does not say: true for a
  // trace with OS events, false for one with none, such as a profiler trace): a rate of events
  // that were not recorded is unknown, not 0.
  bool switches_recorded = true, irqs_recorded = true;
  // Whether the hard-IRQ figures include the x86 system vectors (the timer tick, IPIs: META
  // irq.system_vectors lists some) or are device IRQs only (no such META: recorded before
  // 2026-12-03; or empty: a kernel without the irq_vectors tracepoints). None when IRQs were not
  // recorded. An old recording's hard-IRQ rate is several times a new one's on the same workload,
  // so `compare` says when two scenarios differ here (review DB L5).
  std::optional<bool> irq_system_vectors;
  // Which system vectors: their /proc/interrupts names (META irq.system_vectors, "LOC", "RES", ...;
  // empty when none) and the irq_vectors tracepoints the recorder could not attach (META
  // irq.system_vectors_missing; none when the recording does not say: made before 2026-12-03).
  // Two recordings on kernels with different tracepoints count different interrupts as hard IRQs
  // although both have irq_system_vectors true. Both empty/none when IRQs were not recorded.
  std::vector<std::string> irq_vectors_traced;
  std::optional<std::vector<std::string>> irq_vectors_missing;
  // Whether those two flags come from the recording's own list (META events) rather than from the
  // presence of OS events: a Kineto trace never lists any, so "not recorded (--events)" would point
  // its reader at an option of a command that did not make it.
  bool events_listed = false;
  // Rates per 1000 launches.
  int64_t switch_outs = 0, preemptions = 0, blocks = 0;
  double sched_per_1k = 0, preempt_per_1k = 0, block_per_1k = 0;
  double irq_per_1k_hard = 0, irq_per_1k_soft = 0;
  IrqSummary irqs;
  // The rates again over the launch window only (sched_window.h): a real inference run spends its
  // first seconds importing and loading weights, which the whole-trace rates above include.
  LaunchWindowRates launch_window;

  // Threads, off-CPU time and run-queue latency.
  std::vector<ThreadSched> threads;  // traced threads seen in any table, ordered by tid
  int64_t main_pid = -1, main_tid = -1;  // the launching thread (launch_thread_choice.h)
  ns_t main_offcpu = 0;
  int64_t runq_samples = 0;
  ns_t runq_p50 = 0, runq_p99 = 0, runq_max = 0;  // p50: the median, rounded; p99: nearest rank
  // The same figures for the main launching thread alone: the pooled ones above mix in every traced
  // thread (worker pools, the driver's threads), so they are not the launching thread's.
  int64_t main_runq_samples = 0;
  ns_t main_runq_p50 = 0, main_runq_p99 = 0, main_runq_max = 0;
  // A traced thread switched out twice with no switch-in between: it ran in between, but the
  // switch-in was never reported (seen on Linux 6.18, where perf's sched:sched_switch misses the
  // same switches). Off-CPU time restarts at the later switch-out.
  int64_t switch_ins_missing = 0;

  // The recorder's loss windows (analysis/loss_windows.h; all zero and `loss` false for a recording
  // without LOSS records, whose figures are unchanged). Pairs overlapping a window are left out of
  // every pair figure (all, groups, penalty, impact, tails) and counted here; a missing switch-in
  // whose gap overlaps a window is counted as lost by the recorder, not in switch_ins_missing. The
  // rates above stay over the whole recording (both their sides lost events); the `_outside_loss`
  // ones count only launches, switch-outs and IRQs outside every window.
  bool loss = false;
  int64_t loss_windows = 0, lost_events = 0;
  ns_t loss_covered = 0;  // length of the union of the windows
  ns_t loss_covered_in_launch_window = 0;  // of that union, the part inside the launch window
  int64_t pairs_spanning_loss = 0;
  int64_t switch_ins_lost_by_recorder = 0;
  // Two switch-ins of a thread with no switch-out between, across a window: the switch-out (and the
  // off-CPU interval after it) was lost. The gap's time is left out like a left-out interval's.
  int64_t switch_outs_lost_by_recorder = 0;
  // Off-CPU intervals and run-queue waits whose closed span meets a window: the switch-in, wake-up
  // or a switch-out in between may be the event lost, so their length may be made up (a lost
  // wake-up, or a lost switch-in and switch-out pair, lengthens one). Left out of off-CPU time and of
  // run-queue latency, and counted here. The main thread's off-CPU share is then taken over the wall
  // less its left-out time (main_offcpu_left_out: those intervals and the gaps of lost switch-ins
  // and switch-outs; one thread's intervals and gaps do not overlap).
  int64_t offcpu_intervals_spanning_loss = 0, runq_waits_spanning_loss = 0;
  ns_t main_offcpu_left_out = 0;
  int64_t launches_outside_loss = 0, switch_outs_outside_loss = 0;
  int64_t irqs_hard_outside_loss = 0, irqs_soft_outside_loss = 0;
  double sched_per_1k_outside_loss = 0, irq_per_1k_hard_outside_loss = 0, irq_per_1k_soft_outside_loss = 0;

  SyscallProfile syscalls;

  // GPU idle while the main launching thread was off-CPU (recordings with GPU activities: CUPTI mode).
  GpuStarvation gpu_starvation;

  // Verdict: signature is one of "launches_not_measured", "no_os_events", "too_few_launches", "clean", "cpu_contention",
  // "irq_pressure", "blocking"; mitigation names the matching remedy; verdict is a paragraph.
  std::string signature, mitigation, verdict;

  // Records the recorder lost that may have been launch calls (drop_may_hold_launches: META
  // dropped.api, cupti.ring_dropped_records; 0 without): `launches` counts the recorded ones.
  int64_t launch_records_lost = 0;
  // Why the rates per 1000 launches (sched_per_1k and its parts, irq_per_1k_*, the launch window's)
  // are upper bounds: launches under-counted (launch_records_lost, launch_partial_note) while the
  // switches and IRQs they count were not lost (analysis/launch_undercount.h); "" when they are not.
  // The rates outside the loss windows are judged apart (per_1k_outside_loss_upper_bound_reason).
  std::string per_1k_upper_bound_reason;
  // Whether the events those rates count were lost too (loss windows that lost anything but launch
  // records, dropped switch or IRQ events):
  // then they are neither bound, whatever the launches (review FH M1: a ratio against one is too).
  bool per_1k_events_lost = false;
  // The loss windows' lost events by type, summed over the windows (LossWindow::lost; empty without).
  std::map<std::string, int64_t> lost_by_type;
  // Why the `_outside_loss` rates are upper bounds, by the same rule over the launches outside the
  // windows: launches there under-counted (launch callbacks CUPTI refused, the CUPTI ring's loss; and
  // launch records the eBPF ring lost, counted too: a recording made before 2026-12-04 has their
  // windows start at the failed reserve, after a lost launch's time; review FN M1), while the
  // windows lost no record that changes those rates (per_1k_outside_events_lost); "" when they are not.
  std::string per_1k_outside_loss_upper_bound_reason;
  // Whether the loss windows lost records that decide which threads the `_outside_loss` rates count
  // (loss_changes_outside_rates: anything but launch records, switches and fdname): then those rates are
  // neither bound (review FN). False without loss windows.
  bool per_1k_outside_events_lost = false;
  // Whether launch_records_lost includes the CUPTI ring's unpublished slots (drop key
  // "cupti_ring_unpublished": a slot count, at most that many records; Per1kDropTally's flag), so
  // that the count is an upper bound and said "up to" (compare's verdict and --json, as sched's reason).
  bool launch_records_lost_up_to = false;
  // What the run launched, by shape (analysis/launch_mix.h): compare tells runs of one workload from
  // different work by it. None without GPU kernels or launch calls of a known shape.
  std::optional<LaunchMix> launch_mix;
  // Thread ids that named two threads in turn within the recording (the first exited, the kernel
  // handed the id out again: analysis/thread_lives.h), and the launch "pairs" such a reuse would
  // have made from one thread's last launch to the next one's first, left out of every pair figure.
  int64_t thread_ids_reused = 0;
  int64_t pairs_across_thread_end = 0;
  // What t_begin..t_end (the wall) is: "recording_window" (a recording whose META gives its window,
  // recorded_from_ns / recorded_to_ns: record since 2026-12-05; widened to hold any event outside
  // it) or "event_span" (from the first to the last event: Kineto traces, older recordings).
  std::string wall_source = "event_span";
  // Whether wake-ups were recorded (META events lists "wakeup"; a trace that does not list its
  // events: as switches_recorded). Without them a blocked thread has no run-queue sample.
  bool wakeups_recorded = true;
  // Whether the recording tells softirqs a thread ran as its own work apart from those that
  // interrupted it (META irq.softirq_context = "raise", since 2026-12-06; irqs.own_count counts
  // them). False for older recordings: every softirq there counts as an interruption.
  bool softirqs_own_told = false;
  // Why not, when not: META irq.softirq_context as written (nullopt: the recording has no such key,
  // made before 2026-12-06) and the softirq-raising vectors the recorder could not trace (META
  // irq.softirq_context_untraced; empty when it does not say).
  std::optional<std::string> softirq_context;
  std::vector<std::string> softirq_raise_untraced;
  // The tick devices whose interrupt no tracepoint shows (META irq.softirq_context_tick: a guest's
  // hypervisor timer), the other reason for "not_told".
  std::vector<std::string> softirq_tick_untraced;
  // Whether the trace is a complete recording: none for a trace that is no recording (Kineto); false
  // for an incomplete one (recorder_drops.h recording_incomplete: the recorder killed, the file cut
  // off), whose figures cover only what was recorded up to there, as incomplete_note says (its
  // words without the file name; "" when complete). sched --json `recording_complete`,
  // `incomplete_note` (review HR M2: only stderr said it).
  std::optional<bool> recording_complete;
  std::string incomplete_note;
  // The recorder wrote no loss counters (recorder_drops_unknown: killed before its end): the events it
  // lost and the launch records among them are unknown, not 0 (review HR M1). The loss windows above
  // are only those it wrote before.
  bool loss_counts_unknown = false;
};

SchedAnalysis analyze_sched(const Trace& trace, const SchedOptions& opts = {});

// The wall time over which the main launching thread's off-CPU share is taken: the whole wall, less
// its left-out time (main_offcpu_left_out: off-CPU intervals meeting a loss window and the gaps of
// lost switch-ins and switch-outs; none without loss).
inline ns_t main_offcpu_wall(const SchedAnalysis& a) { return a.wall - a.main_offcpu_left_out; }

// The launch calls when the recording measured them, else none: what decides "no launches" as the
// reason a pair figure is n/a (impact_unknown_reason, penalty_undefined_reason; review UX L2).
inline std::optional<int64_t> measured_launches(const SchedAnalysis& a) {
  return a.launches_measured ? std::optional<int64_t>(a.launches) : std::nullopt;
}

// The signature, mitigation and verdict paragraph from a's figures (sched_verdict.cpp; the last
// step of analyze_sched, public so that its rules can be tested on figures set by hand).
void sched_verdict(const Trace& trace, SchedAnalysis& a);

std::string_view pair_group_name(PairGroup g);

}  // namespace infertrace
