// `infertrace fusion TRACE`: proximity-score kernel fusion candidates (docs/fusion.md,
// docs/metrics.md section 4), with the launch time each fusion would save; with --decode-window
// and --measured, the closed loop against the engine's measured fused and graph modes.
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "analysis/fusion.h"
#include "analysis/fusion_loop.h"
#include "analysis/fusion_sequences.h"
#include "cli/engine_run_doc.h"
#include "cli/load_noting.h"
#include "cli/numeric_options.h"
#include "cli/registry.h"
#include "ingest/load.h"
#include "report/fusion_loop_report.h"
#include "report/fusion_report.h"
#include "util/comma_list.h"
#include "util/error.h"
#include "util/whole_number.h"
#include "util/units.h"
#include "util/text_clean.h"
#include "report/json_text.h"

namespace infertrace::cli {

namespace {

// What --csv gets for the flag alone (see its registration below): no word one can type.
const std::string kCsvAlone = "\x01--csv";

struct Options {
  std::string trace;
  std::vector<std::string> more_words;  // positional words after the trace: an error, said below
  std::string lengths = "2,4,8,16,32,64,128,256";
  double threshold = 1.0;
  size_t top = 10;
  bool json = false, csv = false;
  // --csv as given, once per time: kCsvAlone for the flag alone, else the VALUE of `--csv=VALUE`
  // (refused below; a bool flag said only "Could not convert: --csv = out.csv", and a string flag
  // took `--csv=true` for the flag alone: review FG L6).
  std::vector<std::string> csv_given;
  std::string decode_window;          // engine run --json of the recorded run
  std::vector<std::string> measured;  // MODE=RUN.json
};

std::vector<int> parse_lengths(const std::string& s) {
  std::vector<int> out;
  // Every item, an empty one too ("2," or "2,,4": refused as bench threads -t and --scenarios
  // refuse them; getline dropped a trailing one: review CA L6). (An empty --lengths is refused
  // before: cli/empty_values.h.)
  for (const std::string& item : split_commas(s)) {
    if (item.empty())
      throw UsageError("--lengths " + s + ": an empty item (a comma too many); expected e.g. 2,4,8");
    const int64_t min = 2, max = 1 << 20;  // analyze_fusion's range, said here with the text as typed
    const WholeNumber n = parse_whole_number(item, min, max);
    if (n.status != WholeNumber::Status::ok)
      throw UsageError("--lengths: '" + item + "' " + whole_number_problem(n, min, max) + " (expected e.g. 2,4,8)");
    out.push_back(static_cast<int>(n.value));
  }
  if (out.empty()) throw UsageError("--lengths: give at least one chain length (e.g. 2,4,8)");
  return out;
}

// The recorded run named by --decode-window; its window must exist (it decoded at least one step).
EngineRunDoc recorded_run(const std::string& path) {
  EngineRunDoc d = read_engine_run(path);
  if (!d.window)
    throw UsageError("--decode-window " + path + ": the run has no decode window (it decoded no step, or it was "
                     "written by an infertrace without decode_window_ns)");
  return d;
}

// --measured MODE=RUN.json: the document's own mode must agree with MODE (catches swapped files).
std::vector<MeasuredRun> measured_runs(const std::vector<std::string>& specs) {
  std::vector<MeasuredRun> out;
  for (const std::string& spec : specs) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      throw UsageError("--measured " + spec + ": expected MODE=RUN.json (e.g. fused=fused.json)");
    const std::string mode = spec.substr(0, eq);
    // Checked before the file is read: "that file is a cpu run, not bogus" blamed the file.
    if (mode != "eager" && mode != "fused" && mode != "graph")
      throw UsageError("--measured " + spec + ": unknown mode '" + mode + "' (expected eager, fused or graph)");
    MeasuredRun r = read_engine_run(spec.substr(eq + 1)).run;
    if (r.mode != mode)
      throw UsageError("--measured " + spec + ": that file is a " + r.mode + " run, not " + mode);
    for (const MeasuredRun& seen : out)
      if (seen.mode == mode) throw UsageError("--measured: mode " + mode + " given twice");
    out.push_back(std::move(r));
  }
  return out;
}

// fusion reads one trace, and --csv is a flag here (the table goes to standard output) where
// analyze and export take `--csv DIR`. A second word is most often a value meant for --csv: CLI11
// said only "arguments were not expected", and with `--csv out.csv TRACE` the trace it blamed was
// out.csv (audit EW L1). `--csv=VALUE` is refused here too, saying what --csv takes.
void refuse_stray_words(const Options& o) {
  for (const std::string& given : o.csv_given)
    if (given != kCsvAlone)
      throw UsageError("--csv=" + given + ": --csv takes no file or directory, it prints the per-length table as "
                       "CSV on standard output (fusion TRACE --csv > FILE.csv)");
  if (o.more_words.empty()) return;
  std::string words = "'" + o.trace + "'";
  for (const std::string& w : o.more_words) words += ", '" + w + "'";
  std::string msg = "fusion reads one trace (given " + words + ")";
  if (o.csv)
    msg += ": --csv takes no file or directory, it prints the per-length table as CSV on standard output "
           "(fusion TRACE --csv > FILE.csv)";
  throw UsageError(msg);
}

// `fusion --csv DIR` (DIR read as the trace, as --csv takes no value): said as what --csv takes,
// where reading the trace said only that DIR is a directory.
void refuse_directory_with_csv(const Options& o) {
  std::error_code ec;
  if (!o.csv || !std::filesystem::is_directory(o.trace, ec)) return;
  throw UsageError("fusion: " + o.trace + " is a directory, not a trace: --csv takes no directory, it prints the "
                   "per-length table as CSV on standard output (fusion TRACE --csv > FILE.csv)");
}

void run(const Options& o) {
  refuse_stray_words(o);
  refuse_directory_with_csv(o);
  if (o.json && o.csv) throw UsageError("fusion: choose one of --json and --csv");
  if (!o.measured.empty() && o.decode_window.empty())
    throw UsageError("--measured needs --decode-window RUN.json: the recorded eager run, whose decode steps the "
                     "per-step figures are counted in");
  if (!o.measured.empty() && o.csv) throw UsageError("--measured: the closed loop has a table and JSON, not CSV");
  FusionOptions fo;
  fo.lengths = parse_lengths(o.lengths);
  fo.threshold = o.threshold;
  fo.top = o.top;
  const std::vector<MeasuredRun> measured = measured_runs(o.measured);
  std::optional<EngineRunDoc> recorded;
  if (!o.decode_window.empty()) recorded = recorded_run(o.decode_window);
  Trace trace = load_trace_noting(o.trace);
  std::vector<std::string> doubts;
  if (recorded) doubts = cut_to_decode_window(trace, o.trace, *recorded, o.decode_window);
  const FusionResult result = analyze_fusion(build_kernel_sequences(trace), fo);
  const LaunchAnalysis launch = analyze_launches(trace);
  const FusionReport rep{&trace, &result, &launch};

  std::optional<FusionLoop> loop;
  if (!measured.empty()) {
    MeasuredRun baseline = recorded->run;  // without an eager=... run: the recorded one, recorder included
    std::vector<MeasuredRun> others;
    for (const MeasuredRun& r : measured) (r.mode == "eager" ? baseline : others.emplace_back()) = r;
    loop = analyze_fusion_loop(result, launch, recorded->run, baseline, others);
    loop->window_doubts = doubts;
  }
  if (o.json) {
    nlohmann::json j = fusion_json(rep);
    if (recorded)
      j["decode_window"] = {{"source", clean_text(o.decode_window)},
                            {"from_ns", recorded->window->from},
                            {"to_ns", recorded->window->to},
                            {"decode_steps", recorded->run.decode_steps},
                            {"doubts", doubts}};
    if (loop) j["closed_loop"] = fusion_loop_json(*loop);
    std::cout << result_json_text(j) << "\n";
  } else if (o.csv) {
    // The CSV holds the table alone: the window's doubts go to stderr, not lost (review DG L2).
    for (const std::string& d : doubts) std::cerr << "caution: " << d << "\n";
    print_fusion_csv(std::cout, rep);
  } else {
    if (recorded)
      std::cout << "decode window of " << o.decode_window << ": " << recorded->run.decode_steps << " steps in "
                << format_ns(recorded->window->to - recorded->window->from) << "\n";
    for (const std::string& d : doubts) std::cout << "caution: " << d << "\n";
    print_fusion(std::cout, rep);
    if (loop) print_fusion_loop(std::cout, *loop);
  }
}

const CommandRegistrar reg(310, "fusion", [](CLI::App& app) {
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("fusion", "Kernel fusion candidates by proximity score (SKIP), with the launch time "
                                           "each fusion would save");
  cmd->add_option("trace", opt->trace, "Kineto trace (.json/.json.gz) or recording (.itrace)")
      ->required();
  cmd->add_option("more", opt->more_words)->group("");  // hidden: refused by refuse_stray_words
  cmd->add_option("--lengths", opt->lengths, "Comma-separated chain lengths L (each 2 to 1048576)")->capture_default_str();
  cmd->add_option("--threshold", opt->threshold, "Fuse chains with proximity score PS >= T, 0 < T <= 1")
      ->capture_default_str();
  // (as analyze and sched: a list of no rows is no request)
  check_range(cmd->add_option("--top", opt->top, "Candidate chains to list")->capture_default_str(), 1, 1000000);
  cmd->add_flag("--json", opt->json, "Machine-readable output (docs/fusion.md, section \"fusion --json\")");
  // A flag whose value, given alone, is kCsvAlone (the option's default string), so that any
  // `--csv=VALUE` can be told apart and refused: add_flag gives "true" for the flag alone and for
  // `--csv=true` alike. type_size(0): a flag to the pre-passes of cli/parse_and_run.h too, where
  // `--csv=` and `--csv={}` are refused (CLI11 gives both kCsvAlone, as the flag alone:
  // cli/empty_values.h).
  cmd->add_option("--csv", opt->csv_given,
                  "Print the per-length table as CSV on standard output (takes no file or directory, unlike "
                  "analyze/export --csv DIR: redirect it, > FILE.csv)")
      ->expected(0, 0)
      ->type_size(0)
      ->allow_extra_args(false)
      ->default_str(kCsvAlone)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--decode-window", opt->decode_window,
                  "engine run --json of the recorded run: analyze only its decode steps (decode_window_ns)");
  cmd->add_option("--measured", opt->measured,
                  "MODE=RUN.json[,...]: engine run --json results (eager = baseline, fused, graph) to compare the "
                  "prediction with (needs --decode-window)")
      ->delimiter(',');
  cmd->callback([opt]() {
    opt->csv = !opt->csv_given.empty();
    run(*opt);
  });
});

}  // namespace

}  // namespace infertrace::cli
