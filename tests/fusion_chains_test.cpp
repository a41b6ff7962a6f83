// Proximity-score fusion (docs/metrics.md section 4): hand-computed scores and greedy counts on
// small traces, segmentation at sync calls, graph launches, and a cross-check of the fast chain
// ids against a plain implementation that compares chains as vectors of names.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "analysis/chain_order.h"
#include "analysis/fusion.h"
#include "analysis/fusion_sequences.h"
#include "analysis/launch.h"
#include "util/error.h"

namespace infertrace {
namespace {

// A kernel and its launch call on one stream: call at `call_start` lasting `call_dur`, kernel at
// `gpu_start`. Correlation ids are unique unless given.
struct TraceBuilder {
  Trace t;
  int64_t next_corr = 1;

  int64_t kernel(const std::string& name, ns_t call_start, ns_t call_dur, ns_t gpu_start, int64_t stream = 7,
                 int32_t device = 0) {
    const int64_t corr = next_corr++;
    ApiCall c;
    c.start = call_start, c.dur = call_dur, c.pid = 1, c.tid = 1, c.correlation = corr;
    c.name = t.strings.intern("cudaLaunchKernel"), c.kind = ApiKind::KernelLaunch;
    t.api.push(c);
    gpu(name, gpu_start, corr, stream, device);
    return corr;
  }
  void gpu(const std::string& name, ns_t start, int64_t corr, int64_t stream = 7, int32_t device = 0) {
    GpuActivity g;
    g.start = start, g.dur = 100, g.device = device, g.stream = stream, g.correlation = corr;
    g.name = t.strings.intern(name);
    t.gpu.push(g);
  }
  void api(const std::string& name, ApiKind kind, ns_t start, ns_t dur, int64_t corr = -1) {
    ApiCall c;
    c.start = start, c.dur = dur, c.pid = 1, c.tid = 1, c.correlation = corr;
    c.name = t.strings.intern(name), c.kind = kind;
    t.api.push(c);
  }
};

// Kernel i of `names` launched by a call at 1000*i lasting 10*(i+1), which the GPU starts only
// after the call returned: the launch part of kernel i is exactly 10*(i+1).
Trace one_stream(const std::string& names) {
  TraceBuilder b;
  for (size_t i = 0; i < names.size(); ++i)
    b.kernel(std::string(1, names[i]), 1000 * static_cast<ns_t>(i), 10 * static_cast<ns_t>(i + 1),
             1000 * static_cast<ns_t>(i) + 500);
  return std::move(b.t);
}

const ChainLengthResult& at(const FusionResult& r, int L) {
  for (auto& x : r.lengths)
    if (x.length == L) return x;
  throw std::runtime_error("no length " + std::to_string(L));
}

TEST(FusionChains, HandComputedScoresAndGreedyCount) {
  const Trace t = one_stream("ABCABDABC");
  const KernelSequences seq = build_kernel_sequences(t);
  ASSERT_EQ(seq.size(), 9u);
  EXPECT_EQ(seq.segment_end, std::vector<uint32_t>{9});
  FusionOptions opt;
  opt.lengths = {2, 3};
  opt.threshold = 1.0;
  const FusionResult r = analyze_fusion(seq, opt);
  // L=2: AB x3, BC x2, CA, BD, DA. f(A)=3, f(B)=3, f(C)=2, f(D)=1.
  // PS: AB 3/3, BC 2/3, CA 1/2, BD 1/3, DA 1/1 -> deterministic AB, DA.
  // Greedy: AB@0 fused, CA@2 no, AB@3 fused, DA@5 fused, BC@7 no -> 3 fused.
  const auto& l2 = at(r, 2);
  EXPECT_EQ(l2.unique_chains, 5);
  EXPECT_EQ(l2.chain_instances, 8);
  EXPECT_EQ(l2.deterministic_chains, 2);
  EXPECT_EQ(l2.fused_chains, 3);
  EXPECT_EQ(l2.kernels_eager, 9);
  EXPECT_EQ(l2.kernels_fused, 6);
  EXPECT_DOUBLE_EQ(l2.ideal_speedup, 1.5);
  // Saved: the second kernel of each fused chain: kernels 1, 4, 6 -> 20 + 50 + 70.
  EXPECT_EQ(l2.launch_time_saved, 140);
  // L=3: ABC x2 (PS 2/3), DAB 1/1 the only deterministic chain, fused once at 5.
  const auto& l3 = at(r, 3);
  EXPECT_EQ(l3.unique_chains, 6);
  EXPECT_EQ(l3.chain_instances, 7);
  EXPECT_EQ(l3.deterministic_chains, 1);
  EXPECT_EQ(l3.fused_chains, 1);
  EXPECT_EQ(l3.kernels_fused, 7);
  EXPECT_EQ(l3.launch_time_saved, 70 + 80);  // kernels 6 and 7
  EXPECT_EQ(r.launch_part_total, 10 * (1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9));

  // Candidates: DAB (L=3, fused once) and AB (L=2, fused twice) both remove 2 kernels; DAB saves
  // more launch time (70 + 80 against 20 + 50) so it ranks first; DA (1 removed) comes last.
  ASSERT_EQ(r.candidates.size(), 3u);
  const auto& first = r.candidates[0];
  EXPECT_EQ(first.length, 3);
  EXPECT_EQ(first.kernels_removed, 2);
  EXPECT_EQ(first.launch_time_saved, 150);
  const auto& ab = r.candidates[1];
  EXPECT_EQ(ab.length, 2);
  ASSERT_EQ(ab.kernels.size(), 2u);
  EXPECT_EQ(t.str(ab.kernels[0]), "A");
  EXPECT_EQ(t.str(ab.kernels[1]), "B");
  EXPECT_EQ(ab.occurrences, 3);
  EXPECT_EQ(ab.first_occurrences, 3);
  EXPECT_DOUBLE_EQ(ab.proximity, 1.0);
  EXPECT_EQ(ab.fused, 2);
  EXPECT_EQ(ab.kernels_removed, 2);
  EXPECT_EQ(ab.launch_time_saved, 20 + 50);
  EXPECT_EQ(r.candidates[2].kernels_removed, 1);
  EXPECT_EQ(t.str(r.candidates[2].kernels[0]), "D");
}

TEST(FusionChains, ThresholdBelowOne) {
  const KernelSequences seq = build_kernel_sequences(one_stream("ABCABDABC"));
  FusionOptions opt;
  opt.lengths = {2};
  opt.threshold = 0.6;
  // BC (2/3) now qualifies too: AB@0, CA@2 no, AB@3, DA@5, BC@7 -> 4 fused, 5 kernels left.
  const auto r = analyze_fusion(seq, opt);
  EXPECT_EQ(r.lengths[0].deterministic_chains, 3);
  EXPECT_EQ(r.lengths[0].fused_chains, 4);
  EXPECT_EQ(r.lengths[0].kernels_fused, 5);
  EXPECT_DOUBLE_EQ(r.lengths[0].ideal_speedup, 9.0 / 5.0);
}

TEST(FusionChains, SyncCallSplitsSegments) {
  TraceBuilder b;
  b.kernel("A", 0, 10, 500);
  b.kernel("B", 1000, 10, 1500);
  b.api("cudaDeviceSynchronize", ApiKind::Sync, 1200, 300);  // starts between B's and the next call
  b.kernel("A", 2000, 10, 2500);
  b.kernel("B", 3000, 10, 3500);
  const KernelSequences seq = build_kernel_sequences(b.t);
  EXPECT_EQ(seq.sync_splits, 1);
  EXPECT_EQ(seq.segment_end, (std::vector<uint32_t>{2, 4}));
  FusionOptions opt;
  opt.lengths = {2, 3};
  const auto r = analyze_fusion(seq, opt);
  // Only AB twice; BA would cross the sync; no chain of 3 fits in a segment of 2.
  EXPECT_EQ(r.lengths[0].unique_chains, 1);
  EXPECT_EQ(r.lengths[0].chain_instances, 2);
  EXPECT_EQ(r.lengths[0].fused_chains, 2);
  EXPECT_EQ(r.lengths[1].chain_instances, 0);
  EXPECT_EQ(r.lengths[1].kernels_fused, 4);

  // A sync call outside the launch calls' span splits nothing.
  TraceBuilder c;
  c.kernel("A", 0, 10, 500);
  c.kernel("B", 1000, 10, 1500);
  c.api("cudaStreamSynchronize", ApiKind::Sync, 5000, 10);
  EXPECT_EQ(build_kernel_sequences(c.t).sync_splits, 0);
}

// Review AK L3: an unlinked kernel between two linked ones does not hide a sync between their calls.
// Linked A (call at 1000), orphan X (no call), linked B (call at 30000), a cudaDeviceSynchronize
// at 5000: B's call is compared with A's, the last linked kernel's, so the sync cuts before B.
TEST(FusionChains, UnlinkedKernelDoesNotStopASyncSplit) {
  TraceBuilder b;
  b.kernel("A", 1000, 10, 2000);
  b.gpu("X", 3000, /*corr=*/999);  // no call has this correlation
  b.api("cudaDeviceSynchronize", ApiKind::Sync, 5000, 100);
  b.kernel("B", 30000, 10, 31000);
  const KernelSequences seq = build_kernel_sequences(b.t);
  EXPECT_EQ(seq.unlinked_kernels, 1);
  EXPECT_EQ(seq.sync_splits, 1);
  EXPECT_EQ(seq.segment_end, (std::vector<uint32_t>{2, 3}));  // [A X] [B]

  // Without the sync the three stay one segment.
  TraceBuilder c;
  c.kernel("A", 1000, 10, 2000);
  c.gpu("X", 3000, 999);
  c.kernel("B", 30000, 10, 31000);
  EXPECT_EQ(build_kernel_sequences(c.t).sync_splits, 0);
  EXPECT_EQ(build_kernel_sequences(c.t).segment_end, (std::vector<uint32_t>{3}));
}

TEST(FusionChains, StreamsAreSeparateAndOrderedByStart) {
  TraceBuilder b;
  // Rows out of time order and two streams interleaved in time.
  b.kernel("B", 1000, 10, 1500, /*stream=*/1);
  b.kernel("X", 1100, 10, 1600, /*stream=*/2);
  b.kernel("A", 0, 10, 500, /*stream=*/1);
  b.kernel("Y", 2100, 10, 2600, /*stream=*/2);
  const KernelSequences seq = build_kernel_sequences(b.t);
  EXPECT_EQ(seq.streams, 2);
  ASSERT_EQ(seq.size(), 4u);
  std::string order;
  for (uint32_t n : seq.name) order += b.t.str(seq.names[n]);
  EXPECT_EQ(order, "ABXY");
  EXPECT_EQ(seq.segment_end, (std::vector<uint32_t>{2, 4}));
}

// Review CX L12: kernels of one stream that start at the same time are in submission order (their
// launch calls' starts, then correlation ids), whatever their places in the file. X, then A and B
// launched in that order and both starting at 1520 (zero-length kernels with rounded times), then Y:
// the order is XABY with either row of A and B first. Two kernels of one graph launch (one call, one
// id) that start together keep their file order: nothing else tells them apart.
TEST(FusionChains, EqualStartsOnAStreamGoInLaunchOrder) {
  for (const bool b_row_first : {false, true}) {
    TraceBuilder b;
    b.kernel("X", 1000, 10, 1500);
    const int64_t ca = b.next_corr++, cb = b.next_corr++;
    b.api("cudaLaunchKernel", ApiKind::KernelLaunch, 1100, 10, ca);
    b.api("cudaLaunchKernel", ApiKind::KernelLaunch, 1200, 10, cb);
    if (b_row_first) b.gpu("B", 1520, cb), b.gpu("A", 1520, ca);
    else b.gpu("A", 1520, ca), b.gpu("B", 1520, cb);
    b.kernel("Y", 1300, 10, 1700);
    const int64_t cg = b.next_corr++;  // a graph launch whose two kernels start together: by id
    b.api("cudaGraphLaunch", ApiKind::GraphLaunch, 1400, 10, cg);
    if (b_row_first) b.gpu("Q", 1800, cg), b.gpu("P", 1800, cg);
    else b.gpu("P", 1800, cg), b.gpu("Q", 1800, cg);
    const KernelSequences seq = build_kernel_sequences(b.t);
    std::string order;
    for (uint32_t n : seq.name) order += b.t.str(seq.names[n]);
    // (P and Q share the call and the id: they keep their file order, the only order left)
    EXPECT_EQ(order, b_row_first ? "XABYQP" : "XABYPQ") << (b_row_first ? "B's row first" : "A's row first");
  }
}

TEST(FusionChains, LaunchPartOfOverlappingCallAndGraphLaunch) {
  TraceBuilder b;
  // Kernel starts 30 ns into a 100 ns call: l = 30, q = 0, launch part 30.
  b.kernel("A", 0, 100, 30);
  // A graph launch (one call, three kernels): its launch part is charged once, to the first.
  b.api("cudaGraphLaunch", ApiKind::GraphLaunch, 1000, 40, 99);
  b.gpu("G1", 1100, 99);
  b.gpu("G2", 1300, 99);
  b.gpu("G3", 1200, 99);
  // A kernel nobody launched (orphan).
  b.gpu("Z", 5000, -1);
  const KernelSequences seq = build_kernel_sequences(b.t);
  ASSERT_EQ(seq.size(), 5u);
  EXPECT_EQ(seq.launch_part, (std::vector<ns_t>{30, 40, 0, 0, 0}));
  EXPECT_EQ(seq.unlinked_kernels, 1);
  EXPECT_EQ(seq.graphs.launches, 1);
  EXPECT_EQ(seq.graphs.kernels, 3);
  EXPECT_EQ(seq.graphs.api_time, 40);
  EXPECT_EQ(seq.graphs.launch_part, 40);
}

// A launch call with no measured end (dur -1, a recording whose return probe did not fire): the
// queue part cannot be told apart, so docs/metrics.md puts its whole latency in the launch part.
// Fusion's launch parts must be the ones analyze sums into tklqt_launch.
TEST(FusionChains, UnknownCallDurationChargesTheWholeLatency) {
  TraceBuilder b;
  b.kernel("A", 0, -1, 300);       // l = 300, launch part 300
  b.kernel("B", 1000, 50, 1200);   // l = 200, q = 150, launch part 50
  b.api("cudaGraphLaunch", ApiKind::GraphLaunch, 2000, -1, 99);
  b.gpu("G1", 2400, 99);           // l = 400 (graph's first kernel), launch part 400
  b.gpu("G2", 2600, 99);
  const KernelSequences seq = build_kernel_sequences(b.t);
  EXPECT_EQ(seq.launch_part, (std::vector<ns_t>{300, 50, 400, 0}));
  EXPECT_EQ(seq.graphs.launch_part, 400);
  EXPECT_EQ(analyze_launches(b.t).tklqt_launch, 300 + 50 + 400);
  // The graph launch's API time is unknown, not 0 (review DF L2): counted, but not timed.
  EXPECT_EQ(seq.graphs.launches, 1);
  EXPECT_EQ(seq.graphs.kernels, 2);
  EXPECT_EQ(seq.graphs.timed_launches, 0);
  EXPECT_EQ(seq.graphs.timed_kernels, 0);
  EXPECT_EQ(seq.graphs.api_time, 0);
}

// Two graph launches, one of 40 ns with two kernels and one of unknown duration with three: the
// API time is the timed call's alone, with its own kernels, as analyze's api_total_ns and
// timed_calls count the same calls.
TEST(FusionChains, GraphApiTimeLeavesOutUnknownDurations) {
  TraceBuilder b;
  b.api("cudaGraphLaunch", ApiKind::GraphLaunch, 1000, 40, 98);
  b.gpu("G1", 1100, 98);
  b.gpu("G2", 1200, 98);
  b.api("cudaGraphLaunch", ApiKind::GraphLaunch, 2000, -1, 99);
  b.gpu("H1", 2100, 99);
  b.gpu("H2", 2200, 99);
  b.gpu("H3", 2300, 99);
  const KernelSequences seq = build_kernel_sequences(b.t);
  EXPECT_EQ(seq.graphs.launches, 2);
  EXPECT_EQ(seq.graphs.kernels, 5);
  EXPECT_EQ(seq.graphs.timed_launches, 1);
  EXPECT_EQ(seq.graphs.timed_kernels, 2);
  EXPECT_EQ(seq.graphs.api_time, 40);
  const LaunchAnalysis a = analyze_launches(b.t);
  int graph_rows = 0;
  for (const ApiBreakdownRow& row : a.by_api)
    if (row.kind == ApiKind::GraphLaunch) {
      ++graph_rows;
      EXPECT_EQ(row.timed, seq.graphs.timed_launches);
      EXPECT_EQ(row.api_total, seq.graphs.api_time);
    }
  EXPECT_EQ(graph_rows, 1);
}

TEST(FusionChains, RejectsBadOptions) {
  const KernelSequences seq = build_kernel_sequences(one_stream("AB"));
  FusionOptions opt;
  opt.lengths = {1};
  EXPECT_THROW(analyze_fusion(seq, opt), UsageError);
  opt.lengths = {2};
  opt.threshold = 1.5;
  EXPECT_THROW(analyze_fusion(seq, opt), UsageError);
  opt.threshold = 0;
  EXPECT_THROW(analyze_fusion(seq, opt), UsageError);
}

TEST(FusionChains, EmptyTrace) {
  const KernelSequences seq = build_kernel_sequences(Trace{});
  const auto r = analyze_fusion(seq, FusionOptions{});
  ASSERT_EQ(r.lengths.size(), 8u);
  EXPECT_EQ(r.lengths[0].kernels_eager, 0);
  EXPECT_DOUBLE_EQ(r.lengths[0].ideal_speedup, 1.0);
  EXPECT_TRUE(r.candidates.empty());
}

// ---- plain second implementation -----------------------------------------------------------

struct Plain {
  int64_t unique = 0, instances = 0, deterministic = 0, fused = 0;
  ns_t saved = 0;
};

Plain plain_fusion(const KernelSequences& s, size_t L, double T) {
  std::vector<std::vector<uint32_t>> segs;
  uint32_t begin = 0;
  for (uint32_t end : s.segment_end) {
    segs.emplace_back(s.name.begin() + begin, s.name.begin() + end);
    begin = end;
  }
  std::map<uint32_t, int64_t> fk;
  std::map<std::vector<uint32_t>, int64_t> fc;
  for (auto& g : segs) {
    for (uint32_t k : g) fk[k] += 1;
    for (size_t p = 0; p + L <= g.size(); ++p) fc[std::vector<uint32_t>(g.begin() + p, g.begin() + p + L)] += 1;
  }
  Plain out;
  out.unique = static_cast<int64_t>(fc.size());
  for (auto& [c, n] : fc) {
    out.instances += n;
    out.deterministic += static_cast<double>(n) / fk[c[0]] >= T;
  }
  begin = 0;
  for (size_t si = 0; si < segs.size(); ++si) {
    auto& g = segs[si];
    for (size_t p = 0; p + L <= g.size();) {
      std::vector<uint32_t> c(g.begin() + p, g.begin() + p + L);
      if (static_cast<double>(fc[c]) / fk[c[0]] >= T) {
        out.fused += 1;
        for (size_t i = 1; i < L; ++i) out.saved += s.launch_part[begin + p + i];
        p += L;
      } else {
        p += 1;
      }
    }
    begin += static_cast<uint32_t>(g.size());
  }
  return out;
}

TEST(FusionChains, MatchesPlainImplementationOnRandomSequences) {
  std::mt19937 rng(12345);
  for (int trial = 0; trial < 40; ++trial) {
    KernelSequences s;
    const uint32_t alphabet = 2 + rng() % 5;
    const size_t n = 50 + rng() % 400;
    // Repetitive blocks with random noise, so long deterministic chains exist.
    std::vector<uint32_t> block(3 + rng() % 6);
    for (auto& k : block) k = rng() % alphabet;
    for (size_t i = 0; i < n; ++i) s.name.push_back(rng() % 5 == 0 ? rng() % alphabet : block[i % block.size()]);
    for (uint32_t k = 0; k < alphabet; ++k) s.names.push_back(k + 1);
    for (size_t i = 0; i < n; ++i) s.launch_part.push_back(static_cast<ns_t>(rng() % 1000));
    for (size_t i = 1; i < n; ++i)
      if (rng() % 40 == 0) s.segment_end.push_back(static_cast<uint32_t>(i));
    s.segment_end.push_back(static_cast<uint32_t>(n));
    FusionOptions opt;
    // Odd trials: lengths reached by extending with powers of two; even: the doubling path.
    opt.lengths = trial % 2 ? std::vector<int>{31, 2, 3, 4, 5, 7, 8, 13, 16} : std::vector<int>{2, 4, 8, 16, 32};
    opt.threshold = std::vector<double>{1.0, 0.5, 0.25}[trial % 3];
    const FusionResult r = analyze_fusion(s, opt);
    for (const auto& got : r.lengths) {
      const Plain want = plain_fusion(s, static_cast<size_t>(got.length), opt.threshold);
      SCOPED_TRACE("trial " + std::to_string(trial) + " L=" + std::to_string(got.length));
      EXPECT_EQ(got.unique_chains, want.unique);
      EXPECT_EQ(got.chain_instances, want.instances);
      EXPECT_EQ(got.deterministic_chains, want.deterministic);
      EXPECT_EQ(got.fused_chains, want.fused);
      EXPECT_EQ(got.launch_time_saved, want.saved);
      EXPECT_EQ(got.kernels_fused, static_cast<int64_t>(n) - want.fused * (got.length - 1));
    }
  }
}

TEST(FusionChains, SyncCallAtALaunchCallsStartSplitsNothing) {
  // docs/fusion.md: a sequence is cut where a sync call starts strictly between the start times of
  // two consecutive kernels' launch calls. Calls start at 0, 1000, 2000, 3000; the syncs start at
  // 1000 and 2000, each exactly at a call's start, so neither is strictly between two: one
  // segment of four kernels.
  TraceBuilder b;
  b.kernel("A", 0, 10, 500);
  b.kernel("B", 1000, 10, 1500);
  b.api("cudaDeviceSynchronize", ApiKind::Sync, 1000, 300);
  b.kernel("A", 2000, 10, 2500);
  b.api("cudaStreamSynchronize", ApiKind::Sync, 2000, 10);
  b.kernel("B", 3000, 10, 3500);
  const KernelSequences seq = build_kernel_sequences(b.t);
  EXPECT_EQ(seq.sync_splits, 0);
  EXPECT_EQ(seq.segment_end, (std::vector<uint32_t>{4}));

  // One ns later the first sync (API row 2) lies strictly between 1000 and 2000: one cut there.
  b.t.api.start[2] = 1001;
  const KernelSequences cut = build_kernel_sequences(b.t);
  EXPECT_EQ(cut.sync_splits, 1);
  EXPECT_EQ(cut.segment_end, (std::vector<uint32_t>{2, 4}));
}

// chain_occurrences strides over whole blocks of kLcpBlock ranks, never past the last rank. 100
// repeats of (a b c) and then "a b": 302 positions, the 100 "c" positions sort last (ranks 202..301)
// and share "c a b", so the last block (ranks 256..301, a partial one) is all inside their run.
// Every position's count for L = 1..4 is checked against a direct count of equal windows.
TEST(FusionChains, ChainOccurrencesStopAtTheLastRank) {
  std::vector<uint32_t> name;
  for (int i = 0; i < 100; ++i) name.insert(name.end(), {0, 1, 2});
  name.insert(name.end(), {0, 1});
  const uint32_t n = static_cast<uint32_t>(name.size());
  ASSERT_NE(n % ChainOrder::kLcpBlock, 0u);
  const ChainOrder co = build_chain_order(name, 3, {n}, 4);
  auto direct = [&](uint32_t p, uint32_t L) {
    uint32_t count = 0;
    for (uint32_t q = 0; q + L <= n; ++q) count += std::equal(name.begin() + q, name.begin() + q + L, name.begin() + p);
    return count;
  };
  for (uint32_t L = 1; L <= 4; ++L)
    for (uint32_t p = 0; p + L <= n; ++p) ASSERT_EQ(chain_occurrences(co, co.rank[p], L), direct(p, L)) << "p=" << p << " L=" << L;
  EXPECT_EQ(chain_occurrences(co, co.rank[2], 3), 100u);  // "c a b"
}

}  // namespace
}  // namespace infertrace
