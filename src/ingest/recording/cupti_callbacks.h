// Which CUDA API callbacks CUPTI enabled or refused in each process of a `record --cuda cupti`
// recording (the injection library's RingCallbacks record, docs/record.md). One place for the META
// keys the recorder's merge writes and the readers parse, and for the words every output uses (the
// record summary, `analyze` text and --json), so they cannot drift apart.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trace/trace.h"

namespace infertrace {

struct CuptiCallbackStatus {
  uint32_t pid = 0;
  uint64_t enabled = 0;         // callbacks CUPTI enabled
  uint64_t launch_enabled = 0;  // of them, kernel or graph launch APIs
  uint64_t refused = 0;         // callbacks CUPTI refused, all of them
  std::vector<std::string> refused_names;  // the first ones, as CUPTI names them
  // Refused callbacks whose names the bounded ring record could not carry (refused - listed).
  uint64_t unlisted() const { return refused - refused_names.size(); }
  // No kernel or graph launch callback: the process's launch counts are not measured (a 0 there
  // is no measurement), whatever else was recorded.
  bool launches_measured() const { return launch_enabled > 0; }
};

// META keys, per process: cupti.callbacks.<pid>.enabled, .launch_enabled, .refused (counts) and
// .refused_names (the listed names, comma-separated); and cupti.processes_without_launch_callbacks.
std::string cupti_callbacks_key(uint32_t pid, const char* field);
inline constexpr const char* kCuptiProcessesWithoutLaunchCallbacks = "cupti.processes_without_launch_callbacks";

// The META pairs describing `s` (written by the merge at the end of a recording).
std::vector<std::pair<std::string, std::string>> cupti_callbacks_meta(const CuptiCallbackStatus& s);

// Every process of the recording with callback information, by pid. Empty for traces without it
// (Kineto, uprobe mode, recordings made before ring version 2); a process whose counts are not
// integers is left out, as the reader leaves malformed META alone.
std::vector<CuptiCallbackStatus> cupti_callback_statuses(const Trace& t);

// The processes whose launch counts are not measured (no launch callback enabled), by pid.
std::vector<uint32_t> pids_without_launch_callbacks(const std::vector<CuptiCallbackStatus>& all);

// The lines every output prints for `s` (none when CUPTI refused nothing and launches are measured):
//   "CUPTI refused 3 callback(s) in pid P, not recorded: a, b, c"  (+ ", and N more not listed")
//   "no launch callback enabled: launch counts for pid P are not measured"
std::vector<std::string> cupti_callback_notes(const CuptiCallbackStatus& s);

// Why the launch figures are null: "no launch callback enabled: launch counts for pid P[, Q] are not measured".
std::string launch_not_measured_reason(const std::vector<uint32_t>& pids);

}  // namespace infertrace
