#include "util/cpu_mask.h"

#include <cerrno>
#include <new>

namespace infertrace {

CpuMask::CpuMask(int n_cpus) : set_(CPU_ALLOC(n_cpus)), bytes_(CPU_ALLOC_SIZE(n_cpus)) {
  if (!set_) throw std::bad_alloc();
  CPU_ZERO_S(bytes_, set_.get());
}

bool CpuMask::has(int cpu) const {
  return set_ && cpu >= 0 && cpu < capacity() && CPU_ISSET_S(static_cast<size_t>(cpu), bytes_, set_.get());
}

int CpuMask::count() const { return set_ ? CPU_COUNT_S(bytes_, set_.get()) : 0; }

std::vector<int> CpuMask::cpus() const {
  std::vector<int> out;
  for (int c = 0; c < capacity(); ++c)
    if (has(c)) out.push_back(c);
  return out;
}

bool CpuMask::operator==(const CpuMask& o) const {
  // Masks of different sizes are equal when they hold the same CPUs.
  return cpus() == o.cpus();
}

int read_cpu_mask(const std::function<int(size_t bytes, cpu_set_t* set)>& get, CpuMask& out) {
  int err = EINVAL;
  for (int n = CPU_SETSIZE; n <= kMaxMaskCpus; n *= 2) {
    CpuMask m(n);
    err = get(m.bytes(), m.set());
    if (err == 0) {
      out = std::move(m);
      return 0;
    }
    if (err != EINVAL) return err;
  }
  return err;
}

int read_process_cpu_mask(CpuMask& out) {
  return read_cpu_mask([](size_t bytes, cpu_set_t* set) { return sched_getaffinity(0, bytes, set) == 0 ? 0 : errno; },
                       out);
}

int read_thread_cpu_mask(pthread_t thread, CpuMask& out) {
  return read_cpu_mask([thread](size_t bytes, cpu_set_t* set) { return pthread_getaffinity_np(thread, bytes, set); },
                       out);
}

}  // namespace infertrace
