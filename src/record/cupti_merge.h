// Turns CUPTI ring records (cupti_records.h) into .itrace records as the recorder drains the ring:
// API calls become IT_EV_API records with the correlation tail (their names get api.<n> META
// indices after the uprobe table's), GPU activities become IT_EV_GPU records, kernel names become
// IT_EV_STRING records interned across processes. Correlation ids are made unique across processes
// as (pid << 32) | id. GPU times on the raw CUPTI clock (no timestamp callback) are held back per
// process and converted at finish() with the clock fit of that process's paired samples. Each
// process's enabled and refused callbacks become cupti.callbacks.<pid>.* META at finish().
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ingest/recording/cupti_callbacks.h"
#include "record/clock_fit.h"
#include "record/cupti_records.h"

namespace infertrace {

class ItraceWriter;

struct CuptiMergeStats {
  uint64_t api = 0, gpu = 0, names = 0, aliases = 0, clock_samples = 0;
  uint64_t malformed = 0;              // ring records too short for their type, or naming pid/tid 0
  uint64_t gpu_without_clock = 0;      // raw-clock GPU records of a process with no clock sample: dropped
  uint64_t gpu_without_timestamps = 0;  // GPU records CUPTI gave no start or end time (0): dropped
  uint64_t processes = 0;              // processes that reported RingInfo
  uint64_t processes_with_timestamp_callback = 0;
  uint64_t processes_not_traced = 0;  // RingInfo with a status other than traced (docs/record.md)
  uint64_t folded_driver_calls = 0, activity_dropped = 0;  // summed over processes (at their exit)
  std::map<uint64_t, uint64_t> launches_per_thread;         // tid -> launch calls
  std::map<uint32_t, int64_t> launches_per_pid;             // pid -> launch calls
  // Per process that sent one (RingCallbacks), by pid: the callbacks CUPTI enabled and refused; and
  // a process that recorded API calls without one (its record lost: known false).
  std::vector<CuptiCallbackStatus> callbacks;
  uint64_t processes_without_launch_callbacks = 0;  // of those, launches not measured (the coverage's pids)
  LaunchCoverage coverage;                          // launch_coverage() of them (set by finish())
  // After set_stop() (docs/record.md, "The stop"): API calls that started after the stop, left out;
  // GPU records of those calls (their correlation partners), left out with them; calls in progress
  // at the stop, their durations cut at it.
  uint64_t api_after_stop = 0, gpu_after_stop = 0, api_cut_at_stop = 0;
  // Records in buffers CUPTI handed over after a process's exit flush, freed unread
  // (RingInfo status kInfoLateRecords): lost, but not to a full buffer.
  uint64_t activity_late = 0;
};

class CuptiMerge {
 public:
  // first_api_index: the first api.<n> index not used by the uprobe API table.
  CuptiMerge(ItraceWriter& out, uint32_t first_api_index) : out_(out), next_api_(first_api_index) {}

  // One ring record (the callback of cupti::Ring::drain).
  void consume(uint32_t type, const unsigned char* payload, uint32_t len);
  // Converts and writes held-back raw-clock GPU records, then META keys describing the clock
  // method per process (`cupti.clock.<pid>`), and the counters. Call once, after the last drain.
  void finish(uint64_t ring_dropped_records, uint64_t ring_dropped_bytes, uint64_t ring_producers);
  const CuptiMergeStats& stats() const { return st_; }
  // The recording's stop on CLOCK_MONOTONIC (0: none yet). From then on an API call that starts
  // after it is left out and counted (api_after_stop) and one in progress at it ends there
  // (api_cut_at_stop), as the recorder does with the probes' events; a GPU record is kept exactly
  // when its API call is (GPU work queued before the stop stays, even when it runs after it).
  void set_stop(uint64_t stop_ns) { stop_ = stop_ns; }

 private:
  void api(const cupti::RingApi& r);
  void gpu(const cupti::RingGpu& r, int64_t start, int64_t end);
  void name(const cupti::RingName& r, std::string_view text);
  bool callbacks(const unsigned char* payload, uint32_t len);
  uint32_t api_index(uint32_t id);
  uint32_t kernel_string(uint32_t pid, uint32_t id);

  ItraceWriter& out_;
  uint32_t next_api_;
  uint32_t next_string_ = 1;
  CuptiMergeStats st_;
  std::unordered_map<uint32_t, std::string> api_names_;      // api id -> name (same in every process)
  std::unordered_map<std::string, uint32_t> api_index_;      // name -> api.<n>
  std::set<uint32_t> launch_indices_;                        // api.<n> whose name is launch-class
  std::unordered_map<uint64_t, std::string> kernel_names_;   // (pid, kernel id) -> name
  std::unordered_map<std::string, uint32_t> string_ids_;     // name -> IT_EV_STRING id
  std::unordered_map<uint64_t, uint32_t> alias_;             // (pid, driver corr) -> runtime corr
  std::map<uint32_t, std::vector<ClockSample>> clock_;       // pid -> samples
  std::map<uint32_t, bool> monotonic_;                       // pid -> timestamp callback active
  std::map<uint32_t, std::vector<cupti::RingGpu>> held_;     // pid -> raw-clock GPU records
  std::map<uint32_t, CuptiCallbackStatus> callbacks_;        // pid -> its RingCallbacks
  std::set<uint32_t> api_pids_;                              // pids that sent an API record
  uint64_t stop_ = 0;                                        // set_stop()
  std::unordered_set<uint64_t> dropped_corr_;                // (pid, corr) of API calls left out after the stop
  std::vector<cupti::RingGpu> late_gpu_;                     // monotonic GPU records starting after the stop
  uint64_t gpu_key(const cupti::RingGpu& r) const;
  bool partner_dropped(const cupti::RingGpu& r);
};

}  // namespace infertrace
