// Producer-side cost of the CUPTI ring (record/cupti_ring.h), the part of `record --cuda cupti`'s
// per-call overhead that can be measured without a GPU: what the injection library's API callback
// adds on top of CUPTI's own callback dispatch (which needs a GPU and is not measured here).
//   push         one RingApi push (48-byte payload, one slot), a consumer thread draining
//   callback     the callback's own work: two CLOCK_MONOTONIC reads, sched_getcpu, one push
//   push x2      two producer threads pushing at once (contention on the head), per push
// Median of 5 runs of 2,000,000 pushes each; drops are reported (the ring is sized like the
// recorder's default, 400,000 slots rounded up, and drained continuously).
// usage: cupti_ring_bench
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "record/cupti_records.h"
#include "record/cupti_ring.h"

namespace {

using namespace infertrace::cupti;

uint64_t mono() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

struct Result {
  double ns_per_push;
  uint64_t dropped;
};

Result run(int producers, bool full_callback, int pushes) {
  Ring ring = Ring::create_anonymous(400000);
  std::atomic<bool> done{false};
  uint64_t consumed = 0;
  std::thread consumer([&] {
    while (!done.load(std::memory_order_acquire)) {
      consumed += ring.drain([](uint32_t, const unsigned char*, uint32_t) {});
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    consumed += ring.drain([](uint32_t, const unsigned char*, uint32_t) {});
  });
  std::vector<std::thread> ps;
  const auto t0 = std::chrono::steady_clock::now();
  for (int p = 0; p < producers; ++p)
    ps.emplace_back([&, p] {
      RingApi r{};
      r.pid = 1, r.tid = static_cast<uint32_t>(p), r.api = api_id(kDomainRuntime, 211);
      for (int i = 0; i < pushes / producers; ++i) {
        r.correlation = static_cast<uint32_t>(i);
        if (full_callback) {
          r.start = mono();
          r.end = mono();
          r.cpu = sched_getcpu();
        }
        ring.push(kRecApi, &r, sizeof(r));
      }
    });
  for (auto& t : ps) t.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  done.store(true, std::memory_order_release);
  consumer.join();
  // Per push, per producer thread (wall time x threads / pushes).
  return {secs * 1e9 * producers / pushes, ring.header()->dropped_records.load()};
}

void report(const char* name, int producers, bool full) {
  std::vector<double> v;
  uint64_t dropped = 0;
  for (int r = 0; r < 5; ++r) {
    const Result x = run(producers, full, 2'000'000);
    v.push_back(x.ns_per_push);
    dropped += x.dropped;
  }
  std::sort(v.begin(), v.end());
  std::printf("%-10s %8.1f ns per push (min %.1f, max %.1f), dropped %llu of %d\n", name, v[2], v[0], v[4],
              static_cast<unsigned long long>(dropped), 5 * 2'000'000);
}

}  // namespace

int main() {
  report("push", 1, false);
  report("callback", 1, true);
  report("push x2", 2, false);
  return 0;
}
