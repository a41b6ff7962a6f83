#include "engine/runtime/membw.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "engine/cpu/isa.h"
#include "engine/runtime/memory.h"
#include "engine/runtime/thread_pool.h"
#include "util/error.h"
#include "util/compiler.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace infertrace::engine {

namespace {

// The share is read as kStreams contiguous parts in lockstep, the access pattern of the decode
// kernels (cpu/matmul.cpp): one core keeps more cache misses in flight over several sequential
// streams than over one (measured on a Zen 3 VM, one thread: ~18 GB/s with one stream, ~24 with
// four), so a one-stream test would understate the bandwidth decode can reach and the roofline
// built on it would not be a ceiling. One accumulator per stream hides the add latency.
constexpr int64_t kStreams = 4;

#if defined(__x86_64__)
__attribute__((target("avx2"))) double read_sum_avx2(const double* p, int64_t n) {
  const int64_t part = n / kStreams / 4 * 4;  // whole vectors per stream
  const double *p0 = p, *p1 = p + part, *p2 = p + 2 * part, *p3 = p + 3 * part;
  __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
  for (int64_t i = 0; i < part; i += 4) {
    a0 = _mm256_add_pd(a0, _mm256_loadu_pd(p0 + i));
    a1 = _mm256_add_pd(a1, _mm256_loadu_pd(p1 + i));
    a2 = _mm256_add_pd(a2, _mm256_loadu_pd(p2 + i));
    a3 = _mm256_add_pd(a3, _mm256_loadu_pd(p3 + i));
  }
  double out[4];
  _mm256_storeu_pd(out, _mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3)));
  double s = out[0] + out[1] + out[2] + out[3];
  for (int64_t i = kStreams * part; i < n; ++i) s += p[i];
  return s;
}
#endif

double read_sum_scalar(const double* p, int64_t n) {
  const int64_t part = n / kStreams;
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (int64_t i = 0; i < part; ++i) {
    s0 += p[i];
    s1 += p[part + i];
    s2 += p[2 * part + i];
    s3 += p[3 * part + i];
  }
  for (int64_t i = kStreams * part; i < n; ++i) s0 += p[i];
  return s0 + s1 + s2 + s3;
}

INFERTRACE_HOT_LOOP void triad(double* a, const double* b, const double* c, double s, int64_t n) {
  for (int64_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
}

double seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

BandwidthResult measure_bandwidth(ThreadPool& pool, uint64_t array_bytes, int reps, BandwidthPasses passes) {
  if (array_bytes < (1u << 20)) throw UsageError("bandwidth arrays must be at least 1 MiB");
  if (reps < 1) throw UsageError("repetitions must be at least 1");
  const int64_t n = static_cast<int64_t>(array_bytes / sizeof(double));
  const bool with_triad = passes == BandwidthPasses::kReadAndTriad;
  const int64_t triad_n = with_triad ? n : 0;  // a and c: the triad's arrays only
  PlacementOptions none;
  Buffer ba(std::max<int64_t>(triad_n, 1) * sizeof(double), none, nullptr), bb(n * sizeof(double), none, nullptr),
      bc(std::max<int64_t>(triad_n, 1) * sizeof(double), none, nullptr);
  double* a = static_cast<double*>(ba.data());
  double* b = static_cast<double*>(bb.data());
  double* c = static_cast<double*>(bc.data());
  const int nth = pool.size();
  auto share = [&](int tid, int64_t* i0, int64_t* i1) {
    *i0 = n * tid / nth;
    *i1 = n * (tid + 1) / nth;
  };
  pool.run([&](int tid, int) {  // first touch by the thread that will read the share
    int64_t i0, i1;
    share(tid, &i0, &i1);
    for (int64_t i = i0; i < i1; ++i) b[i] = 1.0;
    if (with_triad)
      for (int64_t i = i0; i < i1; ++i) {
        a[i] = 0;
        c[i] = 2.0;
      }
  });
  const bool avx2 = cpu::isa_supported(cpu::Isa::Avx2);
  std::vector<double> sums(nth);
  BandwidthResult r;
  r.threads = nth;
  r.array_bytes = static_cast<uint64_t>(n) * sizeof(double);
  for (int rep = 0; rep < reps; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    pool.run([&](int tid, int) {
      int64_t i0, i1;
      share(tid, &i0, &i1);
#if defined(__x86_64__)
      sums[tid] = avx2 ? read_sum_avx2(b + i0, i1 - i0) : read_sum_scalar(b + i0, i1 - i0);
#else
      sums[tid] = read_sum_scalar(b + i0, i1 - i0);
#endif
    });
    r.read_seconds.push_back(seconds(t0));
    r.read_samples.push_back(r.array_bytes / r.read_seconds.back() / 1e9);
    if (!with_triad) continue;
    t0 = std::chrono::steady_clock::now();
    pool.run([&](int tid, int) {
      int64_t i0, i1;
      share(tid, &i0, &i1);
      triad(a + i0, b + i0, c + i0, 3.0, i1 - i0);
    });
    r.triad_seconds.push_back(seconds(t0));
    r.triad_samples.push_back(3.0 * r.array_bytes / r.triad_seconds.back() / 1e9);
  }
  // The sums must be used or the reads could be optimised away; b is all ones.
  double total = 0;
  for (double s : sums) total += s;
  if (total != static_cast<double>(n)) throw Error("bandwidth check failed: read sum " + std::to_string(total));
  r.read_gbs = best_sample(r.read_samples);
  if (with_triad) r.triad_gbs = best_sample(r.triad_samples);
  return r;
}

double best_sample(const std::vector<double>& samples_gbs) {
  if (samples_gbs.empty()) throw Error("bandwidth: no repetition was measured");
  return *std::max_element(samples_gbs.begin(), samples_gbs.end());
}

}  // namespace infertrace::engine
