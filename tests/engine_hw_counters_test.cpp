// HwCounters counts only between enable() and disable(), in the calling thread and in threads it
// creates, whether they exit inside the window or are created after it. Hardware counters are
// missing on most VMs, so the window is checked with the task clock (a software event: nanoseconds
// on the CPU), against CPU time burnt by that same clock read from a second, independent counter.
#include <gtest/gtest.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "engine/runtime/hw_counters.h"

using namespace infertrace::engine;

namespace {

// This thread's task clock (PERF_COUNT_SW_TASK_CLOCK, opened enabled and not inherited), read
// while it burns. The burn is timed by the clock HwCounters measures with: CLOCK_THREAD_CPUTIME_ID
// leaves out steal time (PARAVIRT_TIME_ACCOUNTING) and IRQ time (IRQ_TIME_ACCOUNTING) that the task
// clock includes, so on a VM with steal a burn timed by it counted 1/(1 - steal) times its length.
class ThreadTaskClock {
 public:
  ThreadTaskClock() {
    perf_event_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_TASK_CLOCK;
    attr.exclude_kernel = 1;  // as HwCounters opens its counters
    attr.exclude_hv = 1;
    fd_ = static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
  }
  ~ThreadTaskClock() {
    if (fd_ >= 0) close(fd_);
  }
  ThreadTaskClock(const ThreadTaskClock&) = delete;
  ThreadTaskClock& operator=(const ThreadTaskClock&) = delete;
  bool ok() const { return fd_ >= 0; }
  int64_t ns() const {
    uint64_t v = 0;
    return ::read(fd_, &v, sizeof v) == static_cast<ssize_t>(sizeof v) ? static_cast<int64_t>(v) : -1;
  }

 private:
  int fd_ = -1;
};

// Burns `ns` of this thread's task clock (CPU time, not wall time, so a busy machine does not
// shorten it) and returns the task-clock time it measured, which the window's count must cover. A
// failed read fails the test rather than ending the burn early unnoticed.
int64_t burn(int64_t ns) {
  const ThreadTaskClock clock;
  if (!clock.ok()) {
    ADD_FAILURE() << "a per-thread task clock: perf_event_open: " << std::strerror(errno);
    return 0;
  }
  const int64_t start = clock.ns();
  if (start < 0) {
    ADD_FAILURE() << "reading the per-thread task clock failed";
    return 0;
  }
  volatile uint64_t x = 0;
  int64_t now = start;
  while (now < start + ns) {
    for (int i = 0; i < 1000; ++i) x = x + i;
    now = clock.ns();
    if (now < 0) {
      ADD_FAILURE() << "reading the per-thread task clock failed";
      return 0;
    }
  }
  return now - start;
}

// The CPU time both burns measured.
int64_t burn_on_two_threads(int64_t ns) {
  int64_t other = 0;
  std::thread t([ns, &other] { other = burn(ns); });
  const int64_t mine = burn(ns);
  t.join();
  return mine + other;
}

CounterEvents task_clock() {
  return {{PERF_TYPE_SOFTWARE, PERF_TYPE_SOFTWARE, PERF_TYPE_SOFTWARE},
          {PERF_COUNT_SW_TASK_CLOCK, PERF_COUNT_SW_TASK_CLOCK, PERF_COUNT_SW_TASK_CLOCK}};
}

}  // namespace

// The bench's case: pool threads exist before enable(), work inside the window and outside it, and
// exit after disable(); only their work inside the window counts. The checks are exact or one-sided
// in the direction the clocks guarantee, so a loaded machine's stalls (which the task clock counts
// as CPU time in the window, outside any burn) cannot fail them.
TEST(EngineHwCounters, ThreadsCreatedBeforeTheWindowCountOnlyInsideIt) {
  HwCounters c(task_clock());
  if (!c.supported()) GTEST_SKIP() << c.reason();
  constexpr int64_t kMs = 1'000'000;
  std::atomic<int> phase{0};
  int64_t burnt_inside = 0;
  std::thread worker([&] {
    burn(40 * kMs);  // before the window
    phase = 1;
    while (phase.load() != 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    burnt_inside = burn(30 * kMs);
    phase = 3;
    while (phase.load() != 4) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    burn(40 * kMs);  // after
  });
  while (phase.load() != 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  // The worker's 40 ms so far ran before enable(): none of it may count.
  EXPECT_EQ(c.read().cycles, 0u) << "counted before enable()";
  c.enable();
  phase = 2;
  while (phase.load() != 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  c.disable();
  // read() sums the live worker's inherited count; disable() froze it, so the worker's burn after
  // the window and its exit (which folds its count into ours) must leave the sum as it is now.
  const uint64_t at_off = c.read().cycles;
  phase = 4;
  worker.join();
  const uint64_t counted = c.read().cycles;
  EXPECT_EQ(counted, at_off) << "counted after disable()";
  // The same clock ran for the whole inside burn, so nothing of it may be missing.
  EXPECT_GE(counted, static_cast<uint64_t>(burnt_inside));
  // A sanity bound only (units, a counter counted several times): 10x leaves any stall room.
  EXPECT_LE(counted, static_cast<uint64_t>(10 * burnt_inside));
}

TEST(EngineHwCounters, CountOnlyInsideTheEnabledWindow) {
  HwCounters c(task_clock());
  if (!c.supported()) GTEST_SKIP() << c.reason();
  constexpr int64_t kMs = 1'000'000;
  burn_on_two_threads(40 * kMs);  // before enable: 80 ms of CPU time not to be counted
  const CounterValues at_on = c.read();
  EXPECT_EQ(at_on.instructions, 0u) << "counters must open disabled";
  EXPECT_EQ(at_on.llc_misses, 0u) << "counters must open disabled";
  c.enable();
  // 40 ms inside the window, half on a thread that exits in it: its count must not be lost.
  const int64_t burnt = burn_on_two_threads(20 * kMs);
  c.disable();
  const CounterValues at_off = c.read();
  burn_on_two_threads(40 * kMs);  // after disable, including a thread created then: 80 ms
  const CounterValues v = c.read();
  EXPECT_EQ(v.instructions, at_off.instructions) << "counted after disable()";
  EXPECT_EQ(v.llc_misses, at_off.llc_misses) << "counted after disable()";
  EXPECT_GE(v.instructions, static_cast<uint64_t>(burnt));
  EXPECT_GE(v.llc_misses, static_cast<uint64_t>(burnt));
  // A sanity bound only: 10x the window's burns leaves any stall outside them room.
  EXPECT_LE(v.instructions, static_cast<uint64_t>(10 * burnt));
  EXPECT_LE(v.llc_misses, static_cast<uint64_t>(10 * burnt));
}
