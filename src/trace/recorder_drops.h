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
  // A producer (a process of the tree) was killed between claiming CUPTI ring slots and publishing
  // them: the consumer stops at the first unpublished slot, so what was written after it in the ring
  // is not read either. The count is of 64-byte slots, from the first unpublished one to the ring's
  // head (those published after it included), and a record takes one or more: it holds AT
  // MOST that many records (an upper bound, never stated as an exact loss). No option sizes it; a
  // larger --expected-rate does not help.
  CuptiRingUnpublished,
  // A map of the recorder's kernel side was full (record.bpf.c), so its insert failed: a new process
  // of the traced tree was not traced, nor anything it started ("untraced_processes", META
  // untraced.processes; --max-processes sizes the set), or a call's entry was not kept, so the call
  // was not recorded ("pending_full_syscall", "pending_full_api") or a runtime launch's driver call
  // may be recorded as a launch of its own ("pending_full_fold"; META pending_full.<name>;
  // --max-threads sizes those maps). Not buffers: --expected-rate does not help. Exact counts; the
  // first is of processes, the others of calls.
  MapFull,
};

struct RecorderDrop {
  // The event type for dropped.<type>; "cupti_ring", "cupti_activity", "cupti_gpu_without_clock",
  // "cupti_gpu_without_timestamps" or "cupti_ring_unpublished" (a slot count: up to that many records);
  // "untraced_processes" (a process count), "pending_full_syscall", "pending_full_api" or
  // "pending_full_fold" (DropCause::MapFull).
  std::string key;
  int64_t count = 0;
  DropCause cause = DropCause::EventRing;
};

// Every drop counter the META holds, zeros included: dropped.<type> in META order (sorted by
// type), then cupti_ring, cupti_activity, cupti_gpu_without_clock and cupti_gpu_without_timestamps,
// each when the recording has it (CUPTI mode), then cupti_ring_unpublished only when
// `cupti.ring_unpublished_slots` is above 0 (a clean run and a recording older than the reader of it
// look as before), then the MapFull counters above 0 (untraced_processes, pending_full_syscall,
// pending_full_api, pending_full_fold; likewise absent at 0). A value that
// is not an integer is left out, as the reader leaves any malformed META value alone. Empty for a
// trace without such META (Kineto).
std::vector<RecorderDrop> recorder_drops(const Trace& t);

// a + b, held at INT64_MAX (INT64_MIN): counts come from a file's META text, and a corrupt one
// near INT64_MAX must not overflow a sum (header-only, so modules that only add counts need no link).
inline int64_t saturating_add_drops(int64_t a, int64_t b) {
  int64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? (b < 0 ? INT64_MIN : INT64_MAX) : r;
}

// The sum of the positive exact counts of recorder_drops(t): 0 when nothing was lost. The CUPTI
// ring's unpublished slots (CuptiRingUnpublished) are kept apart, as they bound the records lost
// rather than count them (recorder_drops lists them, cupti_ring_unpublished). The MapFull counts
// are in it (a process not traced counts once: at least that much was lost).
int64_t recorder_lost_total(const Trace& t);

// Whether the trace is a recording that is not complete (META recording.complete "false": the
// recorder was killed or is still writing, or the file was cut off; docs/recording-format.md).
bool recording_incomplete(const Trace& t);

// What an incomplete recording lacks, in words, without the file's name (the verbs' stderr note
// prefixes it; sched --json keeps it as `incomplete_note`, so a page made from a saved analysis
// says it too: review HR M2); "" for a complete recording or a trace that is no recording.
std::string incomplete_recording_words(const Trace& t);

// Whether the recorder's loss counters are unknown: an incomplete recording without any
// `dropped.<type>` in its META (the recorder writes them at its end, which a killed one never
// reached). Its losses are then unknown, not 0 (review HR M1): recorder_drops(t) is empty, and
// every count or bound taken from it is only what the file shows.
bool recorder_drops_unknown(const Trace& t);

// How every output says such a count (sched's text, compare's text and notes, the HTML page).
inline constexpr const char* kLossCountsUnknown = "unknown (the recorder wrote no loss counters: killed before its end?)";

}  // namespace infertrace
