// A stand-in for a CUDA program run under `infertrace record --cuda cupti`: it attaches to the ring
// named by INFERTRACE_CUPTI_RING exactly as the injection library does and writes the synthetic
// workload of cupti_synth_producer.h with times starting now, then sleeps through the workload's
// GPU window in 1 ms steps, so the recording has real context switches of the launching thread
// inside the (synthetic) GPU activity. Exit status 3 when the ring is missing.
// It sends the library's RingCallbacks record, as the library always does (enabled: a launch, a copy,
// a sync); INFERTRACE_SYNTH_REFUSED=NAME,NAME... names these callbacks refused; with INFERTRACE_SYNTH_NO_LAUNCH=1 no
// launch-class callback was enabled (the sync only), so neither the launches nor the async copy are
// written. INFERTRACE_SYNTH_START_MS=M starts the scripted window M ms from now instead of 50 (a
// window after a `record --duration` stop: the records are still written at once, stamped then).
// Usage: cupti_synth_app LAUNCHES
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "cupti_synth_producer.h"

int main(int argc, char** argv) {
  using namespace infertrace;
  const char* path = std::getenv("INFERTRACE_CUPTI_RING");
  if (!path || argc < 2) {
    std::fprintf(stderr, "cupti_synth_app: needs INFERTRACE_CUPTI_RING and LAUNCHES\n");
    return 3;
  }
  std::string why;
  cupti::Ring ring = cupti::Ring::attach(path, &why);
  if (!ring.valid()) {
    std::fprintf(stderr, "cupti_synth_app: %s\n", why.c_str());
    return 3;
  }
  const int launches = std::atoi(argv[1]);
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  // The scripted GPU window starts 50 ms from now: writing its records must end before it, or the
  // launching thread is on the CPU, not asleep, through the window's first gaps (under ASan on a
  // loaded 2-core machine the writing took several ms and left half the GPU idle time on-CPU).
  const char* start_env = std::getenv("INFERTRACE_SYNTH_START_MS");
  const uint64_t start_ms = start_env ? std::strtoull(start_env, nullptr, 10) : 50;
  const uint64_t base =
      static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec) + start_ms * 1000000;
  const char* refused_env = std::getenv("INFERTRACE_SYNTH_REFUSED");
  const char* no_launch_env = std::getenv("INFERTRACE_SYNTH_NO_LAUNCH");
  const bool launch_callbacks = !(no_launch_env && std::string(no_launch_env) == "1");
  int lost = 0;
  {
    std::vector<std::string> refused;
    std::stringstream list(refused_env ? refused_env : "");
    for (std::string n; std::getline(list, n, ',');) refused.push_back(n);
    lost += synth::push_callbacks(ring, static_cast<uint32_t>(getpid()),
                                  synth::enabled_callbacks(launch_callbacks, launch_callbacks), refused)
                ? 0
                : 1;
  }
  lost += synth::produce(ring, static_cast<uint32_t>(getpid()), static_cast<uint32_t>(syscall(SYS_gettid)), base,
                         launches, false, launch_callbacks, launch_callbacks);
  // How late the writing ended past the window's start (0: before it), for the test's messages.
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const uint64_t written = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
  const uint64_t late_ns = written > base ? written - base : 0;
  // Sleep past the end of the scripted GPU window (base + launches x period + slack).
  const uint64_t end = base + static_cast<uint64_t>(launches + 2) * synth::kPeriod + 2000000;
  for (;;) {
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec) > end) break;
    usleep(1000);
  }
  std::printf("{\"pid\": %d, \"tid\": %ld, \"lost\": %d, \"ring\": \"%s\", \"late_ns\": %llu}\n", getpid(),
              syscall(SYS_gettid), lost, path, static_cast<unsigned long long>(late_ns));
  return lost == 0 ? 0 : 4;
}
