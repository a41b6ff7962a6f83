// The counts a traced process sends in its exit RingInfo (inject_main.cpp): driver calls folded into
// the runtime call around them (inject_api.cpp) and activity records CUPTI dropped
// (inject_activity.cpp), and the fork handlers' registration that resets them in a forked child.
// No CUPTI here, so the unit tests check the fork rule and its wiring without a GPU.
#pragma once

#include <pthread.h>

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

// The injection's pthread_atfork registration (InitializeInjection, once tracing has started):
// `prepare` and `parent` run around a fork in the parent; in the child `counts` start again from
// zero (ExitCounts::after_fork_child), then `child` runs the rest of the child's rule. The child
// handler takes no argument, so `counts` and `child` are kept here: one registration per process
// (a second call would point the first's child handler at its own). Returns pthread_atfork's result.
inline int register_fork_handlers(ExitCounts& counts, void (*prepare)(), void (*parent)(), void (*child)()) {
  static ExitCounts* s_counts = nullptr;
  static void (*s_child)() = nullptr;
  s_counts = &counts;
  s_child = child;
  return ::pthread_atfork(prepare, parent, [] {
    s_counts->after_fork_child();
    if (s_child) s_child();
  });
}

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
