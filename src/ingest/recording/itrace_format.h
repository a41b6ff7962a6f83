// The .itrace recording file (docs/recording-format.md): a 16-byte file header, then records, each
// an 8-byte record header (type, payload length) and its payload. Event payloads are the structs of
// record/bpf/record_events.h exactly as the kernel wrote them into the ring buffer.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "record/bpf/record_events.h"

namespace infertrace::itrace {

inline constexpr char kMagic[8] = {'I', 'N', 'F', 'T', 'R', 'A', 'C', 'E'};
// Version 2 added GPU and STRING records and the correlation tail of API records (CUPTI mode).
// The reader accepts every version from kOldestVersion on; the writer writes kVersion.
inline constexpr uint32_t kVersion = 2;
inline constexpr uint32_t kOldestVersion = 1;
inline constexpr uint32_t kFileHeaderBytes = 16;  // magic, u32 version, u32 header size
inline constexpr uint32_t kRecordHeaderBytes = 8;  // u32 type, u32 payload length
// A record longer than this is corrupt (the largest real one is a META value, a few KB).
inline constexpr uint32_t kMaxRecordBytes = 1u << 20;

// A u32 of the file at any alignment (the file's fields are little-endian, as this machine).
inline uint32_t u32_at(const unsigned char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Smallest payload the reader accepts for each record type; newer writers may append fields.
inline uint32_t min_payload(uint32_t type) {
  switch (type) {
    case IT_EV_META: return 4;
    case IT_EV_API: return sizeof(it_api);
    case IT_EV_SWITCH: return sizeof(it_switch);
    case IT_EV_WAKEUP: return sizeof(it_wakeup);
    case IT_EV_IRQ: return sizeof(it_irq);
    case IT_EV_SYSCALL: return sizeof(it_syscall);
    case IT_EV_TASK: return sizeof(it_task);
    case IT_EV_FDNAME: return sizeof(it_fdname);
    case IT_EV_SYSCALL_COUNT: return sizeof(it_syscall_count);
    case IT_EV_END: return 0;
    case IT_EV_GPU: return sizeof(it_gpu);
    case IT_EV_STRING: return 4;
    case IT_EV_LOSS: return sizeof(it_loss);
    case IT_EV_UNTRACED: return sizeof(it_task);
    default: return 0;
  }
}

// The event types the recorder can lose, in column order, from the one list (IT_LOSSABLE_EVENTS in
// record_events.h): the per-type columns of loss_windows.csv and SQLite's loss_window.
struct LossableEvent {
  uint32_t type;
  const char* name;
};
#define INFERTRACE_LOSSABLE_ROW(type, name) LossableEvent{type, name},
inline constexpr LossableEvent kLossableEvents[] = {IT_LOSSABLE_EVENTS(INFERTRACE_LOSSABLE_ROW)};
#undef INFERTRACE_LOSSABLE_ROW

// The BPF side counts a lost event in lost[type & (IT_LOSS_SLOTS - 1)] and its stat at
// IT_STAT_LOST_BASE + type: every lossable type must have both to itself.
constexpr bool lossable_types_fit() {
  for (const LossableEvent& e : kLossableEvents)
    if (e.type == 0 || e.type >= IT_EV_NTYPES || e.type >= IT_LOSS_SLOTS || IT_STAT_LOST_BASE + e.type >= IT_STAT_COUNT)
      return false;
  return true;
}
static_assert(lossable_types_fit(), "a lossable event type without its LOSS slot or lost-events stat");

// The name META dropped.<name> gives a lossable event type; nullptr for a type never lost.
constexpr const char* lossable_event_name(uint32_t type) {
  for (const LossableEvent& e : kLossableEvents)
    if (e.type == type) return e.name;
  return nullptr;
}

// The key of a LOSS record's count of `type`, the same as its META dropped.<name> (the recorder's
// event_name); "type_N" for a type the recorder never drops.
inline std::string event_type_key(uint32_t type) {
  if (const char* n = lossable_event_name(type)) return n;
  return "type_" + std::to_string(type);
}

// Whether the reader keeps an event at `ts` lasting `dur`: times are u64 in the file and int64 in the
// Trace, so a time (or time + duration) past INT64_MAX is left out (counted "time_out_of_range").
// The recorder's merge asks the same before it counts a launch, so that the record summary and the
// reader count the same calls (review AR, L2).
inline bool event_time_fits(uint64_t ts, uint64_t dur) {
  return ts <= static_cast<uint64_t>(INT64_MAX) && dur <= static_cast<uint64_t>(INT64_MAX) - ts;
}

static_assert(sizeof(it_hdr) == 24 && sizeof(it_api) == 72 && sizeof(it_switch) == 80 &&
                  sizeof(it_wakeup) == 56 && sizeof(it_irq) == 72 && sizeof(it_irq_ctx) == 80 && sizeof(it_syscall) == 48 &&
                  sizeof(it_task) == 48 && sizeof(it_task_state) == 56 && sizeof(it_syscall_count) == 24 && sizeof(it_api_corr) == 80 &&
                  sizeof(it_gpu) == 96 && sizeof(it_loss) == 160,
              "record layouts are the file format: update docs/recording-format.md and kVersion");

// META untraced.pids: the first kUntracedPidsListed processes of the UNTRACED records, comma-joined
// (one META value; the exact count is untraced.processes). Written by the recorder at its stop, and
// by the reader for a recording cut before it, by this one rule.
inline constexpr size_t kUntracedPidsListed = 64;
inline std::string untraced_pids_meta(const std::vector<int64_t>& pids) {
  std::string s;
  for (size_t i = 0; i < pids.size() && i < kUntracedPidsListed; ++i) s += (i ? "," : "") + std::to_string(pids[i]);
  return s;
}

}  // namespace infertrace::itrace
