// Whether a trace's launch calls (every call is_launch() counts: kernel and graph launches, async
// copies and sets) were recorded at all, and whether some of their APIs were left out. A CUPTI
// recording knows per process which callbacks CUPTI refused (docs/record.md, "Launch figures");
// the reader of a recording fills this in (ingest/recording/cupti_callbacks.h: the one rule), and
// every output reads it from the Trace: a launch figure of an unmeasured process is no measurement
// (null, "-", no verdict drawn from it), a partial one leaves out the named APIs' calls (a note).
// Other traces (Kineto, uprobe mode, recordings without the information) stay "measured".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace infertrace {

struct LaunchCoverage {
  // Processes whose launch calls were not recorded: no launch-class callback enabled, or their
  // callback record lost or malformed and no launch call recorded either.
  std::vector<uint32_t> unmeasured_pids;
  // Why the launch figures are unknown ("" when every process's launches were measured).
  std::string unmeasured_reason;
  // Processes where some launch-class callbacks were refused (or whose refusals are unknown) while
  // others were recorded: their launch figures are lower bounds.
  std::vector<uint32_t> partial_pids;
  // Which APIs' calls the figures leave out ("" when none).
  std::string partial_note;

  bool measured() const { return unmeasured_pids.empty(); }
  bool partial() const { return !partial_pids.empty(); }

  // partial_pids and partial_note are made of two parts: CUPTI's refused or unknown callbacks (the
  // two below) and the CUDA libraries the recorder probed late (late_probes: META
  // library.<n>.probed_late_ns), which compose_partial() joins. Kept apart so that a window that
  // starts at or after a probe (analysis/trace_window.h) drops that probe alone (review DH L6).
  std::vector<uint32_t> cupti_partial_pids;
  std::string cupti_partial_note;
  struct LateProbe {
    int64_t probed_ns = 0;  // on the trace's clock: launches made through the library before it are not recorded
    uint32_t pid = 0;       // the process that had mapped it (0: not recorded)
    std::string words;      // "pid P: the calls made through LIB before it was probed (...)"
  };
  std::vector<LateProbe> late_probes;
};

// Sets partial_pids and partial_note from the CUPTI part and the late probes: a late probe's pid
// joins the partial ones (unless it is partial or unmeasured already; 0 when no pid was recorded
// and nothing else is partial), its words the note ("launch figures are partial: they leave out,
// in WORDS; in WORDS ...").
void compose_partial(LaunchCoverage& c);

// Drops the late probes at or before `from` (a window starting then holds every launch made
// through those libraries) and composes the rest again. Returns whether one was dropped.
bool drop_late_probes_before(LaunchCoverage& c, int64_t from);

}  // namespace infertrace
