// load_trace() for the verbs, saying on stderr when a recording is incomplete: the recorder was
// killed (or is still writing), so the figures cover only what it wrote up to then. The reader
// keeps such a prefix on purpose (docs/recording-format.md); a user must still be told. So must they
// when the recorder lost events (its ring buffer full): the counts of those types are lower bounds,
// while rates and launch-pair figures may be off either way.
#pragma once

#include <iosfwd>
#include <string>

#include "ingest/load.h"

namespace infertrace::cli {

// The note for an incomplete recording (empty for a complete one or a Kineto trace).
std::string incomplete_recording_note(const Trace& t);

// The note for a recording whose recorder lost events (META dropped.<type>, CUPTI's ring and
// activity drops); empty when none were lost.
std::string dropped_events_note(const Trace& t);

// The note for a recording whose recorder's kernel-side maps were full (recorder_drops' MapFull:
// META untraced.processes, pending_full.*): which processes were not traced, how many calls were not
// recorded, and the option that sizes each map; empty when none was full.
std::string map_full_note(const Trace& t);

// The note for a CUPTI recording whose launch calls were not all recorded (CUPTI refused launch
// callbacks, or a process's record of them was lost): which pids and APIs, and that unmeasured
// launch figures are shown as unknown, partial ones as lower bounds (trace/launch_coverage.h).
// Empty when every launch was measured.
std::string launch_coverage_note(const Trace& t);

// The note for a `record -- CMD` recording whose command exited leaving processes of its tree
// running (META command.left_running above 0, command.left_running_pids): nothing they did after
// the command's exit is in it (review SG L5). Empty otherwise, and for a META value that does not
// read as a count.
std::string left_running_note(const Trace& t);

// load_trace(path, opts), then incomplete_recording_note(), dropped_events_note(), map_full_note(),
// launch_coverage_note() and left_running_note() on stderr when there are any.
Trace load_trace_noting(const std::string& path, const LoadOptions& opts = {});
// The same for bytes read already (load_trace(InputBuffer, ...)).
Trace load_trace_noting(InputBuffer in, const std::string& path, const LoadOptions& opts = {});

}  // namespace infertrace::cli
