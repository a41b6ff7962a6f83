// The zoomable timeline excerpt of the HTML report: lanes for CPUs (traced threads' on-CPU
// slices, IRQs), threads (operators, CUDA API calls, syscalls) and GPU streams, with a line from
// each launch call to the GPU work it started. Drawn as SVG in time coordinates; the report's
// script zooms (wheel) and pans (drag) by changing the viewBox, so nothing is recomputed in JS.
#pragma once

#include <cstddef>
#include <string>

#include "trace/trace.h"

namespace infertrace::html {

struct TimelineOptions {
  size_t max_events = 3000;  // the excerpt: this many events from the start of the busy period
  int width = 1100;
};

struct Timeline {
  std::string svg;  // empty when the trace has no events to draw
  ns_t begin = 0, end = 0;
  size_t events = 0, flows = 0, lanes = 0;
};

Timeline render_timeline(const Trace& trace, const TimelineOptions& opt = {});

}  // namespace infertrace::html
