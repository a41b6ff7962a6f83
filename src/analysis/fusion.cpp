#include "analysis/fusion.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string>

#include "analysis/chain_ids.h"
#include "util/error.h"

namespace infertrace {

namespace {

using LevelPtr = std::shared_ptr<const ChainLevel>;

// Better candidate first: more kernels removed, then more launch time saved, then shorter chain.
bool better(const FusionCandidate& a, const FusionCandidate& b) {
  if (a.kernels_removed != b.kernels_removed) return a.kernels_removed > b.kernels_removed;
  if (a.launch_time_saved != b.launch_time_saved) return a.launch_time_saved > b.launch_time_saved;
  if (a.length != b.length) return a.length < b.length;
  return a.kernels < b.kernels;
}

void keep_best(std::vector<FusionCandidate>& c, size_t top) {
  std::sort(c.begin(), c.end(), better);
  if (c.size() > top) c.resize(top);
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
    singles_ = std::make_shared<const ChainLevel>(single_kernels(seq.name, static_cast<uint32_t>(seq.names.size())));
    powers_.push_back(singles_);
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

    std::vector<int> lengths = opt_.lengths;
    std::sort(lengths.begin(), lengths.end());
    lengths.erase(std::unique(lengths.begin(), lengths.end()), lengths.end());
    LevelPtr prev = singles_;
    for (int L : lengths) {
      const uint32_t want = static_cast<uint32_t>(L);
      // Extend the previous length by the difference: doubling when it equals the previous length
      // (the usual 2, 4, 8, ... list), one pass per set bit of the difference otherwise.
      const uint32_t d = want - prev->length;
      if (d == prev->length) {
        prev = std::make_shared<const ChainLevel>(compose_chains(*prev, *prev, room_));
      } else {
        for (int bit = 31; bit >= 0; --bit)
          if (d & (1u << bit)) prev = std::make_shared<const ChainLevel>(compose_chains(*prev, *power(bit), room_));
      }
      r.lengths.push_back(score_length(*prev, r.candidates));
    }
    keep_best(r.candidates, opt_.top);
    return r;
  }

 private:
  // Chains of length 2^bit, built by doubling and kept for later lengths.
  LevelPtr power(int bit) {
    while (static_cast<int>(powers_.size()) <= bit)
      powers_.push_back(std::make_shared<const ChainLevel>(compose_chains(*powers_.back(), *powers_.back(), room_)));
    return powers_[bit];
  }

  ChainLengthResult score_length(const ChainLevel& lv, std::vector<FusionCandidate>& candidates) {
    const int64_t L = lv.length;
    ChainLengthResult out;
    out.length = static_cast<int>(L);
    out.unique_chains = static_cast<int64_t>(lv.unique());
    out.kernels_eager = static_cast<int64_t>(seq_.size());

    // PS(C) = f(C) / f(first kernel of C); every occurrence of C starts with the same kernel.
    std::vector<uint8_t> deterministic(lv.unique());
    for (size_t c = 0; c < lv.unique(); ++c) {
      out.chain_instances += lv.count[c];
      const double ps = static_cast<double>(lv.count[c]) / singles_->count[seq_.name[lv.first_pos[c]]];
      deterministic[c] = ps >= opt_.threshold;
      out.deterministic_chains += deterministic[c];
    }

    // Greedy scan of each segment: fuse where PS >= T and jump past the chain.
    std::vector<uint32_t> fused(lv.unique(), 0);
    std::vector<ns_t> saved(lv.unique(), 0);
    uint32_t begin = 0;
    for (uint32_t end : seq_.segment_end) {
      for (uint32_t p = begin; p + L <= end;) {
        const uint32_t c = lv.id[p];
        if (!deterministic[c]) {
          ++p;
          continue;
        }
        fused[c] += 1;
        saved[c] += prefix_[p + L] - prefix_[p + 1];
        p += static_cast<uint32_t>(L);
      }
      begin = end;
    }

    std::vector<FusionCandidate> mine;
    for (size_t c = 0; c < lv.unique(); ++c) {
      if (fused[c] == 0) continue;
      out.fused_chains += fused[c];
      out.launch_time_saved += saved[c];
      FusionCandidate cand;
      cand.length = out.length;
      cand.occurrences = lv.count[c];
      cand.first_occurrences = singles_->count[seq_.name[lv.first_pos[c]]];
      cand.proximity = static_cast<double>(cand.occurrences) / cand.first_occurrences;
      cand.fused = fused[c];
      cand.kernels_removed = fused[c] * (L - 1);
      cand.launch_time_saved = saved[c];
      for (int64_t i = 0; i < L; ++i) cand.kernels.push_back(seq_.names[seq_.name[lv.first_pos[c] + i]]);
      mine.push_back(std::move(cand));
    }
    keep_best(mine, opt_.top);
    candidates.insert(candidates.end(), std::make_move_iterator(mine.begin()), std::make_move_iterator(mine.end()));

    out.kernels_fused = out.kernels_eager - out.fused_chains * (L - 1);
    out.ideal_speedup = out.kernels_fused > 0 ? static_cast<double>(out.kernels_eager) / out.kernels_fused : 1.0;
    return out;
  }

  const KernelSequences& seq_;
  const FusionOptions& opt_;
  std::vector<uint32_t> room_;
  std::vector<ns_t> prefix_;
  LevelPtr singles_;
  std::vector<LevelPtr> powers_;
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
