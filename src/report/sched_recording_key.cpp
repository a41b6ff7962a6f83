#include "report/sched_recording_key.h"

#include <filesystem>

namespace infertrace {

// The key names the recording, not what an analysis found in it. Its file name (not the path: a
// saved document holds the path as typed where `sched` ran, which need not resolve from here) and
// the span of its events to the nanosecond (on the recorder's monotonic clock) are what two
// different recordings do not share. Counts are left out: they are results, and their encoding
// changes between versions of the analysis while the recording stays the same. A count of events
// the recording did not ask for was 0 in documents saved before 2026-12-03 and is null since; the
// launches of a recording that did not measure them were a count before 2026-12-02 and are null
// since. Keyed on such counts, a recording (analysed here, now) and its analysis saved earlier
// stopped matching at each of those changes, and were shown twice.
std::string sched_recording_key(const nlohmann::json& doc) {
  if (!doc.is_object() || doc.value("kind", nlohmann::json()) != "sched") return "";
  std::string key;
  for (const char* k : {"t_begin_ns", "t_end_ns"}) {
    const auto v = doc.find(k);
    if (v == doc.end() || !v->is_number_integer()) return "";
    key += std::to_string(v->get<int64_t>()) + "\n";
  }
  const auto src = doc.find("source");
  if (src == doc.end() || !src->is_string()) return "";
  return key + std::filesystem::path(src->get<std::string>()).filename().string();
}

}  // namespace infertrace
