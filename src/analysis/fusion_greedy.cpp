#include "analysis/fusion_greedy.h"

#include <algorithm>

namespace infertrace {

namespace {

// What the scan learns about one distinct fused chain.
struct Fused {
  uint64_t key;  // its two window ids
  uint32_t pos;  // a position where it was fused (any occurrence names the same kernels)
  int64_t count;
  ns_t saved;
};

// Open addressing from a pair of window ids to an index into `entries`. Fused chains are few
// compared to kernels (at most n / L), so the table stays small and warm.
class FusedTable {
 public:
  FusedTable() { rehash(256); }

  Fused& at(uint64_t key, uint32_t pos) {
    if ((entries.size() + 1) * 2 > keys_.size()) rehash(keys_.size() * 2);
    size_t slot = slot_of(key);
    while (keys_[slot] != kEmpty) {
      if (keys_[slot] == key) return entries[vals_[slot]];
      slot = (slot + 1) & mask_;
    }
    keys_[slot] = key;
    vals_[slot] = static_cast<uint32_t>(entries.size());
    entries.push_back({key, pos, 0, 0});
    return entries.back();
  }

  std::vector<Fused> entries;

 private:
  // Ids are ranks < 2^32 - 1, so no pair of them is all ones.
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  size_t slot_of(uint64_t key) const { return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_); }

  void rehash(size_t capacity) {
    keys_.assign(capacity, kEmpty);
    vals_.assign(capacity, 0);
    mask_ = capacity - 1;
    shift_ = 64;
    for (size_t c = capacity; c > 1; c >>= 1) --shift_;
    for (uint32_t e = 0; e < entries.size(); ++e) {
      const uint64_t key = entries[e].key;
      size_t slot = slot_of(key);
      while (keys_[slot] != kEmpty) slot = (slot + 1) & mask_;
      keys_[slot] = key;
      vals_[slot] = e;
    }
  }

  std::vector<uint64_t> keys_;
  std::vector<uint32_t> vals_;
  size_t mask_ = 0;
  int shift_ = 64;
};

}  // namespace

std::vector<uint32_t> window_ids(const ChainOrder& co, uint32_t h) {
  std::vector<uint32_t> ids(co.sorted.size());
  uint32_t run_start = 0;
  for (uint32_t i = 0; i < co.sorted.size(); ++i) {
    if (co.sorted[i].lcp < h) run_start = i;
    ids[co.sorted[i].pos] = run_start;
  }
  return ids;
}

std::vector<uint32_t> positions_reaching(const std::vector<uint32_t>& reach, uint32_t h) {
  std::vector<uint32_t> out;
  for (uint32_t p = 0; p < reach.size(); ++p)
    if (reach[p] >= h) out.push_back(p);
  return out;
}

GreedyLength greedy_fuse(const GreedyInputs& in, uint32_t L, const std::vector<uint32_t>& reaching,
                         const std::vector<uint32_t>& ids, uint32_t h, size_t top) {
  const KernelSequences& seq = *in.seq;
  const std::vector<uint32_t>& reach = *in.reach;
  const std::vector<ns_t>& prefix = *in.launch_prefix;
  GreedyLength out;
  FusedTable table;
  // The scan of docs/metrics.md steps p by one past chains that are not deterministic; only the
  // positions in `reaching` can hold a deterministic chain, so it visits those alone: the first one
  // at or after the cursor, fused when its reach covers L (cursor moves to p + L). A
  // deterministic chain never leaves its segment (reach <= room), so one walk over all segments
  // is the per-segment scan: a jump lands at most on the next segment's start.
  const size_t m = reaching.size();
  for (size_t i = 0; i < m;) {
    const uint32_t p = reaching[i];
    if (reach[p] < L) {
      ++i;
      continue;
    }
    // The chain of length L at p: the window of length h at p and the one ending where it ends.
    const uint64_t key = (static_cast<uint64_t>(ids[p]) << 32) | ids[p + L - h];
    Fused& f = table.at(key, p);
    const ns_t saved = prefix[p + L] - prefix[p + 1];
    f.count += 1;
    f.saved += saved;
    out.fused_chains += 1;
    out.launch_time_saved += saved;
    // The next L entries are L distinct positions after p, so the last of them is >= p + L: the
    // next start at or after p + L lies among them (or there is none).
    const size_t window_end = std::min(m, i + L + 1);
    i = static_cast<size_t>(std::lower_bound(reaching.begin() + static_cast<std::ptrdiff_t>(i + 1),
                                             reaching.begin() + static_cast<std::ptrdiff_t>(window_end), p + L) -
                            reaching.begin());
  }

  // Chains seen once (f(C) = 1): their share of the figures (a chain is fused at most f(C) times,
  // so an entry fused twice or more was seen twice or more; only the others are looked up).
  for (const Fused& f : table.entries)
    if (f.count == 1 && chain_occurrences(*in.order, in.order->rank[f.pos], L) == 1)
      out.fused_seen_once += 1, out.launch_time_saved_seen_once += f.saved;

  // Best `top` of this length. Same length, so more kernels removed is more fusions; the name
  // comparison (rarely reached) reads the kernels in place instead of building every chain.
  auto before = [&](const Fused& a, const Fused& b) {
    if (a.count != b.count) return a.count > b.count;
    if (a.saved != b.saved) return a.saved > b.saved;
    return chain_names_less(seq, a.pos, b.pos, L);
  };
  std::vector<Fused>& all = table.entries;
  const size_t keep = std::min(top, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(), before);
  for (size_t e = 0; e < keep; ++e) {
    const Fused& f = all[e];
    FusionCandidate c;
    c.length = static_cast<int>(L);
    c.occurrences = chain_occurrences(*in.order, in.order->rank[f.pos], L);
    c.first_occurrences = (*in.name_count)[seq.name[f.pos]];
    c.proximity = static_cast<double>(c.occurrences) / static_cast<double>(c.first_occurrences);
    c.fused = f.count;
    c.kernels_removed = f.count * (static_cast<int64_t>(L) - 1);
    c.launch_time_saved = f.saved;
    c.position = f.pos;  // names are read out of seq only for the candidates analyze_fusion keeps
    out.candidates.push_back(std::move(c));
  }
  return out;
}

}  // namespace infertrace
