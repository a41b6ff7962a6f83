// libFuzzer target for the JSON documents a user hands the CLI besides Kineto traces, read as
// the verbs read them:
// - a saved `engine run --json` (cli/engine_run_doc.h): its decode window cut out of a small trace
//   (fusion/sweep --decode-window), the run as recorded, baseline and measured run of the closed
//   loop (fusion --measured), and its n_seq as a sweep point's batch size (sweep --decode-window);
// - a saved analysis as `compare` reads it (scenario_from_json), compared against itself and
//   printed.
// Not here: `report`'s HTML rendering of saved results (it_report, minutes of CI to build
// instrumented), nor the fusion/sweep printers, which only format what the analyses computed.
// A reader may refuse a document with infertrace::Error (InputError, UsageError); a crash, a
// sanitizer report or any other exception is a bug.
#include <cstddef>
#include <cstdint>
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

void engine_run(std::string_view text) {
  cli::EngineRunDoc d;
  try {
    d = cli::parse_engine_run(text, "run.json");
  } catch (const InputError&) {
    return;
  }
  Trace trace = small_trace();
  if (d.window) {
    try {
      cli::cut_to_decode_window(trace, "fuzz.json", *d.window, "run.json");
    } catch (const Error&) {
      trace = small_trace();
    }
  }
  const LaunchAnalysis launch = analyze_launches(trace);
  FusionOptions fo;
  fo.lengths = {2, 4};
  const FusionResult fusion = analyze_fusion(build_kernel_sequences(trace), fo);
  MeasuredRun fused = d.run;
  fused.mode = "fused";
  try {
    (void)analyze_fusion_loop(fusion, launch, d.run, d.run, {fused});
  } catch (const UsageError&) {
  }
  // sweep: a run's n_seq is its trace's batch size.
  try {
    std::vector<SweepPoint> points;
    points.push_back(sweep_point(d.run.n_seq, "a.json", launch));
    points.push_back(sweep_point(8, "b.json", analyze_launches(small_trace())));
    (void)analyze_sweep(std::move(points));
  } catch (const UsageError&) {
  }
}

void saved_analysis(const nlohmann::json& doc) {
  try {
    const ScenarioMetrics m = scenario_from_json(doc, "scenario", "saved.json");
    const Comparison c = compare_scenarios({m, m});
    std::ostringstream os;
    print_comparison(os, c);
    (void)comparison_json(c).dump();
  } catch (const Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  engine_run(text);
  // The verbs parse with exceptions and turn nlohmann's into InputError (cmd_compare.cpp,
  // cmd_report.cpp): a document that does not parse goes no further.
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_discarded()) saved_analysis(doc);
  return 0;
}
