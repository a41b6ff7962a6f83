#include "analysis/sched.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "analysis/launch_thread_choice.h"
#include "analysis/launch_undercount.h"
#include "analysis/loss_windows.h"
#include "analysis/offcpu_walk.h"
#include "analysis/percentile.h"
#include "analysis/sched_pairs.h"
#include "analysis/sched_scope.h"
#include "trace/attach_states.h"
#include "trace/recorder_drops.h"
#include "util/comma_list.h"
#include "util/whole_number.h"

namespace infertrace {

std::string_view pair_group_name(PairGroup g) {
  switch (g) {
    case PairGroup::Clean: return "clean";
    case PairGroup::Interrupted: return "interrupted";
    case PairGroup::Preempted: return "preempted";
    case PairGroup::Blocked: return "blocked";
  }
  return "?";
}

namespace {

// The median, p90 and p99 are read at their ranks after placing just those (percentile.h,
// place_ranks): sorting every group's intervals, and all of them twice more for the tails, was over
// a quarter of the analysis of a large recording (docs/benchmarks.md, "sched analysis on a large
// recording").
IntervalStats interval_stats(std::vector<ns_t> d) {
  IntervalStats s;
  s.count = static_cast<int64_t>(d.size());
  if (!d.empty()) {
    std::vector<size_t> at = median_indices(d.size());
    at.push_back(nearest_rank_index(d.size(), 90));
    at.push_back(nearest_rank_index(d.size(), 99));
    place_ranks(d, std::move(at));
  }
  s.median = median_of_sorted(d);
  s.p50 = std::llround(s.median);
  s.p90 = nearest_rank(d, 90), s.p99 = nearest_rank(d, 99);
  return s;
}

// First and last timestamp of anything in the trace (end of intervals included): GPU activity and
// operators too, so a capture whose GPU work outlasts its last host event (no trailing sync) has a
// wall that holds that work (review SW M3: compare's launch rate read a 1.5x slower GPU as "no
// measurable change").
// False (and both 0) when the trace has no event at all.
bool trace_span(const Trace& t, ns_t& begin, ns_t& end) {
  begin = INT64_MAX, end = INT64_MIN;
  auto see = [&](ns_t a, ns_t dur) {
    begin = std::min(begin, a);
    end = std::max(end, a + std::max<ns_t>(dur, 0));
  };
  for (size_t i = 0; i < t.api.size(); ++i) see(t.api.start[i], t.api.dur[i]);
  for (size_t i = 0; i < t.gpu.size(); ++i) see(t.gpu.start[i], t.gpu.dur[i]);
  for (size_t i = 0; i < t.ops.size(); ++i) see(t.ops.start[i], t.ops.dur[i]);
  for (size_t i = 0; i < t.switches.size(); ++i) see(t.switches.ts[i], 0);
  for (size_t i = 0; i < t.wakeups.size(); ++i) see(t.wakeups.ts[i], 0);
  for (size_t i = 0; i < t.irqs.size(); ++i) see(t.irqs.ts[i], t.irqs.dur[i]);
  for (size_t i = 0; i < t.syscalls.size(); ++i) see(t.syscalls.ts[i], t.syscalls.dur[i]);
  for (size_t i = 0; i < t.threads.size(); ++i) {
    if (t.threads.first_ts[i] > 0) see(t.threads.first_ts[i], 0);
    if (t.threads.last_ts[i] > 0) see(t.threads.last_ts[i], 0);
  }
  if (begin <= end) return true;
  begin = end = 0;
  return false;
}

// The recording's own window (META recorded_from_ns / recorded_to_ns, written by record since
// 2026-12-05: from when its events could start to its stop or its command's end, on the clock of
// the events' stamps). An idle `record --pid` recording (a sleeping target) has few events or none:
// their span read a wall of 0 over a 2 s recording. False for a Kineto trace, a recording made
// before, or META that does not read as a window. A trace cut to a time window (trace_window.h,
// META window_from_ns / window_to_ns) keeps the part of it inside the cut; none: false.
bool recording_window(const Trace& t, ns_t& from, ns_t& to) {
  if (t.source != TraceSource::Recording) return false;
  const auto whole = [&](const char* key, ns_t& v) {
    const auto it = t.meta.find(key);
    if (it == t.meta.end()) return false;
    const WholeNumber n = parse_whole_number(it->second, INT64_MIN, INT64_MAX);
    v = n.value;
    return n.status == WholeNumber::Status::ok;
  };
  if (!whole("recorded_from_ns", from) || !whole("recorded_to_ns", to) || from > to) return false;
  ns_t cut_from = 0, cut_to = 0;
  if (whole("window_from_ns", cut_from) && whole("window_to_ns", cut_to))
    from = std::max(from, cut_from), to = std::min(to, cut_to);
  return from <= to;
}

TailShares tail_shares(const std::vector<ns_t>& d, const std::vector<PairGroup>& g, const std::vector<uint8_t>& irq,
                       double pct) {
  TailShares t;
  if (d.empty()) return t;
  std::vector<ns_t> placed = d;
  place_ranks(placed, {nearest_rank_index(placed.size(), pct)});
  t.threshold = nearest_rank(placed, pct);
  int64_t n[4] = {0, 0, 0, 0}, interrupted = 0;
  for (size_t i = 0; i < d.size(); ++i)
    if (d[i] >= t.threshold) ++t.pairs, ++n[static_cast<int>(g[i])], interrupted += irq[i];
  const double total = static_cast<double>(t.pairs);
  t.application = n[0] / total, t.interrupted_only = n[1] / total;
  t.preempted = n[2] / total, t.blocked = n[3] / total;
  t.switched = t.preempted + t.blocked;
  t.interrupted = interrupted / total;
  return t;
}

// What offcpu_and_runq counts besides the per-thread times.
struct OffcpuCounts {
  int64_t switch_ins_missing = 0, switch_ins_lost = 0, switch_outs_lost = 0;
  int64_t offcpu_spanning_loss = 0, runq_spanning_loss = 0;
};

// Off-CPU time and run-queue latency from each traced thread's switch-outs, switch-ins and wakeups.
// Off-CPU time runs from a switch-out to the next switch-in; run-queue latency from the moment the
// thread became runnable again (a wakeup after it blocked, or the involuntary switch-out itself)
// to its next switch-in. The walk and its rules (ties, missing and lost switches, intervals meeting
// a loss window) are analysis/offcpu_walk.h's, shared with gpu_starvation.cpp; what is left out is
// counted here, and its time kept out of the share of wall (review DO).
// `end`: the wall's end, where a stay off the CPU since the attach with no switch at all ends.
// `threads` and `runq` get each id's lives summed; `main` and `main_runq` the figures of the one
// life `main_life` (the launching thread's; none when null).
using Life = std::pair<int64_t, uint32_t>;  // (tid, life)
void offcpu_and_runq(const Trace& t, const TracedScope& scope, const LossSpans& loss, ns_t end,
                     std::map<int64_t, ThreadSched>& threads, std::map<int64_t, std::vector<ns_t>>& runq,
                     OffcpuCounts& n, const Life* main_life, ThreadSched& main, std::vector<ns_t>& main_runq) {
  // One walk per thread life (analysis/thread_lives.h): a reused id's new thread starts its own, so
  // that no interval runs from a dead thread's last switch-out to the next one's first switch-in.
  std::map<Life, std::vector<OffcpuEvent>> ev;
  const auto life = [&](int64_t tid, ns_t ts) { return Life{tid, scope.lives.life(tid, ts)}; };
  const SwitchTable& s = t.switches;
  for (size_t i = 0; i < s.size(); ++i) {
    if (scope.prev_in(s, i))
      ev[life(s.prev_tid[i], s.ts[i])].push_back(
          {s.ts[i], s.preempted[i] ? OffcpuEventKind::OutPreempted : OffcpuEventKind::OutBlocked});
    if (scope.next_in(s, i))
      ev[life(s.next_tid[i], s.ts[i])].push_back({s.ts[i], OffcpuEventKind::SwitchIn});
  }
  for (size_t i = 0; i < t.wakeups.size(); ++i)
    if (scope.contains(t.wakeups.pid[i], t.wakeups.tid[i], t.wakeups.ts[i]))
      ev[life(t.wakeups.tid[i], t.wakeups.ts[i])].push_back({t.wakeups.ts[i], OffcpuEventKind::Wakeup});
  // Threads off the CPU when their process entered the recording (`record --pid`): their stay
  // from the stamp to the first switch-in counts (review RP M3: a thread blocked 1,515 ms of a
  // 1,546 ms wall read as 2% off the CPU). A tid listed twice keeps its first stamp.
  std::map<int64_t, ThreadAtAttach> at_attach;
  for (const ThreadAtAttach& a : attach_states(t))
    if (scope.contains(a.pid, a.tid, a.ts) && at_attach.emplace(a.tid, a).second) {
      threads[a.tid].attach_state = a.state;
      if (offcpu_state(a.state)) ev[life(a.tid, a.ts)];  // walked even without a switch: off the CPU throughout
    }
  std::vector<OffcpuPiece> pieces;  // reused across threads
  for (auto& [key, v] : ev) {
    const int64_t tid = key.first;
    OffcpuStart start;
    ThreadSched& th = threads[tid];
    // The attach state is the first life's (an id alive at the attach died, if at all, after it).
    if (const auto a = at_attach.find(tid); a != at_attach.end() && key.second == life(tid, a->second.ts).second) {
      start.ts = a->second.ts, start.off_cpu = offcpu_state(a->second.state), start.until = end;
    }
    walk_offcpu(v, loss, pieces, start);
    // The pieces' times go to the id's row and, for the launching thread's life, to its own.
    const bool is_main = main_life && key == *main_life;
    ThreadSched* const rows[] = {&th, is_main ? &main : nullptr};
    std::vector<ns_t>* const waits[] = {&runq[tid], is_main ? &main_runq : nullptr};
    for (const OffcpuPiece& p : pieces) {
      const ns_t len = p.end - p.begin;
      switch (p.kind) {
        case OffcpuPieceKind::SwitchInMissing: ++n.switch_ins_missing; break;
        case OffcpuPieceKind::SwitchInLost:
        case OffcpuPieceKind::SwitchOutLost:
          ++(p.kind == OffcpuPieceKind::SwitchInLost ? n.switch_ins_lost : n.switch_outs_lost);
          for (ThreadSched* r : rows)
            if (r) r->offcpu_left_out += len;
          break;
        case OffcpuPieceKind::IntervalSpanningLoss:
        case OffcpuPieceKind::Interval:
          if (p.ready >= 0 && !p.open_end) {
            if (p.wait_meets_loss) ++n.runq_spanning_loss;
            else
              for (std::vector<ns_t>* w : waits)
                if (w) w->push_back(p.end - p.ready);
          }
          if (p.kind == OffcpuPieceKind::IntervalSpanningLoss) {
            // Its sleep/wait split is part of it: both are left out with it.
            ++n.offcpu_spanning_loss;
            for (ThreadSched* r : rows)
              if (r) r->offcpu_left_out += len;
          } else {
            for (ThreadSched* r : rows) {
              if (!r) continue;
              r->offcpu += len;
              if (p.from_attach) r->offcpu_at_attach += len;
              if (!p.preempted) {
                r->blocked_sleep += (p.ready >= 0 ? p.ready : p.end) - p.begin;
                r->blocked_wait += p.ready >= 0 ? p.end - p.ready : 0;
              }
            }
          }
          break;
      }
    }
  }
}

// Samples, p50 (the median, rounded), nearest-rank p99 and max of run-queue waits; 0 without samples.
void runq_figures(std::vector<ns_t> v, int64_t& samples, ns_t& p50, ns_t& p99, ns_t& max) {
  samples = static_cast<int64_t>(v.size());
  if (!v.empty()) {
    std::vector<size_t> at = median_indices(v.size());
    at.push_back(nearest_rank_index(v.size(), 99));
    at.push_back(v.size() - 1);
    place_ranks(v, std::move(at));
  }
  p50 = std::llround(median_of_sorted(v)), p99 = nearest_rank(v, 99);
  max = v.empty() ? 0 : v.back();
}

double per_1k(int64_t n, int64_t launches) { return launches > 0 ? 1000.0 * static_cast<double>(n) / static_cast<double>(launches) : 0.0; }

// The loss figures and the rates counted over the recorded time outside every loss window: only
// launches, switch-outs and IRQs outside them, so that neither side of a rate lost events.
void outside_loss_rates(const Trace& t, const TracedScope& scope, const std::vector<ThreadLaunches>& launches,
                        const LossSpans& loss, SchedAnalysis& a) {
  a.loss = true;
  a.loss_windows = static_cast<int64_t>(loss.windows());
  a.lost_events = loss.lost_events();
  a.loss_covered = loss.covered();
  if (a.launch_window.defined) a.loss_covered_in_launch_window = loss.covered_between(a.launch_window.begin, a.launch_window.end);
  for (const ThreadLaunches& th : launches)
    for (ns_t ts : th.ts) a.launches_outside_loss += loss.contains(ts) ? 0 : 1;
  const SwitchTable& s = t.switches;
  for (size_t i = 0; i < s.size(); ++i)
    if (scope.prev_in(s, i) && !loss.contains(s.ts[i])) ++a.switch_outs_outside_loss;
  // The IRQs the whole-recording rates count (summarize_irqs: every recorded IRQ row).
  for (size_t i = 0; i < t.irqs.size(); ++i)
    if (t.irqs.interrupting(i) && !loss.contains(t.irqs.ts[i])) ++(t.irqs.kind[i] == IrqKind::Hard ? a.irqs_hard_outside_loss : a.irqs_soft_outside_loss);
  a.sched_per_1k_outside_loss = per_1k(a.switch_outs_outside_loss, a.launches_outside_loss);
  a.irq_per_1k_hard_outside_loss = per_1k(a.irqs_hard_outside_loss, a.launches_outside_loss);
  a.irq_per_1k_soft_outside_loss = per_1k(a.irqs_soft_outside_loss, a.launches_outside_loss);
}

}  // namespace

SchedAnalysis analyze_sched(const Trace& trace, const SchedOptions& opts) {
  SchedAnalysis a;
  a.has_os_events = trace.switches.size() + trace.wakeups.size() + trace.irqs.size() + trace.syscalls.size() > 0;
  a.launch_mix = launch_mix(trace);
  // The wall: a recording's window when its META gives it, widened to hold any event stamped
  // outside it (a GPU activity that ends after the stop, the command's final switch-out after its
  // exit's stamp; in a recording made before 2026-12-06, the command's switches while it waited for
  // its release, which record now leaves out: record.bpf.c command_released_ns); else the span of
  // the events.
  const bool any_event = trace_span(trace, a.t_begin, a.t_end);
  if (ns_t from = 0, to = 0; recording_window(trace, from, to)) {
    a.t_begin = any_event ? std::min(a.t_begin, from) : from;
    a.t_end = any_event ? std::max(a.t_end, to) : to;
    a.wall_source = "recording_window";
  }
  a.wall = a.t_end - a.t_begin;
  if (trace.source == TraceSource::Recording) a.recording_complete = !recording_incomplete(trace);
  a.incomplete_note = incomplete_recording_words(trace);
  a.loss_counts_unknown = recorder_drops_unknown(trace);

  const TracedScope scope = traced_scope(trace);
  a.launches_measured = trace.launch_coverage.measured();
  a.launch_partial_note = trace.launch_coverage.partial_note;
  std::vector<ThreadLaunches> launches = logical_launches(trace, &a.merged_launch_calls);
  // Launches never recorded leave no pair to attribute and no count to divide by: the rest of the
  // recorded launches would read as the whole (trace/launch_coverage.h).
  if (!a.launches_measured) launches.clear(), a.merged_launch_calls = 0;
  const auto outs = switch_outs_by_thread(trace, scope);

  // Per-thread table: every traced thread that launched, was switched or appears in the thread table.
  std::map<int64_t, ThreadSched> threads;
  for (size_t i = 0; i < trace.threads.size(); ++i) {
    ThreadSched& th = threads[trace.threads.tid[i]];
    th.pid = trace.threads.pid[i], th.tid = trace.threads.tid[i], th.comm = trace.threads.comm[i];
  }
  for (const ThreadLaunches& t : launches) {
    ThreadSched& th = threads[t.tid];
    th.pid = t.pid, th.tid = t.tid, th.launches = static_cast<int64_t>(t.ts.size());
    a.launches += th.launches;
  }
  const SwitchTable& s = trace.switches;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!scope.prev_in(s, i)) continue;
    ThreadSched& th = threads[s.prev_tid[i]];
    th.pid = s.prev_pid[i], th.tid = s.prev_tid[i];
    if (th.comm == kNoString) th.comm = s.prev_comm[i];
    ++th.switch_outs;
    (s.preempted[i] ? th.preemptions : th.blocks)++;
    ++a.switch_outs;
    (s.preempted[i] ? a.preemptions : a.blocks)++;
  }
  for (size_t i = 0; i < trace.irqs.size(); ++i) {
    auto it = threads.find(trace.irqs.tid[i]);
    if (it == threads.end()) continue;
    if (!trace.irqs.interrupting(i)) ++it->second.softirqs_own;
    else (trace.irqs.kind[i] == IrqKind::Hard ? it->second.irqs_hard : it->second.irqs_soft)++;
  }

  // The main launching thread, by the rule the GPU starvation uses too (launch_thread_choice.h): the
  // thread life with the most logical launches. Launches of two threads that had one id in turn are
  // not summed, and its off-CPU time and run-queue waits are that life's alone.
  LaunchLife main;
  const std::vector<LifeLaunches> by_life = logical_launches_by_life(trace, scope.lives);
  const bool main_found = a.launches_measured && busiest_launch_life(by_life, main);
  const Life main_life{main.tid, main.life};
  // Threads with launch pairs: each life of a thread id is its own thread (a pair never spans two),
  // so an id that two threads had in turn counts twice (review LW L1: the per-thread average of the
  // impact divided by 3 ids where 5 threads had pairs).
  for (const LifeLaunches& l : by_life) a.pair_threads += l.ts.size() >= 2 ? 1 : 0;
  ThreadSched main_row;
  std::vector<ns_t> main_runq;

  std::map<int64_t, std::vector<ns_t>> runq_by_tid;
  const LossSpans loss(trace);
  OffcpuCounts oc;
  offcpu_and_runq(trace, scope, loss, a.t_end, threads, runq_by_tid, oc, main_found ? &main_life : nullptr, main_row,
                  main_runq);
  a.switch_ins_missing = oc.switch_ins_missing, a.switch_ins_lost_by_recorder = oc.switch_ins_lost;
  a.switch_outs_lost_by_recorder = oc.switch_outs_lost;
  a.offcpu_intervals_spanning_loss = oc.offcpu_spanning_loss, a.runq_waits_spanning_loss = oc.runq_spanning_loss;
  std::vector<ns_t> runq;
  for (auto& [tid, v] : runq_by_tid) runq.insert(runq.end(), v.begin(), v.end());
  runq_figures(runq, a.runq_samples, a.runq_p50, a.runq_p99, a.runq_max);

  for (auto& [tid, th] : threads) {
    if (th.tid < 0) th.tid = tid;
    a.threads.push_back(th);
  }
  if (main_found) {
    a.main_pid = main.pid, a.main_tid = main.tid;
    a.main_offcpu = main_row.offcpu;
    a.main_offcpu_left_out = main_row.offcpu_left_out;
    runq_figures(main_runq, a.main_runq_samples, a.main_runq_p50, a.main_runq_p99, a.main_runq_max);
  }

  // Which events the recording asked for. A trace that does not say (a profiler trace, or a
  // recording older than META events) and has no OS event at all recorded none: its rates and
  // impact are unknown, not 0.
  if (const auto ev = trace.meta.find("events"); ev != trace.meta.end()) {
    const std::string list = "," + ev->second + ",";
    a.events_listed = true;
    a.switches_recorded = list.find(",sched,") != std::string::npos;
    a.irqs_recorded = list.find(",irq,") != std::string::npos;
    a.wakeups_recorded = list.find(",wakeup,") != std::string::npos;
  } else if (!a.has_os_events) {
    a.switches_recorded = a.irqs_recorded = a.wakeups_recorded = false;
  }
  if (a.irqs_recorded) {
    const auto sv = trace.meta.find("irq.system_vectors");
    a.irq_system_vectors = sv != trace.meta.end() && !sv->second.empty();
    if (sv != trace.meta.end()) a.irq_vectors_traced = split_commas(sv->second);
    if (const auto miss = trace.meta.find("irq.system_vectors_missing"); miss != trace.meta.end())
      a.irq_vectors_missing = split_commas(miss->second);
    const auto sc = trace.meta.find("irq.softirq_context");
    a.softirqs_own_told = sc != trace.meta.end() && sc->second == "raise";
    if (sc != trace.meta.end()) a.softirq_context = sc->second;
    if (const auto un = trace.meta.find("irq.softirq_context_untraced"); un != trace.meta.end())
      a.softirq_raise_untraced = split_commas(un->second);
    if (const auto tick = trace.meta.find("irq.softirq_context_tick"); tick != trace.meta.end())
      a.softirq_tick_untraced = split_commas(tick->second);
  }

  a.launch_window = launch_window_rates(trace, scope, launches);

  // Launch pairs and what they show.
  PairAttribution pa = attribute_pairs(trace, launches, outs, loss, scope.lives);
  a.pairs_spanning_loss = pa.spanning_loss;
  a.pairs_across_thread_end = pa.across_thread_end;
  a.thread_ids_reused = scope.lives.ids_reused();
  std::vector<ns_t> by_group[4], switched, interrupted;
  for (size_t i = 0; i < pa.d.size(); ++i) {
    by_group[static_cast<int>(pa.group[i])].push_back(pa.d[i]);
    if (pa.group[i] == PairGroup::Preempted || pa.group[i] == PairGroup::Blocked) switched.push_back(pa.d[i]);
    if (pa.irq[i]) interrupted.push_back(pa.d[i]);
  }
  a.all = interval_stats(pa.d);
  a.clean = interval_stats(std::move(by_group[0]));
  a.interrupted_only = interval_stats(std::move(by_group[1]));
  a.preempted = interval_stats(std::move(by_group[2]));
  a.blocked = interval_stats(std::move(by_group[3]));
  a.switched = interval_stats(std::move(switched));
  a.interrupted = interval_stats(std::move(interrupted));
  if (a.clean.count > 0) {
    // From the exact medians (a half-nanosecond each), rounded once.
    const auto penalty = [&](const IntervalStats& g) { return static_cast<ns_t>(std::llround(g.median - a.clean.median)); };
    if (a.switched.count > 0) a.penalty = penalty(a.switched);
    if (a.preempted.count > 0) a.penalty_preempted = penalty(a.preempted);
    if (a.blocked.count > 0) a.penalty_blocked = penalty(a.blocked);
    // Without switch events every pair looks clean: the impact is unknown, not 0.
    // Pairs meeting a loss span are left out of the excess, so their time is left out of the wall
    // too (review DE M2: over the whole wall the impact read ~22% low on the audit's loss run;
    // review DI: the left-out pairs' own time, not the spans', which may lie outside any pair or
    // inside a longer one). Per thread (audit EE M1): a thread's kept pairs are measured over the
    // wall less ITS left-out pairs, and the threads' shares are summed as the pairs are; one wall
    // less the union over every thread counted other threads' kept pairs over time they were not
    // measured in (255.8% where each thread's own wall gives 203.9%). A thread all of whose time is
    // left out makes the sum unknown. Without loss every thread's wall is the wall, and the figure
    // is docs/metrics.md's sum of excess over wall time.
    const auto impacts = [&](ns_t lo, ns_t hi, ns_t wall_all, double out[3]) {
      // Per thread life (review LW L2): a thread that had an id after another's exit has its own
      // left-out pairs and wall, as it has its own pairs. Every life counted has a pair.
      const size_t n = pa.thread_lives;
      std::vector<std::vector<std::pair<ns_t, ns_t>>> left(n);
      for (size_t i = 0; i < pa.left_out.size(); ++i) left[pa.left_out_thread_life[i]].push_back(pa.left_out[i]);
      std::vector<ns_t> wall(n, wall_all);
      for (size_t k = 0; k < n; ++k) {
        if (!left[k].empty()) wall[k] -= union_length_between(std::move(left[k]), lo, hi);
        if (wall[k] <= 0) return false;
      }
      // Excess summed per distinct wall in pair order, then divided: without loss that is one sum
      // over every pair, divided once, as before the per-thread walls (the same bits).
      std::map<ns_t, std::array<double, 3>> by_wall;  // switched, preempted, blocked
      for (size_t i = 0; i < pa.d.size(); ++i) {
        const PairGroup g = pa.group[i];
        if (g != PairGroup::Preempted && g != PairGroup::Blocked) continue;
        const double e = static_cast<double>(pa.d[i]) - a.clean.median;
        std::array<double, 3>& acc = by_wall.try_emplace(wall[pa.thread_life[i]], std::array<double, 3>{0.0, 0.0, 0.0}).first->second;
        acc[0] += e;
        acc[g == PairGroup::Preempted ? 1 : 2] += e;
      }
      out[0] = out[1] = out[2] = 0.0;
      for (const auto& [w, acc] : by_wall)
        for (int j = 0; j < 3; ++j) out[j] += acc[j] / static_cast<double>(w);
      return true;
    };
    double share[3];
    if (a.wall > 0 && a.switches_recorded && impacts(a.t_begin, a.t_end, a.wall, share))
      a.scheduler_impact = share[0], a.impact_preempted = share[1], a.impact_blocked = share[2];
    // Every pair lies inside the launch window, so the same excess over its shorter wall.
    if (a.launch_window.defined && a.switches_recorded && a.launch_window.wall > 0 &&
        impacts(a.launch_window.begin, a.launch_window.end, a.launch_window.wall, share))
      a.launch_window.scheduler_impact = share[0];
  }
  a.tail95 = tail_shares(pa.d, pa.group, pa.irq, 95);
  a.tail99 = tail_shares(pa.d, pa.group, pa.irq, 99);
  a.pair_interval = std::move(pa.d);
  a.pair_group = std::move(pa.group);
  a.pair_irq = std::move(pa.irq);

  a.irqs = summarize_irqs(trace);
  a.sched_per_1k = per_1k(a.switch_outs, a.launches);
  a.preempt_per_1k = per_1k(a.preemptions, a.launches);
  a.block_per_1k = per_1k(a.blocks, a.launches);
  a.irq_per_1k_hard = per_1k(a.irqs.hard_count, a.launches);
  a.irq_per_1k_soft = per_1k(a.irqs.soft_count, a.launches);
  if (!loss.empty()) outside_loss_rates(trace, scope, launches, loss, a);
  // Launches counted fewer than ran make the rates above upper bounds, unless the switches or IRQs
  // they count were lost too (loss windows that lost some, dropped switch or IRQ events): then
  // neither bound. A loss window that lost only launch records leaves them upper bounds (review FH L3).
  // The windows by their per-type sums, as a saved analysis gives them (`loss.lost_by_type`), so
  // that the recording and its saved analysis are judged from the same numbers.
  for (const LossWindow& w : trace.loss_windows)
    for (const auto& [type, n] : w.lost) a.lost_by_type[type] = saturating_add_drops(a.lost_by_type[type], n);
  Per1kDropTally drops;
  for (const RecorderDrop& d : recorder_drops(trace)) tally_per_1k_drop(drops, d.key, d.count);
  tally_loss_window(drops, a.lost_by_type);
  a.launch_records_lost = per_1k_launch_records_lost(drops);
  a.launch_records_lost_up_to = drops.launch_records_lost_up_to;
  const bool rate_events_lost = drops.rate_events_lost;
  // Said only where a rate is shown: with neither switches nor IRQs recorded every rate reads "not
  // recorded" (review FH L1).
  if (a.switches_recorded || a.irqs_recorded)
    a.per_1k_upper_bound_reason =
        per_1k_upper_bound_reason(a.launches, a.launch_records_lost, a.launch_partial_note, rate_events_lost,
                                  drops.launch_records_lost_up_to);
  a.per_1k_events_lost = rate_events_lost;
  // The launch window's ends (review LW M1): a lost launch's loss is noted at its own stamp, so the
  // records a loss window lost lie inside it; one reaching outside [first, last recorded launch] may
  // have lost launches beyond the window's ends. Lost launch records not in any window have no time.
  // Launch calls CUPTI refused to report are left out all through the run, not at its ends (a
  // refused variant is one the program keeps calling): they do not move the window's ends.
  if (a.launch_window.defined && a.launch_records_lost > 0) {
    int64_t in_windows = 0;
    for (const LossWindow& w : trace.loss_windows) {
      const auto api = w.lost.find("api");
      if (api == w.lost.end() || api->second <= 0) continue;
      in_windows = saturating_add_drops(in_windows, api->second);
      if (w.first < a.launch_window.begin || w.last > a.launch_window.end)
        a.launch_window.launch_records_lost_outside = saturating_add_drops(a.launch_window.launch_records_lost_outside, api->second);
    }
    a.launch_window.ends_uncertain =
        a.launch_window.launch_records_lost_outside > 0 || a.launch_records_lost > in_windows || a.launch_records_lost_up_to;
  }
  // Outside the windows by the same rule: neither bound when the windows lost records that decide
  // which threads those rates count (loss_changes_outside_rates), switches lost inside them aside.
  a.per_1k_outside_events_lost = a.loss && drops.outside_rate_events_lost;
  if (a.loss && (a.switches_recorded || a.irqs_recorded))
    a.per_1k_outside_loss_upper_bound_reason = per_1k_upper_bound_reason(
        a.launches_outside_loss, a.launch_records_lost, a.launch_partial_note, a.per_1k_outside_events_lost,
        drops.launch_records_lost_up_to);

  a.syscalls = profile_syscalls(trace, opts.syscalls_per_thread);
  if (a.syscalls.counted_in_kernel) a.has_os_events = true;  // counts only (record --events syscall-counts)
  a.gpu_starvation = analyze_gpu_starvation(trace, a.main_tid, &scope.lives, main_found ? int64_t{main.life} : -1);
  sched_verdict(trace, a);
  return a;
}

}  // namespace infertrace
