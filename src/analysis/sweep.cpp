#include "analysis/sweep.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <limits>

#include "analysis/bound_verdict.h"
#include "trace/gpu_models.h"
#include "util/error.h"
#include "util/units.h"
#include "util/whole_number.h"

namespace infertrace {

SweepPoint sweep_point(int64_t batch, const std::string& source, const LaunchAnalysis& a, const LaunchCoverage& coverage) {
  SweepPoint p;
  p.batch = batch;
  p.source = source;
  p.kernels = a.kernels;
  p.tklqt = a.tklqt, p.tklqt_launch = a.tklqt_launch, p.tklqt_queue = a.tklqt_queue;
  p.inference_latency = a.inference_latency, p.gpu_idle = a.gpu_idle, p.cpu_idle = a.cpu_idle;
  p.bound = a.bound, p.bound_undefined_reason = a.bound_undefined_reason;
  p.no_gpu = a.gpu_undefined();
  p.orphan_activities = a.orphan_activities, p.orphan_launch_calls = a.orphan_launch_calls;
  p.host_undefined_reason = a.host_undefined_reason;
  p.launch_thread_annotations = a.launch_thread_annotations, p.cpu_idle_without_annotations = a.cpu_idle_without_annotations;
  p.profiler_steps = a.profiler_steps;
  p.t_begin_from = a.t_begin_from;
  p.akd_ns = a.akd_ns;
  p.skipped_gpu_events = a.skipped_gpu_events;
  p.clock_skew_clamped = a.clock_skew_clamped, p.linked_launch_calls = a.linked_launch_calls;
  p.cpu_bound_gpu_busy = a.cpu_bound_gpu_busy;
  p.host_sync = a.host_undefined() ? 0 : a.host_sync;
  p.devices = static_cast<int64_t>(a.by_device.size()), p.most_idle_device_idle = a.most_idle_gpu_idle();
  p.most_idle_device = a.most_idle_device;
  if (a.inference_latency > 0) {
    const double il = static_cast<double>(a.inference_latency);
    p.gpu_idle_share = static_cast<double>(a.gpu_idle) / il;
    p.cpu_idle_share = static_cast<double>(a.cpu_idle) / il;
    p.cpu_idle_without_annotations_share = static_cast<double>(a.cpu_idle_without_annotations) / il;
    p.most_idle_device_share = static_cast<double>(a.most_idle_gpu_idle()) / il;
    // Without a launching thread CPU idle is unknown: no balance to judge. The GPU side by the most
    // idle device (review AK M2): every device, not only their union, idles under half.
    p.balanced = p.most_idle_device_share < 0.5 && p.cpu_idle_share < 0.5 && !a.host_undefined();
  }
  // Unmeasured launches: no launch figure, no verdict, no balance (CPU idle is the launching
  // thread's); the transition is not computed from them.
  if (!coverage.measured()) {
    p.launches_unmeasured = true, p.launch_note = coverage.unmeasured_reason;
    p.bound.clear(), p.balanced = false;
    p.cpu_bound_gpu_busy = false;
  } else if (coverage.partial()) {
    p.launch_note = coverage.partial_note;
  }
  return p;
}

std::string no_verdict_reason(const SweepPoint& p) {
  if (p.no_gpu) return no_gpu_reason(p.skipped_gpu_events);
  if (p.launches_unmeasured) return p.launch_note;
  if (!p.bound.empty()) return "";
  return p.bound_undefined_reason.empty() ? "no launch call is linked to GPU work" : p.bound_undefined_reason;
}

bool verdict_on_clamped_latencies(const SweepPoint& p) {
  return !p.bound.empty() && p.clock_skew_clamped > 0 && p.clock_skew_clamped * 2 > p.linked_launch_calls;
}

std::string clamped_latencies_text(const SweepPoint& p) {
  if (p.clock_skew_clamped <= 0) return "";
  return std::to_string(p.clock_skew_clamped) + " of " + std::to_string(p.linked_launch_calls) +
         " launch latencies clamped to 0 (GPU start before its launch call: clock skew)";
}

std::string sweep_share_text(double share) {
  std::string s = format_pct(share);
  if (s != format_pct(0.5) || share == 0.5) return s;
  // Up to 6 decimals, a part in 10^8 of IL (one ns of an IL under 100 ms): more tell a reader
  // nothing, and none can tell a share within about 1e-16 of half from it, share * 100 being 50.0
  // exactly ("50.000000000000%" for 0.49999999999999994: review WD56 M3). Past them the side of
  // half is what the verdict used, and what the cell says.
  for (int digits = 2; digits <= 6; ++digits)
    if (s = format_fixed(share * 100.0, digits) + "%"; s != format_fixed(50.0, digits) + "%") return s;
  return (share < 0.5 ? "<" : ">") + format_pct(0.5);
}

namespace {

// "4" or "1, 2 and 8".
std::string batch_list(const std::vector<int64_t>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i == 0 ? "" : i + 1 == v.size() ? " and " : ", ") + std::to_string(v[i]);
  return out;
}

// "batch 4" or "batches 1, 2 and 8".
std::string batches(const std::vector<int64_t>& v) { return (v.size() == 1 ? "batch " : "batches ") + batch_list(v); }

// "only in batch 64: aten::addmm, aten::arange, aten::cat and 5 more; only in batch 1: aten::gelu":
// the names one sorted set has and the other lacks, three of each at most.
std::string operator_difference(const std::vector<std::string>& a, int64_t batch_a, const std::vector<std::string>& b,
                                int64_t batch_b) {
  const auto only = [](const std::vector<std::string>& x, const std::vector<std::string>& y, int64_t batch) -> std::string {
    std::vector<std::string> d;
    std::set_difference(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(d));
    if (d.empty()) return "";
    std::string s = "only in batch " + std::to_string(batch) + ": ";
    for (size_t i = 0; i < d.size() && i < 3; ++i) s += (i == 0 ? "" : ", ") + d[i];
    if (d.size() > 3) s += " and " + std::to_string(d.size() - 3) + " more";
    return s;
  };
  const std::string in_b = only(b, a, batch_b), in_a = only(a, b, batch_a);
  return in_b + (in_b.empty() || in_a.empty() ? "" : "; ") + in_a;
}

// The GPU-bound batches at or past the transition whose GPU idles half the inference latency or more
// (analysis/bound_verdict.h): there "the GPU is the limit" holds only for the bursts of queued
// kernels, not for the run. Empty when there is no transition or no such batch.
std::vector<int64_t> bursty_batches(const SweepResult& r) {
  std::vector<int64_t> v;
  if (!r.transition_batch) return v;
  for (auto& p : r.points)
    if (p.batch >= *r.transition_batch &&
        gpu_bound_in_bursts(p.bound, std::max(p.gpu_idle, p.most_idle_device_idle), p.inference_latency))
      v.push_back(p.batch);
  return v;
}

// Where annotation ranges of the launching thread count in its host activity (ProfilerStep#N
// around each step, record_function around the model: docs/analyze.md), CPU idle is as defined but
// the gaps they cover are not host work: the shares without them, per batch. "" when no batch has any.
std::string annotation_sentence(const std::vector<SweepPoint>& pts) {
  std::vector<int64_t> with;
  std::string shares;
  for (const SweepPoint& p : pts) {
    if (p.launch_thread_annotations == 0 || p.no_gpu || p.launches_unmeasured || !p.host_undefined_reason.empty() ||
        p.inference_latency <= 0)
      continue;
    with.push_back(p.batch);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", p.cpu_idle_without_annotations_share * 100.0);
    shares += (shares.empty() ? "" : ", ") + std::string(buf);
  }
  if (with.empty()) return "";
  std::string s = " At " + batches(with) +
                  " the launching thread's annotation ranges (ProfilerStep#, record_function) count in its host activity "
                  "as operators, which the CPU idle shares above follow; without them CPU idle is " + shares +
                  " of the inference latency";
  // The balance by those shares (the other batches keep theirs), when it differs (review KV2 M2).
  std::vector<int64_t> balanced, as_given;
  for (const SweepPoint& p : pts) {
    if (p.balanced) as_given.push_back(p.batch);
    const bool annotated = std::find(with.begin(), with.end(), p.batch) != with.end();
    if (annotated ? std::max(p.gpu_idle_share, p.most_idle_device_share) < 0.5 && p.cpu_idle_without_annotations_share < 0.5
                  : p.balanced)
      balanced.push_back(p.batch);
  }
  if (balanced != as_given)
    s += balanced.empty() ? ", and by those shares no batch would be balanced"
                          : ", and by those shares the balanced batches would be " + batch_list(balanced);
  return s + ".";
}

// Batches whose trace uses several GPUs (review AK M2): their GPU idle share in the table is the
// union's, which reads busy while the devices take turns; the balance and the caveats above judge
// by the most idle device, whose shares this names. "" when every trace has at most one device.
std::string devices_sentence(const std::vector<SweepPoint>& pts) {
  std::vector<int64_t> several;
  std::string shares;
  for (const SweepPoint& p : pts) {
    if (p.devices <= 1 || p.no_gpu || p.inference_latency <= 0) continue;
    several.push_back(p.batch);
    // as the table's cell: under half never reads "50.0%" beside "Balanced" (review WD56 M3)
    shares += (shares.empty() ? "" : ", ") + sweep_share_text(p.most_idle_device_share);
  }
  if (several.empty()) return "";
  return " At " + batches(several) + " the trace uses several GPUs: its GPU idle share is the union's, and the most "
         "idle device is idle " + shares + " of the inference latency, which the balance and the caveats above judge by.";
}

// The batches of `listed` whose verdict rests on clamped launch latencies.
std::vector<int64_t> on_clamped(const std::vector<SweepPoint>& pts, const std::vector<int64_t>& listed) {
  std::vector<int64_t> v;
  for (const SweepPoint& p : pts)
    if (verdict_on_clamped_latencies(p) && std::find(listed.begin(), listed.end(), p.batch) != listed.end())
      v.push_back(p.batch);
  return v;
}

// The CPU-bound batches whose GPU idles less than kBusyGpuIdleShare of the inference latency
// (analysis/bound_verdict.h): there the launches found an empty queue because the host waited.
std::vector<int64_t> busy_gpu_batches(const std::vector<SweepPoint>& pts) {
  std::vector<int64_t> v;
  for (const SweepPoint& p : pts)
    if (p.cpu_bound_gpu_busy) v.push_back(p.batch);
  return v;
}

// The sentence that qualifies "fusing kernels or CUDA graphs pays" at those batches; "" when none.
std::string busy_gpu_sentence(const std::vector<SweepPoint>& pts) {
  const std::vector<int64_t> busy = busy_gpu_batches(pts);
  if (busy.empty()) return "";
  std::string idle, syncs;
  bool any_sync = false;
  for (const SweepPoint& p : pts) {
    if (!p.cpu_bound_gpu_busy) continue;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", std::max(p.gpu_idle_share, p.most_idle_device_share) * 100.0);  // its most idle device
    idle += (idle.empty() ? "" : ", ") + std::string(buf);
    std::snprintf(buf, sizeof buf, "%.1f%%",
                  100.0 * static_cast<double>(p.host_sync) / static_cast<double>(p.inference_latency));
    syncs += (syncs.empty() ? "" : ", ") + std::string(buf);
    any_sync = any_sync || p.host_sync > 0;
  }
  const bool several = std::any_of(pts.begin(), pts.end(), [](const SweepPoint& p) { return p.cpu_bound_gpu_busy && p.devices > 1; });
  return " Yet at " + batches(busy) + (several ? " every GPU is idle at most " : " the GPU is idle only ") + idle +
         " of the inference latency: the launches found an empty queue because the host waited for the GPU" +
         (any_sync ? " (in syncs " + syncs + " of the inference latency), so removing or deferring the syncs pays there"
                   : ", so launching ahead of the GPU pays there") +
         "; fusing kernels or CUDA graphs would save at most that idle time.";
}

std::string summarize(const SweepResult& r) {
  const auto& pts = r.points;
  const std::vector<int64_t> bursty = bursty_batches(r);
  std::string s;
  if (r.transition_batch && *r.transition_batch == pts.front().batch) {
    s = "GPU-bound (queue-dominated) at every batch size from " + std::to_string(pts.front().batch) +
        (bursty.empty() ? ": the GPU is the limit; fusing kernels or CUDA graphs will not shorten these runs much."
                        : ": kernels wait in the GPU's queue more than launches take.");
  } else if (r.transition_batch) {
    // Only batches with a verdict are called launch-bound: one without (no GPU activity, nothing
    // linked) would be invented.
    std::optional<int64_t> below;
    std::vector<int64_t> launch_bound, gpu_bound_below;
    std::string no_verdict;  // "batch N (reason)" of the batches below without a verdict
    for (auto& p : pts) {
      if (p.batch >= *r.transition_batch) continue;
      if (p.bound.empty()) {
        no_verdict += (no_verdict.empty() ? "" : "; ") + ("batch " + std::to_string(p.batch) + ": ") + no_verdict_reason(p);
        continue;
      }
      below = p.batch;
      (p.bound == "gpu" ? gpu_bound_below : launch_bound).push_back(p.batch);
    }
    const std::vector<int64_t> skewed_launch_bound = on_clamped(pts, launch_bound);
    if (below && gpu_bound_below.empty() && no_verdict.empty()) {
      s = "Launch-bound up to batch " + std::to_string(*below) +
          (skewed_launch_bound.empty() ? std::string("")
                                       : " (at " + batches(skewed_launch_bound) + " by clamped launch latencies: see below)") +
          ": fusing kernels or CUDA graphs pays there; queue-bound from batch " +
          std::to_string(*r.transition_batch) + " on: the GPU is the limit.";
    } else if (below) {
      // "Launch-bound up to" the last batch below the transition would call the GPU-bound ones
      // among them (audit CI D12) or those without a verdict (review CQ M1) launch-bound: each
      // batch below is named with what it is.
      s = "Queue-bound from batch " + std::to_string(*r.transition_batch) + " on: the GPU is the limit. Below it: ";
      std::vector<std::string> parts;
      if (!launch_bound.empty())
        parts.push_back("launch-bound at " + batches(launch_bound) + " (fusing kernels or CUDA graphs pays there" +
                        (skewed_launch_bound.empty()
                             ? std::string(")")
                             : "; at " + batches(skewed_launch_bound) + " by clamped launch latencies: see below)"));
      if (!gpu_bound_below.empty())
        parts.push_back("GPU-bound at " + batches(gpu_bound_below) +
                        (launch_bound.empty() ? std::string(" (the transition is not placed there: a larger batch has no verdict)")
                                              : std::string(" (the verdict changes with batch size: check those captures "
                                                            "before acting on the difference)")));
      if (!no_verdict.empty()) parts.push_back("no CPU- or GPU-bound verdict at " + no_verdict);
      for (size_t i = 0; i < parts.size(); ++i) s += (i ? "; " : "") + parts[i];
      s += ".";
    }
    else
    {
      // Every smaller batch is without a verdict, each with its own reason: they need not share one
      // (review BD M2); no_verdict lists them all.
      s = "Queue-bound from batch " + std::to_string(*r.transition_batch) +
          " on: the GPU is the limit; the smaller batches have no CPU- or GPU-bound verdict (" + no_verdict + ").";
    }
  } else if (std::all_of(pts.begin(), pts.end(), [](const SweepPoint& p) { return p.no_gpu; })) {
    // CPU-only profiles: no launch or queue figure exists to compare, and no idle share either.
    // (Traces whose GPU events were all skipped are not CPU-only: said so.) Traces that made launch
    // calls ran GPU work whose side was not captured (review SW L6): they are not CPU-only, and
    // the advice is to capture it.
    const bool skipped = std::any_of(pts.begin(), pts.end(), [](const SweepPoint& p) { return p.skipped_gpu_events > 0; });
    std::vector<int64_t> launched;
    for (const SweepPoint& p : pts)
      if (p.orphan_launch_calls > 0 && !p.launches_unmeasured) launched.push_back(p.batch);
    // (With GPU events skipped the GPU side was captured, but not usably: the sentence below says so.)
    if (!launched.empty() && !skipped)
      return "No trace in this sweep has GPU activity, yet " +
             (launched.size() == pts.size() ? std::string("every one") : batches(launched)) +
             " made launch calls (see each batch's orphan launch calls): the GPU side was not captured, so there are "
             "no launch, queue or idle figures to compare across batch sizes; capture it again with the GPU's "
             "activity (CUDA activities in the PyTorch profiler, or `infertrace record --cuda cupti`).";
    return std::string(skipped ? "No trace in this sweep has usable GPU activity (CPU-only profiles, or GPU events all "
                                 "skipped: see each batch's skipped)"
                               : "No trace in this sweep has GPU activity (CPU-only profiles)") +
           ": there are no launch, queue or idle figures to compare across batch sizes; `infertrace analyze` gives "
           "each trace's host span and operators by self time.";
  } else if (pts.back().launches_unmeasured) {
    s = "No transition: batch " + std::to_string(pts.back().batch) + ", the largest given, has no CPU- or GPU-bound verdict: " +
        pts.back().launch_note + ".";
  } else if (pts.back().bound.empty()) {
    // A trace without a verdict (nothing linked, clock skew); saying it "is not GPU-bound, so
    // launch overhead matters" would invent one. The advice fits the reason: a trace without GPU
    // work or linked launches may be the wrong file; one with skewed clocks needs a new capture.
    const bool any_verdict =
        std::any_of(pts.begin(), pts.end(), [](const SweepPoint& p) { return !p.bound.empty(); });
    const bool nothing_linked = pts.back().no_gpu || pts.back().bound_undefined_reason.empty() ||
                                pts.back().bound_undefined_reason == "no launch call is linked to GPU work";
    s = "No transition: batch " + std::to_string(pts.back().batch) + ", the largest given, has " +
        (pts.back().no_gpu ? no_gpu_short(pts.back().skipped_gpu_events) + ", so it has no CPU- or GPU-bound verdict"
                           : "no CPU- or GPU-bound verdict (" + no_verdict_reason(pts.back()) + ")") +
        (!any_verdict ? ", nor has any other trace in the sweep."
         : nothing_linked ? "; check that its trace holds the GPU run."
                          : "; capture that batch again.");
  } else {
    const bool skewed = verdict_on_clamped_latencies(pts.back());
    // Smaller batches that are GPU-bound: "across the whole sweep" would be false there (review SV
    // L2); the verdict changes with batch size, as the transition branch says of such batches.
    std::vector<int64_t> gpu_bound_smaller;
    for (size_t i = 0; i + 1 < pts.size(); ++i)
      if (pts[i].bound == "gpu") gpu_bound_smaller.push_back(pts[i].batch);
    s = "No transition: batch " + std::to_string(pts.back().batch) +
        ", the largest measured, is not GPU-bound" + (skewed ? " (by clamped launch latencies: see below)" : "") +
        (pts.back().cpu_bound_gpu_busy
             // Review AK M1: its GPU is busy nearly all the run; the sentence below says why.
             ? ", yet its GPU is busy nearly all the inference latency: launch overhead is not what limits it."
         : gpu_bound_smaller.empty()
             ? ", so launch overhead matters across the whole sweep; "
               "fusing kernels or CUDA graphs pays, and larger batches would use the GPU better."
             : ", so launch overhead limits it, yet " + batches(gpu_bound_smaller) + " below it " +
                   (gpu_bound_smaller.size() == 1 ? "is" : "are") +
                   " GPU-bound: the verdict changes with batch size, so check those captures before acting on the "
                   "difference; where launches dominate, fusing kernels or CUDA graphs pays.");
  }
  // A verdict that rests on clamped latencies (clock skew) is said, whatever it is (review SW M2).
  {
    std::vector<int64_t> all;
    for (const SweepPoint& p : pts) all.push_back(p.batch);
    const std::vector<int64_t> skewed = on_clamped(pts, all);
    if (!skewed.empty()) {
      std::string counts;
      for (const SweepPoint& p : pts)
        if (verdict_on_clamped_latencies(p))
          counts += (counts.empty() ? "" : "; ") + ("batch " + std::to_string(p.batch) + ": " + clamped_latencies_text(p));
      s += (skewed.size() == 1 ? " The verdict at " : " The verdicts at ") + batches(skewed) +
           (skewed.size() == 1 ? " rests" : " rest") + " on clamped launch latencies (" + counts +
           "): TKLQT and its parts count only the latencies left there, so capture again with the host and GPU "
           "clocks in step before acting on it.";
    }
  }
  s += busy_gpu_sentence(pts);
  // With several GPUs the bursts caveat judges by the most idle device (review AK M2), whose idle
  // share a reader does not find in the point's gpu_idle_share (the union): name it so (review SV L3).
  const auto one_device_bursty = [&](const SweepPoint& p) {
    return p.devices > 1 && std::find(bursty.begin(), bursty.end(), p.batch) != bursty.end() &&
           p.most_idle_device_idle > p.gpu_idle;
  };
  const bool by_one_device = std::any_of(pts.begin(), pts.end(), one_device_bursty);
  // The device and its idle share at each such batch, as the table's reader cannot find them there
  // (review CS L1: the sentence gave the JSON key's name instead), rounded as the table's shares.
  std::string which_device;
  for (const SweepPoint& p : pts)
    if (one_device_bursty(p) && p.inference_latency > 0)
      which_device += (which_device.empty() ? "" : "; ") +
                      ("device " + std::to_string(p.most_idle_device) + " at batch " + std::to_string(p.batch) + ", idle " +
                       format_pct(static_cast<double>(p.most_idle_device_idle) / static_cast<double>(p.inference_latency)));
  if (!bursty.empty())
    s += std::string(by_one_device ? " Yet one GPU (the most idle device: " + which_device + ")"
                                   : " Yet the GPU") +
         " is idle at least half the inference latency at " + batches(bursty) +
         ": kernels queue in bursts with host-side gaps between them, so there the host's work between bursts "
         "matters as much as faster kernels.";
  // A transition or balance read past an unmeasured batch would be a guess: say which batches.
  std::string unmeasured;
  for (auto& p : pts)
    if (p.launches_unmeasured) unmeasured += (unmeasured.empty() ? "" : ", ") + std::to_string(p.batch);
  if (!unmeasured.empty())
    s += " Launches were not measured at batch " + unmeasured + " (see each point's note): those batches have no launch "
         "figures, verdict or balance.";
  if (r.balanced_region) {
    const std::string region = r.balanced_region->from == r.balanced_region->to
                                   ? std::to_string(r.balanced_region->from)
                                   : std::to_string(r.balanced_region->from) + " to " + std::to_string(r.balanced_region->to);
    const auto in_region = std::count_if(r.balanced_batches.begin(), r.balanced_batches.end(), [&](int64_t b) {
      return b >= r.balanced_region->from && b <= r.balanced_region->to;
    });
    s += std::any_of(pts.begin(), pts.end(), [](const SweepPoint& p) { return p.devices > 1; })
             ? " Balanced (every GPU and the CPU each idle less than half of the inference latency) at "
             : " Balanced (GPU and CPU each idle less than half of the inference latency) at ";
    // Balanced batches outside the region (a sweep that is not monotone) are named too: the sentence
    // would otherwise say less than the table (audit DU F6).
    // Runs of consecutive balanced batches of the region's length: more than one is a tie (the
    // region is the first of them).
    int64_t runs_as_long = 0, run = 0;
    for (size_t i = 0; i <= r.points.size(); ++i) {
      if (i < r.points.size() && r.points[i].balanced) {
        ++run;
        continue;
      }
      if (run == in_region) ++runs_as_long;
      run = 0;
    }
    if (static_cast<size_t>(in_region) == r.balanced_batches.size())
      s += "batch " + region + ".";
    else if (in_region == 1)  // no two consecutive batches are balanced: no run to name
      s += batches(r.balanced_batches) + ".";
    else
      s += batches(r.balanced_batches) + (runs_as_long > 1 ? " (the first of the longest runs of consecutive batches: "
                                                            : " (the longest run of consecutive batches: ") +
           region + ").";
  } else if (unmeasured.empty())
    s += " No batch size keeps both GPU and CPU idle below half of the inference latency.";
  else if (std::any_of(pts.begin(), pts.end(), [](const SweepPoint& p) { return !p.launches_unmeasured; }))
    // The unmeasured batches have no balance to judge (review AR, L3); with none measured, nothing to say.
    s += " No batch size with measured launches keeps both GPU and CPU idle below half of the inference latency.";
  return s + devices_sentence(pts) + annotation_sentence(pts);
}

}  // namespace

SweepResult analyze_sweep(std::vector<SweepPoint> points) {
  SweepResult r;
  std::sort(points.begin(), points.end(), [](const SweepPoint& a, const SweepPoint& b) { return a.batch < b.batch; });
  for (size_t i = 1; i < points.size(); ++i)
    if (points[i].batch == points[i - 1].batch)
      throw UsageError("batch size " + std::to_string(points[i].batch) + " given twice (" + points[i - 1].source +
                       ", " + points[i].source + ")");
  r.points = std::move(points);
  if (r.points.empty()) return r;

  // Transition: walk down from the largest batch while every batch seen is GPU-bound.
  for (size_t i = r.points.size(); i-- > 0;) {
    if (r.points[i].bound != "gpu") break;
    r.transition_batch = r.points[i].batch;
  }

  // Balanced region: the longest run of consecutive balanced points.
  size_t best_from = 0, best_len = 0;
  for (size_t i = 0; i < r.points.size();) {
    if (!r.points[i].balanced) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < r.points.size() && r.points[j].balanced) r.balanced_batches.push_back(r.points[j++].batch);
    if (j - i > best_len) best_from = i, best_len = j - i;
    i = j;
  }
  if (best_len > 0) r.balanced_region = BatchRange{r.points[best_from].batch, r.points[best_from + best_len - 1].batch};
  r.summary = summarize(r);
  // ILs that start at different events (review DW L1: a Kineto trace beside a recording).
  std::map<std::string, std::vector<int64_t>> starts;
  for (const SweepPoint& p : r.points)
    if (!p.t_begin_from.empty()) starts[p.t_begin_from].push_back(p.batch);
  if (starts.size() > 1) {
    std::string which;
    for (const auto& [from, bs] : starts) {
      const std::string meaning = inference_latency_meaning(from);  // "first operator start to last GPU end"
      which += (which.empty() ? "" : "; ") + meaning.substr(0, meaning.find(" to ")) + " for " + batches(bs);
    }
    r.summary += " Caution: the inference latencies start at different events (" + which +
                 "), so the idle shares and the bound verdicts of those batches are not like for like.";
  }
  // Traces that do not run the same operators at the top level (review MA L5: BERT's traces and a
  // GPT-2 one made a transition with no word of doubt). Named by what differs, never by a guess
  // at the model.
  const SweepPoint* first_with_ops = nullptr;
  for (const SweepPoint& p : r.points)
    if (!p.top_level_operators.empty()) {
      if (!first_with_ops) first_with_ops = &p;
      else if (p.top_level_operators != first_with_ops->top_level_operators) r.operators_differ.push_back(p.batch);
    }
  if (!r.operators_differ.empty()) {
    const SweepPoint& other = *std::find_if(r.points.begin(), r.points.end(), [&](const SweepPoint& p) {
      return p.batch == r.operators_differ.front();
    });
    r.summary += " Caution: " + batches(r.operators_differ) + " " + (r.operators_differ.size() == 1 ? "runs" : "run") +
                 " other top-level operators than batch " + std::to_string(first_with_ops->batch) + " (" +
                 operator_difference(first_with_ops->top_level_operators, first_with_ops->batch, other.top_level_operators, other.batch) +
                 "), so the traces may not be one model at several batch sizes.";
  }
  // Traces from other GPU models (review CS M2: an A100 trace beside H100 ones made a transition
  // with no word): named by model, as the trace's deviceProperties give it.
  const SweepPoint* first_with_models = nullptr;
  for (const SweepPoint& p : r.points)
    if (!p.gpu_models.empty()) {
      if (!first_with_models) first_with_models = &p;
      else if (p.gpu_models != first_with_models->gpu_models) r.gpu_models_differ.push_back(p.batch);
    }
  if (!r.gpu_models_differ.empty()) {
    std::string which;
    for (const SweepPoint& p : r.points)
      if (std::find(r.gpu_models_differ.begin(), r.gpu_models_differ.end(), p.batch) != r.gpu_models_differ.end())
        which += (which.empty() ? "" : "; ") + ("batch " + std::to_string(p.batch) + " on " + gpu_models_text(p.gpu_models));
    r.summary += " Caution: " + batches(r.gpu_models_differ) + " ran on another GPU model than batch " +
                 std::to_string(first_with_models->batch) + " (" + gpu_models_text(first_with_models->gpu_models) + "; " +
                 which + "), so the figures compare machines as well as batch sizes.";
  }
  // One capture under two batch names (review CS L4: two identical rows made a transition).
  for (const SweepPoint& p : r.points)
    if (p.same_bytes_as > 0) {
      // Both files named (review WD56 L2: the caution named one).
      std::string other;
      for (const SweepPoint& q : r.points)
        if (q.batch == p.same_bytes_as) other = q.source;
      r.summary += " Caution: the traces of batches " + std::to_string(std::min(p.same_bytes_as, p.batch)) + " and " +
                   std::to_string(std::max(p.same_bytes_as, p.batch)) + " hold the same bytes (" +
                   (other.empty() ? p.source : other + " and " + p.source) +
                   "): one capture under two batch names, not two batch sizes.";
    }
  // A label that contradicts the file name (review CS L5: the label won silently).
  for (const SweepPoint& p : r.points)
    if (p.file_name_batch > 0)
      r.summary += " Caution: " + p.source + " is labelled batch " + std::to_string(p.batch) + " but its file name says batch " +
                   std::to_string(p.file_name_batch) + ": check the --label.";
  // Decode windows with doubts (analysis/decode_window_check.h): said where the figures are read.
  std::vector<int64_t> doubted;
  for (const SweepPoint& p : r.points)
    if (!p.decode_window_doubts.empty()) doubted.push_back(p.batch);
  if (!doubted.empty())
    r.summary += " Caution: the decode window of " + batches(doubted) +
                 " may not be its trace's run (see the notes), so those figures may not be the decode steps'.";
  return r;
}

std::vector<std::string> top_level_operator_names(const Trace& t, const LaunchAnalysis& a) {
  std::vector<std::string> names;
  for (const HostOperatorStat& o : a.by_self.operators)
    if (o.top_level > 0) names.emplace_back(t.str(o.name));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::optional<int64_t> batch_from_file_name(const std::string& path) {
  const std::string name = std::filesystem::path(path).filename().string();
  std::optional<int64_t> found;
  bool zero = false;  // a bs0, which names no batch: kept only to say so when it is all there is
  for (size_t i = 0; i + 2 < name.size(); ++i) {
    const bool word_start = i == 0 || !std::isalpha(static_cast<unsigned char>(name[i - 1]));
    if (!word_start || name.compare(i, 2, "bs") != 0 || !std::isdigit(static_cast<unsigned char>(name[i + 2]))) continue;
    size_t j = i + 2;
    while (j < name.size() && std::isdigit(static_cast<unsigned char>(name[j]))) ++j;
    const std::string digits = name.substr(i + 2, j - (i + 2));
    const int64_t max = std::numeric_limits<int64_t>::max();
    const WholeNumber n = parse_whole_number(digits, 0, max);
    if (n.status == WholeNumber::Status::above_max)
      throw UsageError(path + ": bs" + digits + " in the file name: N is too large (at most " + std::to_string(max) +
                       "); give --label bs=N for every trace");
    if (n.status != WholeNumber::Status::ok) continue;
    if (n.value == 0) {
      zero = true;
      continue;
    }
    // Two different batch sizes in one name (x_bs16_bs2) is no answer: the first was taken silently
    // (review CX L4).
    if (found && *found != n.value)
      throw UsageError(path + ": the file name holds two batch sizes, bs" + std::to_string(*found) + " and bs" +
                       std::to_string(n.value) + "; give --label bs=N for every trace");
    found = n.value;
  }
  // "bs0" alone was "the file name has no bs<N>", which it has (review CX L4).
  if (!found && zero)
    throw UsageError(path + ": bs0 in the file name is no batch size (N must be a positive whole number); give "
                            "--label bs=N for every trace");
  return found;
}

}  // namespace infertrace
