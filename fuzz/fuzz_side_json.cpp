// libFuzzer target for the JSON documents a user hands the CLI besides Kineto traces, read as
// the verbs read them. The input is one document, or two split at the first "\n---\n" (one
// document alone is both):
// - saved `engine run --json` documents (cli/engine_run_doc.h): the first one's decode window cut
//   out of a small trace (fusion/sweep --decode-window); the first as the run recorded and eager
//   baseline, the second as the measured run of the closed loop (fusion --measured), so that batch
//   mismatches and speedups other than 1 are reached; their n_seq as sweep points' batch sizes
//   (sweep --decode-window);
// - saved analyses as `compare` reads them (scenario_from_json), the first compared with the
//   second and printed.
// Not here: `report`'s HTML rendering of saved results (it_report, minutes of CI to build
// instrumented), nor the fusion/sweep printers, which only format what the analyses computed.
// A reader may refuse a document with infertrace::Error (InputError, UsageError); a crash, a
// sanitizer report, any other exception or a closed-loop result that breaks its definition
// (checked below) is a bug.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/compare.h"
#include "analysis/fusion.h"
#include "analysis/fusion_loop.h"
#include "analysis/fusion_sequences.h"
#include "analysis/launch.h"
#include "analysis/sweep.h"
#include "cli/engine_run_doc.h"
#include "report/compare_render.h"
#include "util/error.h"

namespace {

using namespace infertrace;

// 12 launches on one thread, each followed by a kernel 20 us later, alternating two kernel names
// (so fusion finds a chain of length 2): enough for every analysis the documents feed.
Trace small_trace() {
  Trace t;
  t.file = "fuzz.json";
  t.threads.push({1, 2, t.strings.intern("python"), 0, 1'000'000});
  for (int i = 0; i < 12; ++i) {
    ApiCall c;
    c.start = 1'000 + i * 30'000, c.dur = 4'000, c.pid = 1, c.tid = 2, c.correlation = i + 1;
    c.name = t.strings.intern("cudaLaunchKernel"), c.kind = ApiKind::KernelLaunch;
    t.api.push(c);
    GpuActivity g;
    g.start = c.start + 20'000, g.dur = 6'000, g.device = 0, g.stream = 7, g.correlation = i + 1;
    g.name = t.strings.intern(i % 2 ? "gemm" : "relu");
    t.gpu.push(g);
  }
  return t;
}

std::optional<cli::EngineRunDoc> parse_run(std::string_view text, const char* path) {
  try {
    return cli::parse_engine_run(text, path);
  } catch (const InputError&) {
    return std::nullopt;
  }
}

// The closed loop's definitions (analysis/fusion_loop.h): runs of different batch sizes are refused;
// a measured speedup is the measured run's decode tokens/s over the baseline's; the predicted
// speedups come from the small trace's latencies (a ratio of two, or 1), so they are finite and
// positive whatever the documents hold.
void check_loop(const FusionLoop& loop, const MeasuredRun& recorded, const MeasuredRun& measured) {
  if (measured.n_seq != recorded.n_seq || loop.comparisons.size() != 1) std::abort();
  const LoopComparison& c = loop.comparisons[0];
  if (c.measured_speedup != measured.tg_tokens_per_s / recorded.tg_tokens_per_s) std::abort();
  auto usable = [](double x) { return std::isfinite(x) && x > 0; };
  for (const LoopPrediction& p : loop.predictions)
    if (!usable(p.predicted_speedup)) std::abort();
  if (!usable(c.matched.predicted_speedup)) std::abort();
}

void engine_runs(std::string_view first, std::string_view second) {
  const std::optional<cli::EngineRunDoc> a = parse_run(first, "run.json");
  if (!a) return;
  const std::optional<cli::EngineRunDoc> b = parse_run(second, "measured.json");
  Trace trace = small_trace();
  if (a->window) {
    try {
      // The doubts about the window (decode_window_check.h) are sentences over the cut trace: any
      // document, however odd its counts, must give some or none without a crash.
      for (const std::string& d : cli::cut_to_decode_window(trace, "fuzz.json", *a, "run.json"))
        if (d.empty()) std::abort();
    } catch (const Error&) {
      trace = small_trace();
    }
  }
  const LaunchAnalysis launch = analyze_launches(trace);
  FusionOptions fo;
  fo.lengths = {2, 4};
  const FusionResult fusion = analyze_fusion(build_kernel_sequences(trace), fo);
  if (b) {
    MeasuredRun measured = b->run;
    measured.mode = "fused";
    try {
      check_loop(analyze_fusion_loop(fusion, launch, a->run, a->run, {measured}), a->run, measured);
    } catch (const UsageError&) {
    }
  }
  // sweep: a run's n_seq is its trace's batch size.
  try {
    std::vector<SweepPoint> points;
    points.push_back(sweep_point(a->run.n_seq, "a.json", launch));
    points.push_back(sweep_point(b ? b->run.n_seq : 8, "b.json", analyze_launches(small_trace())));
    (void)analyze_sweep(std::move(points));
  } catch (const UsageError&) {
  }
}

std::optional<ScenarioMetrics> scenario(std::string_view text, const char* name) {
  // The verbs parse with exceptions and turn nlohmann's into InputError (cmd_compare.cpp,
  // cmd_report.cpp): a document that does not parse goes no further.
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return std::nullopt;
  try {
    return scenario_from_json(doc, name, std::string(name) + ".json");
  } catch (const Error&) {
    return std::nullopt;
  }
}

void saved_analyses(std::string_view first, std::string_view second) {
  const std::optional<ScenarioMetrics> a = scenario(first, "first");
  if (!a) return;
  const std::optional<ScenarioMetrics> b = scenario(second, "second");
  try {
    const Comparison c = compare_scenarios({*a, b ? *b : *a});
    std::ostringstream os;
    print_comparison(os, c);
    (void)comparison_json(c).dump();
  } catch (const Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kSplit = "\n---\n";
  const size_t cut = text.find(kSplit);
  const std::string_view first = text.substr(0, cut);
  const std::string_view second = cut == std::string_view::npos ? first : text.substr(cut + kSplit.size());
  engine_runs(first, second);
  saved_analyses(first, second);
  return 0;
}
