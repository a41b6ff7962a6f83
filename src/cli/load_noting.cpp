#include "cli/load_noting.h"

#include <cstdint>
#include <exception>
#include <iostream>
#include <string>

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

std::string dropped_events_note(const Trace& t) {
  if (t.source != TraceSource::Recording) return {};
  std::string what;
  int64_t total = 0;
  const auto add = [&](const std::string& label, const std::string& key) {
    const auto it = t.meta.find(key);
    if (it == t.meta.end()) return;
    int64_t n = 0;
    try {
      n = std::stoll(it->second);
    } catch (const std::exception&) {
      return;
    }
    if (n <= 0) return;
    total += n;
    what += (what.empty() ? "" : ", ") + label + " " + std::to_string(n);
  };
  // META keys are sorted: dropped.api, dropped.irq, ... (docs/recording-format.md).
  for (auto it = t.meta.lower_bound("dropped."); it != t.meta.end() && it->first.rfind("dropped.", 0) == 0; ++it)
    add(it->first.substr(8), it->first);
  add("CUPTI ring records", "cupti.ring_dropped_records");
  add("CUPTI activity records", "cupti.activity_dropped");
  if (total == 0) return {};
  return t.file + ": the recorder lost " + std::to_string(total) + " events (" + what +
         "): its buffers were full. Counts, rates and profiles of those event types are lower bounds; record "
         "again with a larger --expected-rate.";
}

Trace load_trace_noting(const std::string& path, const LoadOptions& opts) {
  Trace t = load_trace(path, opts);
  if (const std::string note = incomplete_recording_note(t); !note.empty()) std::cerr << "infertrace: note: " << note << "\n";
  if (const std::string note = dropped_events_note(t); !note.empty()) std::cerr << "infertrace: note: " << note << "\n";
  return t;
}

}  // namespace infertrace::cli
