// `infertrace fusion TRACE`: proximity-score kernel fusion candidates (docs/fusion.md,
// docs/metrics.md section 4), with the launch time each fusion would save.
#include <iostream>
#include <memory>
#include <sstream>

#include "analysis/fusion.h"
#include "analysis/fusion_sequences.h"
#include "cli/registry.h"
#include "ingest/load.h"
#include "report/fusion_report.h"
#include "util/error.h"

namespace infertrace::cli {

namespace {

struct Options {
  std::string trace;
  std::string lengths = "2,4,8,16,32,64,128,256";
  double threshold = 1.0;
  size_t top = 10;
  bool json = false, csv = false;
};

std::vector<int> parse_lengths(const std::string& s) {
  std::vector<int> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t used = 0;
    int v = 0;
    try {
      v = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size()) throw UsageError("--lengths: '" + item + "' is not a whole number (expected e.g. 2,4,8)");
    out.push_back(v);
  }
  if (out.empty()) throw UsageError("--lengths: give at least one chain length (e.g. 2,4,8)");
  return out;
}

void run(const Options& o) {
  if (o.json && o.csv) throw UsageError("fusion: choose one of --json and --csv");
  FusionOptions fo;
  fo.lengths = parse_lengths(o.lengths);
  fo.threshold = o.threshold;
  fo.top = o.top;
  const Trace trace = load_trace(o.trace);
  const FusionResult result = analyze_fusion(build_kernel_sequences(trace), fo);
  const LaunchAnalysis launch = analyze_launches(trace);
  const FusionReport rep{&trace, &result, &launch};
  if (o.json)
    std::cout << fusion_json(rep).dump(2) << "\n";
  else if (o.csv)
    print_fusion_csv(std::cout, rep);
  else
    print_fusion(std::cout, rep);
}

const CommandRegistrar reg(310, [](CLI::App& app) {
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("fusion", "Kernel fusion candidates by proximity score (SKIP), with the launch time "
                                           "each fusion would save");
  cmd->add_option("trace", opt->trace, "Kineto trace (.json/.json.gz) or recording (.itrace)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--lengths", opt->lengths, "Comma-separated chain lengths L (each >= 2)")->capture_default_str();
  cmd->add_option("--threshold", opt->threshold, "Fuse chains with proximity score PS >= T, 0 < T <= 1")
      ->capture_default_str();
  cmd->add_option("--top", opt->top, "Candidate chains to list")->capture_default_str();
  cmd->add_flag("--json", opt->json, "Machine-readable output (docs/fusion.md)");
  cmd->add_flag("--csv", opt->csv, "The per-length table as CSV");
  cmd->callback([opt]() { run(*opt); });
});

}  // namespace

}  // namespace infertrace::cli
