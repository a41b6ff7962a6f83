#include "trace/recorder_drops.h"

#include <cerrno>
#include <cstdlib>

namespace infertrace {

namespace {

// The whole value must be a base-10 integer: "12abc" or "" is malformed, not 12 or 0.
bool parse_count(const std::string& s, int64_t& n) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  n = v;
  return true;
}

}  // namespace

std::vector<RecorderDrop> recorder_drops(const Trace& t) {
  std::vector<RecorderDrop> out;
  const auto add = [&](std::string key, const std::string& value, DropCause cause) {
    int64_t n = 0;
    if (parse_count(value, n)) out.push_back({std::move(key), n, cause});
  };
  const std::string prefix = "dropped.";
  for (auto it = t.meta.lower_bound(prefix); it != t.meta.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
    add(it->first.substr(prefix.size()), it->second, DropCause::EventRing);
  if (const auto it = t.meta.find("cupti.ring_dropped_records"); it != t.meta.end())
    add("cupti_ring", it->second, DropCause::CuptiRing);
  if (const auto it = t.meta.find("cupti.activity_dropped"); it != t.meta.end())
    add("cupti_activity", it->second, DropCause::CuptiActivity);
  if (const auto it = t.meta.find("cupti.gpu_without_clock"); it != t.meta.end())
    add("cupti_gpu_without_clock", it->second, DropCause::CuptiUnusableGpuRecord);
  if (const auto it = t.meta.find("cupti.gpu_without_timestamps"); it != t.meta.end())
    add("cupti_gpu_without_timestamps", it->second, DropCause::CuptiUnusableGpuRecord);
  // Only a positive count: nothing to say of 0, and older recordings read as before.
  if (const auto it = t.meta.find("cupti.ring_unpublished_slots"); it != t.meta.end()) {
    int64_t n = 0;
    if (parse_count(it->second, n) && n > 0) out.push_back({"cupti_ring_unpublished", n, DropCause::CuptiRingUnpublished});
  }
  // The kernel side's full maps (written since 2026-12-06): only a positive count, as above.
  for (const auto& [meta_key, key] : {std::pair{"untraced.processes", "untraced_processes"},
                                      {"pending_full.syscall", "pending_full_syscall"},
                                      {"pending_full.api", "pending_full_api"},
                                      {"pending_full.fold", "pending_full_fold"}})
    if (const auto it = t.meta.find(meta_key); it != t.meta.end()) {
      int64_t n = 0;
      if (parse_count(it->second, n) && n > 0) out.push_back({key, n, DropCause::MapFull});
    }
  return out;
}

int64_t recorder_lost_total(const Trace& t) {
  int64_t total = 0;
  for (const RecorderDrop& d : recorder_drops(t))
    if (d.count > 0 && d.cause != DropCause::CuptiRingUnpublished) total = saturating_add_drops(total, d.count);
  return total;
}

bool recording_incomplete(const Trace& t) {
  if (t.source != TraceSource::Recording) return false;
  const auto complete = t.meta.find("recording.complete");
  return complete != t.meta.end() && complete->second != "true";
}

std::string incomplete_recording_words(const Trace& t) {
  if (!recording_incomplete(t)) return {};
  const auto cut = t.skipped.find("truncated_tail_bytes");
  if (t.meta.count("recording.tail_ends_in_end_record") && cut != t.skipped.end())
    // The file does end in an END record: "no end record" would be false (review BD L4b).
    return "damaged or cut-off recording: the last " + std::to_string(cut->second) +
           " bytes are a record claiming more bytes than remain, though the file ends in an END record (a damaged "
           "length, or a record cut off whose last bytes read as END); they were left out. The figures cover only "
           "the records before them.";
  if (t.meta.count("recording.zero_filled_tail") && cut != t.skipped.end())
    // Zeros where records should be: the file's size outlived its data (a crash before a flush).
    return "incomplete recording: it ends in zeros (the machine or the file system stopped before the "
           "recording's last writes reached the disk); the last " + std::to_string(cut->second) +
           " bytes, the zeros and the record they begin inside, were left out. The figures cover only the records "
           "before them.";
  std::string note = "incomplete recording (no end record: the recorder was killed or is still writing)";
  if (cut != t.skipped.end() && cut->second > 0)
    note += "; the last " + std::to_string(cut->second) + " bytes, a record cut off while it was written, were left out";
  return note + ". The figures cover only what was recorded up to there.";
}

bool recorder_drops_unknown(const Trace& t) {
  if (!recording_incomplete(t)) return false;
  const auto at = t.meta.lower_bound("dropped.");
  return at == t.meta.end() || at->first.rfind("dropped.", 0) != 0;
}

}  // namespace infertrace
