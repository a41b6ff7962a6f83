// `bench threads`' thread counts: the default sweep, and the choice of one from the measured points.
// Apart from the command so that unit tests reach the sweep of any CPU count (the e2e test sees only
// this machine's) and the tie and overlap rules (measured rates never tie).
#pragma once

#include <cstddef>
#include <vector>

namespace infertrace::bench {

// The thread counts `bench threads` sweeps when -t is not given: the powers of two below `n_cpus`
// and `n_cpus` itself (16 -> 1,2,4,8,16; 6 -> 1,2,4,6), so the curve is sampled evenly on a log
// scale and always ends at one thread per CPU (at least 1).
std::vector<int> default_thread_sweep(int n_cpus);

// The point with the highest median tg (bench::median_of: the mean of the middle two for an even
// count; a point without tg samples counts as 0). `tg[i]` holds point i's tokens/s, one per
// repetition. On a tie the first point listed wins (fewer threads, in the default sweep). The
// median, as the project reports timings: one repetition slowed by a neighbour on a shared machine
// moves the mean, not the median. Throws std::invalid_argument when there is no point.
size_t best_tg_index(const std::vector<std::vector<double>>& tg);

// The other points whose tg repetitions overlap the best's: some repetition of theirs at least as
// fast as the best's slowest (equal counts). On a noisy machine the best is then not a clear
// winner, and a smaller count among them may serve as well with fewer cores. Indices in listed
// order; none when the best has no tg samples; points without samples never overlap.
std::vector<size_t> overlapping_best(const std::vector<std::vector<double>>& tg, size_t best);

}  // namespace infertrace::bench
