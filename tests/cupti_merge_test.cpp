// The recorder's CUPTI merge (record/cupti_merge.h): ring records from the synthetic producer
// (support/cupti_synth/cupti_synth_producer.h, the injection library's exact records) become a
// .itrace file whose reading gives launch latency, queue time and TKLQT in closed form; the same with
// GPU times on a raw clock converted by the paired-sample fit; two processes with clashing
// correlation ids stay apart.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <set>

#include "analysis/launch.h"
#include "cupti_inject/inject_counts.h"
#include "ingest/recording/recording_reader.h"
#include "record/cupti_merge.h"
#include "record/itrace_writer.h"
#include "support/cupti_synth/cupti_synth_producer.h"

namespace infertrace {
namespace {

struct SynthRun {
  Trace trace;
  CuptiMergeStats stats;
};

// `extra` pushes further ring records after the producers' (a test's own odd records).
// `stop`: the recording's stop given to the merge (0: none).
SynthRun record_synthetic(const std::vector<std::tuple<uint32_t, uint32_t, bool>>& procs, int launches,
                          const std::function<void(cupti::Ring&)>& extra = {}, uint64_t stop = 0) {
  const auto path = std::filesystem::temp_directory_path() / ("it_merge_" + std::to_string(::getpid()) + ".itrace");
  cupti::Ring ring = cupti::Ring::create_anonymous(1 << 16);
  SynthRun run;
  {
    ItraceWriter out(path.string());
    CuptiMerge merge(out, 5);  // api.0..4 belong to the (absent) uprobe table
    merge.set_stop(stop);
    const auto drain = [&] { ring.drain([&](uint32_t t, const unsigned char* p, uint32_t n) { merge.consume(t, p, n); }); };
    for (auto& [pid, tid, raw] : procs) {
      EXPECT_EQ(synth::produce(ring, pid, tid, 1'000'000'000, launches, raw), 0);
      drain();
    }
    if (extra) {
      extra(ring);
      drain();
    }
    merge.finish(0, 0, 1);
    out.finish();
    run.stats = merge.stats();
  }
  run.trace = read_recording(path.string());
  std::filesystem::remove(path);
  return run;
}

void expect_closed_form(const Trace& t, const LaunchAnalysis& a, int launches, int procs) {
  const int64_t calls = int64_t{launches + 1} * procs;  // kernels + the memcpy
  EXPECT_EQ(a.launch_calls, calls);
  EXPECT_EQ(a.linked_launch_calls, calls);
  EXPECT_EQ(a.kernels, int64_t{launches} * procs);
  EXPECT_EQ(a.memcpys, procs);
  EXPECT_EQ(a.orphan_activities, 0);
  EXPECT_EQ(a.orphan_launch_calls, 0);
  EXPECT_EQ(a.sync_calls, procs);
  for (auto& l : a.links) {
    EXPECT_EQ(l.latency, static_cast<ns_t>(synth::kLatency));
    EXPECT_EQ(l.queue, static_cast<ns_t>(synth::kLatency - synth::kApiDur));
  }
  EXPECT_EQ(a.tklqt, calls * static_cast<ns_t>(synth::kLatency));
  EXPECT_EQ(a.tklqt_queue, calls * static_cast<ns_t>(synth::kLatency - synth::kApiDur));
  std::set<std::string> names;
  for (size_t i = 0; i < t.gpu.size(); ++i) names.insert(std::string(t.str(t.gpu.name[i])));
  EXPECT_EQ(names, (std::set<std::string>{"gemm_0", "gemm_1", "Memcpy"}));
  EXPECT_EQ(t.gpu.grid_x[0], 128u);
  EXPECT_EQ(t.gpu.block_x[0], 256u);
}

TEST(CuptiMerge, SyntheticProducerGivesClosedFormLaunchMetrics) {
  const int n = 40;
  SynthRun r = record_synthetic({{4242, 4243, false}}, n);
  const Trace& t = r.trace;
  ASSERT_EQ(t.api.size(), size_t(n + 2));
  EXPECT_EQ(t.meta.at("recording.complete"), "true");
  EXPECT_EQ(t.meta.at("api.5"), "cudaLaunchKernel");  // version suffix stripped, index after the uprobe table
  EXPECT_EQ(t.str(t.api.name[0]), "cudaLaunchKernel");
  EXPECT_EQ(t.api.kind[0], ApiKind::KernelLaunch);
  EXPECT_EQ(t.api.correlation[0], (int64_t{4242} << 32) | 100);
  EXPECT_EQ(t.api.tid[0], 4243);
  EXPECT_EQ(t.api.cpu[0], 1);  // synth::kApiCpu
  EXPECT_EQ(t.api.stream[0], 0x7000);
  EXPECT_EQ(r.stats.aliases, uint64_t(n / 4));
  EXPECT_EQ(r.stats.launches_per_thread.at(4243), uint64_t(n + 1));  // the kernels and the cudaMemcpyAsync
  EXPECT_EQ(t.meta.at("cupti.folded_driver_calls"), std::to_string(n / 4));
  EXPECT_EQ(t.meta.at("cupti.clock.4242"), "timestamp_callback CLOCK_MONOTONIC (no conversion)");
  expect_closed_form(t, analyze_launches(t), n, 1);
}

TEST(CuptiMerge, RawClockIsConvertedWithTheStatedBound) {
  const int n = 16;
  SynthRun r = record_synthetic({{4242, 4243, true}}, n);
  const Trace& t = r.trace;
  ASSERT_EQ(t.gpu.size(), size_t(n + 1));
  // Both samples have their CUPTI read at the bracket's middle: the fit is exact.
  EXPECT_NE(t.meta.at("cupti.clock.4242").find("error bound 200 ns"), std::string::npos) << t.meta.at("cupti.clock.4242");
  EXPECT_EQ(t.gpu.start[0], 1'000'000'000 + static_cast<ns_t>(synth::kLatency));
  expect_closed_form(t, analyze_launches(t), n, 1);
}

TEST(CuptiMerge, CorrelationIdsOfTwoProcessesDoNotCollide) {
  const int n = 8;
  SynthRun r = record_synthetic({{100, 101, false}, {200, 201, false}}, n);
  EXPECT_EQ(r.stats.processes, 2u);
  // Both processes number their calls from 100; keyed by pid they link to their own kernels.
  expect_closed_form(r.trace, analyze_launches(r.trace), n, 2);
  EXPECT_EQ(r.trace.meta.at("api.5"), "cudaLaunchKernel");  // one name, one index, across processes
}

// The ring is the traced program's shared memory: an API record naming pid or tid 0, or a GPU
// record naming pid 0, comes from no real thread. Written out, it would make the reader refuse the
// whole recording as corrupt (impossible_threads.h); the merge counts it malformed and the rest of
// the recording reads whole (review BM L3).
TEST(CuptiMerge, RecordsNamingThreadZeroAreMalformedNotWritten) {
  const int n = 8;
  SynthRun r = record_synthetic({{4242, 4243, false}}, n, [](cupti::Ring& ring) {
    for (auto [pid, tid] : {std::pair<uint32_t, uint32_t>{0, 4243}, {4242, 0}}) {
      cupti::RingApi a{};
      a.start = 2'000'000'000, a.end = a.start + 100, a.pid = pid, a.tid = tid, a.correlation = 9999, a.cpu = 1;
      ASSERT_TRUE(ring.push(cupti::kRecApi, &a, sizeof(a)));
    }
    cupti::RingGpu g{};
    g.start = 2'000'000'500, g.end = g.start + 100, g.pid = 0, g.kind = cupti::kGpuMemset, g.correlation = 9999;
    g.flags = cupti::kGpuMonotonic;
    ASSERT_TRUE(ring.push(cupti::kRecGpu, &g, sizeof(g)));
  });
  EXPECT_EQ(r.stats.malformed, 3u);
  expect_closed_form(r.trace, analyze_launches(r.trace), n, 1);
}

// A process whose injection library was refused CUPTI (another client subscribed first) sends one
// RingInfo with the reason: it is counted and named, not taken for a traced process, and the traced
// process beside it is unaffected.
TEST(CuptiMerge, ProcessRefusedByCuptiIsReportedNotCounted) {
  const auto path = std::filesystem::temp_directory_path() / ("it_refused_" + std::to_string(::getpid()) + ".itrace");
  cupti::Ring ring = cupti::Ring::create_anonymous(1 << 16);
  CuptiMergeStats stats;
  {
    ItraceWriter out(path.string());
    CuptiMerge merge(out, 5);
    cupti::RingInfo refused{};
    refused.pid = 777;
    refused.cupti_version = 130001;
    refused.status = cupti::kInfoSubscriberTaken;
    ASSERT_TRUE(ring.push(cupti::kRecInfo, &refused, sizeof(refused)));
    EXPECT_EQ(synth::produce(ring, 100, 101, 1'000'000'000, 4, false), 0);
    ring.drain([&](uint32_t t, const unsigned char* p, uint32_t n) { merge.consume(t, p, n); });
    merge.finish(0, 0, 2);
    out.finish();
    stats = merge.stats();
  }
  const Trace t = read_recording(path.string());
  std::filesystem::remove(path);
  EXPECT_EQ(stats.processes, 1u);
  EXPECT_EQ(stats.processes_not_traced, 1u);
  EXPECT_EQ(stats.malformed, 0u);
  EXPECT_EQ(t.meta.at("cupti.processes_not_traced"), "1");
  EXPECT_NE(t.meta.at("cupti.not_traced.777").find("another CUPTI client"), std::string::npos);
  EXPECT_EQ(t.meta.count("cupti.clock.777"), 0u);
  expect_closed_form(t, analyze_launches(t), 4, 1);
}

// CUPTI leaves a timestamp 0 when it could not collect it (and a forced flush at exit hands out
// records still incomplete): such records are dropped and counted, so the recording's window still
// starts at the run, and the complete records beside them are merged as before.
TEST(CuptiMerge, GpuRecordsWithoutTimestampsAreDroppedAndCounted) {
  const SynthRun r = record_synthetic({{100, 101, false}}, 4, [](cupti::Ring& ring) {
    for (auto [start, end] : {std::pair<uint64_t, uint64_t>{0, 0}, {1'000'000'500, 0}, {0, 1'000'000'500}}) {
      cupti::RingGpu g{};
      g.start = start, g.end = end;
      g.pid = 100, g.kind = cupti::kGpuKernel, g.stream = 7, g.correlation = 100, g.name = 1;
      g.flags = cupti::kGpuMonotonic;
      ASSERT_TRUE(ring.push(cupti::kRecGpu, &g, sizeof(g)));
    }
  });
  const CuptiMergeStats& stats = r.stats;
  const Trace& t = r.trace;
  EXPECT_EQ(stats.gpu_without_timestamps, 3u);
  EXPECT_EQ(stats.malformed, 0u);
  EXPECT_EQ(t.meta.at("cupti.gpu_without_timestamps"), "3");
  ASSERT_EQ(t.gpu.size(), 5u);  // the 4 kernels and the copy of the synthetic run
  for (size_t i = 0; i < t.gpu.size(); ++i) EXPECT_GE(t.gpu.start[i], 1'000'000'000) << i;
  expect_closed_form(t, analyze_launches(t), 4, 1);
}

// The same on a raw GPU clock: the zero-timestamp check comes before a record is held for the
// clock fit, so a raw record with start or end 0 is not mapped to far before the run (a raw 0 maps
// to about -kRawOffset) but dropped and counted as without timestamps, not as without a clock (the
// process has its paired samples); the fit and the kept records are those of the synthetic run.
TEST(CuptiMerge, RawClockGpuRecordsWithoutTimestampsAreDroppedAndCounted) {
  const SynthRun r = record_synthetic({{100, 101, true}}, 4, [](cupti::Ring& ring) {
    // Raw-clock times of a kernel inside the run: 8'000'000'500 is 1'000'000'500 on CLOCK_MONOTONIC.
    for (auto [start, end] : {std::pair<uint64_t, uint64_t>{8'000'000'500, 0}, {0, 8'000'000'500}}) {
      cupti::RingGpu g{};
      g.start = start, g.end = end;
      g.pid = 100, g.kind = cupti::kGpuKernel, g.stream = 7, g.correlation = 101, g.name = 2;
      g.flags = 0;  // raw clock: would be held for the fit
      ASSERT_TRUE(ring.push(cupti::kRecGpu, &g, sizeof(g)));
    }
  });
  const CuptiMergeStats& stats = r.stats;
  const Trace& t = r.trace;
  EXPECT_EQ(stats.gpu_without_timestamps, 2u);
  EXPECT_EQ(stats.gpu_without_clock, 0u);
  EXPECT_EQ(stats.gpu, 5u);
  EXPECT_EQ(stats.malformed, 0u);
  EXPECT_EQ(t.meta.at("cupti.gpu_without_timestamps"), "2");
  EXPECT_EQ(t.meta.at("cupti.gpu_without_clock"), "0");
  EXPECT_EQ(t.meta.at("cupti.gpu_records"), "5");
  EXPECT_NE(t.meta.at("cupti.clock.100").find("samples 2, "), std::string::npos) << t.meta.at("cupti.clock.100");
  EXPECT_NE(t.meta.at("cupti.clock.100").find("error bound 200 ns"), std::string::npos) << t.meta.at("cupti.clock.100");
  // By hand: kernel i starts at 1e9 + i * 50'000 + 10'000 and lasts 30'000; the copy starts at
  // 1e9 + 4 * 50'000 + 10'000 and lasts 2'000.
  ASSERT_EQ(t.gpu.size(), 5u);
  std::multiset<std::pair<ns_t, ns_t>> got, want;
  for (size_t i = 0; i < t.gpu.size(); ++i) got.insert({t.gpu.start[i], t.gpu.dur[i]});
  for (ns_t i = 0; i < 4; ++i) want.insert({1'000'000'000 + i * 50'000 + 10'000, 30'000});
  want.insert({1'000'210'000, 2'000});
  EXPECT_EQ(got, want);
  expect_closed_form(t, analyze_launches(t), 4, 1);
}

// CUPTI's calls after the recording's stop are left out as the probes' are (review DF F2: kept, a
// program still calling CUDA through --stop-grace wrote calls seconds past the window, which the
// reader may refuse), a call in progress at the stop ends there, and a GPU record goes with its API
// call: kept when the call is (even when it runs after the stop), left out when the call is (even
// when its record comes first). On both GPU clocks.
TEST(CuptiMerge, CallsAfterTheStopAreLeftOutWithTheirGpuRecords) {
  for (const bool raw : {false, true}) {
    SCOPED_TRACE(raw ? "raw clock" : "monotonic");
    // By hand (cupti_synth_producer.h): launch i at B + i * 50'000 for 4'000 (correlation 100 + i),
    // its kernel from 10'000 later for 30'000; 8 launches, then the copy call at B + 400'000 and the
    // sync at B + 404'000. The stop at B + 152'000: launches 0..2 before it, launch 3 (from
    // B + 150'000) in progress (cut to 2'000), launches 4..7, the copy and the sync after it (6 calls).
    // Kernel 3 starts at B + 160'000, after the stop, but its call is kept: kept. Kernels 4..7 and
    // the copy: left out (5). Kernels 3 and 7 carry the driver call's id (the alias record).
    const uint64_t B = 1'000'000'000, stop = B + 152'000;
    const SynthRun r = record_synthetic({{100, 101, raw}}, 8, [&](cupti::Ring& ring) {
      // A GPU record that comes before its call's record (a buffer flushed before the launching
      // thread's exit callback), both after the stop: left out with its call (2 more).
      cupti::RingGpu g{};
      g.start = stop + 1'000'000 + (raw ? synth::kRawOffset : 0), g.end = g.start + 1'000;
      g.pid = 100, g.kind = cupti::kGpuMemset, g.stream = 7, g.correlation = 900;
      g.flags = raw ? 0 : cupti::kGpuMonotonic;
      ASSERT_TRUE(ring.push(cupti::kRecGpu, &g, sizeof(g)));
      const cupti::RingApi a{stop + 900'000, stop + 905'000, 100, 101, 900, cupti::api_id(cupti::kDomainRuntime, synth::kRuntimeSync),
                             synth::kApiCpu, 0, 0};
      ASSERT_TRUE(ring.push(cupti::kRecApi, &a, sizeof(a)));
    }, stop);
    const Trace& t = r.trace;
    EXPECT_EQ(r.stats.api_after_stop, 7u);
    EXPECT_EQ(r.stats.gpu_after_stop, 6u);
    EXPECT_EQ(r.stats.api_cut_at_stop, 1u);
    EXPECT_EQ(r.stats.gpu_without_clock, 0u);
    EXPECT_EQ(t.meta.at("cupti.api_after_stop"), "7");
    EXPECT_EQ(t.meta.at("cupti.gpu_after_stop"), "6");
    EXPECT_EQ(t.meta.at("cupti.api_cut_at_stop"), "1");
    ASSERT_EQ(t.api.size(), 4u);
    std::multiset<std::pair<ns_t, ns_t>> api, want_api, gpu, want_gpu;
    for (size_t i = 0; i < t.api.size(); ++i) api.insert({t.api.start[i], t.api.dur[i]});
    for (ns_t i = 0; i < 3; ++i) want_api.insert({1'000'000'000 + i * 50'000, 4'000});
    want_api.insert({1'000'150'000, 2'000});
    EXPECT_EQ(api, want_api);
    ASSERT_EQ(t.gpu.size(), 4u);
    for (size_t i = 0; i < t.gpu.size(); ++i) gpu.insert({t.gpu.start[i], t.gpu.dur[i]});
    for (ns_t i = 0; i < 4; ++i) want_gpu.insert({1'000'010'000 + i * 50'000, 30'000});
    EXPECT_EQ(gpu, want_gpu);
    const LaunchAnalysis a = analyze_launches(t);
    EXPECT_EQ(a.launch_calls, 4);
    EXPECT_EQ(a.linked_launch_calls, 4);  // kernel 3 too, through its alias
    EXPECT_EQ(a.orphan_activities, 0);
    EXPECT_EQ(a.orphan_launch_calls, 0);
    EXPECT_EQ(r.stats.launches_per_pid.at(100), 4);
  }
}

// Without a stop nothing is left out: the same run whole.
TEST(CuptiMerge, WithoutAStopEveryCallIsKept) {
  const SynthRun r = record_synthetic({{100, 101, false}}, 8);
  EXPECT_EQ(r.stats.api_after_stop + r.stats.gpu_after_stop + r.stats.api_cut_at_stop, 0u);
  EXPECT_EQ(r.trace.meta.at("cupti.api_after_stop"), "0");
  expect_closed_form(r.trace, analyze_launches(r.trace), 8, 1);
}

// Review DF F7: records of a buffer CUPTI hands over after the exit's last flush are freed unread by
// the injection library and sent as one more RingInfo (inject::late_records_info): summed into
// activity_late (not activity_dropped), the process counted once, its clock and launch figures unchanged. Two such
// buffers, of 5 and 2 records, after a run whose own counts are 0 dropped and 2 folded calls.
TEST(CuptiMerge, LateActivityRecordsAreCountedApartFromDrops) {
  const SynthRun r = record_synthetic({{100, 101, false}}, 8, [](cupti::Ring& ring) {
    for (uint64_t n : {5, 2}) {
      const cupti::RingInfo late = inject::late_records_info(100, true, 130001, n);
      ASSERT_TRUE(ring.push(cupti::kRecInfo, &late, sizeof(late)));
    }
  });
  // Their own counter, not CUPTI's full-buffer drops (review DG L3: they were called "buffers full").
  EXPECT_EQ(r.stats.activity_late, 7u);
  EXPECT_EQ(r.stats.activity_dropped, 0u);
  EXPECT_EQ(r.stats.processes, 1u);
  EXPECT_EQ(r.stats.processes_with_timestamp_callback, 1u);
  EXPECT_EQ(r.stats.processes_not_traced, 0u);
  EXPECT_EQ(r.stats.folded_driver_calls, 2u);  // 8 launches / 4, from the exit RingInfo alone
  EXPECT_EQ(r.trace.meta.at("cupti.activity_late"), "7");
  EXPECT_EQ(r.trace.meta.at("cupti.activity_dropped"), "0");
  EXPECT_EQ(r.trace.meta.at("cupti.clock.100"), "timestamp_callback CLOCK_MONOTONIC (no conversion)");
  expect_closed_form(r.trace, analyze_launches(r.trace), 8, 1);
}

}  // namespace
}  // namespace infertrace
