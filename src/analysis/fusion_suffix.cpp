// Fusion figures by suffix order (see fusion_methods.h).
#include <algorithm>
#include <atomic>
#include <system_error>
#include <thread>

#include "analysis/chain_order.h"
#include "analysis/chain_tally.h"
#include "analysis/fusion_greedy.h"
#include "analysis/fusion_methods.h"

namespace infertrace {

namespace {

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

class SuffixScan {
 public:
  explicit SuffixScan(const FusionInputs& in) : in_(in), seq_(*in.seq) {}

  std::vector<LengthFusion> run(const std::vector<uint32_t>& lengths) {
    const uint32_t max_len = lengths.back();
    const ChainOrder order =
        build_chain_order(seq_.name, static_cast<uint32_t>(seq_.names.size()), seq_.segment_end, max_len);
    const ChainTally tally = tally_chains(order, in_.name_count, in_.threshold);
    const std::vector<int64_t> windows = windows_per_length(seq_.segment_end, max_len);
    std::vector<GreedyLength> greedy = greedy_all(order, tally.reach, lengths);

    std::vector<LengthFusion> out(lengths.size());
    for (size_t i = 0; i < lengths.size(); ++i) {
      const uint32_t L = lengths[i];
      ChainLengthResult& f = out[i].figures;
      f.length = static_cast<int>(L);
      f.unique_chains = tally.unique[L];
      f.chain_instances = windows[L];
      f.deterministic_chains = tally.deterministic[L];
      f.fused_chains = greedy[i].fused_chains;
      f.launch_time_saved = greedy[i].launch_time_saved;
      f.fused_seen_once = greedy[i].fused_seen_once;
      f.launch_time_saved_seen_once = greedy[i].launch_time_saved_seen_once;
      f.kernels_eager = static_cast<int64_t>(seq_.size());
      f.kernels_fused = f.kernels_eager - f.fused_chains * (static_cast<int64_t>(L) - 1);
      f.ideal_speedup = f.kernels_fused > 0 ? static_cast<double>(f.kernels_eager) / f.kernels_fused : 1.0;
      out[i].candidates = std::move(greedy[i].candidates);
    }
    return out;
  }

 private:
  // The greedy scan of every length. Lengths in [h, 2h) share the window ids of length h (h a
  // power of two), built once per band; the lengths of a band run on all cores.
  std::vector<GreedyLength> greedy_all(const ChainOrder& order, const std::vector<uint32_t>& reach,
                                       const std::vector<uint32_t>& lengths) {
    GreedyInputs in;
    in.seq = &seq_;
    in.order = &order;
    in.reach = &reach;
    in.name_count = &in_.name_count;
    in.launch_prefix = &in_.launch_prefix;
    std::vector<GreedyLength> out(lengths.size());
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    for (size_t band = 0; band < lengths.size();) {
      uint32_t h = 1;
      while (h * 2 <= lengths[band]) h *= 2;
      size_t band_end = band;
      while (band_end < lengths.size() && lengths[band_end] / 2 < h) ++band_end;
      // No position reaches h: no chain of this band is fused (and no ids are needed).
      const std::vector<uint32_t> reaching = positions_reaching(reach, h);
      if (reaching.empty()) {
        band = band_end;
        continue;
      }
      const std::vector<uint32_t> ids = window_ids(order, h);
      std::atomic<size_t> next{band};
      auto worker = [&] {
        for (size_t i; (i = next.fetch_add(1)) < band_end;) out[i] = greedy_fuse(in, lengths[i], reaching, ids, h, in_.top);
      };
      std::vector<std::thread> pool;
      const size_t helpers = std::min<size_t>(cores, band_end - band) - 1;
      try {
        for (size_t t = 0; t < helpers; ++t) pool.emplace_back(worker);
      } catch (const std::system_error&) {
        // No thread to be had: this thread takes the remaining lengths itself.
      }
      worker();
      for (std::thread& t : pool) t.join();
      band = band_end;
    }
    return out;
  }

  const FusionInputs& in_;
  const KernelSequences& seq_;
};

}  // namespace

std::vector<LengthFusion> fuse_by_suffix_order(const FusionInputs& in, const std::vector<uint32_t>& lengths) {
  return SuffixScan(in).run(lengths);
}

}  // namespace infertrace
