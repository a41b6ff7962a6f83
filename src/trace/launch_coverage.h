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
};

}  // namespace infertrace
