// The largest thread count `bench threads` accepts (engine/runtime/thread_pool.h): 4 per CPU the
// threads may use (max_sweep_threads's argument, thread_cap_cpus), at most 1024, but always one per
// CPU. The e2e test sees only this machine's count.
#include <gtest/gtest.h>

#include "engine/runtime/thread_pool.h"
#include "util/error.h"

namespace infertrace::engine {
namespace {

TEST(ThreadCap, FourPerCpuUpTo1024AndNeverBelowOnePerCpu) {
  EXPECT_EQ(max_sweep_threads(1), 4);
  EXPECT_EQ(max_sweep_threads(2), 8);
  EXPECT_EQ(max_sweep_threads(256), 1024);   // 4 x 256 = 1024 exactly
  EXPECT_EQ(max_sweep_threads(300), 1024);   // 1200 clipped to 1024
  EXPECT_EQ(max_sweep_threads(2000), 2000);  // one per CPU beats the 1024 clip
  EXPECT_EQ(max_sweep_threads(0), 4);        // an unknown count counts as one CPU
}

TEST(ThreadCap, TheCapItselfIsAccepted) {
  // 2 allowed CPUs: cap 8. 8 passes; 9 is refused with the numbers in the message.
  EXPECT_NO_THROW(check_thread_cap({1, 8}, 2, "-t 1,8"));
  try {
    check_thread_cap({1, 9}, 2, "-t 1,9");
    FAIL() << "9 threads on 2 CPUs accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("-t 1,9: 9 threads is more than 8"), std::string::npos) << e.what();
  }
  // 2000 CPUs: 2000 threads pass (one per CPU), 2001 do not.
  EXPECT_NO_THROW(check_thread_cap({2000}, 2000, "-t 2000"));
  EXPECT_THROW(check_thread_cap({2001}, 2000, "-t 2001"), UsageError);
}

}  // namespace
}  // namespace infertrace::engine
