#include "bench/launch_loop.h"

#include <algorithm>
#include <chrono>

namespace infertrace::bench {

namespace {

// A dependent chain the compiler cannot fold or vectorise away: each round needs the previous one.
__attribute__((noinline)) uint64_t one_launch(uint64_t x, int work) {
  for (int i = 0; i < work; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
  }
  return x;
}

}  // namespace

LaunchLoopResult run_launch_loop(double seconds, int work) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  const auto until = t0 + std::chrono::duration<double>(seconds);
  uint64_t x = 0x9E3779B97F4A7C15ull;
  LaunchLoopResult r;
  // Check the clock every 32768 rounds of work (about 0.1 ms; 64 launches of the default 512) so
  // timing costs stay out of the loop, and at every launch when launches are longer: a fixed 64
  // launches of --work 16777216 ran 3.8 s past a 0.01 s --seconds (review CA).
  const int per_check = std::max(1, 32768 / std::max(work, 1));
  for (;;) {
    for (int i = 0; i < per_check; ++i) x = one_launch(x, work);
    r.launches += per_check;
    if (clock::now() >= until) break;
  }
  r.seconds = std::chrono::duration<double>(clock::now() - t0).count();
  r.per_second = r.launches / r.seconds;
  // Keep the result observable so the work is not optimised out.
  if (x == 0) r.launches += 1;
  return r;
}

}  // namespace infertrace::bench
