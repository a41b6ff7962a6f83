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

}  // namespace infertrace::inject
