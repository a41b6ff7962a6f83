#include "cli/load_noting.h"

#include <iostream>

namespace infertrace::cli {

std::string incomplete_recording_note(const Trace& t) {
  if (t.source != TraceSource::Recording) return {};
  const auto complete = t.meta.find("recording.complete");
  if (complete == t.meta.end() || complete->second == "true") return {};
  std::string note = t.file + ": incomplete recording (no end record: the recorder was killed or is still writing)";
  const auto cut = t.skipped.find("truncated_tail_bytes");
  if (cut != t.skipped.end() && cut->second > 0)
    note += "; the last " + std::to_string(cut->second) + " bytes, a record cut off while it was written, were left out";
  return note + ". The figures cover only what was recorded up to there.";
}

Trace load_trace_noting(const std::string& path, const LoadOptions& opts) {
  Trace t = load_trace(path, opts);
  if (const std::string note = incomplete_recording_note(t); !note.empty()) std::cerr << "infertrace: note: " << note << "\n";
  return t;
}

}  // namespace infertrace::cli
