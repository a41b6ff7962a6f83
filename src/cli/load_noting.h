// load_trace() for the verbs, saying on stderr when a recording is incomplete: the recorder was
// killed (or is still writing), so the figures cover only what it wrote up to then. The reader
// keeps such a prefix on purpose (docs/recording-format.md); a user must still be told.
#pragma once

#include <iosfwd>
#include <string>

#include "ingest/load.h"

namespace infertrace::cli {

// The note for an incomplete recording (empty for a complete one or a Kineto trace).
std::string incomplete_recording_note(const Trace& t);

// load_trace(path, opts), then incomplete_recording_note() on `err` when there is one.
Trace load_trace_noting(const std::string& path, const LoadOptions& opts = {});

}  // namespace infertrace::cli
