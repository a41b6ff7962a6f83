#include "analysis/fusion.h"

#include <algorithm>
#include <iterator>
#include <string>

#include "analysis/fusion_methods.h"
#include "analysis/launch_intervals.h"
#include "util/error.h"
#include "util/units.h"

namespace infertrace {

bool chain_names_less(const KernelSequences& seq, uint32_t a, uint32_t b, uint32_t L) {
  const bool by_text = !seq.name_rank.empty();
  for (uint32_t i = 0; i < L; ++i) {
    const uint32_t da = seq.name[a + i], db = seq.name[b + i];
    if (da == db) continue;
    return by_text ? seq.name_rank[da] < seq.name_rank[db] : seq.names[da] < seq.names[db];
  }
  return false;
}

bool BetterCandidate::operator()(const FusionCandidate& a, const FusionCandidate& b) const {
  if (a.kernels_removed != b.kernels_removed) return a.kernels_removed > b.kernels_removed;
  if (a.launch_time_saved != b.launch_time_saved) return a.launch_time_saved > b.launch_time_saved;
  if (a.length != b.length) return a.length < b.length;
  return chain_names_less(*seq, a.position, b.position, static_cast<uint32_t>(a.length));
}

FusionInputs fusion_inputs(const KernelSequences& seq, double threshold, size_t top) {
  FusionInputs in;
  in.seq = &seq;
  in.threshold = threshold;
  in.top = top;
  const size_t n = seq.size();
  in.launch_prefix.assign(n + 1, 0);
  // Saturating, as analyze sums launch parts (tklqt_launch): each part may be near INT64_MAX.
  for (size_t p = 0; p < n; ++p) in.launch_prefix[p + 1] = sat_add(in.launch_prefix[p], seq.launch_part[p]);
  in.name_count.assign(seq.names.size(), 0);
  for (uint32_t k : seq.name) in.name_count[k] += 1;
  in.room.resize(n);
  uint32_t begin = 0;
  for (uint32_t end : seq.segment_end) {
    for (uint32_t p = begin; p < end; ++p) in.room[p] = end - p;
    begin = end;
  }
  return in;
}

FusionResult analyze_fusion(const KernelSequences& seq, const FusionOptions& opt) {
  if (opt.lengths.empty()) throw UsageError("fusion: no chain lengths given");
  for (int L : opt.lengths)
    if (L < 2 || L > (1 << 20)) throw UsageError("fusion: chain length " + std::to_string(L) + " is outside 2..1048576");
  if (!(opt.threshold > 0.0 && opt.threshold <= 1.0))
    throw UsageError("fusion: threshold " + format_shortest(opt.threshold) + " is outside (0, 1] (a proximity score is a share)");

  std::vector<uint32_t> lengths(opt.lengths.begin(), opt.lengths.end());
  std::sort(lengths.begin(), lengths.end());
  lengths.erase(std::unique(lengths.begin(), lengths.end()), lengths.end());

  const FusionInputs in = fusion_inputs(seq, opt.threshold, opt.top);
  FusionMethod method = opt.method;
  if (method == FusionMethod::Auto)
    method = doubling_passes(lengths) <= kDoublingPassesWorthASort ? FusionMethod::Doubling : FusionMethod::SuffixOrder;
  std::vector<LengthFusion> per_length =
      method == FusionMethod::Doubling ? fuse_by_doubling(in, lengths) : fuse_by_suffix_order(in, lengths);

  FusionResult r;
  r.threshold = opt.threshold;
  r.kernels = static_cast<int64_t>(seq.size());
  r.segments = static_cast<int64_t>(seq.segment_end.size());
  r.streams = seq.streams;
  r.sync_splits = seq.sync_splits;
  r.unlinked_kernels = seq.unlinked_kernels;
  r.distinct_kernels = static_cast<int64_t>(seq.names.size());
  r.launch_part_total = in.launch_prefix.back();
  r.graphs = seq.graphs;
  // One running top: each length's best are moved in and the list cut back to `top` (review FL58
  // M1); names are read out of seq for the survivors alone.
  const BetterCandidate better{&seq};
  for (LengthFusion& l : per_length) {
    r.lengths.push_back(l.figures);
    std::move(l.candidates.begin(), l.candidates.end(), std::back_inserter(r.candidates));
    l.candidates = {};
    if (r.candidates.size() > opt.top) {
      std::nth_element(r.candidates.begin(), r.candidates.begin() + static_cast<std::ptrdiff_t>(opt.top),
                       r.candidates.end(), better);
      r.candidates.resize(opt.top);
    }
  }
  std::sort(r.candidates.begin(), r.candidates.end(), better);
  for (FusionCandidate& c : r.candidates)
    for (uint32_t i = 0; i < static_cast<uint32_t>(c.length); ++i) c.kernels.push_back(seq.names[seq.name[c.position + i]]);
  return r;
}

}  // namespace infertrace
