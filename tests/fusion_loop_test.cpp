// The closed loop's arithmetic (docs/fusion.md "Closed loop") on hand-made fusion and launch
// results, and the time-window cut it runs on.
#include <cmath>
#include <sstream>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "analysis/decode_window_check.h"
#include "analysis/fusion_loop.h"
#include "analysis/trace_window.h"
#include "trace/attach_states.h"
#include "json_labels.h"
#include "report/fusion_loop_report.h"
#include "util/units.h"
#include "util/error.h"

namespace infertrace {
namespace {

// 10 decode steps of 100 kernels each, every launch part 50 ns (launch_part_total 50,000 ns).
FusionResult fusion_of_steps() {
  FusionResult f;
  f.threshold = 1.0;
  f.kernels = 1000;
  f.launch_part_total = 50'000;
  auto length = [](int L, int64_t fused, ns_t saved) {
    ChainLengthResult l;
    l.length = L;
    l.fused_chains = fused;
    l.kernels_eager = 1000;
    l.kernels_fused = 1000 - fused * (L - 1);
    l.ideal_speedup = 1000.0 / static_cast<double>(l.kernels_fused);
    l.launch_time_saved = saved;
    return l;
  };
  f.lengths = {length(2, 400, 20'000), length(4, 200, 30'000), length(100, 10, 49'500)};
  return f;
}

LaunchAnalysis launch_of(const std::string& bound, ns_t il, ns_t busy) {
  LaunchAnalysis a;
  a.bound = bound;
  a.inference_latency = il;
  a.gpu_busy = busy;
  return a;
}

MeasuredRun run(const std::string& mode, double tg, int64_t launches, int64_t steps = 10, int64_t n_seq = 1) {
  MeasuredRun r;
  r.mode = mode;
  r.source = mode + ".json";
  r.n_seq = n_seq;
  r.decode_steps = steps;
  r.tg_tokens_per_s = tg;
  r.launches_per_step = launches;
  r.kernels_per_step = launches;
  return r;
}

TEST(FusionLoop, PredictedIlIsFlooredAtGpuBusyAndOnlyForCpuBound) {
  EXPECT_EQ(loop_predicted_il("cpu", 100'000, 20'000, 30'000), 70'000);
  EXPECT_EQ(loop_predicted_il("cpu", 100'000, 80'000, 30'000), 80'000);  // cannot beat the GPU's busy time
  EXPECT_EQ(loop_predicted_il("gpu", 100'000, 20'000, 30'000), 100'000);  // launches already hidden
  EXPECT_EQ(loop_predicted_il("", 100'000, 20'000, 30'000), 100'000);
}

TEST(FusionLoop, PerStepPredictionsBestLengthAndMeasuredErrors) {
  // IL 100 us, GPU busy 60 us: length 100 would save 49.5 us but stops at the 60 us floor.
  const FusionLoop loop = analyze_fusion_loop(fusion_of_steps(), launch_of("cpu", 100'000, 60'000), run("eager", 90, 100),
                                              run("eager", 100, 100), {run("fused", 150, 20), run("graph", 200, 1)});
  EXPECT_EQ(loop.decode_steps, 10);
  EXPECT_DOUBLE_EQ(loop.kernels_per_step, 100.0);
  EXPECT_DOUBLE_EQ(loop.mean_launch_part, 50.0);
  EXPECT_DOUBLE_EQ(loop.recorded_tg, 90.0);
  EXPECT_DOUBLE_EQ(loop.baseline.tg_tokens_per_s, 100.0);
  ASSERT_EQ(loop.predictions.size(), 3u);
  const LoopPrediction& l2 = loop.predictions[0];
  EXPECT_DOUBLE_EQ(l2.kernels_per_step, 60.0);
  EXPECT_DOUBLE_EQ(l2.launches_removed_per_step, 40.0);
  EXPECT_EQ(l2.predicted_il, 80'000);
  EXPECT_DOUBLE_EQ(l2.predicted_speedup, 100.0 / 80.0);
  EXPECT_EQ(loop.predictions[1].predicted_il, 70'000);
  const LoopPrediction& l100 = loop.predictions[2];
  EXPECT_DOUBLE_EQ(l100.kernels_per_step, 1.0);
  EXPECT_EQ(l100.predicted_il, 60'000);
  EXPECT_DOUBLE_EQ(l100.predicted_speedup, 100.0 / 60.0);
  EXPECT_EQ(loop.best_length, 100);

  ASSERT_EQ(loop.comparisons.size(), 2u);
  const LoopComparison& fused = loop.comparisons[0];
  EXPECT_DOUBLE_EQ(fused.measured_speedup, 1.5);
  EXPECT_DOUBLE_EQ(fused.best_error, (100.0 / 60.0) / 1.5 - 1.0);
  // 80 launches per step removed x 10 steps x 50 ns = 40 us: IL 100 -> 60 us (the floor exactly).
  EXPECT_DOUBLE_EQ(fused.matched.launches_removed_per_step, 80.0);
  EXPECT_EQ(fused.matched.launch_time_saved, 40'000);
  EXPECT_EQ(fused.matched.predicted_il, 60'000);
  const LoopComparison& graph = loop.comparisons[1];
  EXPECT_DOUBLE_EQ(graph.measured_speedup, 2.0);
  EXPECT_EQ(graph.matched.launch_time_saved, 49'500);
  EXPECT_EQ(graph.matched.predicted_il, 60'000);
  EXPECT_DOUBLE_EQ(graph.matched.error, (100.0 / 60.0) / 2.0 - 1.0);
}

TEST(FusionLoop, GpuBoundTracePredictsNoGainAndTiesKeepTheHigherIdealSpeedup) {
  const FusionLoop loop = analyze_fusion_loop(fusion_of_steps(), launch_of("gpu", 100'000, 95'000), run("eager", 100, 100),
                                              run("eager", 100, 100), {run("fused", 125, 20)});
  for (const LoopPrediction& p : loop.predictions) EXPECT_DOUBLE_EQ(p.predicted_speedup, 1.0);
  EXPECT_EQ(loop.best_length, 100);  // every speedup 1: the largest ideal speedup wins
  EXPECT_DOUBLE_EQ(loop.comparisons[0].best_error, 1.0 / 1.25 - 1.0);
  EXPECT_DOUBLE_EQ(loop.comparisons[0].matched.predicted_speedup, 1.0);
}

TEST(FusionLoop, RefusesRunsThatCannotBeCompared) {
  const FusionResult f = fusion_of_steps();
  const LaunchAnalysis a = launch_of("cpu", 100'000, 60'000);
  EXPECT_THROW(analyze_fusion_loop(f, a, run("eager", 100, 100, 0), run("eager", 100, 100), {}), UsageError);
  EXPECT_THROW(analyze_fusion_loop(f, a, run("eager", 100, 100), run("eager", 0, 100), {}), UsageError);
  EXPECT_THROW(analyze_fusion_loop(f, a, run("eager", 100, 100), run("eager", 100, 100), {run("fused", 150, 20, 10, 8)}),
               UsageError);
  EXPECT_THROW(analyze_fusion_loop(f, a, run("eager", 100, 100), run("eager", 100, 100), {run("fused", 0, 20)}),
               UsageError);
}

// The mean launch part is over the kernels whose launch call was seen (a kernel without one has no
// launch part to average): 40 of the 1000 have none, so 50,000 ns / 960. The fused run's 80
// launches fewer per step over 10 steps save 800 of those means, 41,666.67 ns, rounded to the
// nearest nanosecond.
TEST(FusionLoop, MeanLaunchPartIsOverKernelsWithACallAndTheSavingIsRounded) {
  FusionResult f = fusion_of_steps();
  f.unlinked_kernels = 40;
  const FusionLoop loop = analyze_fusion_loop(f, launch_of("cpu", 100'000, 10'000), run("eager", 100, 100),
                                              run("eager", 100, 100), {run("fused", 150, 20)});
  EXPECT_DOUBLE_EQ(loop.mean_launch_part, 50'000.0 / 960.0);
  ASSERT_EQ(loop.comparisons.size(), 1u);
  const LaunchMatched& m = loop.comparisons[0].matched;
  EXPECT_EQ(m.launch_time_saved, std::llround(80.0 * 10.0 * 50'000.0 / 960.0));
  EXPECT_EQ(m.launch_time_saved, 41'667);
  EXPECT_EQ(m.predicted_il, 100'000 - 41'667);
}

// A measured mode that launches more per step than the eager trace has kernels removed nothing: no
// saving, so no predicted gain (not a predicted slowdown).
TEST(FusionLoop, MoreLaunchesThanEagerKernelsRemoveNothing) {
  const FusionLoop loop = analyze_fusion_loop(fusion_of_steps(), launch_of("cpu", 100'000, 10'000), run("eager", 100, 100),
                                              run("eager", 100, 100), {run("split", 110, 120)});
  const LoopComparison& c = loop.comparisons.at(0);
  EXPECT_DOUBLE_EQ(c.matched.launches_removed_per_step, 0.0);
  EXPECT_EQ(c.matched.launch_time_saved, 0);
  EXPECT_EQ(c.matched.predicted_il, 100'000);
  EXPECT_DOUBLE_EQ(c.matched.predicted_speedup, 1.0);
  EXPECT_DOUBLE_EQ(c.matched.error, 1.0 / 1.1 - 1.0);
}

// Lengths 2 and 3 fuse down to the same 600 kernels (400 chains of 2, 200 of 3): equal ideal
// speedups, and on a GPU-bound trace equal predicted ones. The shorter length is the best.
TEST(FusionLoop, FullTieKeepsTheShorterLength) {
  FusionResult f = fusion_of_steps();
  f.lengths.resize(1);  // length 2: 600 kernels left
  ChainLengthResult l3 = f.lengths[0];
  l3.length = 3, l3.fused_chains = 200, l3.kernels_fused = 1000 - 200 * 2;
  f.lengths.push_back(l3);
  ASSERT_DOUBLE_EQ(f.lengths[0].ideal_speedup, 1000.0 / 600.0);
  const FusionLoop loop =
      analyze_fusion_loop(f, launch_of("gpu", 100'000, 95'000), run("eager", 100, 100), run("eager", 100, 100), {});
  ASSERT_EQ(loop.predictions.size(), 2u);
  EXPECT_DOUBLE_EQ(loop.predictions[0].predicted_speedup, loop.predictions[1].predicted_speedup);
  EXPECT_EQ(loop.best_length, 2);
}

// The summary and the text report of the loop above (PerStepPredictionsBestLengthAndMeasuredErrors):
// best L=100 predicts 100/60 = 1.67x with 1 launch per step left; fused measured 1.5x, so the
// prediction is 1.667/1.5 - 1 = 11.1% high; graph measured 2x: 1.667/2 - 1 = 16.7% low. Per step
// (10 steps): IL 10 us, GPU busy 6 us, launch part 5 us.
TEST(FusionLoop, SummaryAndTextReportSayWhichWayAndPerStep) {
  const FusionLoop loop = analyze_fusion_loop(fusion_of_steps(), launch_of("cpu", 100'000, 60'000), run("eager", 90, 100),
                                              run("eager", 100, 100), {run("fused", 150, 20), run("graph", 200, 1)});
  EXPECT_EQ(fusion_loop_summary(loop),
            "Proximity-score fusion of the eager trace predicts at best 1.67x (length 100, 1.0 launches per step left). "
            "Fused mode measured 1.50x: the best prediction is 11.1% high; with exactly its 80 launches per step removed "
            "the method predicts 1.67x (11.1% high). Graph mode measured 2.00x: the best prediction is 16.7% low; with "
            "exactly its 99 launches per step removed the method predicts 1.67x (16.7% low).");
  std::ostringstream os;
  print_fusion_loop(os, loop);
  const std::string text = os.str();
  EXPECT_NE(text.find("IL " + format_ns(int64_t{100'000}) + " (" + format_ns(10'000.0) + "/step), GPU busy " +
                      format_ns(6'000.0) + "/step, launch part " + format_ns(5'000.0) + "/step, cpu-bound"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("+11.1%"), std::string::npos) << text;
  EXPECT_NE(text.find("-16.7%"), std::string::npos) << text;
}

// No verdict (bound ""): the text, the JSON and the summary give the launch analysis's reason, as
// analyze does, rather than "bound unknown" (review BK item 8).
TEST(FusionLoop, AnUndefinedBoundSaysWhy) {
  LaunchAnalysis launch = launch_of("", 100'000, 60'000);
  launch.bound_undefined_reason = "no launch call is linked to GPU work";
  const FusionLoop loop = analyze_fusion_loop(fusion_of_steps(), launch, run("eager", 90, 100), run("eager", 100, 100), {});
  std::ostringstream os;
  print_fusion_loop(os, loop);
  EXPECT_NE(os.str().find("bound undefined: no launch call is linked to GPU work"), std::string::npos) << os.str();
  const nlohmann::json j = fusion_loop_json(loop);
  EXPECT_TRUE(j["eager"]["bound"].is_null());
  EXPECT_EQ(j["eager"].value("bound_undefined_reason", ""), "no launch call is linked to GPU work");
  EXPECT_NE(fusion_loop_summary(loop).find("no CPU- or GPU-bound verdict (no launch call is linked to GPU work)"),
            std::string::npos)
      << fusion_loop_summary(loop);
  // A verdict: no reason beside it.
  const FusionLoop cpu = analyze_fusion_loop(fusion_of_steps(), launch_of("cpu", 100'000, 60'000), run("eager", 90, 100),
                                             run("eager", 100, 100), {});
  EXPECT_FALSE(fusion_loop_json(cpu)["eager"].contains("bound_undefined_reason"));
}

TEST(TraceWindow, KeepsHostEventsInsideAndTheWorkTheirCallsLaunched) {
  Trace t;
  const StrId launch = t.strings.intern("cudaLaunchKernel");
  const StrId k = t.strings.intern("k");
  auto call = [&](ns_t start, int64_t corr) {
    ApiCall c;
    c.start = start, c.dur = 10, c.correlation = corr, c.name = launch, c.kind = ApiKind::KernelLaunch;
    t.api.push(c);
  };
  auto kernel = [&](ns_t start, int64_t corr) {
    GpuActivity g;
    g.start = start, g.dur = 5, g.correlation = corr, g.name = k;
    t.gpu.push(g);
  };
  call(50, 1), kernel(60, 1);    // before the window
  call(100, 2), kernel(110, 2);  // inside
  call(200, 3), kernel(260, 3);  // launched inside, runs after the window: kept
  call(300, 4), kernel(310, 4);  // after
  kernel(150, -1);               // no correlation, inside: kept
  kernel(400, 99);               // a correlation no call has, outside: dropped
  Operator op;
  op.start = 99;
  t.ops.push(op);
  op.start = 120;
  t.ops.push(op);
  ContextSwitch sw;
  sw.ts = 150;
  t.switches.push(sw);
  sw.ts = 250;
  t.switches.push(sw);
  t.threads.push(ThreadInfo{1, 1, kNoString, 0, 400});
  // States at a --pid attach (trace/attach_states.h): only a stamp inside the window is kept (one
  // outside would start an off-CPU interval where the window cut the switches away).
  ThreadAtAttach before, inside;
  before.ts = 50, before.pid = 1, before.tid = 1, before.state = 'S';
  inside.ts = 150, inside.pid = 1, inside.tid = 2, inside.state = 'D';
  set_attach_states(t, {before, inside});

  restrict_to_window(t, TraceWindow{100, 250});
  const std::vector<ThreadAtAttach> kept = attach_states(t);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].tid, 2);
  EXPECT_EQ(kept[0].ts, 150);
  EXPECT_EQ(kept[0].state, 'D');
  EXPECT_EQ(t.api.start, (std::vector<ns_t>{100, 200}));
  EXPECT_EQ(t.gpu.start, (std::vector<ns_t>{110, 260, 150}));
  EXPECT_EQ(t.ops.start, (std::vector<ns_t>{120}));
  EXPECT_EQ(t.switches.ts, (std::vector<ns_t>{150, 250}));
  EXPECT_EQ(t.threads.size(), 1u);
  EXPECT_EQ(t.meta["window_from_ns"], "100");
  EXPECT_EQ(t.meta["window_to_ns"], "250");
  EXPECT_THROW(restrict_to_window(t, TraceWindow{10, 5}), UsageError);
  // A window that keeps none of the CUDA work is an input error (exit 1), not an empty analysis;
  // one that keeps some stays fine, as above.
  try {
    restrict_to_window(t, TraceWindow{1000, 2000});
    ADD_FAILURE() << "a window after all the CUDA work was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 1) << e.what();
  }
  Trace none;  // no CUDA work at all (a CPU-only recording): nothing to miss
  EXPECT_NO_THROW(restrict_to_window(none, TraceWindow{1000, 2000}));
}

// The refusal's message tells a window outside the CUDA work's span (another run's, or a trace on
// another clock) from one inside it where nothing was recorded (a truncated recording, dropped events).
TEST(TraceWindow, SaysWhetherAnEmptyWindowIsOutsideTheRecordingOrAHoleInIt) {
  auto refusal = [](TraceWindow w) -> std::string {
    Trace t;  // a call at 100 whose kernel runs at 500: the work spans 100 to 500 ns
    ApiCall c;
    c.start = 100, c.dur = 10, c.correlation = 1, c.name = t.strings.intern("cudaLaunchKernel");
    c.kind = ApiKind::KernelLaunch;
    t.api.push(c);
    GpuActivity g;
    g.start = 500, g.dur = 5, g.correlation = 1, g.name = t.strings.intern("k");
    t.gpu.push(g);
    try {
      restrict_to_window(t, w);
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), 1) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "window " << w.from << " to " << w.to << " was accepted";
    return "";
  };
  for (const TraceWindow w : {TraceWindow{1000, 2000}, TraceWindow{10, 50}}) {
    const std::string m = refusal(w);
    EXPECT_NE(m.find("another run"), std::string::npos) << m;
    EXPECT_EQ(m.find("inside the recording's span"), std::string::npos) << m;
    // The span is the whole trace's, taken before the cut: the call at 100 to its kernel at 500.
    EXPECT_NE(m.find("start from 100 to 500 ns"), std::string::npos) << m;
    // Only a window after the span can be one the recording ended before.
    EXPECT_EQ(m.find("recording ended before it") != std::string::npos, w.from == 1000) << m;
  }
  // Inside the span: a hole in the recording, or simply not this run's window (review DW L4: the
  // message blamed the recording alone).
  for (const TraceWindow w : {TraceWindow{200, 300}, TraceWindow{101, 499}}) {
    const std::string m = refusal(w);
    EXPECT_NE(m.find("inside the recording's span"), std::string::npos) << m;
    EXPECT_NE(m.find("truncated"), std::string::npos) << m;
    EXPECT_NE(m.find("another run"), std::string::npos) << m;
  }
}

// A window that keeps only a synchronisation of a trace with GPU work holds none of its CUDA
// work (review DW M3: it was analysed as "no GPU activity in the trace", exit 0). Without a GPU
// side (an uprobe recording) the launch calls are the work: a window keeping one is fine, one
// keeping only the sync is refused.
TEST(TraceWindow, AWindowKeepingOnlyASyncHoldsNoneOfTheWork) {
  auto make = [](bool with_gpu) {
    Trace t;
    ApiCall c;
    c.start = 100, c.dur = 10, c.correlation = 1, c.name = t.strings.intern("cudaLaunchKernel");
    c.kind = ApiKind::KernelLaunch;
    t.api.push(c);
    c.start = 300, c.dur = 50, c.correlation = 2, c.name = t.strings.intern("cudaDeviceSynchronize");
    c.kind = ApiKind::Sync;
    t.api.push(c);
    if (with_gpu) {
      GpuActivity g;
      g.start = 150, g.dur = 100, g.correlation = 1, g.name = t.strings.intern("k");
      t.gpu.push(g);
    }
    return t;
  };
  for (const bool with_gpu : {true, false}) {
    Trace t = make(with_gpu);
    try {
      restrict_to_window(t, TraceWindow{290, 400});
      ADD_FAILURE() << "a window with the sync alone was accepted (with GPU side: " << with_gpu << ")";
    } catch (const Error& e) {
      const std::string m = e.what();
      EXPECT_EQ(e.exit_code(), 1) << m;
      EXPECT_NE(m.find("holds none of the trace's 1 launch calls"), std::string::npos) << m;
      EXPECT_NE(m.find("it keeps 1 API call"), std::string::npos) << m;
    }
    Trace kept = make(with_gpu);
    EXPECT_NO_THROW(restrict_to_window(kept, TraceWindow{90, 400}));
    EXPECT_EQ(kept.api.size(), 2u);
  }
}

// The doubts about a decode window (analysis/decode_window_check.h), each against a hand count:
// two decode steps of three kernels after a prefill of two.
TEST(DecodeWindowDoubts, NamesAWindowBeforeTheWorkAndKernelCountsThatDifferFromTheRun) {
  auto make = [](bool gpu) {
    Trace t;
    int64_t corr = 0;
    auto launch = [&](ns_t at) {
      ApiCall c;
      c.start = at, c.dur = 5, c.correlation = ++corr, c.name = t.strings.intern("cudaLaunchKernel");
      c.kind = ApiKind::KernelLaunch;
      t.api.push(c);
      if (!gpu) return;
      GpuActivity g;
      g.start = at + 10, g.dur = 5, g.correlation = corr, g.name = t.strings.intern("k");
      t.gpu.push(g);
    };
    for (ns_t at : {1000, 1100}) launch(at);                          // prefill
    for (ns_t at : {2000, 2100, 2200, 3000, 3100, 3200}) launch(at);  // two decode steps
    return t;
  };
  EXPECT_TRUE(cuda_work_span(make(true)).any);
  EXPECT_EQ(cuda_work_span(make(true)).first, 1000);
  EXPECT_EQ(cuda_work_span(make(true)).last, 3210);   // the last kernel, 10 ns after its launch
  EXPECT_EQ(cuda_work_span(make(false)).last, 3200);  // without the GPU side: the last launch
  EXPECT_FALSE(cuda_work_span(Trace{}).any);
  const DecodeRunCounts run{2, 3, 3};
  auto doubts = [&](TraceWindow w, DecodeRunCounts r, bool gpu = true) {
    Trace c = make(gpu);
    const CudaWorkSpan span = cuda_work_span(c);
    restrict_to_window(c, w);
    return decode_window_doubts(c, span, w, r);
  };
  EXPECT_TRUE(doubts({1900, 3300}, run).empty());  // the run's own window
  // Over the prefill too: it starts before the first CUDA event, and 8 kernels are not 2 x 3.
  const std::vector<std::string> wide = doubts({0, 3300}, run);
  ASSERT_EQ(wide.size(), 2u);
  EXPECT_NE(wide[0].find("before the trace's first CUDA event"), std::string::npos) << wide[0];
  EXPECT_NE(wide[1].find("holds 8 GPU kernels where the run counted 2 steps x 3 = 6"), std::string::npos) << wide[1];
  // Half the decode: 3 kernels.
  const std::vector<std::string> half = doubts({1900, 2500}, run);
  ASSERT_EQ(half.size(), 1u);
  EXPECT_NE(half[0].find("holds 3 GPU kernels where the run counted 2 steps x 3 = 6"), std::string::npos) << half[0];
  // The right window, a run document that says 4 steps.
  ASSERT_EQ(doubts({1900, 3300}, DecodeRunCounts{4, 3, 3}).size(), 1u);
  // Without the GPU side the launch calls are counted against launches_per_step.
  EXPECT_TRUE(doubts({1900, 3300}, run, false).empty());
  const std::vector<std::string> no_gpu = doubts({1900, 2500}, run, false);
  ASSERT_EQ(no_gpu.size(), 1u);
  EXPECT_NE(no_gpu[0].find("holds 3 kernel and graph launch calls where the run counted 2 steps x 3 = 6"),
            std::string::npos)
      << no_gpu[0];
  // A run document without the counts (0): only the start is judged.
  EXPECT_TRUE(doubts({1900, 2500}, DecodeRunCounts{2, 0, 0}).empty());
}

// The scheduler's rows (wake-ups, IRQs, syscalls) are cut by the same inclusive bounds as the host
// events: of the rows at 99, 100, 250 and 251 the window [100, 250] keeps 100 and 250.
TEST(TraceWindow, SchedulerRowsAreCutByTheSameBounds) {
  Trace t;
  ApiCall c;
  c.start = 150, c.dur = 10, c.correlation = 1, c.name = t.strings.intern("cudaLaunchKernel"), c.kind = ApiKind::KernelLaunch;
  t.api.push(c);
  for (ns_t ts : {99, 100, 250, 251}) {
    Wakeup w;
    w.ts = ts;
    t.wakeups.push(w);
    Irq q;
    q.ts = ts, q.dur = 1;
    t.irqs.push(q);
    Syscall s;
    s.ts = ts, s.dur = 1;
    t.syscalls.push(s);
  }
  restrict_to_window(t, TraceWindow{100, 250});
  const std::vector<ns_t> kept = {100, 250};
  EXPECT_EQ(t.wakeups.ts, kept);
  EXPECT_EQ(t.irqs.ts, kept);
  EXPECT_EQ(t.syscalls.ts, kept);
}

// The report's label lists name exactly the scalar keys fusion_loop_json writes in "eager" (the
// reason of an undefined bound too, and the eager baseline run's, lifted out of "baseline"), in a prediction and in a
// measured mode with its launch-matched figures, each with its own label.
TEST(FusionLoop, EveryKeyOfTheClosedLoopHasOneReportLabel) {
  LaunchAnalysis undefined = launch_of("", 100'000, 60'000);
  undefined.bound_undefined_reason = "no launch call is linked to GPU work";
  const FusionLoop loop = analyze_fusion_loop(fusion_of_steps(), undefined, run("eager", 90, 100), run("eager", 100, 100),
                                              {run("fused", 150, 20)});
  const nlohmann::json j = fusion_loop_json(loop);
  EXPECT_EQ(label_check::row_keys(nlohmann::json::array({j["eager"]}), {"baseline"}),
            label_check::column_keys(fusion_loop_eager_columns()));
  EXPECT_EQ(label_check::row_keys(j["predictions"]), label_check::column_keys(fusion_loop_prediction_columns()));
  ASSERT_FALSE(j["measured"].empty());
  EXPECT_EQ(label_check::row_keys(j["measured"], {"launch_matched"}), label_check::column_keys(fusion_loop_measured_columns()));
  for (const auto* cols : {&fusion_loop_eager_columns(), &fusion_loop_prediction_columns(), &fusion_loop_measured_columns()})
    EXPECT_EQ(label_check::distinct_labels(*cols), cols->size());
}

}  // namespace
}  // namespace infertrace
