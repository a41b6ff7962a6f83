// analyze_launches(): links GPU work to launch calls by correlation id, then the section-2 sums,
// the IL window with its busy/idle unions, and the breakdown tables, in as few passes over the
// tables as their dependencies allow (each pass reads columns again, and each per-row array is
// fresh memory to fault in):
//   1. API rows (open_links): a link per launch call, call counts, launches per thread;
//   2. GPU rows (gpu_pass, launch_gpu_pass.cpp): activities added into their call's link, counts,
//      kernel and stream tables, window end, GPU busy unions;
//   3. API rows (finish_links): latency and queue parts, orphan calls dropped, per-API table; the
//      links (kernel_launch_breakdown): each one's parts into its first activity's kernel row;
//   4. the launch thread's host activity; operators: attribution of links, per-operator table.
#include "analysis/launch.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>

#include "analysis/bound_verdict.h"
#include "analysis/group_index.h"
#include "analysis/host_annotations.h"
#include "analysis/host_union.h"
#include "analysis/launch_gpu_pass.h"
#include "analysis/launch_id_map.h"
#include "analysis/launch_intervals.h"
#include "analysis/launch_merged_ids.h"
#include "analysis/launch_thread_choice.h"
#include "analysis/launch_operators.h"
#include "trace/recorder_drops.h"
#include "util/error.h"

namespace infertrace {

namespace {

constexpr uint32_t kNone = CorrelationMap::kNone;

// Correlation id -> the launch call that owns it. Ids are unique per API call in CUPTI, but a
// source that records both a runtime call and the driver call it makes may repeat one: the
// earliest-starting launch call is the logical launch and the others are counted as duplicates.
// A duplicate of another process's call (n_cross, also in n_dup) is no such pair: per-process traces
// merged into one repeat their ids, and their GPU rows carry no process to link by (review KV M2);
// when there are any, link_merged_ids (launch_merged_ids.h) links by device and counts them again.
// `shared` is set when calls of two processes have an id in common (launch calls or not).
CorrelationMap map_correlations(const ApiCallTable& api, std::vector<uint8_t>& duplicate, int64_t& n_dup,
                                int64_t& n_cross, bool& shared) {
  // Distinct ids in order (Kineto's API calls): no call can lose its id, and the map is the column.
  CorrelationMap m(api.correlation, CorrelationMap::SelfRows::IfDistinctAscending);
  if (m.self_rows()) return m;
  duplicate.assign(api.size(), 0);
  for (uint32_t r = 0; r < api.size(); ++r) {
    const int64_t id = api.correlation[r];
    if (id < 0) continue;
    const uint32_t prev = m.find(id);
    if (prev == kNone) {
      m.set(id, r);
      continue;
    }
    const bool r_launch = is_launch(api.kind[r]), prev_launch = is_launch(api.kind[prev]);
    const bool r_wins = (r_launch && !prev_launch) ||
                        (r_launch == prev_launch && api.start[r] < api.start[prev]);
    const uint32_t loser = r_wins ? prev : r;
    if (r_wins) m.set(id, r);
    shared = shared || api.pid[r] != api.pid[prev];
    if (is_launch(api.kind[loser])) {
      duplicate[loser] = 1;
      ++n_dup;
      n_cross += api.pid[loser] != api.pid[r_wins ? r : prev];
    }
  }
  return m;
}

// Out of line: a merged trace's rare step kept out of analyze_launches, whose size decides what GCC
// inlines into it (inlined, it cost the usual trace a call: host_activity was no longer inlined).
__attribute__((noinline)) MergedIdLinks merged_links(const Trace& t, const CorrelationMap& owner,
                                                     std::vector<uint8_t>& duplicate, LaunchAnalysis& a) {
  MergedIdLinks m = link_merged_ids(t.api, t.gpu, owner, duplicate, a.duplicate_correlation_calls,
                                    a.duplicate_calls_of_other_processes);
  a.shared_id_activities_by_device = m.by_device, a.shared_id_activities_unresolved = m.unresolved;
  return m;
}

// Launch calls per (pid, tid). Runs of one thread are the rule, so the last thread is kept and
// most calls skip the lookup.
class LaunchThreads {
 public:
  void add(int64_t pid, int64_t tid) {
    if (last_ == kNone || pid != last_pid_ || tid != last_tid_) {
      const auto [k, added] = index_.find_or_add({pid, tid});
      if (added) launches_.push_back(0);
      last_ = k, last_pid_ = pid, last_tid_ = tid;
    }
    ++launches_[last_];
  }
  // The launching thread by the rule every verb uses (launch_thread_choice.h). False when there
  // were no launches.
  bool busiest(std::pair<int64_t, int64_t>& thread, int64_t& launches) const {
    if (launches_.empty()) return false;
    uint32_t best = 0;
    for (uint32_t k = 1; k < launches_.size(); ++k)
      if (busier_launch_thread(launches_[k], index_.key(k), launches_[best], index_.key(best))) best = k;
    thread = index_.key(best), launches = launches_[best];
    return true;
  }

 private:
  GroupIndex<std::pair<int64_t, int64_t>> index_;
  std::vector<int64_t> launches_;
  uint32_t last_ = kNone;
  int64_t last_pid_ = 0, last_tid_ = 0;
};

// First pass over the API table: a link (its call and nothing linked yet) for every launch call
// that can own GPU work, in table order, and each call's link row for the GPU pass (kNone for
// other calls and duplicates); the call counts; logical launches per thread. The links are made here and
// trimmed in finish_links(), so the GPU pass adds straight into them: a separate per-call array of
// what the GPU work adds up to was 16 bytes a call of fresh memory.
std::vector<uint32_t> open_links(const ApiCallTable& api, const std::vector<uint8_t>& duplicate, LaunchThreads& threads,
                                 LaunchAnalysis& a) {
  std::vector<uint32_t> link_of_call(api.size());
  // Reserved for every call: growing by doubling copies and page-faults each new block; capacity
  // never written costs address space only.
  a.links.reserve(api.size());
  LaunchLink blank;
  blank.first_gpu = kNone;
  const size_t n = api.size();
  const ApiKind* kind_col = api.kind.data();
  const int64_t *pid_col = api.pid.data(), *tid_col = api.tid.data();
  const uint8_t* dup = duplicate.empty() ? nullptr : duplicate.data();
  uint32_t* link_col = link_of_call.data();
  int64_t syncs = 0, launches = 0, graphs = 0;
  for (uint32_t r = 0; r < n; ++r) {
    const ApiKind kind = kind_col[r];
    link_col[r] = kNone;
    syncs += kind == ApiKind::Sync;
    if (!is_launch(kind)) continue;
    ++launches;
    graphs += kind == ApiKind::GraphLaunch;
    // A duplicate is the second record of a launch already counted (the driver call a runtime
    // call made): the launching thread is chosen by logical launches, so it does not count twice.
    if (dup && dup[r]) continue;
    threads.add(pid_col[r], tid_col[r]);
    link_col[r] = static_cast<uint32_t>(a.links.size());
    blank.api = r;
    a.links.push_back(blank);
  }
  a.sync_calls = syncs, a.launch_calls = launches, a.graph_launches = graphs;
  return link_of_call;
}

// Earliest of a start column (the IL window's start when there are no operators). Four running
// minima: one chain of compares was 6 instructions a row (GCC at -O2 does not vectorise it).
ns_t earliest(const std::vector<ns_t>& column) {
  constexpr ns_t kMax = std::numeric_limits<ns_t>::max();
  ns_t m0 = kMax, m1 = kMax, m2 = kMax, m3 = kMax;
  const ns_t* s = column.data();
  const size_t n = column.size();
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    m0 = std::min(m0, s[i]), m1 = std::min(m1, s[i + 1]), m2 = std::min(m2, s[i + 2]), m3 = std::min(m3, s[i + 3]);
  for (; i < n; ++i) m0 = std::min(m0, s[i]);
  return std::min(std::min(m0, m1), std::min(m2, m3));
}

// The one pass over the operator table before the links: each name's calls and CPU time (rows of
// a.by_operator in order of first appearance; `op_rows` maps names to them) and the earliest
// operator start, which is the IL window's start (the earliest operator is top-level). Two loops
// over the largest table were one too many.
ns_t tally_operators(const Trace& t, std::vector<int32_t>& op_rows, LaunchAnalysis& a) {
  const StrId* name_col = t.ops.name.data();
  const ns_t *start_col = t.ops.start.data(), *dur_col = t.ops.dur.data();
  int32_t* row_of_name = op_rows.data();
  OperatorStat* stats = a.by_operator.data();  // (again after each push_back)
  ns_t first = std::numeric_limits<ns_t>::max();
  for (size_t o = 0, n = t.ops.size(); o < n; ++o) {
    first = std::min(first, start_col[o]);
    int32_t& k = row_of_name[name_col[o]];
    if (k < 0) {
      k = static_cast<int32_t>(a.by_operator.size());
      OperatorStat s;
      s.name = name_col[o];
      a.by_operator.push_back(s);
      stats = a.by_operator.data();
    }
    OperatorStat& s = stats[k];
    ++s.calls, s.cpu_time = sat_add(s.cpu_time, std::max<ns_t>(dur_col[o], 0));
  }
  return first;
}

// Why host active is undefined in a trace with GPU work and no launch call: ROCm's hip* launch
// calls (review KV M1/L1) are named, the likeliest such trace.
std::string no_launch_thread_reason(const Trace& t, const LaunchAnalysis& a) {
  int64_t hip = 0;
  for (const ApiBreakdownRow& r : a.by_api)
    if (t.str(r.name).substr(0, 3) == "hip") hip += r.calls;
  std::string s = "no launch calls, so no launching thread";
  if (hip > 0)
    s += " (" + std::to_string(hip) + " hip* API calls: ROCm's launch APIs are not among the launch calls read, "
         "docs/metrics.md)";
  return s;
}

// Host active on the thread that issued the most launches: union of its operators and API calls
// minus the union of its sync calls (both inside the IL window).
void host_activity(const Trace& t, const LaunchThreads& threads, LaunchAnalysis& a) {
  std::pair<int64_t, int64_t> thread;
  if (!threads.busiest(thread, a.launch_thread_launches)) {
    // No thread to measure: with GPU work that is a reason (without, IL itself is undefined; in a
    // recording whose launches were not measured, launch_undefined_reason already says why).
    if (t.gpu.size() && t.launch_coverage.measured()) a.host_undefined_reason = no_launch_thread_reason(t, a);
    return;
  }
  a.launch_thread_pid = thread.first, a.launch_thread_tid = thread.second;
  const HostUnion u =
      host_union(t, a.launch_thread_pid, a.launch_thread_tid, a.t_begin, a.t_end, [](size_t) { return false; });
  // Every sync call is itself in `active`, so the difference of the unions is the union of the rest.
  a.host_sync = u.sync;
  a.host_active = u.active - u.sync;
  a.cpu_idle = a.inference_latency - a.host_active;
}

// Second pass over the API table: each link gets its latency, queue and launch parts (a link
// whose call got no GPU work is dropped: an orphan launch call), the section-2 sums, and the
// per-API table. Links are in table order and only ever move down, so they are compacted in place.
void finish_links(const Trace& t, std::vector<int32_t>& name_rows, LaunchAnalysis& a) {
  // Sums in locals, columns and tables through raw pointers (as in gpu_pass: through `a` and the
  // vectors GCC reloaded them after every store).
  const size_t n = t.api.size();
  const StrId* name_col = t.api.name.data();
  const ApiKind* kind_col = t.api.kind.data();
  const ns_t *start_col = t.api.start.data(), *dur_col = t.api.dur.data(), *gpu_start = t.gpu.start.data();
  int32_t* row_of_name = name_rows.data();
  ApiBreakdownRow* rows = a.by_api.data();  // (again after each push_back)
  std::vector<LaunchLink>& links = a.links;
  LaunchLink* link = links.data();
  const size_t n_links = links.size();
  size_t next = 0, kept = 0;  // next link to finish; links kept so far
  ns_t tklqt = 0, tklqt_launch = 0, tklqt_queue = 0, api_time = 0;
  int64_t orphans = 0, clamped = 0, unknown_duration = 0;
  for (uint32_t r = 0; r < n; ++r) {
    int32_t& k = row_of_name[name_col[r]];
    if (k < 0) {
      k = static_cast<int32_t>(a.by_api.size());
      ApiBreakdownRow row;
      row.name = name_col[r], row.kind = kind_col[r];
      a.by_api.push_back(row);
      rows = a.by_api.data();
    }
    ApiBreakdownRow& row = rows[k];
    ++row.calls;
    const ns_t d = dur_col[r];
    if (d >= 0) {  // -1: unknown, left out of the sum and of the mean's count
      row.api_total = sat_add(row.api_total, d);  // durations from the input: saturate
      ++row.timed;
    }
    if (next == n_links || link[next].api != r) continue;
    LaunchLink& l = link[next++];  // finished where it is, moved down only when some were dropped
    if (l.first_gpu == kNone) {
      ++orphans;
      continue;
    }
    // One term per linked launch call (a graph launch's term goes to its earliest kernel).
    const ns_t g = gpu_start[l.first_gpu], c = start_col[r];
    const LaunchSplit split = split_launch(g, c, d);
    l.latency = split.latency, l.queue = split.queue, l.launch_part = split.launch_part(), l.clamped = split.clamped;
    clamped += split.clamped;
    if (d < 0)
      ++unknown_duration;  // no end: the queue part cannot be told apart
    else
      api_time = sat_add(api_time, d);
    tklqt = sat_add(tklqt, l.latency), tklqt_launch = sat_add(tklqt_launch, l.launch_part),
    tklqt_queue = sat_add(tklqt_queue, l.queue);
    ++row.linked;
    row.latency_total = sat_add(row.latency_total, l.latency);
    row.launch_total = sat_add(row.launch_total, l.launch_part);
    row.queue_total = sat_add(row.queue_total, l.queue);
    if (kept != next - 1) link[kept] = l;
    ++kept;
  }
  a.tklqt = tklqt, a.tklqt_launch = tklqt_launch, a.tklqt_queue = tklqt_queue, a.api_time = api_time;
  a.orphan_launch_calls = orphans, a.clock_skew_clamped = clamped, a.launch_calls_unknown_duration = unknown_duration;
  links.resize(kept);
  a.linked_launch_calls = static_cast<int64_t>(kept);
  for (const ApiBreakdownRow& row : a.by_api) name_rows[row.name] = -1;
  std::sort(a.by_api.begin(), a.by_api.end(), [&](const ApiBreakdownRow& x, const ApiBreakdownRow& y) {
    if (x.calls != y.calls) return x.calls > y.calls;
    return t.str(x.name) < t.str(y.name);
  });
}

// Per kernel name (a.kernels_by_name, as gpu_pass sorted it): each linked launch call's latency and
// parts, as finish_links split them, go to the name of its first GPU activity, the one its latency
// is measured to, when that is a kernel. So the rows sum to TKLQT less the calls whose first
// activity is a copy or set, and a graph launch counts once, not once per kernel name in it.
// `name_rows` is the scratch row per string id, all -1, and is left so.
void kernel_launch_breakdown(const Trace& t, std::vector<int32_t>& name_rows, LaunchAnalysis& a) {
  KernelStat* stats = a.kernels_by_name.data();
  for (size_t k = 0; k < a.kernels_by_name.size(); ++k) name_rows[stats[k].name] = static_cast<int32_t>(k);
  const GpuKind* kind_col = t.gpu.kind.data();
  const StrId* name_col = t.gpu.name.data();
  for (const LaunchLink& l : a.links) {
    if (kind_col[l.first_gpu] != GpuKind::Kernel) continue;
    KernelStat& s = stats[name_rows[name_col[l.first_gpu]]];  // (every kernel's name has its row)
    ++s.launches;
    s.latency = sat_add(s.latency, l.latency), s.launch_part = sat_add(s.launch_part, l.launch_part),
    s.queue_part = sat_add(s.queue_part, l.queue);
  }
  for (size_t k = 0; k < a.kernels_by_name.size(); ++k) name_rows[stats[k].name] = -1;
}

// Per operator name: every instance counts toward calls and CPU time (tally_operators); launches
// count toward the innermost operator that issued them only, so nested operators never
// double-count launch tax.
void operator_breakdown(const Trace& t, const std::vector<int32_t>& op_rows, LaunchAnalysis& a) {
  const OperatorAttribution attr = attribute_to_operators(t, a.links);
  a.calls_by_external_id = attr.by_external_id;
  a.calls_by_containment = attr.by_containment;
  a.calls_without_operator = attr.unattributed;
  const StrId* op_name = t.ops.name.data();
  for (const LaunchLink& l : a.links) {
    if (l.op < 0) continue;
    OperatorStat& s = a.by_operator[static_cast<size_t>(op_rows[op_name[l.op]])];  // (every name has its row)
    s.kernels += l.activities, s.launch_tax = sat_add(s.launch_tax, l.latency), s.gpu_time = sat_add(s.gpu_time, l.gpu_time);
    s.launch_part = sat_add(s.launch_part, l.launch_part), s.queue_part = sat_add(s.queue_part, l.queue);
  }
  std::sort(a.by_operator.begin(), a.by_operator.end(), [&](const OperatorStat& x, const OperatorStat& y) {
    if (x.launch_tax != y.launch_tax) return x.launch_tax > y.launch_tax;
    if (x.cpu_time != y.cpu_time) return x.cpu_time > y.cpu_time;
    return t.str(x.name) < t.str(y.name);
  });
}

// Operators by self time: per name, the calls and CPU time tally_operators counted (so the two
// tables cannot disagree on them) and the self times the nesting pass summed per by_operator row.
void self_time_breakdown(const Trace& t, const OperatorNesting& nesting, LaunchAnalysis& a) {
  OperatorSelfTimes& out = a.by_self;
  out.top_level = nesting.top_level;
  out.operators.resize(a.by_operator.size());
  for (size_t k = 0; k < a.by_operator.size(); ++k) {
    const OperatorStat& o = a.by_operator[k];
    out.operators[k] = HostOperatorStat{o.name, o.calls, o.cpu_time, 0, nesting.top_level_by_group[k]};
  }
  for (size_t k = 0; k < out.operators.size(); ++k) out.operators[k].self = nesting.self[k], out.self_total = sat_add(out.self_total, nesting.self[k]);
  std::sort(out.operators.begin(), out.operators.end(), [&](const HostOperatorStat& x, const HostOperatorStat& y) {
    if (x.self != y.self) return x.self > y.self;
    if (x.total != y.total) return x.total > y.total;
    return t.str(x.name) < t.str(y.name);
  });
}

// Times whose span or sums do not fit in int64 nanoseconds (about 292 years: a corrupt or made-up
// trace, never a real one) saturate at INT64_MAX in the sums and differences above, which would print
// as measured figures (review CX L3: TKLQT, IL and both idles all 9223372036.855 s, an AKD below its
// own kernels' minimum). Checked once the figures are made (the per-row loops are left as they are):
// the IL window's span exactly, every printed sum by its saturated value. Such a trace is refused,
// naming what is out of range.
// The most int64 nanoseconds hold, as the refusal words it.
constexpr const char* kInt64Limit = "9223372036.854775807 s, the most int64 nanoseconds hold (about 292 years)";

std::string seconds_text(long double ns) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6Lg s", ns / 1e9L);
  return buf;
}

void refuse_out_of_range(const Trace& t, const LaunchAnalysis& a) {
  // `what`: what is out of range; `figures`: what cannot be computed then.
  const auto refuse = [&](const std::string& what, const std::string& figures) {
    throw InputError(t.file, -1, what + ": " + figures + " cannot be computed (timestamps or durations out of range)");
  };
  const auto sum_of = [&](const std::string& what) { return what + " add up to at least " + kInt64Limit; };
  ns_t il;
  if (!a.no_gpu_activity && __builtin_sub_overflow(a.t_end, a.t_begin, &il))
    refuse("its analysis window spans " +
               seconds_text(static_cast<long double>(a.t_end) - static_cast<long double>(a.t_begin)) + " (from " +
               std::to_string(a.t_begin) + " ns to " + std::to_string(a.t_end) + " ns), more than " + kInt64Limit,
           "the inference latency, GPU idle and CPU idle");
  if (a.host && __builtin_sub_overflow(a.host->t_end, a.host->t_begin, &il))
    refuse("its host events span " +
               seconds_text(static_cast<long double>(a.host->t_end) - static_cast<long double>(a.host->t_begin)) +
               " (from " + std::to_string(a.host->t_begin) + " ns to " + std::to_string(a.host->t_end) + " ns), more than " +
               kInt64Limit,
           "the host span and each thread's idle time");
  constexpr ns_t kMax = std::numeric_limits<ns_t>::max();
  if (a.tklqt == kMax || a.tklqt_launch == kMax || a.tklqt_queue == kMax)
    refuse(sum_of("its launch latencies"), "TKLQT and its parts");
  ns_t kernel_total = 0;
  for (const KernelStat& k : a.kernels_by_name)
    if (k.total == kMax || __builtin_add_overflow(kernel_total, k.total, &kernel_total))
      refuse(sum_of("its kernel durations"), "AKD and the kernel totals");
  // (The kernels' launch and queue sums are parts of TKLQT's, so they saturate only with it.)
  if (a.api_time == kMax) refuse(sum_of("its launch calls' durations"), "the API time");
  for (const ApiBreakdownRow& r : a.by_api)
    if (r.api_total == kMax || r.latency_total == kMax || r.launch_total == kMax || r.queue_total == kMax)
      refuse(sum_of("the durations or latencies of its " + std::string(t.str(r.name)) + " calls"), "the API table's totals");
  for (const StreamStat& s : a.by_stream)
    if (s.kernel_time == kMax)
      refuse(sum_of("the kernel durations of its stream " + std::to_string(s.stream)), "the stream table's kernel time");
  for (const OperatorStat& o : a.by_operator)
    if (o.launch_tax == kMax || o.gpu_time == kMax || o.cpu_time == kMax)
      refuse(sum_of("the times of its operator " + std::string(t.str(o.name))), "the operator table's totals");
  if (a.by_self.self_total == kMax) refuse(sum_of("its operators' self times"), "the self-time shares");
}

}  // namespace

std::string no_gpu_reason(int64_t skipped_gpu_events) {
  if (skipped_gpu_events <= 0) return "no GPU activity in the trace";
  return no_gpu_short(skipped_gpu_events) + " (" + std::to_string(skipped_gpu_events) +
         (skipped_gpu_events == 1 ? " GPU event" : " GPU events") + " skipped: see skipped)";
}

std::string no_gpu_short(int64_t skipped_gpu_events) {
  return skipped_gpu_events > 0 ? "no usable GPU activity" : "no GPU activity";
}

std::string LaunchAnalysis::gpu_undefined_reason() const { return no_gpu_reason(skipped_gpu_events); }

std::string missing_gpu_side_hint(const Trace& t) {
  if (t.source != TraceSource::Recording) return "";
  const auto mode = t.meta.find("cuda.mode");
  if (mode == t.meta.end() || mode->second != "cupti") return "record with --cuda cupti";
  // What the recorder counted on the way (trace/recorder_drops.h, the one reader of those META
  // counts): records lost in CUPTI's buffers or the ring, and GPU records that arrived but could
  // not be placed in time.
  int64_t dropped = 0, unusable = 0;
  for (const RecorderDrop& d : recorder_drops(t)) {
    if (d.count <= 0) continue;
    if (d.cause == DropCause::CuptiRing || d.cause == DropCause::CuptiActivity) dropped = saturating_add_drops(dropped, d.count);
    if (d.cause == DropCause::CuptiUnusableGpuRecord) unusable = saturating_add_drops(unusable, d.count);
  }
  std::string s = unusable > 0 ? "recorded with --cuda cupti: " + std::to_string(unusable) +
                                     (unusable == 1 ? " GPU record" : " GPU records") +
                                     " arrived without a clock sample or timestamps and could not be placed"
                               : "recorded with --cuda cupti, yet no GPU activity record arrived";
  if (dropped > 0) s += "; " + std::to_string(dropped) + (dropped == 1 ? " CUPTI record" : " CUPTI records") + " dropped";
  return s;
}

std::string gpu_undefined_reason_with_hint(const Trace& t, const LaunchAnalysis& a) {
  const std::string hint = a.launch_calls > 0 && a.skipped_gpu_events <= 0 ? missing_gpu_side_hint(t) : "";
  return a.gpu_undefined_reason() + (hint.empty() ? "" : " (" + hint + ")");
}

std::string inference_latency_meaning(const std::string& t_begin_from) {
  const char* start = t_begin_from == "host_event"     ? "first host event start"
                      : t_begin_from == "gpu_activity" ? "first GPU activity start (no host event)"
                                                       : "first operator start";
  return std::string(start) + " to last GPU end";
}

LaunchAnalysis analyze_launches(const Trace& t) {
  LaunchAnalysis a;
  a.skipped_gpu_events = t.skipped_gpu_events();
  a.api_calls = static_cast<int64_t>(t.api.size());
  a.operators = static_cast<int64_t>(t.ops.size());
  std::vector<uint8_t> duplicate;  // per API row, filled only when some id is shared
  bool shared = false;  // some id shared across processes
  const CorrelationMap owner =
      map_correlations(t.api, duplicate, a.duplicate_correlation_calls, a.duplicate_calls_of_other_processes, shared);
  // Ids shared across processes (merged per-rank traces): each GPU row's call chosen by its device
  // where the trace says which process launches there (review AK L4). Nothing to do otherwise.
  const MergedIdLinks merged = shared ? merged_links(t, owner, duplicate, a) : MergedIdLinks{};
  LaunchThreads threads;
  const std::vector<uint32_t> link_of_call = open_links(t.api, duplicate, threads, a);
  // Row per string id (names only: a few thousand at most) of the operator table, kept until the
  // links are attributed; and one the kernel and API tables share (each leaves it all -1 again).
  std::vector<int32_t> op_rows(t.strings.size(), -1), name_rows(t.strings.size(), -1);
  const ns_t first_op = tally_operators(t, op_rows, a);
  // The IL window: from the first start of any top-level operator, or of any host event when there
  // are none (a CUDA API call, or another host event of a Kineto trace: a python_function range,
  // Trace::other_host_starts; or of the GPU work when there is none), to the last GPU end, which
  // the GPU pass finds. No GPU work, no window.
  // A recording whose launches were not all recorded (trace/launch_coverage.h) may have GPU work
  // before its first recorded call: the window starts at the earlier of the two, so IL and GPU
  // busy/idle stay measurements of the GPU side.
  if (t.gpu.size()) {
    const bool host_events = t.api.size() || !t.other_host_starts.empty();
    if (t.ops.size()) a.t_begin = first_op;
    else if (host_events) a.t_begin = std::min(earliest(t.api.start), earliest(t.other_host_starts));
    else a.t_begin = earliest(t.gpu.start);
    a.t_begin_from = t.ops.size() ? "operator" : host_events ? "host_event" : "gpu_activity";
    if (!t.ops.size() && host_events && (!t.launch_coverage.measured() || t.launch_coverage.partial()) &&
        earliest(t.gpu.start) < a.t_begin) {
      a.t_begin = earliest(t.gpu.start);
      a.t_begin_from = "gpu_activity";
    }
  }
  gpu_pass(t, owner, merged.gpu_owner.empty() ? nullptr : merged.gpu_owner.data(), link_of_call, name_rows, a);
  finish_links(t, name_rows, a);
  kernel_launch_breakdown(t, name_rows, a);  // needs the links' latencies (finish_links)
  host_activity(t, threads, a);
  host_annotation_figures(t, a);
  decide_bound(a);  // needs the TKLQT parts (finish_links) and the IL window (gpu_pass)
  // Self times per by_operator row (op_rows is each name's row until operator_breakdown sorts).
  const OperatorNesting nesting = nest_operators(t, op_rows, a.by_operator.size());
  self_time_breakdown(t, nesting, a);
  operator_breakdown(t, op_rows, a);
  // Without operators (a recording, whose launches come from uprobes) there is no host span to show:
  // no section of zeros.
  a.no_gpu_activity = t.gpu.size() == 0;
  if (a.no_gpu_activity && t.ops.size() > 0) a.host = analyze_host(t, nesting);
  refuse_out_of_range(t, a);
  return a;
}

std::vector<uint32_t> launch_calls_of_gpu_rows(const Trace& t) {
  std::vector<uint8_t> duplicate;
  int64_t n_dup = 0, n_cross = 0;
  bool shared = false;
  const CorrelationMap owner = map_correlations(t.api, duplicate, n_dup, n_cross, shared);
  if (shared) return link_merged_ids(t.api, t.gpu, owner, duplicate, n_dup, n_cross).gpu_owner;
  std::vector<uint32_t> of(t.gpu.size());
  for (size_t i = 0; i < of.size(); ++i) of[i] = owner.find(t.gpu.correlation[i]);
  return of;
}

const std::vector<uint32_t>& launch_calls_of_gpu_rows(const Trace& t, const std::vector<uint32_t>* given,
                                                     std::vector<uint32_t>& own) {
  if (!given) return own = launch_calls_of_gpu_rows(t);
  if (given->size() != t.gpu.size())
    throw std::logic_error("launch_calls_of_gpu_rows: " + std::to_string(given->size()) + " links for " +
                           std::to_string(t.gpu.size()) + " GPU rows");
  return *given;
}

}  // namespace infertrace
