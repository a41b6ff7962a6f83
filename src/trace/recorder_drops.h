// The events a recorder lost, read from a recording's META (docs/recording-format.md): the eBPF
// ring's per-type `dropped.<type>`, the CUPTI ring's `cupti.ring_dropped_records`, CUPTI's own
// `cupti.activity_dropped` and the GPU records the CUPTI merge left out as unusable
// (`cupti.gpu_without_clock`, `cupti.gpu_without_timestamps`). One reader for every place that reports them (the verbs' stderr note,
// `sched.dropped` in the JSON, bench interference), so they cannot come to disagree.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trace/trace.h"

namespace infertrace {

// Where the events were lost; each has its own remedy.
enum class DropCause {
  EventRing,      // the recorder's BPF ring buffer was full (sized by --expected-rate)
  CuptiRing,      // the CUPTI ring in /dev/shm was full (sized by --expected-rate)
  CuptiActivity,  // CUPTI dropped activity records itself (its own buffers; no option sizes them)
  // CUPTI delivered these GPU records, but the merge could not place them in time and left them out
  // (no start or end time, or a raw GPU clock its process sent no sample to map): no buffer to size.
  CuptiUnusableGpuRecord,
};

struct RecorderDrop {
  // The event type for dropped.<type>; "cupti_ring", "cupti_activity", "cupti_gpu_without_clock" or
  // "cupti_gpu_without_timestamps".
  std::string key;
  int64_t count = 0;
  DropCause cause = DropCause::EventRing;
};

// Every drop counter the META holds, zeros included: dropped.<type> in META order (sorted by
// type), then cupti_ring, cupti_activity, cupti_gpu_without_clock and cupti_gpu_without_timestamps,
// each when the recording has it (CUPTI mode). A value that
// is not an integer is left out, as the reader leaves any malformed META value alone. Empty for a
// trace without such META (Kineto).
std::vector<RecorderDrop> recorder_drops(const Trace& t);

// The sum of the positive counts of recorder_drops(t): 0 when nothing was lost.
// a + b, held at INT64_MAX (INT64_MIN): counts come from a file's META text, and a corrupt one
// near INT64_MAX must not overflow a sum (header-only, so modules that only add counts need no link).
inline int64_t saturating_add_drops(int64_t a, int64_t b) {
  int64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? (b < 0 ? INT64_MIN : INT64_MAX) : r;
}

int64_t recorder_lost_total(const Trace& t);

}  // namespace infertrace
