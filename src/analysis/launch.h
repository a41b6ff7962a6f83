// Launch and queue metrics of docs/metrics.md sections 1-2 (SKIP's TKLQT, AKD, IL, GPU/CPU idle,
// nsys-style queue time), plus the breakdowns `infertrace analyze` prints. Reads only a Trace.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/host_ops.h"
#include "trace/trace.h"

namespace infertrace {

// One launch call that has at least one linked GPU activity (linked by correlation id).
// 48 bytes: a large trace has one link per launch, all in fresh memory (each 4 KB page faulted in
// costs the kernel ~2 us on a Firecracker VM), so the flag shares a word with the count and the
// operator row is 32-bit like every other row number here.
struct LaunchLink {
  uint32_t api = 0;             // row in Trace::api
  uint32_t first_gpu = 0;       // row in Trace::gpu of the earliest linked activity
  uint32_t activities : 31 = 0; // how many GPU activities share the correlation (graph launches: many)
  uint32_t clamped : 1 = 0;     // latency was negative (clock skew) and clamped to 0
  int32_t op = -1;              // row in Trace::ops of the innermost operator that issued it, or -1
  ns_t latency = 0;             // l(c) = g.start - c.start, clamped at 0
  ns_t queue = 0;               // q(c) = max(0, g.start - (c.start + c.dur))
  ns_t launch_part = 0;         // l(c) - q(c)
  ns_t gpu_time = 0;            // sum of durations of all linked activities
};

struct ApiBreakdownRow {
  StrId name = kNoString;
  ApiKind kind = ApiKind::Other;
  int64_t calls = 0;
  int64_t linked = 0;  // calls with a linked GPU activity
  ns_t api_total = 0, latency_total = 0, launch_total = 0, queue_total = 0;
  int64_t timed = 0;  // calls with a known duration: api_total sums these (a recording without return probes has none)
};

struct KernelStat {
  StrId name = kNoString;
  int64_t count = 0;
  ns_t total = 0, min = 0, max = 0;
  // The linked launch calls whose first GPU activity (the one TKLQT measures to) is a kernel of this
  // name, and their l(c), l(c) - q(c) and q(c) summed as TKLQT's (review MX L3). A call that started
  // several activities (a graph launch) counts once, under its first one's name; a call whose first
  // activity is a copy or set is in no kernel's row (docs/analyze.md, "Launch and queue per kernel").
  int64_t launches = 0;
  ns_t latency = 0, launch_part = 0, queue_part = 0;
};

struct OperatorStat {
  StrId name = kNoString;
  int64_t calls = 0;
  int64_t kernels = 0;     // GPU activities launched from inside this op
  ns_t launch_tax = 0;     // sum of launch latency l(c) of its launch calls
  ns_t gpu_time = 0;       // sum of durations of its GPU activities
  ns_t cpu_time = 0;       // sum of its own durations (inclusive)
  // launch_tax's two parts, summed per launch call as TKLQT's are: the host side (l(c) - q(c), at
  // most the call's own duration) and the wait behind earlier GPU work after the call returned
  // (q(c)). A GPU-bound trace's launch tax is almost all queue (H100 GPT-2 at batch 64: aten::addmm
  // 540 ms, 539 ms of it queued, review MX M1), which is no host cost that fusing would remove.
  ns_t launch_part = 0, queue_part = 0;
};

struct StreamStat {
  int32_t device = -1;
  int64_t stream = -1;
  int64_t kernels = 0, memcpys = 0, memsets = 0;
  ns_t busy = 0;  // union of activity intervals on this stream
  ns_t kernel_time = 0;
};

struct DeviceStat {
  int32_t device = -1;
  ns_t busy = 0;  // union of activity intervals on this device
  ns_t idle = 0;  // IL - busy
};

struct LaunchAnalysis {
  // Counts.
  int64_t kernels = 0, memcpys = 0, memsets = 0, gpu_activities = 0;
  int64_t launch_calls = 0, linked_launch_calls = 0, sync_calls = 0, api_calls = 0, operators = 0;
  int64_t graph_launches = 0;
  // Section 2 metrics (ns).
  ns_t tklqt = 0, tklqt_launch = 0, tklqt_queue = 0;
  ns_t api_time = 0;  // sum of a(c) over linked launch calls
  double akd_ns = 0;  // mean kernel duration
  ns_t inference_latency = 0;
  ns_t gpu_busy = 0, gpu_idle = 0;
  ns_t host_active = 0, cpu_idle = 0;
  ns_t t_begin = 0, t_end = 0;  // the IL window
  std::string bound;            // "cpu" or "gpu"; "" when undefined (analysis/bound_verdict.h)
  std::string bound_undefined_reason;  // why bound is "" (set whenever it is)
  int64_t clock_skew_clamped = 0;
  int64_t orphan_activities = 0;    // GPU activities with no launch call
  int64_t orphan_launch_calls = 0;  // launch calls with no GPU activity
  int64_t launch_thread_pid = -1, launch_thread_tid = -1;  // thread that issued the most launches
  int64_t launch_thread_launches = 0;  // logical launches that thread issued (no duplicates)
  ns_t host_sync = 0;                  // union of that thread's sync calls inside the IL window
  // Correlation bookkeeping beyond the two orphan kinds (docs/metrics.md: nothing dropped silently).
  int64_t activities_of_other_calls = 0;     // GPU work correlated with a non-launch call (cudaMemcpy)
  int64_t duplicate_correlation_calls = 0;   // launch calls whose id an earlier call already owns
  int64_t launch_calls_unknown_duration = 0; // linked calls without a duration: all latency is launch part
  // How linked launch calls were tied to operators (by_operator).
  int64_t calls_by_external_id = 0, calls_by_containment = 0, calls_without_operator = 0;

  std::vector<LaunchLink> links;          // one per linked launch call, in API-table order
  std::vector<ApiBreakdownRow> by_api;    // sorted by calls, descending
  std::vector<KernelStat> kernels_by_name;  // unsorted; renderers pick top-k by count or time
  std::vector<OperatorStat> by_operator;  // sorted by launch_tax, descending
  // Every trace: the operators by self time (docs/analyze.md, "Operators by self time"); count and
  // total are by_operator's calls and CPU time, only the self times come from the nesting pass.
  OperatorSelfTimes by_self;
  std::vector<StreamStat> by_stream;
  std::vector<DeviceStat> by_device;
  // No GPU activity in the trace (a CPU-only profile, a recording without CUPTI): IL, GPU busy/idle,
  // CPU idle, TKLQT, API time, AKD and the verdict are undefined (outputs print "-" or null).
  bool no_gpu_activity = false;
  // Set when the trace has no GPU activity but has operators: the host figures stand in
  // (docs/analyze.md, "Traces without GPU activity").
  std::optional<HostAnalysis> host;
  bool gpu_undefined() const { return no_gpu_activity; }
  // No linked launch call has a duration (uprobe recordings without return probes): API time is
  // unknown, not 0.
  bool api_time_unknown() const { return linked_launch_calls > 0 && launch_calls_unknown_duration >= linked_launch_calls; }
  // GPU work but no launch call on any thread (a trace of launch APIs the reader does not know, such
  // as ROCm's hip*): host active has no thread to be measured on, so it, the sync time and CPU idle
  // are undefined (outputs print "-" or null), not 0 and the whole IL. Why; "" when they are defined.
  std::string host_undefined_reason;
  bool host_undefined() const { return !host_undefined_reason.empty(); }
  // Annotation ranges (host_annotations.h): the launching thread's annotations reaching into the IL
  // window (user_annotation, ProfilerStep#N), and host active / CPU idle over the same window
  // without them (the figures above when there are none).
  int64_t launch_thread_annotations = 0;
  ns_t host_active_without_annotations = 0, cpu_idle_without_annotations = 0;
  // Distinct ProfilerStep#N names in the trace, on any thread (merged ranks' ranges of one step are
  // one): more than one, and IL spans several steps.
  int64_t profiler_steps = 0;
  // Of duplicate_correlation_calls, those whose id a call of another process owns: per-process traces
  // merged into one (their ids repeat) whose GPU work could not be told apart by device
  // (launch_merged_ids.h); those calls' GPU work is linked to the other process's calls.
  int64_t duplicate_calls_of_other_processes = 0;
  // GPU events the reader left out (Trace::skipped_gpu_events): with none kept (gpu_undefined()),
  // the trace had GPU work, none of it usable, and the reason says so.
  int64_t skipped_gpu_events = 0;
  // Why the GPU figures are undefined, when gpu_undefined() (no_gpu_reason below).
  std::string gpu_undefined_reason() const;
  // A CPU-bound verdict whose GPU is nonetheless busy nearly all the inference latency
  // (cpu_bound_gpu_busy in analysis/bound_verdict.h; set by decide_bound): the launches found an
  // empty queue because the host waited for the GPU (syncs), not because they were slow.
  bool cpu_bound_gpu_busy = false;
  // The device idle longest inside the IL window (by_device; the lowest id on a tie) and its idle
  // time. GPU idle above is the union's (docs/metrics.md), which hides a device idle while another
  // works (two GPUs used in turn: union idle 2.4%, each device 51.2%); the bound row's caveats and
  // sweep's balance judge the GPU by this device instead (review AK M2). With one device it equals
  // gpu_idle; -1 and 0 without GPU activity.
  int32_t most_idle_device = -1;
  ns_t most_idle_device_idle = 0;
  // What the caveats judge the GPU by: the most idle device's idle, never less than the union's
  // (an analysis built without the device table, as in unit tests, has only gpu_idle).
  ns_t most_idle_gpu_idle() const { return most_idle_device_idle > gpu_idle ? most_idle_device_idle : gpu_idle; }
  // GPU work but no kernel (memcpy and memset only): AKD, the mean of no durations, is undefined
  // (n/a in the text, null in JSON and SQLite), not a measured 0 (review CX L5).
  bool akd_undefined() const { return kernels == 0; }
  // What the IL window starts at (t_begin): "operator" (the first top-level operator), "host_event"
  // (no operators: the earliest API call or other host event) or "gpu_activity" (no host event at
  // all, or a partly recorded trace whose GPU work starts before its first recorded call); "" without
  // GPU work (no window). The IL row's meaning says which (review CX L5: it said "first operator
  // start" for a trace of kernels only).
  std::string t_begin_from;
  // GPU activities whose correlation id calls of several processes share (merged per-rank traces,
  // docs/analyze.md "Merged processes"): linked to the call of the one process known to launch on
  // their device (launch_merged_ids.h), or, unresolved (no such one process), to the id's
  // first-starting call as duplicate_calls_of_other_processes says. 0 and 0 in a trace of one process.
  int64_t shared_id_activities_by_device = 0, shared_id_activities_unresolved = 0;
};

// The IL row's meaning for a window starting at `t_begin_from` (LaunchAnalysis::t_begin_from; a
// saved analysis from before the key: the first operator): "first operator start to last GPU end".
std::string inference_latency_meaning(const std::string& t_begin_from);

// The one wording of "no GPU activity", for every output (analyze's text, JSON, both HTML paths and
// SQLite, fusion, sweep): "no GPU activity in the trace" for a trace that has none (a CPU-only
// profile, a recording without CUPTI); "no usable GPU activity (N GPU events skipped: see skipped)"
// when it had some and the reader left every one out (their reasons are in Trace::skipped).
std::string no_gpu_reason(int64_t skipped_gpu_events);
// The same for a table cell: "no GPU activity" or "no usable GPU activity".
std::string no_gpu_short(int64_t skipped_gpu_events);
// analyze's reason (text and JSON), which also says how to get the GPU side where a recording
// lacks it: a recording with launch calls and no GPU event at all was made without CUPTI (--cuda
// uprobe, what auto picks without CUPTI, and always for --pid), so "no GPU activity in the trace
// (record with --cuda cupti)", as `sched` points (review DX L3). Else a.gpu_undefined_reason().
// A recording made with --cuda cupti (META cuda.mode) gets no such advice: it had CUPTI, and no GPU
// record reached it (dropped, or the program ran no kernel CUPTI saw), so "no GPU activity in the
// trace (recorded with --cuda cupti, yet no GPU activity record arrived; N CUPTI records dropped)",
// or where records came but the merge could not place them in time "(recorded with --cuda cupti:
// N GPU records arrived without a clock sample or timestamps and could not be placed)" (review DK L1).
std::string gpu_undefined_reason_with_hint(const Trace& trace, const LaunchAnalysis& a);
// The part in parentheses for a trace whose launch calls have no GPU side: "record with --cuda
// cupti", or for a CUPTI recording what happened instead; "" for a Kineto trace (nothing to advise).
// `sched`'s "n/a (no GPU activities: ...)" uses it too.
std::string missing_gpu_side_hint(const Trace& trace);

LaunchAnalysis analyze_launches(const Trace& trace);

// Per row of trace.gpu: the row in trace.api of the call its correlation id links it to, by the rule
// analyze_launches() links by (map_correlations, and for ids that calls of several processes share,
// link_merged_ids' device rule: docs/analyze.md "Merged processes"), or kNoLaunchCall where no call
// has the id. The call is a launch-kind call where the id has one, else the id's earliest call (a
// synchronous cudaMemcpy). The exports name it as the activity's launch (gpu.csv's launch_ts_ns and
// launch_tid, the Chrome and Perfetto flow arrows, the HTML timeline's launch lines), so that they
// name the call the SQLite `launch` table and the analysis measured.
inline constexpr uint32_t kNoLaunchCall = ~uint32_t{0};
std::vector<uint32_t> launch_calls_of_gpu_rows(const Trace& trace);
// `given` when a caller computed it for several outputs (`export --csv --chrome --perfetto` maps the
// correlations once: cli/cmd_export.cpp), else computed here into `own`. A `given` of another
// length than trace.gpu is a caller's error (throws std::logic_error).
const std::vector<uint32_t>& launch_calls_of_gpu_rows(const Trace& trace, const std::vector<uint32_t>* given,
                                                     std::vector<uint32_t>& own);

}  // namespace infertrace
