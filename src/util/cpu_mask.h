// A CPU affinity mask sized to the kernel's. A fixed cpu_set_t holds CPU_SETSIZE (1024) CPUs, and
// sched_getaffinity and pthread_getaffinity_np refuse it (EINVAL) on a kernel whose mask is larger
// (built for more CPUs than that: CONFIG_NR_CPUS goes to 8192), so a fixed read failed there (review
// FB). Masks here come from CPU_ALLOC, twice as large after each EINVAL.
#pragma once

#include <pthread.h>
#include <sched.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

namespace infertrace {

class CpuMask {
 public:
  CpuMask() = default;
  explicit CpuMask(int n_cpus);  // room for n_cpus CPUs (CPU_ALLOC rounds up), none set

  cpu_set_t* set() const { return set_.get(); }
  size_t bytes() const { return bytes_; }
  int capacity() const { return static_cast<int>(bytes_ * 8); }  // CPUs it can hold
  bool has(int cpu) const;
  int count() const;
  std::vector<int> cpus() const;  // ascending
  bool operator==(const CpuMask& o) const;

 private:
  struct Free {
    void operator()(cpu_set_t* s) const { CPU_FREE(s); }
  };
  std::unique_ptr<cpu_set_t, Free> set_;
  size_t bytes_ = 0;
};

// The largest mask tried: 2^20 CPUs (128 KiB), far above any kernel's CONFIG_NR_CPUS.
constexpr int kMaxMaskCpus = 1 << 20;

// Reads a mask with get(bytes, set), which returns 0 or an errno value: first CPU_SETSIZE CPUs,
// then twice as many while it returns EINVAL, up to kMaxMaskCpus. 0 with the mask in `out`, or the
// last error (`out` then unchanged).
int read_cpu_mask(const std::function<int(size_t bytes, cpu_set_t* set)>& get, CpuMask& out);

// sched_getaffinity(0, ...) (this process's calling thread) and pthread_getaffinity_np(thread, ...)
// through read_cpu_mask.
int read_process_cpu_mask(CpuMask& out);
int read_thread_cpu_mask(pthread_t thread, CpuMask& out);

}  // namespace infertrace
