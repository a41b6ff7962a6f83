// Proximity-score fusion against a plain implementation written here from docs/metrics.md
// section 4 (chains as vectors of names in a std::map, a literal greedy scan per segment), on
// small random sequences and the awkward cases: many unique names, one repeated name, segments
// shorter than L, thresholds below 1, every length from 2 past the longest segment. Every figure
// per length and the ranked candidates must match exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "analysis/fusion.h"
#include "analysis/fusion_methods.h"
#include "analysis/fusion_sequences.h"
#include "analysis/suffix_array.h"

namespace infertrace {
namespace {

struct PlainLength {
  int64_t unique = 0, instances = 0, deterministic = 0, fused = 0;
  ns_t saved = 0;
  int64_t fused_once = 0;  // fusions of chains seen once (f(C) = 1)
  ns_t saved_once = 0;
  std::vector<FusionCandidate> candidates;  // every fused chain
};

PlainLength plain_length(const KernelSequences& s, size_t L, double T) {
  std::vector<std::pair<uint32_t, uint32_t>> segs;
  uint32_t begin = 0;
  for (uint32_t end : s.segment_end) segs.emplace_back(begin, end), begin = end;
  std::map<uint32_t, int64_t> fk;
  for (uint32_t k : s.name) fk[k] += 1;
  auto chain_at = [&](size_t p) { return std::vector<uint32_t>(s.name.begin() + p, s.name.begin() + p + L); };
  std::map<std::vector<uint32_t>, int64_t> fc;
  for (auto [b, e] : segs)
    for (size_t p = b; p + L <= e; ++p) fc[chain_at(p)] += 1;
  auto ps = [&](const std::vector<uint32_t>& c) { return static_cast<double>(fc[c]) / static_cast<double>(fk[c[0]]); };

  PlainLength out;
  out.unique = static_cast<int64_t>(fc.size());
  for (auto& [c, n] : fc) {
    out.instances += n;
    out.deterministic += ps(c) >= T;
  }
  std::map<std::vector<uint32_t>, std::pair<int64_t, ns_t>> fused;  // chain -> (fused, saved)
  for (auto [b, e] : segs) {
    for (size_t p = b; p + L <= e;) {
      const auto c = chain_at(p);
      if (ps(c) < T) {
        ++p;
        continue;
      }
      ns_t saved = 0;
      for (size_t i = 1; i < L; ++i) saved += s.launch_part[p + i];
      fused[c].first += 1;
      fused[c].second += saved;
      out.fused += 1;
      out.saved += saved;
      p += L;
    }
  }
  for (auto& [c, fs] : fused) {
    FusionCandidate cand;
    cand.length = static_cast<int>(L);
    for (uint32_t k : c) cand.kernels.push_back(s.names[k]);
    cand.occurrences = fc[c];
    cand.first_occurrences = fk[c[0]];
    cand.proximity = static_cast<double>(cand.occurrences) / static_cast<double>(cand.first_occurrences);
    if (fc[c] == 1) out.fused_once += fs.first, out.saved_once += fs.second;
    cand.fused = fs.first;
    cand.kernels_removed = fs.first * static_cast<int64_t>(L - 1);
    cand.launch_time_saved = fs.second;
    out.candidates.push_back(cand);
  }
  return out;
}

// The documented candidate order (docs/fusion.md), spelled out as a tuple comparison.
bool plain_better(const FusionCandidate& a, const FusionCandidate& b) {
  return std::make_tuple(-a.kernels_removed, -a.launch_time_saved, a.length, a.kernels) <
         std::make_tuple(-b.kernels_removed, -b.launch_time_saved, b.length, b.kernels);
}

// Fusions of chains seen once over the checks since the last reset: the tests below make sure
// their sequences have some, so that the seen-once figures are compared on real cases.
int64_t seen_once_fusions = 0;

void expect_same_by(const KernelSequences& s, const FusionOptions& opt, const std::string& what) {
  SCOPED_TRACE(what);
  const FusionResult got = analyze_fusion(s, opt);
  std::vector<int> lengths = opt.lengths;
  std::sort(lengths.begin(), lengths.end());
  lengths.erase(std::unique(lengths.begin(), lengths.end()), lengths.end());
  ASSERT_EQ(got.lengths.size(), lengths.size());
  std::vector<FusionCandidate> all;
  for (size_t i = 0; i < lengths.size(); ++i) {
    const int L = lengths[i];
    SCOPED_TRACE("L=" + std::to_string(L));
    const PlainLength want = plain_length(s, static_cast<size_t>(L), opt.threshold);
    const ChainLengthResult& g = got.lengths[i];
    ASSERT_EQ(g.length, L);
    EXPECT_EQ(g.unique_chains, want.unique);
    EXPECT_EQ(g.chain_instances, want.instances);
    EXPECT_EQ(g.deterministic_chains, want.deterministic);
    EXPECT_EQ(g.fused_chains, want.fused);
    EXPECT_EQ(g.launch_time_saved, want.saved);
    EXPECT_EQ(g.fused_seen_once, want.fused_once);
    EXPECT_EQ(g.launch_time_saved_seen_once, want.saved_once);
    seen_once_fusions += want.fused_once;
    EXPECT_EQ(g.kernels_eager, static_cast<int64_t>(s.size()));
    EXPECT_EQ(g.kernels_fused, static_cast<int64_t>(s.size()) - want.fused * (L - 1));
    all.insert(all.end(), want.candidates.begin(), want.candidates.end());
  }
  std::sort(all.begin(), all.end(), plain_better);
  if (all.size() > opt.top) all.resize(opt.top);
  ASSERT_EQ(got.candidates.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    SCOPED_TRACE("candidate " + std::to_string(i));
    const FusionCandidate &g = got.candidates[i], &w = all[i];
    EXPECT_EQ(g.length, w.length);
    EXPECT_EQ(g.kernels, w.kernels);
    EXPECT_EQ(g.occurrences, w.occurrences);
    EXPECT_EQ(g.first_occurrences, w.first_occurrences);
    EXPECT_EQ(g.proximity, w.proximity);
    EXPECT_EQ(g.fused, w.fused);
    EXPECT_EQ(g.kernels_removed, w.kernels_removed);
    EXPECT_EQ(g.launch_time_saved, w.launch_time_saved);
  }
}

// Both methods (fusion_methods.h) must give the plain implementation's figures.
void expect_same(const KernelSequences& s, FusionOptions opt, const std::string& what) {
  opt.method = FusionMethod::Doubling;
  expect_same_by(s, opt, what + " (doubling)");
  opt.method = FusionMethod::SuffixOrder;
  expect_same_by(s, opt, what + " (suffix order)");
}

// Names from `pick`, cut into segments where `cut` says, random launch parts. Trace string ids
// are deliberately not in name-id order, so ties between candidates are broken by string id.
template <class Pick, class Cut>
KernelSequences make(size_t n, uint32_t alphabet, std::mt19937& rng, Pick pick, Cut cut) {
  KernelSequences s;
  for (size_t i = 0; i < n; ++i) s.name.push_back(pick(i));
  for (uint32_t k = 0; k < alphabet; ++k) s.names.push_back(1000 - 7 * k);
  for (size_t i = 0; i < n; ++i) s.launch_part.push_back(static_cast<ns_t>(rng() % 50));
  for (size_t i = 1; i < n; ++i)
    if (cut(i)) s.segment_end.push_back(static_cast<uint32_t>(i));
  if (n > 0) s.segment_end.push_back(static_cast<uint32_t>(n));
  return s;
}

std::vector<int> lengths_up_to(int max) {
  std::vector<int> v;
  for (int L = 2; L <= max; ++L) v.push_back(L);
  return v;
}

const std::vector<double> kThresholds = {1.0, 0.75, 0.5, 1.0 / 3.0, 0.2, 0.01};

TEST(FusionDifferential, RandomRepetitiveSequences) {
  std::mt19937 rng(2024);
  seen_once_fusions = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const uint32_t alphabet = 2 + rng() % 6;
    const size_t n = 1 + rng() % 160;
    std::vector<uint32_t> block(1 + rng() % 7);
    for (auto& k : block) k = rng() % alphabet;
    const uint32_t noise = 2 + rng() % 8, cuts = 5 + rng() % 60;
    KernelSequences s = make(n, alphabet, rng,
        [&](size_t i) { return rng() % noise == 0 ? static_cast<uint32_t>(rng() % alphabet) : block[i % block.size()]; },
        [&](size_t) { return rng() % cuts == 0; });
    // Names never used keep their dense id: f(k) = 0 must not matter.
    FusionOptions opt;
    opt.lengths = lengths_up_to(static_cast<int>(n) + 2);
    opt.threshold = kThresholds[trial % kThresholds.size()];
    opt.top = trial % 3 == 0 ? 1000 : 5;
    expect_same(s, opt, "trial " + std::to_string(trial));
  }
  EXPECT_GT(seen_once_fusions, 0);
}

TEST(FusionDifferential, ManyUniqueNames) {
  std::mt19937 rng(7);
  seen_once_fusions = 0;
  for (double T : kThresholds) {
    // Every kernel distinct: every chain occurs once and has PS 1.
    KernelSequences s = make(90, 90, rng, [](size_t i) { return static_cast<uint32_t>(i); },
                             [](size_t i) { return i % 37 == 0; });
    FusionOptions opt;
    opt.lengths = lengths_up_to(95);
    opt.threshold = T;
    expect_same(s, opt, "unique names T=" + std::to_string(T));
    // Mostly unique with a few repeats.
    KernelSequences m = make(120, 60, rng, [&](size_t i) { return static_cast<uint32_t>(i % 4 == 0 ? rng() % 60 : i / 2); },
                             [](size_t) { return false; });
    opt.lengths = lengths_up_to(40);
    expect_same(m, opt, "mostly unique T=" + std::to_string(T));
  }
  EXPECT_GT(seen_once_fusions, 0);
}

TEST(FusionDifferential, OneRepeatedName) {
  std::mt19937 rng(11);
  for (double T : kThresholds) {
    for (int variant = 0; variant < 3; ++variant) {
      // One segment, equal segments, and segments of random length.
      KernelSequences s = make(100, 1, rng, [](size_t) { return 0u; }, [&](size_t i) {
        return variant == 0 ? false : variant == 1 ? i % 10 == 0 : rng() % 9 == 0;
      });
      FusionOptions opt;
      opt.lengths = lengths_up_to(103);
      opt.threshold = T;
      opt.top = 50;
      expect_same(s, opt, "one name variant " + std::to_string(variant) + " T=" + std::to_string(T));
    }
  }
}

TEST(FusionDifferential, SegmentsShorterThanTheLength) {
  std::mt19937 rng(5);
  for (double T : kThresholds) {
    // Segments of 1..3 kernels; lengths reach far beyond them, and a sparse list of lengths.
    KernelSequences s = make(200, 3, rng, [&](size_t) { return static_cast<uint32_t>(rng() % 3); },
                             [&](size_t) { return rng() % 2 == 0; });
    FusionOptions opt;
    opt.lengths = lengths_up_to(12);
    opt.threshold = T;
    expect_same(s, opt, "short segments T=" + std::to_string(T));
    opt.lengths = {300, 2, 7, 3, 64, 3};
    expect_same(s, opt, "sparse lengths T=" + std::to_string(T));
  }
  // A single kernel, and no kernels at all.
  KernelSequences one = make(1, 1, rng, [](size_t) { return 0u; }, [](size_t) { return false; });
  FusionOptions opt;
  opt.lengths = {2, 3};
  expect_same(one, opt, "one kernel");
  expect_same(KernelSequences{}, opt, "empty");
}

TEST(FusionDifferential, AutoPicksDoublingForFewLengths) {
  // The default list is eight doublings; every length 2..256 would be 255 passes.
  EXPECT_EQ(doubling_passes({2, 4, 8, 16, 32, 64, 128, 256}), 8u);
  std::vector<uint32_t> every;
  for (uint32_t L = 2; L <= 256; ++L) every.push_back(L);
  EXPECT_EQ(doubling_passes(every), 255u);
  // 31 from 1 adds 30 = 16 + 8 + 4 + 2: the power levels 2, 4, 8, 16 are built, then four steps.
  EXPECT_EQ(doubling_passes({31}), 4u + 4u);
  EXPECT_LE(doubling_passes({2, 4, 8, 16, 32, 64, 128, 256}), kDoublingPassesWorthASort);
  EXPECT_GT(doubling_passes(every), kDoublingPassesWorthASort);
}

// The suffix array itself against sorting the suffixes by comparison, including the
// repetitive strings where induced sorting recurses deepest.
TEST(FusionDifferential, SuffixArrayMatchesComparisonSort) {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 200; ++trial) {
    const uint32_t alphabet = 1 + rng() % (trial % 4 == 0 ? 2 : 20);
    const size_t n = rng() % 300;
    std::vector<uint32_t> s;
    const size_t period = 1 + rng() % 5;
    for (size_t i = 0; i < n; ++i) s.push_back(1 + (trial % 2 ? static_cast<uint32_t>(rng() % alphabet) : static_cast<uint32_t>(i % period) % alphabet));
    s.push_back(0);
    std::vector<uint32_t> want(s.size());
    for (uint32_t i = 0; i < want.size(); ++i) want[i] = i;
    std::sort(want.begin(), want.end(), [&](uint32_t a, uint32_t b) {
      return std::lexicographical_compare(s.begin() + a, s.end(), s.begin() + b, s.end());
    });
    EXPECT_EQ(suffix_array(s, alphabet + 1), want) << "trial " << trial;
  }
}

}  // namespace
}  // namespace infertrace
