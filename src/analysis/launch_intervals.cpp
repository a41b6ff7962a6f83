#include "analysis/launch_intervals.h"

namespace infertrace {

ns_t union_length(std::vector<Interval>& iv, ns_t lo, ns_t hi) {
  if (iv.empty() || hi <= lo) return 0;
  // Clipping keeps the order by start (max(start, lo) is monotone), so sort once on raw starts.
  std::sort(iv.begin(), iv.end());
  UnionAccumulator u;
  for (const Interval& x : iv) u.add(std::max(x.first, lo), std::min(x.second, hi));
  return u.total();
}

}  // namespace infertrace
