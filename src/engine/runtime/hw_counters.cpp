#include "engine/runtime/hw_counters.h"

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace infertrace::engine {

namespace {
int open_counter(uint32_t type, uint64_t config) {
  perf_event_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = type;
  attr.config = config;
  attr.inherit = 1;
  attr.disabled = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  return static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
}
}  // namespace

CounterEvents hardware_counter_events() {
  return {{PERF_TYPE_HARDWARE, PERF_TYPE_HARDWARE, PERF_TYPE_HARDWARE},
          {PERF_COUNT_HW_INSTRUCTIONS, PERF_COUNT_HW_CPU_CYCLES, PERF_COUNT_HW_CACHE_MISSES}};
}

HwCounters::HwCounters(const CounterEvents& events) {
  for (int i = 0; i < 3; ++i) {
    fd_[i] = open_counter(events.type[i], events.config[i]);
    if (fd_[i] < 0) {
      reason_ = std::string("perf_event_open: ") + std::strerror(errno) +
                (errno == ENOENT || errno == EOPNOTSUPP ? " (no hardware PMU exposed, e.g. a virtual machine)"
                                                        : " (see /proc/sys/kernel/perf_event_paranoid)");
      for (int j = 0; j <= i; ++j)
        if (fd_[j] >= 0) close(fd_[j]);
      fd_[0] = fd_[1] = fd_[2] = -1;
      return;
    }
  }
  supported_ = true;
}

HwCounters::~HwCounters() {
  for (int fd : fd_)
    if (fd >= 0) close(fd);
}

void HwCounters::enable() {
  for (int fd : fd_)
    if (fd >= 0) ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
}

void HwCounters::disable() {
  for (int fd : fd_)
    if (fd >= 0) ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
}

CounterValues HwCounters::read() const {
  CounterValues v;
  if (!supported_) return v;
  uint64_t* out[3] = {&v.instructions, &v.cycles, &v.llc_misses};
  for (int i = 0; i < 3; ++i)
    if (::read(fd_[i], out[i], sizeof(uint64_t)) != sizeof(uint64_t)) *out[i] = 0;
  return v;
}

int64_t context_switches() {
  rusage u;
  if (getrusage(RUSAGE_SELF, &u) != 0) return 0;
  return u.ru_nvcsw + u.ru_nivcsw;
}

}  // namespace infertrace::engine
