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
  // Where the excerpt starts: at the first event that starts this long after the trace's first
  // event (0: the first event; `report --timeline-at`). Events that started earlier and are still
  // running there are drawn too, cut at the window's left edge (review LR L2: only the start-up
  // could be seen).
  ns_t from_offset = 0;
};

struct Timeline {
  std::string svg;  // empty when the trace has no events to draw
  ns_t begin = 0, end = 0;
  size_t events = 0, flows = 0, lanes = 0;
  ns_t trace_begin = 0;       // the trace's first event start (the offsets count from it)
  ns_t trace_last_start = 0;  // its last event start: an offset past it leaves nothing to draw
  bool past_end = false;      // from_offset is past every event start (svg empty)
  size_t started_before = 0;  // of `events`, those that started before the window (from_offset)
};

Timeline render_timeline(const Trace& trace, const TimelineOptions& opt = {});

}  // namespace infertrace::html
