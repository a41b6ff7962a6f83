// util/cpu_mask.h: a mask read is sized up while the kernel says EINVAL (its mask is larger than
// cpu_set_t's 1024 CPUs), with a getter that stands for such a kernel; other errors end the read.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "util/cpu_mask.h"

using namespace infertrace;

namespace {

// A kernel built for `kernel_cpus` CPUs with `allowed` set: refuses a buffer smaller than its mask
// (EINVAL), as sched_getaffinity does, and writes its mask into the first bytes of a larger one.
struct FakeKernel {
  int kernel_cpus;
  std::vector<int> allowed;
  std::vector<size_t> asked;  // the buffer sizes it was called with
  int operator()(size_t bytes, cpu_set_t* set) {
    asked.push_back(bytes);
    const size_t kernel_bytes = (static_cast<size_t>(kernel_cpus) + 63) / 64 * 8;
    if (bytes < kernel_bytes) return EINVAL;
    std::memset(set, 0, bytes);
    for (int c : allowed) CPU_SET_S(static_cast<size_t>(c), bytes, set);
    return 0;
  }
};

TEST(CpuMask, ReadsAMaskLargerThanCpuSetSize) {
  FakeKernel k{5000, {3, 1023, 1024, 4099}, {}};
  CpuMask m;
  ASSERT_EQ(read_cpu_mask(std::ref(k), m), 0);
  EXPECT_EQ(m.cpus(), (std::vector<int>{3, 1023, 1024, 4099}));
  EXPECT_EQ(m.count(), 4);
  EXPECT_TRUE(m.has(4099));
  EXPECT_FALSE(m.has(4098));
  EXPECT_GE(m.capacity(), 5000);
  // 1024, 2048, 4096 CPUs refused; 8192 taken: each try twice the last.
  ASSERT_EQ(k.asked.size(), 4u);
  for (size_t i = 1; i < k.asked.size(); ++i) EXPECT_EQ(k.asked[i], 2 * k.asked[i - 1]);
  EXPECT_EQ(k.asked[0], sizeof(cpu_set_t));
}

TEST(CpuMask, AMaskThatFitsIsReadOnce) {
  FakeKernel k{64, {0, 5}, {}};
  CpuMask m;
  ASSERT_EQ(read_cpu_mask(std::ref(k), m), 0);
  EXPECT_EQ(k.asked.size(), 1u);
  EXPECT_EQ(m.cpus(), (std::vector<int>{0, 5}));
}

TEST(CpuMask, OtherErrorsAndEndlessEinvalEndTheRead) {
  CpuMask m(8);
  CPU_SET_S(2, m.bytes(), m.set());
  int calls = 0;
  EXPECT_EQ(read_cpu_mask([&](size_t, cpu_set_t*) { return ++calls, ESRCH; }, m), ESRCH);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(m.cpus(), std::vector<int>{2});  // unchanged on failure
  calls = 0;
  EXPECT_EQ(read_cpu_mask([&](size_t, cpu_set_t*) { return ++calls, EINVAL; }, m), EINVAL);
  EXPECT_EQ(calls, 11);  // 2^10 .. 2^20 CPUs
  EXPECT_EQ(m.cpus(), std::vector<int>{2});
}

TEST(CpuMask, ThisProcessMaskAgreesWithAFixedRead) {
  CpuMask m;
  ASSERT_EQ(read_process_cpu_mask(m), 0);
  EXPECT_GE(m.count(), 1);
  cpu_set_t fixed;
  if (sched_getaffinity(0, sizeof fixed, &fixed) != 0) GTEST_SKIP() << "a kernel mask over 1024 CPUs: " << m.count();
  EXPECT_EQ(m.count(), CPU_COUNT(&fixed));
  for (int c = 0; c < CPU_SETSIZE; ++c) EXPECT_EQ(m.has(c), CPU_ISSET(c, &fixed) != 0) << c;
  CpuMask t;
  ASSERT_EQ(read_thread_cpu_mask(pthread_self(), t), 0);
  EXPECT_TRUE(t == m);
}

}  // namespace
