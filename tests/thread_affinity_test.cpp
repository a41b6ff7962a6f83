// util/thread_affinity.h (bench serve --client-cpus): inside the scope the calling thread and every
// thread it starts run on the list, as the kernel reports it in /proc/self/task/TID/status (what
// `taskset -p` reads); after it the calling thread has its old mask back. Review R55: the load
// generator shared the servers' CPUs and its ITL read 3 us where the server sent 13-23 us apart.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "util/cpu_list.h"
#include "util/cpu_mask.h"
#include "util/error.h"
#include "util/thread_affinity.h"

using namespace infertrace;

namespace {

// The calling thread's Cpus_allowed_list from the kernel's own view of it.
std::vector<int> kernel_cpus_of_this_thread() {
  const long tid = syscall(SYS_gettid);
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Cpus_allowed_list:", 0) == 0) {
      const size_t at = line.find_first_not_of(" \t", line.find(':') + 1);
      return parse_cpu_list(line.substr(at), "Cpus_allowed_list");
    }
  return {};
}

std::vector<int> process_cpus() {
  CpuMask m;
  EXPECT_EQ(read_process_cpu_mask(m), 0);
  return m.cpus();
}

}  // namespace

TEST(ThreadAffinity, PinsTheThreadAndTheThreadsItStartsThenRestores) {
  const std::vector<int> before = kernel_cpus_of_this_thread();
  ASSERT_FALSE(before.empty());
  const int last = process_cpus().back();
  {
    const ScopedThreadAffinity pin({last});
    EXPECT_EQ(pin.cpus(), std::vector<int>{last});
    EXPECT_EQ(kernel_cpus_of_this_thread(), std::vector<int>{last});
    // A thread started inside the scope (as run_point starts its senders and watchdog) inherits it.
    std::vector<int> child;
    std::thread t([&] { child = kernel_cpus_of_this_thread(); });
    t.join();
    EXPECT_EQ(child, std::vector<int>{last});
  }
  EXPECT_EQ(kernel_cpus_of_this_thread(), before);
}

TEST(ThreadAffinity, AnEmptyListPinsNothing) {
  const std::vector<int> before = kernel_cpus_of_this_thread();
  const ScopedThreadAffinity pin(std::vector<int>{});
  EXPECT_TRUE(pin.cpus().empty());
  EXPECT_EQ(kernel_cpus_of_this_thread(), before);
}

TEST(ThreadAffinity, ACpuOutsideTheMaskIsAnErrorAndChangesNothing) {
  const std::vector<int> before = kernel_cpus_of_this_thread();
  // CPU 1023: beyond every CPU of this test machine (the kernel refuses a mask of no online CPU).
  if (process_cpus().back() >= 1023) GTEST_SKIP() << "a machine with 1024 CPUs";
  EXPECT_THROW(ScopedThreadAffinity({1023}), Error);
  EXPECT_EQ(kernel_cpus_of_this_thread(), before);
}
