#include "analysis/chain_order.h"

#include <algorithm>
#include <stdexcept>

#include "analysis/suffix_array.h"

namespace infertrace {

ChainOrder build_chain_order(const std::vector<uint32_t>& name, uint32_t n_names,
                             const std::vector<uint32_t>& segment_end, uint32_t max_length) {
  ChainOrder co;
  co.max_length = max_length;
  const size_t n = name.size();
  if (n == 0) return co;
  if (segment_end.empty() || segment_end.back() != n) throw std::invalid_argument("build_chain_order: segments do not cover the names");

  // The text: names shifted by one, a separator after every segment, the terminator 0 last. The
  // separator is the largest symbol, so separator suffixes sort after every kernel position and
  // kernel positions take ranks 1..n. Chains never contain it, so no chain runs across a cut;
  // one shared separator suffices because lcp values are capped at the room left in the segment.
  const uint32_t sep = n_names + 1;
  const size_t m = n + segment_end.size() + 1;
  if (m >= UINT32_MAX) throw std::length_error("build_chain_order: too many kernels");
  std::vector<uint32_t> s(m);
  {
    size_t j = 0;
    uint32_t begin = 0;
    for (uint32_t end : segment_end) {
      for (uint32_t p = begin; p < end; ++p) s[j++] = name[p] + 1;
      s[j++] = sep;
      begin = end;
    }
    s[j] = 0;
  }
  std::vector<uint32_t> sa = suffix_array(s, n_names + 2);
  std::vector<uint32_t> rank(m);
  for (uint32_t i = 0; i < m; ++i) rank[sa[i]] = i;

  // Kasai's LCP pass (text order: the common prefix shrinks by at most one from one suffix to the
  // next, so the whole pass is linear). The same pass turns text indices into kernel positions,
  // and rank is compacted in place because a kernel position never exceeds its text index.
  co.sorted.resize(n);
  uint32_t h = 0, seg = 0, seg_end_text = segment_end[0];
  constexpr uint32_t kAhead = 16;
  for (uint32_t j = 0; j + 1 < m; ++j) {
    // Ranks are random in text order: fetch the lines a step a little ahead will touch.
    if (j + kAhead + 1 < m) {
      const uint32_t ra = rank[j + kAhead];
      if (ra > 0) {
        __builtin_prefetch(&sa[ra - 1]);
        __builtin_prefetch(&co.sorted[ra - 1], 1);
      }
    }
    const uint32_t r = rank[j];
    const bool kernel = s[j] != sep;
    if (r > 0) {
      const uint32_t k = sa[r - 1];
      while (s[j + h] == s[k + h]) ++h;  // stops at the latest at the unique terminator
      if (kernel) {
        // A common prefix longer than the room left hits the separator in both: cap it there.
        const uint32_t room = seg_end_text - j;
        co.sorted[r - 1] = {j - seg, std::min({h, room, max_length}), s[j] - 1, std::min(room, max_length)};
        rank[j - seg] = r - 1;
      }
      if (h > 0) --h;
    } else {
      h = 0;
    }
    if (!kernel && ++seg < segment_end.size()) seg_end_text = segment_end[seg] + seg;
  }
  std::vector<uint32_t>().swap(sa);
  std::vector<uint32_t>().swap(s);
  rank.resize(n);
  rank.shrink_to_fit();
  co.rank = std::move(rank);

  co.block_min.assign((n + ChainOrder::kLcpBlock - 1) / ChainOrder::kLcpBlock, UINT32_MAX);
  for (size_t i = 0; i < n; ++i) {
    uint32_t& b = co.block_min[i / ChainOrder::kLcpBlock];
    b = std::min(b, co.sorted[i].lcp);
  }
  return co;
}

uint32_t chain_occurrences(const ChainOrder& co, uint32_t r, uint32_t L) {
  constexpr uint32_t B = ChainOrder::kLcpBlock;
  const uint32_t n = static_cast<uint32_t>(co.sorted.size());
  // Left end: lcp[i] >= L joins ranks i-1 and i; a block whose minimum is >= L joins all of it.
  uint32_t lo = r;
  while (lo > 0) {
    if (lo % B == B - 1 && co.block_min[lo / B] >= L) {
      lo -= B;
    } else if (co.sorted[lo].lcp >= L) {
      --lo;
    } else {
      break;
    }
  }
  uint32_t hi = r + 1;  // first rank not in the run
  while (hi < n) {
    if (hi % B == 0 && hi + B <= n && co.block_min[hi / B] >= L) {
      hi += B;
    } else if (co.sorted[hi].lcp >= L) {
      ++hi;
    } else {
      break;
    }
  }
  return hi - lo;
}

}  // namespace infertrace
