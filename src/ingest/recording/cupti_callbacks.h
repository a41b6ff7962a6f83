// Which CUDA API callbacks CUPTI enabled or refused in each process of a `record --cuda cupti`
// recording (the injection library's RingCallbacks record, docs/record.md). One place for the META
// keys the recorder's merge writes and the readers parse, and for the words every output uses (the
// record summary, `analyze` text and --json), so they cannot drift apart.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "trace/trace.h"

namespace infertrace {

struct CuptiCallbackStatus {
  uint32_t pid = 0;
  // False when the process's record was lost (the ring full at CUDA initialization) or its META is
  // malformed: which callbacks were enabled is unknown, and the counts below are 0.
  bool known = true;
  uint64_t enabled = 0;         // callbacks CUPTI enabled
  uint64_t launch_enabled = 0;  // of them, launch-class APIs (is_launch(): kernels, graphs, async copies and sets)
  uint64_t refused = 0;         // callbacks CUPTI refused, all of them
  uint64_t launch_refused = 0;  // of them, launch-class APIs (exact, listed or not; see launch_refused_exact)
  // False when launch_refused was derived from a cut list of names (a ring version 2 recording, which
  // has no count of its own, and more refusals than names listed): a lower bound, since the unlisted
  // refusals may hold launch-class APIs. Derived from a whole list it is exact. Its meaning is the
  // same either way: launch-class by is_launch(), async copies and sets included.
  bool launch_refused_exact = true;
  // Of launch_enabled, kernel and graph launch APIs: none, and the process's launch figures are not
  // measured (an async copy alone would read as its only launch). Recordings before this count
  // existed counted only these in launch_enabled.
  uint64_t kernel_launch_enabled = 0;
  std::vector<std::string> refused_names;  // the first ones, as CUPTI names them
  // Refused callbacks whose names the bounded ring record could not carry (refused - listed).
  uint64_t unlisted() const { return refused - refused_names.size(); }
  // No kernel or graph launch callback: the process's launch counts are not measured (a 0 there,
  // or copies alone, are no measurement), whatever else was recorded.
  bool launches_measured() const { return known && kernel_launch_enabled > 0; }
};

// META keys, per process: cupti.callbacks.<pid>.enabled, .launch_enabled, .kernel_launch_enabled, .refused, .launch_refused
// (counts) and .refused_names (the listed names, comma-separated), or .lost alone (a traced process
// that recorded API calls but whose record never arrived); and cupti.processes_without_launch_callbacks.
std::string cupti_callbacks_key(uint32_t pid, const char* field);
inline constexpr const char* kCuptiProcessesWithoutLaunchCallbacks = "cupti.processes_without_launch_callbacks";

// The META pairs describing `s` (written by the merge at the end of a recording).
std::vector<std::pair<std::string, std::string>> cupti_callbacks_meta(const CuptiCallbackStatus& s);

// Every process of the recording with callback information, by pid, unknown ones (lost record,
// malformed META) included with known false. Empty for traces without it (Kineto, uprobe mode,
// recordings made before ring version 2).
std::vector<CuptiCallbackStatus> cupti_callback_statuses(const Trace& t);

// The one rule: which processes' launch figures are unmeasured or partial, and the words for it
// (trace/launch_coverage.h). `launch_calls` gives the launch calls recorded per pid: a process
// whose callbacks are unknown counts as measured-but-partial when it recorded some, as unmeasured
// when it recorded none (its 0 may be no measurement).
LaunchCoverage launch_coverage(const std::vector<CuptiCallbackStatus>& all, const std::map<uint32_t, int64_t>& launch_calls);
// The same from a trace's META and API table (the reader of a recording stores it in the Trace).
LaunchCoverage read_launch_coverage(const Trace& t);

// The line every output prints for `s` when CUPTI refused something (none otherwise):
//   "CUPTI refused 3 callbacks in pid P, not recorded: a, b, c"  (+ ", and N more not listed")
std::vector<std::string> cupti_callback_notes(const CuptiCallbackStatus& s);

// When some launch calls were not recorded (coverage unmeasured or partial), what the per-API rows
// and the orphan GPU activity count are: counts of what was recorded, not of what the application
// did (a missing launch API row is no proof of no call, its GPU work is orphan by the gap, not by a
// correlation fault). "" when every launch call was recorded, so those outputs stay as they were.
std::string recorded_calls_note(const LaunchCoverage& c);
// The orphan GPU activities' meaning in the same case ("" otherwise: the outputs keep their own).
std::string orphan_activities_meaning(const LaunchCoverage& c);

// The lines every output prints about a recording's callbacks: the refusals per process
// (cupti_callback_notes), then the coverage's unmeasured reason and partial note.
std::vector<std::string> cupti_coverage_lines(const std::vector<CuptiCallbackStatus>& all, const LaunchCoverage& c);

}  // namespace infertrace
