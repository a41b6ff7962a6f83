// The counts a traced process sends in its exit RingInfo (inject_main.cpp): driver calls folded into
// the runtime call around them (inject_api.cpp) and activity records CUPTI dropped
// (inject_activity.cpp). No CUPTI here, so the unit tests check the fork rule without a GPU.
#pragma once

#include <atomic>
#include <cstdint>

#include "record/cupti_records.h"

namespace infertrace::inject {

struct ExitCounts {
  std::atomic<uint64_t> folded_driver_calls{0};
  std::atomic<uint64_t> activity_dropped{0};

  // In a forked child (pthread_atfork): the inherited counts are the parent's, which reports them in
  // its own exit RingInfo; the merge sums every process's, so the child starts again from zero.
  void after_fork_child() {
    folded_driver_calls.store(0, std::memory_order_relaxed);
    activity_dropped.store(0, std::memory_order_relaxed);
  }
  void fill(cupti::RingInfo& info) const {
    info.folded_driver_calls = folded_driver_calls.load(std::memory_order_relaxed);
    info.activity_dropped = activity_dropped.load(std::memory_order_relaxed);
  }
};

// A buffer CUPTI hands over after the exit's last flush (inject_activity.cpp, close_activity) is
// freed unread; its records are reported in one more RingInfo of the process, status
// kInfoLateRecords, carrying their count in activity_dropped (review DF F7: they were counted
// nowhere). The merge sums them apart, into cupti.activity_late (not a full buffer: review DG L3).
inline cupti::RingInfo late_records_info(uint32_t pid, bool monotonic, uint32_t cupti_version, uint64_t records) {
  cupti::RingInfo info{};
  info.pid = pid;
  info.timestamp_callback = monotonic ? 1 : 0;  // as its other RingInfo records say
  info.cupti_version = cupti_version;
  info.status = cupti::kInfoLateRecords;
  info.activity_dropped = records;
  return info;
}

}  // namespace infertrace::inject
