#include "bench/thread_choice.h"

#include <algorithm>
#include <stdexcept>

#include "bench/interference_summary.h"

namespace infertrace::bench {

std::vector<int> default_thread_sweep(int n_cpus) {
  std::vector<int> out;
  for (int t = 1; t < n_cpus; t *= 2) out.push_back(t);
  out.push_back(std::max(n_cpus, 1));
  return out;
}

size_t best_tg_index(const std::vector<std::vector<double>>& tg) {
  if (tg.empty()) throw std::invalid_argument("best_tg_index: no points");
  size_t best = 0;
  double best_median = median_of(tg[0]);
  for (size_t i = 1; i < tg.size(); ++i) {
    const double m = median_of(tg[i]);
    if (m > best_median) best = i, best_median = m;  // strictly faster: a tie keeps the earlier point
  }
  return best;
}

std::vector<size_t> overlapping_best(const std::vector<std::vector<double>>& tg, size_t best) {
  std::vector<size_t> out;
  if (best >= tg.size() || tg[best].empty()) return out;
  const double slowest = *std::min_element(tg[best].begin(), tg[best].end());
  for (size_t i = 0; i < tg.size(); ++i)
    if (i != best && !tg[i].empty() && *std::max_element(tg[i].begin(), tg[i].end()) >= slowest) out.push_back(i);
  return out;
}

}  // namespace infertrace::bench
