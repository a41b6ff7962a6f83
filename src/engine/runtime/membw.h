// Sustained memory bandwidth, STREAM-style: arrays much larger than the caches, each thread
// working on its own contiguous share (first touched by that thread), best of `reps` timings.
//   read : sum of one array (bytes = array size), each share read as four sequential streams
//          at once: what decode does with the weights (cpu/matmul.cpp).
//   triad: a[i] = b[i] + s * c[i] (bytes = 3 arrays, STREAM's count, write-allocate not counted).
#pragma once

#include <cstdint>
#include <vector>

namespace infertrace::engine {

class ThreadPool;

struct BandwidthResult {
  int threads = 0;
  uint64_t array_bytes = 0;
  double read_gbs = 0;   // best of reps, 1e9 bytes/s
  double triad_gbs = 0;  // best of reps; 0 (no samples) with BandwidthPasses::kReadOnly
  std::vector<double> read_samples, triad_samples;
  // The seconds of each repetition's pass, from which the samples are computed (bytes / seconds):
  // what a reader recomputes the GB/s from (review BX L3).
  std::vector<double> read_seconds, triad_seconds;
};

// Which passes to run: a caller that needs only the read figure (bench threads' roofline) skips the
// triad and its two extra arrays (a third of the memory; `infertrace demo`'s thread sweep spent
// 37 of its 39 s and 1.5 GB measuring both: review DX M1).
enum class BandwidthPasses { kReadAndTriad, kReadOnly };

BandwidthResult measure_bandwidth(ThreadPool& pool, uint64_t array_bytes, int reps,
                                  BandwidthPasses passes = BandwidthPasses::kReadAndTriad);

// The figure a bandwidth test reports from its repetitions: the fastest (the first repetitions pay
// page faults and cold caches, later ones can be slowed by a neighbour; the best is the machine's
// capability, as STREAM reports it). Throws on no samples.
double best_sample(const std::vector<double>& samples_gbs);

}  // namespace infertrace::engine
