// `infertrace sched RECORDING`: the scheduler/IRQ analysis and syscall profile of one recording on
// its own (the same report `infertrace analyze` appends for recordings), with --per-thread syscalls.
#include <iostream>
#include <memory>

#include "analysis/sched.h"
#include "cli/load_noting.h"
#include "cli/numeric_options.h"
#include "cli/registry.h"
#include "ingest/load.h"
#include "report/sched_render.h"
#include "util/error.h"
#include "report/json_text.h"

namespace infertrace::cli {

namespace {

struct SchedArgs {
  std::string input;
  bool json = false, per_thread = false;
  size_t top = 15;
};

void run(const SchedArgs& a) {
  const Trace trace = load_trace_noting(a.input);
  SchedOptions opts;
  opts.syscalls_per_thread = a.per_thread;
  const SchedAnalysis s = analyze_sched(trace, opts);
  if (a.json) {
    std::cout << result_json_text(sched_analysis_json(trace, s)) << "\n";
  } else {
    SchedPrintOptions p;
    p.top = a.top;
    print_sched_report(std::cout, trace, s, p);
  }
}

const CommandRegistrar reg(300, "sched", [](CLI::App& app) {
  auto a = std::make_shared<SchedArgs>();
  auto* cmd = app.add_subcommand("sched", "Scheduler/IRQ impact on launches and syscall profile of a recording");
  cmd->footer("Definitions and the --json schema: docs/sched.md.");
  cmd->add_option("input", a->input, "Recording (.itrace) or trace")->required();
  cmd->add_flag("--json", a->json, "Machine-readable output");
  cmd->add_flag("--per-thread", a->per_thread, "Syscall profile per thread as well");
  // (as analyze and fusion: a table of no rows is no request)
  check_range(cmd->add_option("--top", a->top, "Rows per table")->capture_default_str(), 1, 1000000);
  cmd->callback([a]() { run(*a); });
});

}  // namespace

}  // namespace infertrace::cli
