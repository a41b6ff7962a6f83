// Hardware performance counters (instructions, cycles, LLC misses) for the whole process, through
// perf_event_open with `inherit` so threads created afterwards are counted too. Virtual machines
// and locked-down kernels (perf_event_paranoid) refuse them: then supported() is false and
// reason() says why, and callers print "not supported" instead of a number.
#pragma once

#include <cstdint>
#include <string>

namespace infertrace::engine {

struct CounterValues {
  uint64_t instructions = 0, cycles = 0, llc_misses = 0;
};

// What each of the three counters counts: perf_event_attr's type and config. The default is the
// hardware set; tests pass software events (task clock), which virtual machines do expose.
struct CounterEvents {
  uint32_t type[3];
  uint64_t config[3];
};
CounterEvents hardware_counter_events();

class HwCounters {
 public:
  // Opens the counters disabled, so nothing is counted until enable(); never throws.
  explicit HwCounters(const CounterEvents& events = hardware_counter_events());
  ~HwCounters();
  HwCounters(const HwCounters&) = delete;
  HwCounters& operator=(const HwCounters&) = delete;

  bool supported() const { return supported_; }
  const std::string& reason() const { return reason_; }
  // Counting runs only between enable() and disable(), for this thread and every thread it creates
  // afterwards (the ioctls reach the inherited copies), so a caller can leave set-up and other
  // measurements out of the window.
  void enable();
  void disable();
  // Counted so far (zeros when unsupported). An exited thread's counts are included; a live
  // thread's are added when it exits.
  CounterValues read() const;

 private:
  int fd_[3] = {-1, -1, -1};
  bool supported_ = false;
  std::string reason_;
};

// Voluntary + involuntary context switches of this process so far (getrusage).
int64_t context_switches();

}  // namespace infertrace::engine
