#include "analysis/fusion.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>

#include "analysis/chain_order.h"
#include "analysis/chain_tally.h"
#include "analysis/fusion_greedy.h"
#include "util/error.h"

namespace infertrace {

namespace {

void keep_best(std::vector<FusionCandidate>& c, size_t top) {
  std::sort(c.begin(), c.end(), better_candidate);
  if (c.size() > top) c.resize(top);
}

// Windows of length L inside segments: sum over segments of max(0, len - L + 1), for every L up
// to max_len at once (segments longer than max_len count in the last bucket).
std::vector<int64_t> windows_per_length(const std::vector<uint32_t>& segment_end, uint32_t max_len) {
  std::vector<int64_t> plus_one(max_len + 2, 0), segments(max_len + 2, 0);
  uint32_t begin = 0;
  for (uint32_t end : segment_end) {
    const uint32_t len = end - begin;
    plus_one[std::min(len, max_len)] += static_cast<int64_t>(len) + 1;
    segments[std::min(len, max_len)] += 1;
    begin = end;
  }
  std::vector<int64_t> out(max_len + 1, 0);
  int64_t sum = 0, count = 0;
  for (uint32_t L = max_len; L >= 1; --L) {
    sum += plus_one[L];
    count += segments[L];
    out[L] = sum - static_cast<int64_t>(L) * count;
  }
  return out;
}

class FusionScan {
 public:
  FusionScan(const KernelSequences& seq, const FusionOptions& opt) : seq_(seq), opt_(opt) {
    const size_t n = seq.size();
    room_.resize(n);
    uint32_t begin = 0;
    for (uint32_t end : seq.segment_end) {
      for (uint32_t p = begin; p < end; ++p) room_[p] = end - p;
      begin = end;
    }
    prefix_.assign(n + 1, 0);
    for (size_t p = 0; p < n; ++p) prefix_[p + 1] = prefix_[p] + seq.launch_part[p];
    name_count_.assign(seq.names.size(), 0);
    for (uint32_t k : seq.name) name_count_[k] += 1;
  }

  FusionResult run() {
    FusionResult r;
    r.threshold = opt_.threshold;
    r.kernels = static_cast<int64_t>(seq_.size());
    r.segments = static_cast<int64_t>(seq_.segment_end.size());
    r.streams = seq_.streams;
    r.sync_splits = seq_.sync_splits;
    r.unlinked_kernels = seq_.unlinked_kernels;
    r.distinct_kernels = static_cast<int64_t>(seq_.names.size());
    r.launch_part_total = prefix_.back();
    r.graphs = seq_.graphs;

    std::vector<uint32_t> lengths(opt_.lengths.begin(), opt_.lengths.end());
    std::sort(lengths.begin(), lengths.end());
    lengths.erase(std::unique(lengths.begin(), lengths.end()), lengths.end());
    const uint32_t max_len = lengths.back();

    // One sort of all positions by chain serves every length: counts per length from one sweep,
    // then one greedy pass per length.
    const ChainOrder order =
        build_chain_order(seq_.name, static_cast<uint32_t>(seq_.names.size()), seq_.segment_end, max_len);
    const ChainTally tally = tally_chains(order, seq_.name, name_count_, room_, opt_.threshold);
    const std::vector<int64_t> windows = windows_per_length(seq_.segment_end, max_len);
    const std::vector<GreedyLength> greedy = greedy_all(order, tally.reach, lengths);

    for (size_t i = 0; i < lengths.size(); ++i) {
      const uint32_t L = lengths[i];
      ChainLengthResult out;
      out.length = static_cast<int>(L);
      out.unique_chains = tally.unique[L];
      out.chain_instances = windows[L];
      out.deterministic_chains = tally.deterministic[L];
      out.fused_chains = greedy[i].fused_chains;
      out.launch_time_saved = greedy[i].launch_time_saved;
      out.kernels_eager = static_cast<int64_t>(seq_.size());
      out.kernels_fused = out.kernels_eager - out.fused_chains * (static_cast<int64_t>(L) - 1);
      out.ideal_speedup = out.kernels_fused > 0 ? static_cast<double>(out.kernels_eager) / out.kernels_fused : 1.0;
      r.lengths.push_back(out);
      r.candidates.insert(r.candidates.end(), greedy[i].candidates.begin(), greedy[i].candidates.end());
    }
    keep_best(r.candidates, opt_.top);
    return r;
  }

 private:
  // The greedy scan of every length. Lengths in [h, 2h) share the window ids of length h (h a
  // power of two), built once; the lengths of one such band run on all cores.
  std::vector<GreedyLength> greedy_all(const ChainOrder& order, const std::vector<uint32_t>& reach,
                                       const std::vector<uint32_t>& lengths) const {
    GreedyInputs in;
    in.seq = &seq_;
    in.order = &order;
    in.reach = &reach;
    in.name_count = &name_count_;
    in.launch_prefix = &prefix_;
    std::vector<GreedyLength> out(lengths.size());
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    for (size_t band = 0; band < lengths.size();) {
      uint32_t h = 1;
      while (h * 2 <= lengths[band]) h *= 2;
      size_t band_end = band;
      while (band_end < lengths.size() && lengths[band_end] / 2 < h) ++band_end;
      // No position reaches h: no chain of this band is fused (and no ids are needed).
      const std::vector<uint32_t> starts = positions_reaching(reach, h);
      if (starts.empty()) {
        band = band_end;
        continue;
      }
      const std::vector<uint32_t> ids = window_ids(order, h);
      std::atomic<size_t> next{band};
      auto worker = [&] {
        for (size_t i; (i = next.fetch_add(1)) < band_end;) out[i] = greedy_fuse(in, lengths[i], starts, ids, h, opt_.top);
      };
      std::vector<std::thread> pool;
      const size_t helpers = std::min<size_t>(cores, band_end - band) - 1;
      for (size_t t = 0; t < helpers; ++t) pool.emplace_back(worker);
      worker();
      for (std::thread& t : pool) t.join();
      band = band_end;
    }
    return out;
  }

  const KernelSequences& seq_;
  const FusionOptions& opt_;
  std::vector<uint32_t> room_;
  std::vector<ns_t> prefix_;
  std::vector<uint32_t> name_count_;
};

}  // namespace

FusionResult analyze_fusion(const KernelSequences& seq, const FusionOptions& opt) {
  if (opt.lengths.empty()) throw UsageError("fusion: no chain lengths given");
  for (int L : opt.lengths)
    if (L < 2 || L > (1 << 20)) throw UsageError("fusion: chain length " + std::to_string(L) + " is outside 2..1048576");
  if (!(opt.threshold > 0.0 && opt.threshold <= 1.0))
    throw UsageError("fusion: threshold " + std::to_string(opt.threshold) + " is outside (0, 1] (a proximity score is a share)");
  return FusionScan(seq, opt).run();
}

}  // namespace infertrace
