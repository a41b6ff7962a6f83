#include "analysis/chain_tally.h"

#include <algorithm>

namespace infertrace {

namespace {

// Adds `v` to every length in (lo, hi] of a difference array over lengths 0..max.
void add_lengths(std::vector<int64_t>& diff, uint32_t lo, uint32_t hi, int64_t v) {
  if (lo >= hi) return;
  diff[lo + 1] += v;
  diff[hi + 1] -= v;
}

void prefix_sum(std::vector<int64_t>& diff) {
  for (size_t i = 1; i < diff.size(); ++i) diff[i] += diff[i - 1];
  diff.pop_back();
}

// Ranks not yet given a reach, as "next unassigned rank at or after i" with path halving: the
// sweep closes runs innermost first, so each rank takes the reach of the first deterministic run
// around it and is skipped from then on.
class Unassigned {
 public:
  explicit Unassigned(size_t n) : next_(n + 1) {
    for (size_t i = 0; i <= n; ++i) next_[i] = static_cast<uint32_t>(i);
  }
  uint32_t first_from(uint32_t i) {
    while (next_[i] != i) {
      next_[i] = next_[next_[i]];
      i = next_[i];
    }
    return i;
  }
  void take(uint32_t i) { next_[i] = i + 1; }

 private:
  std::vector<uint32_t> next_;
};

}  // namespace

ChainTally tally_chains(const ChainOrder& co, const std::vector<uint32_t>& name_count, double threshold) {
  const uint32_t max_len = co.max_length;
  const uint32_t n = static_cast<uint32_t>(co.sorted.size());
  ChainTally t;
  t.unique.assign(static_cast<size_t>(max_len) + 2, 0);
  t.deterministic.assign(static_cast<size_t>(max_len) + 2, 0);
  t.reach.assign(n, 0);
  Unassigned open(n);

  const std::vector<ChainOrder::Entry>& sorted = co.sorted;
  auto first_count = [&](uint32_t rank) { return name_count[sorted[rank].name]; };

  // A rank alone is a chain of its own for lengths above both its lcp values, up to its room.
  auto single = [&](uint32_t i, uint32_t lcp_next) {
    const ChainOrder::Entry& e = sorted[i];
    const uint32_t lo = std::max(e.lcp, lcp_next), hi = e.room;
    add_lengths(t.unique, lo, hi, 1);
    // Occurring once and deterministic: so are all runs around it, at every length up to its room.
    if (deterministic_share(1, first_count(i), threshold)) {
      add_lengths(t.deterministic, lo, hi, 1);
      t.reach[e.pos] = hi;
      open.take(i);
    }
  };
  // The run [lb, rb], the same for lengths in (parent, lcp].
  auto run = [&](uint32_t lcp, uint32_t lb, uint32_t rb, uint32_t parent) {
    add_lengths(t.unique, parent, lcp, 1);
    if (!deterministic_share(rb - lb + 1, first_count(lb), threshold)) return;
    add_lengths(t.deterministic, parent, lcp, 1);
    for (uint32_t i = open.first_from(lb); i <= rb; i = open.first_from(i + 1)) {
      t.reach[sorted[i].pos] = lcp;
      open.take(i);
    }
  };

  // Bottom-up lcp-interval traversal: a stack of open runs (their lcp and left end), closed when
  // a smaller lcp arrives.
  struct Open { uint32_t lcp, lb; };
  std::vector<Open> stack{{0, 0}};
  for (uint32_t i = 0; i <= n; ++i) {
    const uint32_t cur = i < n ? sorted[i].lcp : 0;
    if (i > 0) single(i - 1, cur);
    uint32_t lb = i > 0 ? i - 1 : 0;
    while (cur < stack.back().lcp) {
      const Open top = stack.back();
      stack.pop_back();
      run(top.lcp, top.lb, i - 1, std::max(cur, stack.back().lcp));
      lb = top.lb;
    }
    if (cur > stack.back().lcp) stack.push_back({cur, lb});
  }
  prefix_sum(t.unique);
  prefix_sum(t.deterministic);
  return t;
}

}  // namespace infertrace
