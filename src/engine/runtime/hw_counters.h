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

class HwCounters {
 public:
  HwCounters();  // opens the counters (disabled); never throws
  ~HwCounters();
  HwCounters(const HwCounters&) = delete;
  HwCounters& operator=(const HwCounters&) = delete;

  bool supported() const { return supported_; }
  const std::string& reason() const { return reason_; }
  CounterValues read() const;  // cumulative since construction (zeros when unsupported)

 private:
  int fd_[3] = {-1, -1, -1};
  bool supported_ = false;
  std::string reason_;
};

// Voluntary + involuntary context switches of this process so far (getrusage).
int64_t context_switches();

}  // namespace infertrace::engine
