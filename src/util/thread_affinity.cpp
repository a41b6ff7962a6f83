#include "util/thread_affinity.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "util/cpu_list.h"
#include "util/error.h"

namespace infertrace {

ScopedThreadAffinity::ScopedThreadAffinity(const std::vector<int>& cpus, const char* option) {
  if (cpus.empty()) return;
  thread_ = pthread_self();
  if (const int rc = read_thread_cpu_mask(thread_, saved_); rc != 0)
    throw Error(std::string("cannot read this thread's CPU mask: ") + std::strerror(rc));
  // Sized for the largest id listed (and at least as large as the saved mask, the kernel's size).
  const int top = *std::max_element(cpus.begin(), cpus.end());
  CpuMask want(std::max(top + 1, saved_.capacity()));
  for (int c : cpus) {
    if (c < 0) throw Error(std::string(option) + " " + format_cpu_list(cpus) + ": CPU " + std::to_string(c) + " is no CPU");
    CPU_SET_S(static_cast<size_t>(c), want.bytes(), want.set());
  }
  if (const int rc = pthread_setaffinity_np(thread_, want.bytes(), want.set()); rc != 0)
    throw Error(std::string("cannot pin the load generator to ") + option + " " + format_cpu_list(cpus) + ": " +
                std::strerror(rc) + " (is every CPU online and in this process's allowed set?)");
  pinned_ = true;
  CpuMask now;
  if (read_thread_cpu_mask(thread_, now) == 0) applied_ = now.cpus();
}

ScopedThreadAffinity::~ScopedThreadAffinity() {
  // Widening back to the saved mask cannot fail for a mask the kernel gave us, short of a CPU
  // going offline meanwhile; a destructor has no one to tell, and the thread stays pinned then.
  if (pinned_) (void)pthread_setaffinity_np(thread_, saved_.bytes(), saved_.set());
}

}  // namespace infertrace
