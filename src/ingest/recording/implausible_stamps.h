// Times and CPUs that no record the recorder writes can hold, found once the whole file is read:
// a record overwritten in the middle of a complete recording (review SC M1: 8 bytes of 0xff gave one
// API record a stamp 2.7 days past the recording's end and CPU -65535 on a 2-CPU machine; `sched`
// widened its wall to 2.7 days and said "the scheduler cost 0.00% of wall time", exit 0).
//
// Both limits come from META written at the end of the file (docs/recording-format.md), so the
// reader keeps, while it reads, only the earliest and latest host stamp and the highest CPU with
// their records' offsets, and judges them after the last record:
//   - a host event (API, SWITCH, WAKEUP, IRQ, SYSCALL, TASK) is stamped inside the recording's
//     window `recorded_from_ns`..`recorded_to_ns` but for edges: a final switch-out after the exit's
//     stamp, an attach stamp, a killed recorder's last 0.25 s, and, longest, the events of processes
//     the command left running, kept until the probes detach (11-20 s with per-function uprobes:
//     docs/benchmarks.md), and CUPTI API records of a program still calling CUDA during the stop's
//     --stop-grace steps (review DF F1, F2: a 10 s slack refused such real recordings). One outside
//     it by more than the slack below is not an event. GPU records are left out (GPU work may end
//     after the stop).
//   - every CPU field the kernel fills (the header's CPU of those records, a wake-up's target CPU)
//     is below META `cpus`, or, as that count is libbpf's count of possible CPUs (not the highest id
//     plus one where the possible list has gaps, review DF F3), below the largest CPU count a Linux
//     kernel can be built for. A record written by CUPTI whose sched_getcpu() failed reads CPU 0 (the
//     merge writes 0 for it).
// A recording without a window (made before 2026-12-05) or without `cpus` gets no such check.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace infertrace::itrace {

// Stamps this far outside the window are corrupt: an hour, or the window's length when longer. A
// real edge is microseconds to tens of seconds; a damaged stamp is usually days or years away.
inline constexpr int64_t kStampSlackNs = 3'600'000'000'000;
// CONFIG_NR_CPUS cannot exceed this on any architecture Linux supports (x86 MAXSMP: 8192).
inline constexpr uint32_t kMaxKernelCpus = 8192;

class StampBounds {
 public:
  // One event record of `type` (payload `p`, long enough for its type) at file offset `off`.
  void observe(uint32_t type, const unsigned char* p, size_t off);
  // Throws InputError (naming `name` and the record's offset) when a stamp lies outside META's
  // window by more than the slack, or a CPU is not below META `cpus`.
  void check(const std::map<std::string, std::string>& meta, const std::string& name) const;

 private:
  void see_cpu(uint32_t cpu, uint32_t type, size_t off);

  bool any_ = false;
  uint64_t min_ts_ = 0, max_ts_ = 0;
  size_t min_off_ = 0, max_off_ = 0;
  uint32_t min_type_ = 0, max_type_ = 0;
  bool any_cpu_ = false;
  uint32_t max_cpu_ = 0;
  size_t cpu_off_ = 0;
  uint32_t cpu_type_ = 0;
};

}  // namespace infertrace::itrace
