// Fusion figures by doubling (see fusion_methods.h): a chain of length a+b at p is the pair
// (chain of length a at p, chain of length b at p+a), and chain_ids gives each distinct pair a
// dense id, so each length costs a hash pass or a few over the kernels.
#include <algorithm>
#include <memory>

#include "analysis/chain_ids.h"
#include "analysis/fusion_methods.h"

namespace infertrace {

namespace {

using LevelPtr = std::shared_ptr<const ChainLevel>;

class DoublingScan {
 public:
  explicit DoublingScan(const FusionInputs& in) : in_(in), seq_(*in.seq) {
    singles_ = std::make_shared<const ChainLevel>(single_kernels(seq_.name, static_cast<uint32_t>(seq_.names.size())));
    powers_.push_back(singles_);
  }

  std::vector<LengthFusion> run(const std::vector<uint32_t>& lengths) {
    std::vector<LengthFusion> out;
    LevelPtr prev = singles_;
    for (uint32_t want : lengths) {
      // Extend the previous length by the difference: doubling when it equals the previous length
      // (the usual 2, 4, 8, ... list), one pass per set bit of the difference otherwise.
      const uint32_t d = want - prev->length;
      if (d == prev->length) {
        prev = std::make_shared<const ChainLevel>(compose_chains(*prev, *prev, in_.room));
      } else {
        for (int bit = 31; bit >= 0; --bit)
          if (d & (1u << bit)) prev = std::make_shared<const ChainLevel>(compose_chains(*prev, *power(bit), in_.room));
      }
      out.push_back(score_length(*prev));
    }
    return out;
  }

 private:
  // Chains of length 2^bit, built by doubling and kept for later lengths.
  LevelPtr power(int bit) {
    while (static_cast<int>(powers_.size()) <= bit)
      powers_.push_back(std::make_shared<const ChainLevel>(compose_chains(*powers_.back(), *powers_.back(), in_.room)));
    return powers_[bit];
  }

  LengthFusion score_length(const ChainLevel& lv) const {
    const int64_t L = lv.length;
    LengthFusion res;
    ChainLengthResult& out = res.figures;
    out.length = static_cast<int>(L);
    out.unique_chains = static_cast<int64_t>(lv.unique());
    out.kernels_eager = static_cast<int64_t>(seq_.size());

    // PS(C) = f(C) / f(first kernel of C); every occurrence of C starts with the same kernel.
    std::vector<uint8_t> deterministic(lv.unique());
    for (size_t c = 0; c < lv.unique(); ++c) {
      out.chain_instances += lv.count[c];
      deterministic[c] = static_cast<double>(lv.count[c]) / static_cast<double>(singles_->count[seq_.name[lv.first_pos[c]]]) >=
                         in_.threshold;
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
        saved[c] += in_.launch_prefix[p + L] - in_.launch_prefix[p + 1];
        p += static_cast<uint32_t>(L);
      }
      begin = end;
    }

    for (size_t c = 0; c < lv.unique(); ++c) {
      if (fused[c] == 0) continue;
      out.fused_chains += fused[c];
      out.launch_time_saved += saved[c];
      if (lv.count[c] == 1) out.fused_seen_once += fused[c], out.launch_time_saved_seen_once += saved[c];
      FusionCandidate cand;
      cand.length = out.length;
      cand.occurrences = lv.count[c];
      cand.first_occurrences = singles_->count[seq_.name[lv.first_pos[c]]];
      cand.proximity = static_cast<double>(cand.occurrences) / static_cast<double>(cand.first_occurrences);
      cand.fused = fused[c];
      cand.kernels_removed = fused[c] * (L - 1);
      cand.launch_time_saved = saved[c];
      cand.position = lv.first_pos[c];
      res.candidates.push_back(std::move(cand));
    }
    const BetterCandidate better{&seq_};
    if (res.candidates.size() > in_.top) {
      std::nth_element(res.candidates.begin(), res.candidates.begin() + static_cast<std::ptrdiff_t>(in_.top),
                       res.candidates.end(), better);
      res.candidates.resize(in_.top);
    }
    std::sort(res.candidates.begin(), res.candidates.end(), better);

    out.kernels_fused = out.kernels_eager - out.fused_chains * (L - 1);
    out.ideal_speedup = out.kernels_fused > 0 ? static_cast<double>(out.kernels_eager) / out.kernels_fused : 1.0;
    return res;
  }

  const FusionInputs& in_;
  const KernelSequences& seq_;
  LevelPtr singles_;
  std::vector<LevelPtr> powers_;
};

}  // namespace

size_t doubling_passes(const std::vector<uint32_t>& lengths) {
  size_t passes = 0;
  uint32_t prev = 1, powers = 1;  // powers: levels 2^0 .. 2^(powers-1) built
  for (uint32_t want : lengths) {
    const uint32_t d = want - prev;
    if (d == prev) {
      passes += 1;
    } else {
      for (int bit = 31; bit >= 0; --bit) {
        if (!(d & (1u << bit))) continue;
        while (powers <= static_cast<uint32_t>(bit)) ++powers, ++passes;
        passes += 1;
      }
    }
    prev = want;
  }
  return passes;
}

std::vector<LengthFusion> fuse_by_doubling(const FusionInputs& in, const std::vector<uint32_t>& lengths) {
  return DoublingScan(in).run(lengths);
}

}  // namespace infertrace
