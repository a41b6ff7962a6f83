#include "record/cupti_merge.h"

#include <cstring>

#include "ingest/recording/itrace_format.h"
#include "record/cupti_callbacks_record.h"
#include "record/itrace_writer.h"
#include "trace/trace.h"

namespace infertrace {

namespace {

uint64_t key(uint32_t pid, uint32_t id) { return (static_cast<uint64_t>(pid) << 32) | id; }

template <class T>
bool load(const unsigned char* p, uint32_t len, T& out) {
  if (len < sizeof(T)) return false;
  std::memcpy(&out, p, sizeof(T));
  return true;
}

// CUPTI's runtime names carry the API version ("cudaLaunchKernel_v7000"); the version is not part
// of the function's identity for any analysis, and the uprobe mode names calls without it.
std::string strip_version(std::string n) {
  const auto v = n.rfind("_v");
  if (v != std::string::npos && v + 2 < n.size() && n.find_first_not_of("0123456789", v + 2) == std::string::npos)
    n.resize(v);
  return n;
}

}  // namespace

void CuptiMerge::consume(uint32_t type, const unsigned char* p, uint32_t len) {
  using namespace cupti;
  switch (type) {
    case kRecApi: {
      RingApi r;
      // The ring is the traced program's shared memory: a record naming pid or tid 0 comes from no
      // real thread, and written out it would make the reader refuse the whole recording as
      // corrupt (ingest/recording/impossible_threads.h). Counted as malformed instead.
      if (!load(p, len, r) || r.pid == 0 || r.tid == 0) break;
      api(r);
      return;
    }
    case kRecGpu: {
      RingGpu r;
      if (!load(p, len, r) || r.pid == 0) break;  // pid 0: as for API records above
      // CUPTI writes 0 where it could not collect a timestamp (cupti_activity.h, the kernel, memcpy
      // and memset records; a forced flush also hands out records still incomplete). Kept, such a
      // record would sit at time 0 (or, on a raw clock, mapped far before the run) and stretch the
      // analysed window across the epoch: dropped and counted instead.
      if (r.start == 0 || r.end == 0) {
        ++st_.gpu_without_timestamps;
        return;
      }
      if (r.flags & kGpuMonotonic) {
        // One that starts after the stop may belong to a call left out (its API record may even
        // come later: a buffer can be flushed before the launching thread's exit callback): held
        // until finish(), when every API record has been seen.
        if (stop_ > 0 && r.start > stop_) late_gpu_.push_back(r);
        else if (!partner_dropped(r)) gpu(r, static_cast<int64_t>(r.start), static_cast<int64_t>(r.end));
      } else {
        held_[r.pid].push_back(r);  // converted at finish(), with every clock sample of the process
      }
      return;
    }
    case kRecName: {
      RingName r;
      if (!load(p, len, r) || r.len > len - sizeof(r)) break;
      name(r, std::string_view(reinterpret_cast<const char*>(p + sizeof(r)), r.len));
      return;
    }
    case kRecAlias: {
      RingAlias r;
      if (!load(p, len, r)) break;
      alias_[key(r.pid, r.from)] = r.to;
      ++st_.aliases;
      return;
    }
    case kRecClock: {
      RingClock r;
      if (!load(p, len, r)) break;
      clock_[r.pid].push_back({r.mono_before, r.cupti, r.mono_after});
      ++st_.clock_samples;
      return;
    }
    case kRecInfo: {
      RingInfo r;
      if (!load(p, len, r)) break;
      if (r.status == kInfoLateRecords) {  // a traced process's late buffers (cupti_records.h)
        st_.activity_late += r.activity_dropped;
        return;
      }
      if (r.status != kInfoTraced) {
        // The library declined this process (its only record): say why, per process.
        ++st_.processes_not_traced;
        out_.meta("cupti.not_traced." + std::to_string(r.pid),
                  r.status == kInfoSubscriberTaken ? "another CUPTI client holds the subscription (a profiler, Nsight, a sanitizer)"
                                                   : "CUPTI refused the library's setup (its subscription, an activity kind or a callback)");
        return;
      }
      // Sent at start (counters 0) and again at exit with the counters.
      if (!monotonic_.count(r.pid)) {
        ++st_.processes;
        if (r.timestamp_callback) ++st_.processes_with_timestamp_callback;
      }
      monotonic_[r.pid] = r.timestamp_callback != 0;
      st_.folded_driver_calls += r.folded_driver_calls;
      st_.activity_dropped += r.activity_dropped;
      return;
    }
    case kRecCallbacks:
      if (!callbacks(p, len)) break;
      return;
    default: break;
  }
  ++st_.malformed;
}

void CuptiMerge::name(const cupti::RingName& r, std::string_view text) {
  ++st_.names;
  // API ids are CUPTI's callback ids, the same in every process: one table for all.
  if (r.space == cupti::kNameApi) api_names_[r.id] = strip_version(std::string(text));
  else if (r.space == cupti::kNameKernel) kernel_names_[key(r.pid, r.id)] = std::string(text);
  else ++st_.malformed;
}

bool CuptiMerge::callbacks(const unsigned char* p, uint32_t len) {
  cupti::RingCallbacks head;
  CuptiCallbackStatus s;
  if (!cupti::read_callbacks_record(p, len, head, s.refused_names)) return false;
  s.pid = head.pid;
  s.enabled = head.enabled;
  s.launch_enabled = head.launch_enabled;
  s.refused = head.refused;
  s.launch_refused = head.launch_refused;
  s.kernel_launch_enabled = head.kernel_launch_enabled;
  // One per process. A repeat (a reused pid) keeps the one that measured fewer launches, so a
  // process without launch callbacks is not hidden by a healthy one after it.
  auto [it, fresh] = callbacks_.try_emplace(head.pid, s);
  const auto fewer = [](const CuptiCallbackStatus& a, const CuptiCallbackStatus& b) {
    if (a.kernel_launch_enabled != b.kernel_launch_enabled) return a.kernel_launch_enabled < b.kernel_launch_enabled;
    if (a.launch_enabled != b.launch_enabled) return a.launch_enabled < b.launch_enabled;
    return a.launch_refused > b.launch_refused;
  };
  if (!fresh && fewer(s, it->second))
    it->second = std::move(s);
  return true;
}

uint32_t CuptiMerge::api_index(uint32_t id) {
  auto n = api_names_.find(id);
  // The producer sends a name before the first call that uses it; a lost name (ring full) still
  // gets a stable, honest label.
  const std::string name = n != api_names_.end() ? n->second : "cupti_api#" + std::to_string(id);
  auto [it, fresh] = api_index_.try_emplace(name, next_api_);
  if (fresh) {
    out_.meta("api." + std::to_string(next_api_), name);
    // Classified by the label written, the string the reader classifies (a lost name's
    // "cupti_api#<id>" is no launch in either).
    if (is_launch(classify_api(name))) launch_indices_.insert(next_api_);
    ++next_api_;
  }
  return it->second;
}

uint32_t CuptiMerge::kernel_string(uint32_t pid, uint32_t id) {
  if (id == 0) return 0;
  auto n = kernel_names_.find(key(pid, id));
  if (n == kernel_names_.end()) return 0xffffffffu;  // name lost: the reader labels it kernel#<id>
  auto [it, fresh] = string_ids_.try_emplace(n->second, next_string_);
  if (fresh) {
    std::vector<unsigned char> rec(4 + n->second.size());
    std::memcpy(rec.data(), &next_string_, 4);
    std::memcpy(rec.data() + 4, n->second.data(), n->second.size());
    out_.record(IT_EV_STRING, rec.data(), static_cast<uint32_t>(rec.size()));
    ++next_string_;
  }
  return it->second;
}

uint64_t CuptiMerge::gpu_key(const cupti::RingGpu& r) const {
  auto a = alias_.find(key(r.pid, r.correlation));
  return key(r.pid, a == alias_.end() ? r.correlation : a->second);
}

bool CuptiMerge::partner_dropped(const cupti::RingGpu& r) {
  if (dropped_corr_.empty() || !dropped_corr_.count(gpu_key(r))) return false;
  ++st_.gpu_after_stop;
  return true;
}

void CuptiMerge::api(const cupti::RingApi& r) {
  // After the stop, as the recorder's on_sample does with the probes' events (review DF F2: kept,
  // a program still calling CUDA through --stop-grace wrote calls seconds past the window).
  if (stop_ > 0 && r.start > stop_) {
    ++st_.api_after_stop;
    dropped_corr_.insert(key(r.pid, r.correlation));
    return;
  }
  it_api_corr e{};
  e.a.h.type = IT_EV_API;
  e.a.h.cpu = r.cpu >= 0 ? static_cast<uint32_t>(r.cpu) : 0;
  e.a.h.ts = r.start;
  e.a.h.pid = r.pid;
  e.a.h.tid = r.tid;
  e.a.api = api_index(r.api);
  e.a.flags = IT_API_HAS_DUR | IT_API_HAS_CORRELATION | ((r.flags & cupti::kApiHasStream) ? IT_API_HAS_STREAM : 0);
  e.a.dur = r.end >= r.start ? r.end - r.start : 0;
  if (stop_ > 0 && e.a.dur > stop_ - r.start) e.a.dur = stop_ - r.start, ++st_.api_cut_at_stop;
  e.a.stream = r.stream;
  e.correlation = key(r.pid, r.correlation);
  out_.record(IT_EV_API, &e, sizeof(e));
  ++st_.api;
  api_pids_.insert(r.pid);
  // Counted as the reader counts (cupti_callbacks.cpp read_launch_coverage): a launch-class label,
  // and a time the reader keeps. The record summary's coverage then names what `analyze` names.
  if (launch_indices_.count(e.a.api) && itrace::event_time_fits(e.a.h.ts, e.a.dur))
    st_.launches_per_thread[r.tid]++, st_.launches_per_pid[r.pid]++;
}

void CuptiMerge::gpu(const cupti::RingGpu& r, int64_t start, int64_t end) {
  it_gpu e{};
  e.h.type = IT_EV_GPU;
  e.h.ts = static_cast<uint64_t>(start);
  e.h.pid = r.pid;
  e.dur = end >= start ? static_cast<uint64_t>(end - start) : 0;
  e.kind = r.kind;
  e.device = r.device;
  e.stream = r.stream;
  e.correlation = gpu_key(r);
  e.name = r.kind == cupti::kGpuKernel ? kernel_string(r.pid, r.name) : 0;
  e.copy_kind = r.copy_kind;
  for (int i = 0; i < 3; ++i) {
    e.grid[i] = static_cast<uint32_t>(r.grid[i]);
    e.block[i] = static_cast<uint32_t>(r.block[i]);
  }
  e.bytes = r.bytes;
  out_.record(IT_EV_GPU, &e, sizeof(e));
  ++st_.gpu;
}

void CuptiMerge::finish(uint64_t ring_dropped_records, uint64_t ring_dropped_bytes, uint64_t ring_producers) {
  for (auto& [pid, mono] : monotonic_)
    if (mono) out_.meta("cupti.clock." + std::to_string(pid), "timestamp_callback CLOCK_MONOTONIC (no conversion)");
  for (auto& [pid, recs] : held_) {
    const auto fit = fit_clock(clock_[pid]);
    if (!fit) {
      st_.gpu_without_clock += recs.size();
      out_.meta("cupti.clock." + std::to_string(pid), "none: no paired sample, GPU records dropped");
      continue;
    }
    out_.meta("cupti.clock." + std::to_string(pid),
              "paired-sample fit: samples " + std::to_string(fit->samples) + ", slope " + std::to_string(fit->slope) +
                  ", error bound " + std::to_string(static_cast<int64_t>(fit->error_bound_ns + 0.5)) + " ns");
    for (auto& r : recs)
      if (!partner_dropped(r)) gpu(r, fit->map(r.start), fit->map(r.end));
  }
  held_.clear();
  for (auto& r : late_gpu_)
    if (!partner_dropped(r)) gpu(r, static_cast<int64_t>(r.start), static_cast<int64_t>(r.end));
  late_gpu_.clear();
  // A process that recorded API calls but whose RingCallbacks never arrived (the ring was full at
  // its CUDA initialization): its callbacks are unknown, not silently all enabled.
  for (uint32_t pid : api_pids_)
    if (!callbacks_.count(pid)) {
      CuptiCallbackStatus lost;
      lost.pid = pid, lost.known = false;
      callbacks_.emplace(pid, lost);
    }
  for (auto& [pid, s] : callbacks_) {
    for (auto& [k, v] : cupti_callbacks_meta(s)) out_.meta(k, v);
    st_.callbacks.push_back(s);
  }
  st_.coverage = launch_coverage(st_.callbacks, st_.launches_per_pid);
  st_.processes_without_launch_callbacks = st_.coverage.unmeasured_pids.size();
  out_.meta(kCuptiProcessesWithoutLaunchCallbacks, std::to_string(st_.processes_without_launch_callbacks));
  out_.meta("cupti.ring_version", std::to_string(cupti::kRingVersion));
  out_.meta("cupti.processes", std::to_string(st_.processes));
  out_.meta("cupti.processes_with_timestamp_callback", std::to_string(st_.processes_with_timestamp_callback));
  out_.meta("cupti.processes_not_traced", std::to_string(st_.processes_not_traced));
  out_.meta("cupti.api_records", std::to_string(st_.api));
  out_.meta("cupti.gpu_records", std::to_string(st_.gpu));
  out_.meta("cupti.ring_dropped_records", std::to_string(ring_dropped_records));
  out_.meta("cupti.ring_dropped_bytes", std::to_string(ring_dropped_bytes));
  out_.meta("cupti.ring_producers", std::to_string(ring_producers));
  out_.meta("cupti.activity_dropped", std::to_string(st_.activity_dropped));
  out_.meta("cupti.activity_late", std::to_string(st_.activity_late));
  out_.meta("cupti.gpu_without_clock", std::to_string(st_.gpu_without_clock));
  out_.meta("cupti.gpu_without_timestamps", std::to_string(st_.gpu_without_timestamps));
  out_.meta("cupti.api_after_stop", std::to_string(st_.api_after_stop));
  out_.meta("cupti.gpu_after_stop", std::to_string(st_.gpu_after_stop));
  out_.meta("cupti.api_cut_at_stop", std::to_string(st_.api_cut_at_stop));
  out_.meta("cupti.malformed_ring_records", std::to_string(st_.malformed));
  out_.meta("cupti.folded_driver_calls", std::to_string(st_.folded_driver_calls));
}

}  // namespace infertrace
