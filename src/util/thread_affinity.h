// Pins the calling thread to a CPU list for a scope (bench serve --client-cpus): every thread it
// starts meanwhile inherits the mask (Linux copies the creating thread's affinity into the new
// thread), so pinning the thread that runs the load generator pins its senders, readers and
// watchdogs before they exist. Only the calling thread: processes forked before or after the
// scope (the servers under test) keep the mask they would have had.
#pragma once

#include <pthread.h>

#include <vector>

#include "util/cpu_mask.h"

namespace infertrace {

class ScopedThreadAffinity {
 public:
  ScopedThreadAffinity() = default;  // pins nothing
  // An empty list pins nothing. Throws Error when the mask cannot be read or set (a CPU offline or
  // outside the cpuset), naming `option` and the list.
  explicit ScopedThreadAffinity(const std::vector<int>& cpus, const char* option = "--client-cpus");
  ScopedThreadAffinity(const ScopedThreadAffinity&) = delete;
  ScopedThreadAffinity& operator=(const ScopedThreadAffinity&) = delete;
  ~ScopedThreadAffinity();  // the thread's mask from before, when it was pinned

  // The mask read back from the kernel after pinning (ascending): what the load generator really
  // ran on; empty when nothing was pinned.
  const std::vector<int>& cpus() const { return applied_; }

 private:
  bool pinned_ = false;
  pthread_t thread_{};
  CpuMask saved_;
  std::vector<int> applied_;
};

}  // namespace infertrace
