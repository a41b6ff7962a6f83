// The one-paragraph verdict of the scheduler analysis: which signature the run shows and the
// mitigation that matches it. The decision reads the tail (P99 pairs when there are at least 100,
// else P95): whatever delayed most of the slowest launch pairs is the signature, unless the tail is
// mostly the application itself and the scheduler took under 1% of wall time.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "analysis/impact_unknown_reason.h"
#include "analysis/irq_stats.h"
#include "analysis/sched.h"
#include "util/plural.h"
#include "util/units.h"

namespace infertrace {

namespace {

constexpr double kCauseShare = 0.20;   // a cause must explain at least this share of the tail
constexpr double kImpactFloor = 0.01;  // below this scheduler impact the run counts as clean
constexpr double kIrqFloor = 0.01;     // IRQ time under this share of wall cannot be the cause

std::string syscall_list(const Trace& trace, const std::vector<SyscallStat>& by_name) {
  std::string s;
  for (size_t i = 0; i < by_name.size() && i < 3; ++i) {
    const SyscallStat& st = by_name[i];
    if (!s.empty()) s += ", ";
    s += st.name != kNoString ? std::string(trace.str(st.name)) : "syscall " + std::to_string(st.nr);
    s += " (" + format_ns(st.total) + ")";
  }
  return s;
}

std::string top_syscalls(const Trace& trace, const SchedAnalysis& a) { return syscall_list(trace, a.syscalls.by_name); }

// The launching thread's own syscalls (another thread's futex wait is not why it slept).
std::string main_thread_syscalls(const Trace& trace, const SchedAnalysis& a) {
  std::map<std::pair<StrId, int32_t>, SyscallStat> by;
  const SyscallTable& t = trace.syscalls;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t.tid[i] != a.main_tid) continue;
    SyscallStat& st = by[{t.name[i], t.name[i] == kNoString ? t.nr[i] : -1}];
    st.name = t.name[i], st.nr = t.nr[i], st.count += 1, st.total += t.dur[i];
  }
  std::vector<SyscallStat> v;
  for (auto& [k, st] : by) v.push_back(st);
  std::stable_sort(v.begin(), v.end(), [](const SyscallStat& x, const SyscallStat& y) { return x.total > y.total; });
  return v.empty() ? "none recorded" : syscall_list(trace, v);
}

// The recording's --events list as it said it (META events); a trace that does not say has none.
std::string events_asked(const Trace& trace) {
  const auto ev = trace.meta.find("events");
  return ev != trace.meta.end() ? ev->second : std::string("not stated");
}

const ThreadSched* main_thread(const SchedAnalysis& a) {
  for (const ThreadSched& th : a.threads)
    if (th.tid == a.main_tid) return &th;
  return nullptr;
}

// What the OS did to the traced threads, for a recording with too few launches to pair: a CPU-only
// run still wants to know whether it was preempted, how long it waited to run and where it slept.
std::string os_summary(const Trace& trace, const SchedAnalysis& a) {
  int64_t outs = 0, preempted = 0, blocked = 0;
  ns_t offcpu = 0;
  for (const ThreadSched& th : a.threads) {
    outs += th.switch_outs, preempted += th.preemptions, blocked += th.blocks;
    offcpu += th.offcpu;
  }
  // Without switch events there are no switches to count, which is not the same as none happening.
  const int64_t nthreads = static_cast<int64_t>(a.threads.size());
  std::string s = "Its " + format_count(nthreads) + plural(nthreads, " traced thread ", " traced threads ");
  if (a.switches_recorded)
    s += plural(nthreads, "was", "were") + " switched out " + format_count(outs) + plural(outs, " time (", " times (") + format_count(preempted) + " preempted, " +
         format_count(blocked) + " blocked) and spent " + format_ns(offcpu) + " off the CPU" +
         // a sum over threads, which can exceed the wall time (review DJ L6)
         (nthreads > 1 ? " (summed over the " + format_count(nthreads) + " threads)" : std::string()) + " in " +
         format_ns(a.wall) + " of wall time";
  else
    s += "ran for " + format_ns(a.wall) + " of wall time (context switches not recorded: --events " + events_asked(trace) + ")";
  if (a.runq_samples > 0)
    s += "; run-queue latency p50 " + format_ns(a.runq_p50) + ", p99 " + format_ns(a.runq_p99);
  if (!a.syscalls.by_name.empty()) s += "; most syscall time: " + top_syscalls(trace, a);
  return s + ".";
}

// The run-queue figure the contention verdict quotes: the main launching thread's own, beside the
// pooled one of all traced threads when others waited too (a worker pool's waits are not the
// launching thread's); the pooled one, named as such, when the launching thread never waited.
std::string runq_phrase(const SchedAnalysis& a) {
  if (a.main_runq_samples > 0) {
    std::string s = "its run-queue latency p99 " + format_ns(a.main_runq_p99) + " over " +
                    format_count(a.main_runq_samples) + plural(a.main_runq_samples, " wait", " waits");
    if (a.runq_samples > a.main_runq_samples) s += "; all traced threads' p99 " + format_ns(a.runq_p99);
    return s;
  }
  if (a.runq_samples > 0) return "traced threads' run-queue latency p99 " + format_ns(a.runq_p99) + "; none of its own recorded";
  return "no run-queue wait recorded";
}

// Scheduler impact in words. With several launching threads it sums pairs that overlap in time and
// can pass 100%: say it is a sum, and give the mean per thread, which reads as a share of wall time.
// Under loss each thread's wall is less its left-out pairs (docs/sched.md "Lost events"): the
// phrase names that wall, as the impact row does (review EJ L3).
std::string impact_phrase(const SchedAnalysis& a, double impact) {
  // Shares as the impact table beside the verdict prints them, one decimal (format_pct; review HT
  // L2: "79.00%" here beside "79.0%" there).
  const std::string wall = a.pairs_spanning_loss > 0 ? "of wall time less the pairs left out for loss" : "of wall time";
  std::string out = "the scheduler cost " + format_pct(impact) + " " + wall;
  if (a.pair_threads > 1)
    out += " summed over " + std::to_string(a.pair_threads) + " launching threads (" +
           format_pct(impact / static_cast<double>(a.pair_threads)) + " per thread on average)";
  // Blocked pairs' excess is the thread's own waits (sleeps, I/O): "scheduler cost" alone read as
  // the scheduler's doing right after a verdict that pinning will not help (review SP L4). Unless
  // the thread, after its blocks, waited runnable for a CPU longer than it slept: then that excess is
  // contention, as the verdict says, not its own waits (review SC L3).
  const ThreadSched* mt = main_thread(a);
  const bool waited_for_cpu = mt && mt->blocked_wait > mt->blocked_sleep;
  if (a.impact_blocked && *a.impact_blocked > 0)
    out += ", of which " + format_pct(*a.impact_blocked) +
           (waited_for_cpu ? " of wall time in pairs where the thread blocked, then waited runnable for a CPU longer than it "
                             "slept (contention, not its own waits)"
                           : " of wall time in pairs where the thread blocked (its own waits, not preemption)");
  return out;
}

// A share as a whole percent that never reads 0% or 100% when it is neither (review SP L2: 0.5%
// preempted printed "0%").
std::string whole_percent(double share) {
  const double v = share * 100;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f", v);  // printf's rounding: 0.5 reads "0"
  const std::string whole = buf;
  if (v > 0 && whole == "0") return "<1%";
  if (v < 100 && whole == "100") return ">99%";
  return whole + "%";
}

// One sentence for a recording whose recorder lost events (review DE L8): how many, how much of the
// launch window its loss windows cover (of the whole wall when there is no window), and that the
// figures above leave out what met them.
std::string loss_sentence(const SchedAnalysis& a) {
  char buf[96];
  const bool in_window = a.launches_measured && a.launch_window.defined;
  const ns_t covered = in_window ? a.loss_covered_in_launch_window : a.loss_covered;
  const ns_t whole = in_window ? a.launch_window.wall : a.wall;
  if (whole > 0)
    std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * static_cast<double>(covered) / static_cast<double>(whole));
  else
    std::snprintf(buf, sizeof buf, "-");
  std::string s = "The recorder lost " + format_count(a.lost_events) + plural(a.lost_events, " event", " events") +
                  " in " + format_count(a.loss_windows) + plural(a.loss_windows, " loss window", " loss windows") +
                  " covering " + format_ns(covered) + " (" + buf + ") of the " +
                  (in_window ? "launch window" : "recorded wall");
  // Loss beyond the window's ends shortens the window itself (review LW M1: a window lost 38,347
  // launches 14 us after the last recorded one, and this said it covered 0% of the launch window).
  const int64_t lost_outside = in_window ? a.launch_window.launch_records_lost_outside : 0;
  if (lost_outside > 0)
    s += " (and " + format_count(lost_outside) + plural(lost_outside, " launch record", " launch records") +
         " lost in windows reaching beyond its first or last recorded launch: the launch window may be shorter than "
         "the run's launches)";
  std::vector<std::string> parts;
  int64_t only = 0;  // the count of the one part, when there is one: "the 1 launch pair that meets one"
  const auto part = [&](int64_t n, const char* one, const char* many) {
    parts.push_back(format_count(n) + plural(n, one, many));
    only = n;
  };
  if (a.launches_measured) part(a.pairs_spanning_loss, " launch pair", " launch pairs");
  if (a.switches_recorded) {
    part(a.offcpu_intervals_spanning_loss, " off-CPU interval", " off-CPU intervals");
    part(a.runq_waits_spanning_loss, " run-queue wait", " run-queue waits");
  }
  if (parts.empty()) return s + ".";
  s += ": the figures above leave out the ";
  for (size_t i = 0; i < parts.size(); ++i) s += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
  return s + (parts.size() == 1 && only == 1 ? " that meets one." : " that meet one.");
}

// The verdict of a recording whose launches were measured (below).
void sched_verdict_measured(const Trace& trace, SchedAnalysis& a);

}  // namespace

void sched_verdict(const Trace& trace, SchedAnalysis& a) {
  if (!a.launches_measured) {
    a.signature = "launches_not_measured", a.mitigation = "record where CUPTI accepts the launch callbacks";
    a.verdict = "No launch-pair analysis: " + trace.launch_coverage.unmeasured_reason +
                ", so there are no launch pairs to attribute delays to and no rate per 1000 launches. " +
                (a.has_os_events ? os_summary(trace, a) + " " : std::string()) +
                "Record again where CUPTI accepts the launch callbacks (another CUDA or CUPTI version, or --cuda uprobe) "
                "for the launch-pair analysis.";
  } else {
    sched_verdict_measured(trace, a);
    // Figures from a partial launch record: they leave out the refused APIs' calls, and say so.
    if (!a.launch_partial_note.empty()) a.verdict += " Note: " + a.launch_partial_note + ".";
  }
  if (a.loss) a.verdict += " " + loss_sentence(a);
}

namespace {

void sched_verdict_measured(const Trace& trace, SchedAnalysis& a) {
  if (!a.has_os_events) {
    a.signature = "no_os_events", a.mitigation = "record the run";
    // A recording made with --events that left every OS event out is not a profiler trace (review
    // CY L3): say which it is, as pairs_undefined_reason does.
    // Any OS event class asked for (wake-ups and syscalls too, review DF L4) and none happened.
    const std::string asked = events_asked(trace);
    const auto listed = [&](const char* e) {
      for (size_t at = 0; at < asked.size();) {
        const size_t comma = std::min(asked.find(',', at), asked.size());
        if (asked.compare(at, comma - at, e) == 0) return true;
        at = comma + 1;
      }
      return false;
    };
    if (a.events_listed && (a.switches_recorded || a.irqs_recorded || listed("wakeup") || listed("syscall") ||
                            listed("syscall-counts")))
      a.verdict = "This recording traced OS events (--events " + asked +
                  "), but none happened to the traced threads while it ran: there is no delay to attribute. Record a "
                  "longer run to see how the OS delays its launches.";
    else if (a.events_listed)
      a.verdict = "This recording asked for no scheduler, IRQ or syscall events (--events); record the run again with "
                  "them (the default) to see how the OS delayed its launches.";
    else if (trace.source == TraceSource::Recording)
      a.verdict = "This recording has no scheduler, IRQ or syscall events and does not list the events it recorded; "
                  "record the run again with `infertrace record` to see how the OS delayed its launches.";
    else
      a.verdict = "This trace has no scheduler, IRQ or syscall events (a profiler trace, not a recording); record the run "
                  "with `infertrace record` to see how the OS delayed its launches.";
    return;
  }
  if (a.all.count < 2) {
    a.signature = "too_few_launches", a.mitigation = "record a longer run";
    // A CPU-only run has nothing to pair: say that, not "only 0 pairs"; a longer run of it would
    // have none either (audit EW L3: the header advised one under a paragraph saying otherwise).
    if (a.launches == 0) a.mitigation = "record a run that launches CUDA work";
    if (a.launches == 0)
      a.verdict = "The recording has no CUDA launches (a CPU-only run), so there are no launch pairs to attribute delays to. " +
                  os_summary(trace, a) + " Record a run that launches CUDA work for the launch-pair analysis.";
    else if (a.all.count == 0)  // one launch: no pair (not "only 0 launch pairs")
      a.verdict = "The recording has one CUDA launch, so there is no launch pair to attribute delays to. " +
                  os_summary(trace, a) + " Record a run with more CUDA launches for the launch-pair analysis.";
    else
      a.verdict = "Only " + format_count(a.all.count) + plural(a.all.count, " launch pair was", " launch pairs were") + " recorded: too few to attribute delays. " +
                  os_summary(trace, a) + " Record a run with more CUDA launches for the launch-pair analysis.";
    return;
  }
  // Pairs are "clean" when nothing was seen between their launches: without switch events nothing
  // can be seen, and no verdict is possible (or, without IRQ events, none about IRQs).
  if (!a.switches_recorded) {
    a.signature = "not_recorded", a.mitigation = "record with --events sched,irq";
    a.verdict = "Context switches were not recorded (--events " + events_asked(trace) +
                "), so the launch pairs cannot be split by what delayed them and no scheduler verdict is possible. "
                "Record the run with --events launch,sched,wakeup,irq.";
    return;
  }
  const TailShares& t = a.all.count >= 100 ? a.tail99 : a.tail95;
  const char* pct = a.all.count >= 100 ? "P99" : "P95";
  const double impact = a.scheduler_impact.value_or(0.0);
  char buf[640];
  // IRQ rates only when IRQs were recorded: "0.0 hard + 0.0 soft" would read as measured.
  std::string numbers = format_count(a.launches) + " launches, ";
  // Launches counted fewer than ran: the rates are upper bounds, said with them (review FC L6).
  const bool upper = !a.per_1k_upper_bound_reason.empty();
  // An exact 0 is 0 however many launches ran: no "at most" on it (review FH L2, FN).
  const auto at_most = [&](double v) { return std::string(upper && v != 0.0 ? "at most " : ""); };
  // The rates as the tables round them (format_fixed: decimal ties alike, review HT L3).
  const auto rate = [&](double v) { return at_most(v) + format_fixed(v, 1); };
  if (a.irqs_recorded)
    // Bounded: each rate its own "at most", so that it does not read as a bound on the sum (review FH L7).
    numbers += rate(a.sched_per_1k) + " context switches and " + rate(a.irq_per_1k_hard) + " hard " + (upper ? "and" : "+") +
               " " + rate(a.irq_per_1k_soft) + " soft IRQs per 1000 launches";
  else
    numbers += rate(a.sched_per_1k) + " context switches per 1000 launches";
  numbers += (upper ? " (upper bounds: " + a.per_1k_upper_bound_reason + ")" : std::string()) +
             "; preemption penalty " + (a.penalty ? format_ns(*a.penalty) : std::string("n/a")) + "; " +
             (a.scheduler_impact ? impact_phrase(a, impact)
                                 : "scheduler impact " + std::string(impact_unknown_reason(a.clean.count, a.pairs_spanning_loss, false, measured_launches(a)))) +
             ".";
  // Ties at the threshold can put every pair in the tail (all pairs of one length): then it is not
  // "the slowest" of anything (review SP L2).
  if (t.pairs == a.all.count)
    std::snprintf(buf, sizeof buf, " All %lld pairs are at or above the %s (d >= %s): ", static_cast<long long>(t.pairs), pct,
                  format_ns(t.threshold).c_str());
  else
    std::snprintf(buf, sizeof buf, " Of the %lld slowest pairs (%s and above, d >= %s): ", static_cast<long long>(t.pairs), pct,
                  format_ns(t.threshold).c_str());
  numbers += buf;
  numbers += whole_percent(t.preempted) + " preempted, " + whole_percent(t.blocked) + " blocked, ";
  // Without IRQ events no pair is seen interrupted: the rest is "not switched", not "application".
  if (a.irqs_recorded)
    numbers += whole_percent(t.interrupted_only) + " interrupted by IRQs only, " + whole_percent(t.application) + " application.";
  else
    numbers += whole_percent(t.interrupted_only + t.application) + " not switched.";
  if (!a.irqs_recorded)
    numbers += " IRQs were not recorded (--events " + events_asked(trace) +
               "): IRQ pressure is not judged, and the \"clean\" pairs the penalty and the impact are measured "
               "against are the pairs not switched out (IRQs may have run in them).";
  // Said, so that a reader who finds NET_RX in the IRQ exports knows why no IRQ figure counts it
  // (review KT M1: IRQ affinity does not move a thread's own loopback work).
  if (a.irqs_recorded && a.softirqs_own_told && a.irqs.own_count > 0)
    numbers += " The threads also ran " + format_count(a.irqs.own_count) + " softirqs themselves (" +
               format_ns(a.irqs.own_total) +
               ", raised in their own kernel code, e.g. loopback sends): not interruptions, in no IRQ figure.";

  // The cause of a slow pair: a switch-out when there was one (it costs far more than an IRQ,
  // and the scheduler's own timer softirq comes with most preemptions), else the IRQ.
  // IRQs can explain slow pairs only if they took a material share of the wall time: an IRQ that
  // lands in a long pair of application work is in the pair without being why it is long.
  const bool irqs_material = a.irqs_recorded && a.wall > 0 &&
                             static_cast<double>(a.irqs.stolen) >= kIrqFloor * static_cast<double>(a.wall);
  const double irq_share = irqs_material ? t.interrupted_only : 0.0;
  // A launching thread that, after its blocks, waited runnable for a CPU longer than it slept lost
  // that time to contention, not to its sleep: the block only let others take its CPU.
  const ThreadSched* mt = main_thread(a);
  const bool wait_dominates = mt && mt->blocked_wait > mt->blocked_sleep;
  double preempted = t.preempted, blocked = t.blocked;
  // docs/sched.md: the fold depends on the waiting alone, not on blocked pairs being the largest
  // cause (30% preempted + 30% blocked is 60% contention, more than 40% IRQ-only pairs).
  if (wait_dominates) preempted += blocked, blocked = 0;
  const double top = std::max({preempted, blocked, irq_share});
  if (top < kCauseShare && impact < kImpactFloor) {
    a.signature = "clean", a.mitigation = "nothing";
    // An unknown impact is not one under 1% (review FC M2): the tail clears the OS, the cost below
    // it could not be weighed, and the verdict says so instead of "barely touched".
    a.verdict = a.scheduler_impact
                    ? "Clean: the OS barely touched the launching threads; the slow launch pairs come from the "
                      "application itself, so no scheduling change will help. " + numbers
                    : "Clean in the slow pairs: no OS cause explains them, so they come from the application itself; "
                      "the scheduler's cost below them could not be weighed (its impact is unknown). " + numbers;
    return;
  }
  // No cause explains the tail, yet the scheduler cost 1% of wall time or more: that cost lies in
  // switched pairs below the tail, and the group whose excess over the clean median adds most names
  // the signature (IRQ-only pairs are no part of that cost). Ties go to preemption, as above.
  const bool below_tail = top < kCauseShare;
  double excess_preempted = a.impact_preempted.value_or(0.0), excess_blocked = a.impact_blocked.value_or(0.0);
  if (wait_dominates) excess_preempted += excess_blocked, excess_blocked = 0;
  enum class Cause { Preempted, Blocked, Irq };
  const Cause cause = below_tail ? (excess_blocked > excess_preempted ? Cause::Blocked : Cause::Preempted)
                      : top == preempted ? Cause::Preempted
                      : top == irq_share ? Cause::Irq
                                         : Cause::Blocked;
  std::string where;
  if (below_tail) {
    // The two shares as the impact table prints them (format_pct: review HT L2).
    std::snprintf(buf, sizeof buf, " No cause explains %.0f%% of the slowest pairs: ", kCauseShare * 100);
    where = std::string(buf) + "the scheduler's cost lies in pairs below the tail (preempted pairs " +
            format_pct(a.impact_preempted.value_or(0.0)) + ", blocked pairs " + format_pct(a.impact_blocked.value_or(0.0)) + " " +
            (a.pairs_spanning_loss > 0 ? "of wall time less the pairs left out for loss" : "of wall time") + ").";
  }
  // "Waited for a CPU" when the blocked part folded into contention is at least the preempted part
  // (of the tail, or of the excess when that named the signature).
  const double blocked_part = below_tail ? a.impact_blocked.value_or(0.0) : t.blocked;
  const double preempted_part = below_tail ? a.impact_preempted.value_or(0.0) : t.preempted;
  const bool waited = wait_dominates && blocked_part > 0 && blocked_part >= preempted_part;
  if (cause == Cause::Preempted) {
    a.signature = "cpu_contention", a.mitigation = "pinning and priority";
    // "the launching thread" only when the figure quoted is its own: with several launching threads
    // the preempted one may be another (review CP L5).
    a.verdict = std::string("CPU contention: ") + (a.main_runq_samples > 0 ? "the" : "a") + " launching thread " +
                (waited ? "waited runnable for a CPU longer than it slept" : "was preempted while runnable") +
                " (" + runq_phrase(a) + "). Pin it to its own CPUs (taskset) and raise its priority (nice -n -10 or "
                "chrt); if other work must share the machine, confine that work to other cores (isolated cores, "
                "cgroup cpuset)." + where + " " + numbers;
  } else if (cause == Cause::Irq) {
    a.signature = "irq_pressure", a.mitigation = "IRQ affinity";
    std::string heavy;
    if (!a.irqs.soft.empty()) heavy += std::string(trace.str(a.irqs.soft.front().name)) + " softirqs";
    if (!a.irqs.hard.empty()) heavy += (heavy.empty() ? "" : ", ") + std::string(trace.str(a.irqs.hard.front().name)) + " hard IRQs";
    // The x86 system vectors (the local timer tick, IPIs) have no /proc/irq/N entry to steer: when
    // one leads the hard IRQs the advice is the cores' own tick and isolation (review DB M2).
    // Marked so wherever the recording says which rows are vectors; by name only where it does not:
    // in a marked recording an unmarked LOC is a device IRQ that /proc/irq/N does steer (review EK L2).
    const std::string lead_hard = a.irqs.hard.empty() ? "" : std::string(trace.str(a.irqs.hard.front().name));
    const bool lead_vector = !a.irqs.hard.empty() &&
                             (a.irqs.hard.front().system_vector ||
                              (!irq_system_vectors_marked(trace) && is_system_vector_name(lead_hard)));
    // The header's mitigation names the same remedy as the paragraph (review EY M2: "IRQ affinity"
    // stood over a paragraph saying no IRQ affinity steers the tick).
    if (lead_vector) a.mitigation = "isolated cores with the tick stopped (nohz_full)";
    const std::string steer =
        lead_vector
            ? "The leading hard IRQ, " + lead_hard + ", is " +
                  (lead_hard == "LOC" ? std::string("the local timer tick") : std::string("an inter-processor or APIC interrupt")) +
                  ", which no IRQ affinity steers: run the launching thread on isolated cores with the tick stopped "
                  "(isolcpus= and nohz_full= on the kernel command line) and keep other work off them; steer device "
                  "IRQs and network softirqs away (/proc/irq/N/smp_affinity, RPS/XPS). "
            : "Steer those IRQs to other CPUs (/proc/irq/N/smp_affinity, RPS/XPS for network softirqs) or keep the "
              "launching thread on isolated cores. ";
    a.verdict = "IRQ pressure: interrupts ran on the launching thread's CPU between launches (mostly " + heavy + "). " +
                steer + numbers;
  } else {
    a.signature = "blocking", a.mitigation = "move blocking calls off the launching thread";
    a.verdict = "Blocking: the launching thread went to sleep between launches (its top syscalls: " + main_thread_syscalls(trace, a) +
                "). Pinning or priority will not help; move I/O and waits off the launching thread or make them "
                "asynchronous." + where + " " + numbers;
  }
}

}  // namespace

}  // namespace infertrace
