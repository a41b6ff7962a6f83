// `infertrace analyze TRACE... [--json] [--csv DIR] [--top N]`: launch and queue metrics of
// docs/metrics.md sections 1-2 for PyTorch profiler (Kineto) traces (docs/analyze.md).
#include <iostream>
#include <memory>

#include "analysis/launch.h"
#include "analysis/sched.h"
#include "cli/export_outputs.h"
#include "cli/inputs_after_dash.h"
#include "cli/load_noting.h"
#include "cli/numeric_options.h"
#include "cli/output_file.h"
#include "cli/registry.h"
#include "ingest/load.h"
#include "report/analyze_json.h"
#include "report/analyze_text.h"
#include "report/sched_render.h"
#include "util/error.h"
#include "report/json_text.h"

namespace infertrace::cli {

namespace {

struct Options {
  std::vector<std::string> traces;
  bool json = false;
  std::string csv_dir;
  size_t top = 10;
};

// --csv DIR as export --csv (cli/export_outputs.h): checked before any trace is read (a file
// where the directory should be or above it, a directory, device or FIFO at a table's name; a
// missing DIR and its missing parents are made later, by make_output_directories), and removed
// again, with the tables this run renamed there, when this run created it and then fails.
std::vector<ExportOutput> check_csv_dir(const Options& o) {
  if (o.csv_dir.empty()) return {};
  const std::vector<ExportOutput> outputs{{"--csv", o.csv_dir, true, kAnalyzeCsvTableNames}};
  check_outputs_against_inputs(outputs, o.traces, "an input trace");  // a table at a trace's place (review CX M2)
  check_export_outputs(outputs);  // with the tables' places (check_table_places), as for export
  return outputs;
}

void write_csv(const Options& o, const std::vector<AnalyzedTrace>& all, const std::vector<ExportOutput>& outputs) {
  // Whether this run creates DIR is decided now, after the traces were read (which can take
  // minutes, or block on a FIFO), as export does: decided before, a DIR someone made meanwhile,
  // with tables of theirs, counted as ours and lost them on a failure (review BO L1).
  std::vector<ExportOutput> created = outputs_to_be_created(outputs);
  try {
    make_output_directories(created);
    // What it renames into a directory this run made is recorded there, for the clean-up.
    const auto written = write_analyze_csv(o.csv_dir, all, created.empty() ? nullptr : &created[0].renamed);
    if (!o.json) std::cerr << "wrote " << written.size() << " CSV files to " << o.csv_dir << "\n";
  } catch (const Error& e) {
    const std::string removed = remove_created_outputs(created, "this analyze run");
    if (removed.empty()) throw;
    throw Error(std::string(e.what()) + " (" + removed + ")", e.exit_code());
  } catch (...) {  // not ours (std::filesystem, allocation): the same clean-up, the error as it was
    remove_created_outputs(created, "this analyze run");
    throw;
  }
}

void run(const Options& o) {
  const std::vector<ExportOutput> csv_outputs = check_csv_dir(o);
  // Every trace is read and analysed before anything is printed, so a bad file fails the run
  // without leaving half a JSON document on stdout.
  std::vector<std::unique_ptr<Trace>> traces;
  std::vector<std::unique_ptr<LaunchAnalysis>> analyses;
  std::vector<AnalyzedTrace> all;
  // Recordings (eBPF) also carry context switches, IRQs and syscalls: their scheduler analysis
  // (docs/sched.md) follows the launch metrics, in the text and under "sched" in the JSON.
  std::vector<std::unique_ptr<SchedAnalysis>> scheds;
  for (const std::string& path : o.traces) {
    traces.push_back(std::make_unique<Trace>(load_trace_noting(path)));
    analyses.push_back(std::make_unique<LaunchAnalysis>(analyze_launches(*traces.back())));
    all.push_back({traces.back().get(), analyses.back().get()});
    scheds.push_back(traces.back()->source == TraceSource::Recording
                         ? std::make_unique<SchedAnalysis>(analyze_sched(*traces.back()))
                         : nullptr);
  }
  if (!o.csv_dir.empty()) write_csv(o, all, csv_outputs);
  if (o.json) {
    nlohmann::json doc = analyze_document(all);
    // One trace: its figures are at the top level; several: one object per trace under "traces".
    for (size_t k = 0; k < all.size(); ++k)
      if (scheds[k])
        (all.size() == 1 ? doc : doc["traces"][k])["sched"] = sched_analysis_json(*all[k].trace, *scheds[k]);
    std::cout << result_json_text(doc) << "\n";
    return;
  }
  for (size_t k = 0; k < all.size(); ++k) {
    if (k) std::cout << "\n" << std::string(100, '=') << "\n\n";
    print_analyze_text(std::cout, *all[k].trace, *all[k].analysis, o.top);
    if (scheds[k]) {
      std::cout << "\n";
      SchedPrintOptions p;
      p.top = o.top;
      print_sched_report(std::cout, *all[k].trace, *scheds[k], p);
    }
  }
}

const CommandRegistrar reg(100, "analyze", [](CLI::App& app) {
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("analyze", "Launch and queue metrics of PyTorch profiler traces: TKLQT (launch and "
                                            "queue parts), AKD, inference latency, GPU/CPU idle, CPU- or GPU-bound, "
                                            "per API, kernel, operator and stream");
  CLI::Option* inputs = cmd->add_option("traces", opt->traces, "Kineto traces (.json or .json.gz) or recordings (.itrace, with the scheduler analysis); one section per trace")
      ->required();
  inputs_on_both_sides_of_dash(cmd, inputs);  // `A -- B`: A, then B
  cmd->add_flag("--json", opt->json, "Print one JSON document (schema_version 1, docs/analyze.md) instead of tables");
  cmd->add_option("--csv", opt->csv_dir, "Also write one CSV file per table into this directory");
  // (as sched and fusion: a table of no rows is no request)
  check_range(cmd->add_option("--top", opt->top, "Rows per table in the terminal output (JSON and CSV hold every row)")
                  ->capture_default_str(),
              1, 1000000);
  cmd->callback([opt]() {
    refuse_dash(opt->csv_dir, "--csv", "a directory of CSV tables");  // it made a directory called - (review CX L9)
    run(*opt);
  });
});

}  // namespace

}  // namespace infertrace::cli
