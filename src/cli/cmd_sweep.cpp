// `infertrace sweep TRACE...`: one model's traces at several batch sizes; where it turns from
// CPU-bound (launch-dominated) to GPU-bound (queue-dominated) (docs/fusion.md, docs/metrics.md
// section 3). With --decode-window, each trace is a recording of `engine run` cut to its decode steps
// (the window its --json printed), and its batch size defaults to that run's n_seq.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "analysis/sweep.h"
#include "cli/engine_run_doc.h"
#include "cli/inputs_after_dash.h"
#include "cli/load_noting.h"
#include "cli/output_file.h"
#include "cli/registry.h"
#include "ingest/load.h"
#include "report/sweep_report.h"
#include "trace/gpu_models.h"
#include "util/error.h"
#include "util/inherited_descriptor.h"
#include "util/whole_number.h"
#include "util/text_clean.h"
#include "util/write_text_file.h"
#include "report/json_text.h"

namespace infertrace::cli {

namespace {

struct Options {
  std::vector<std::string> traces;
  std::vector<std::string> labels;
  std::vector<std::string> decode_windows;  // engine run --json per trace, in trace order
  std::string plot;
  bool json = false;
  std::string plot_typed;  // --plot as typed, before dash_as_stdout (`-`): for messages
};

int64_t parse_label(const std::string& label) {
  const std::string prefix = "bs=";
  if (label.rfind(prefix, 0) != 0) throw UsageError("--label " + label + ": expected bs=N (the batch size)");
  const std::string v = label.substr(prefix.size());
  const int64_t max = std::numeric_limits<int64_t>::max();
  const WholeNumber n = parse_whole_number(v, 1, max);
  if (n.status == WholeNumber::Status::above_max)
    throw UsageError("--label " + label + ": N is too large (at most " + std::to_string(max) + ")");
  if (n.status != WholeNumber::Status::ok) throw UsageError("--label " + label + ": N must be a positive whole number");
  return n.value;
}

// The engine runs named by --decode-window, one per trace (or none).
std::vector<EngineRunDoc> engine_runs(const Options& o) {
  if (o.decode_windows.empty()) return {};
  if (o.decode_windows.size() != o.traces.size())
    throw UsageError("sweep: give one --decode-window RUN.json per trace (" + std::to_string(o.traces.size()) +
                     " traces, " + std::to_string(o.decode_windows.size()) + " runs), in the order of the traces");
  std::vector<EngineRunDoc> runs;
  for (const std::string& path : o.decode_windows) {
    runs.push_back(read_engine_run(path));
    if (!runs.back().window)
      throw UsageError("--decode-window " + path + ": the run has no decode window (it decoded no step, or it was "
                       "written by an infertrace without decode_window_ns)");
  }
  return runs;
}

// Batch size of trace i: its --label, else its engine run's n_seq, else a "bs<N>" in its file name.
std::vector<int64_t> batch_sizes(const Options& o, const std::vector<EngineRunDoc>& runs) {
  if (!o.labels.empty() && o.labels.size() != o.traces.size())
    throw UsageError("sweep: give one --label bs=N per trace (" + std::to_string(o.traces.size()) + " traces, " +
                     std::to_string(o.labels.size()) + " labels), in the order of the traces");
  std::vector<int64_t> out;
  for (size_t i = 0; i < o.traces.size(); ++i) {
    if (!o.labels.empty()) {
      out.push_back(parse_label(o.labels[i]));
      continue;
    }
    if (!runs.empty()) {
      // A name that says another batch than the run's n_seq: one of the two is wrong, and which
      // cannot be told here (review DW L2: the name's batch was silently overridden).
      // (A name the name rule itself refuses, x_bs0, is no claim: the run document says the batch.)
      std::optional<int64_t> named;
      try {
        named = batch_from_file_name(o.traces[i]);
      } catch (const UsageError&) {
      }
      if (named && *named != runs[i].run.n_seq)
        throw UsageError(o.traces[i] + ": the file name says batch " + std::to_string(*named) + ", its run document " +
                         o.decode_windows[i] + " n_seq " + std::to_string(runs[i].run.n_seq) +
                         "; give --label bs=N for every trace");
      out.push_back(runs[i].run.n_seq);
      continue;
    }
    const auto b = batch_from_file_name(o.traces[i]);
    if (!b)
      throw UsageError(o.traces[i] + ": no batch size: the file name has no bs<N> (e.g. model_bs8.json.gz); "
                       "give --label bs=N for every trace");
    out.push_back(*b);
  }
  return out;
}

// Whether two regular files hold the same bytes (sizes compared first, so that traces of other
// sizes are never read here): one capture copied under two batch names (review CS L4).
bool same_content(const std::string& a, const std::string& b, off_t size_a, off_t size_b) {
  if (size_a != size_b) return false;
  std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
  if (!fa || !fb) return false;  // (an unreadable file is said when it is loaded)
  std::vector<char> ba(1 << 16), bb(1 << 16);
  while (fa && fb) {
    fa.read(ba.data(), static_cast<std::streamsize>(ba.size()));
    fb.read(bb.data(), static_cast<std::streamsize>(bb.size()));
    if (fa.gcount() != fb.gcount() || !std::equal(ba.begin(), ba.begin() + fa.gcount(), bb.begin())) return false;
  }
  return fa.eof() && fb.eof();
}

// A trace without a single event (`{"traceEvents": []}`, none skipped either): more likely a wrong
// or unfinished file than a CPU-only profile, so no sweep point (review CS L6: it read "no GPU
// activity" and the sweep exited 0).
bool no_events(const Trace& t) {
  return t.gpu.size() == 0 && t.api.size() == 0 && t.ops.size() == 0 && t.switches.size() == 0 && t.wakeups.size() == 0 &&
         t.irqs.size() == 0 && t.syscalls.size() == 0 && t.other_host_starts.empty() && t.skipped.empty();
}

void run(const Options& o) {
  if (o.traces.size() < 2) throw UsageError("sweep: give at least two traces (one per batch size)");
  // The name is checked for a file only: a device, a FIFO or an open descriptor (`--plot /dev/stdout`)
  // takes the SVG as it is.
  if (!o.plot.empty() && (o.plot.size() < 4 || o.plot.compare(o.plot.size() - 4, 4, ".svg") != 0) &&
      !resolve_output_target(o.plot).stream)
    throw UsageError("--plot " + o.plot + ": the plot is written as SVG; name it *.svg");
  if (!o.plot.empty()) refuse_our_stderr(o.plot, "--plot", "sweep");
  // The plot on stdout moves the verb's own stdout to stderr: with --json, the JSON document would
  // then share a stream with the sweep's progress and notes, or, buffered, land in the SVG's file
  // (`--plot - --json > p.svg` held the JSON then the SVG: review CA L5). One document per stream.
  if (o.json && !o.plot.empty() && names_our_stdout(o.plot))
    throw UsageError("--plot " + o.plot_typed + " and --json: both would be written to standard output; "
                     "give the plot a file name (or leave out --json)");
  if (!o.plot.empty()) {  // a trace (or a link to one) at the plot's name was replaced by it (review CX M2)
    std::vector<std::string> inputs = o.traces;
    inputs.insert(inputs.end(), o.decode_windows.begin(), o.decode_windows.end());
    // (and its directory missing or not writable: said now, naming the plot, not its scratch
    // file X.partial after the whole sweep; review CA L11)
    check_output_file(o.plot, inputs, "an input of this sweep", "", "--plot " + o.plot_typed);
  }
  // Every trace opened first: a missing file is an input error a user can act on, not a missing
  // batch size in its name (audit EW L5: "missing.json.gz: no batch size", exit 2).
  std::vector<std::pair<dev_t, ino_t>> ids;  // of regular files; pipes and devices are not compared
  std::vector<off_t> sizes;
  for (const std::string& t : o.traces) {
    struct stat st {};
    if (::stat(t.c_str(), &st) != 0) throw InputError(t, -1, std::string("cannot open: ") + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) throw InputError(t, -1, "is a directory");
    ids.emplace_back(S_ISREG(st.st_mode) ? st.st_dev : 0, S_ISREG(st.st_mode) ? st.st_ino : 0);
    sizes.push_back(st.st_size);
  }
  const std::vector<EngineRunDoc> runs = engine_runs(o);
  const std::vector<int64_t> batches = batch_sizes(o, runs);
  // One file given twice (under two names or labels) is no sweep point of its own (review DW L5):
  // two identical rows made a transition out of nothing. One recording of several engine runs,
  // each cut by its own decode window, is fine. Checked after the labels: a bad label is said first.
  for (size_t i = 0; i < ids.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (ids[i].second != 0 && ids[i] == ids[j] &&
          (runs.empty() || (runs[i].window->from == runs[j].window->from && runs[i].window->to == runs[j].window->to)))
        throw UsageError("sweep: " + o.traces[j] + " and " + o.traces[i] + " are the same file" +
                         (runs.empty() ? "" : " cut by the same decode window") + "; give one trace per batch size");
  // Two files with the same bytes are one capture under two names (review CS L4: a copy of the
  // batch 16 trace named bs32 made two identical rows and a transition): the summary cautions
  // (not refused: tests and users make CPU-only or edited copies on purpose).
  std::vector<int64_t> same_bytes_as(ids.size(), 0);
  for (size_t i = 0; i < ids.size(); ++i)
    for (size_t j = 0; j < i && same_bytes_as[i] == 0; ++j)
      if (ids[i].second != 0 && ids[j].second != 0 && ids[i] != ids[j] && (runs.empty() || o.decode_windows[i] == o.decode_windows[j]) &&
          same_content(o.traces[j], o.traces[i], sizes[j], sizes[i]))
        same_bytes_as[i] = batches[j];
  const bool progress = isatty(STDERR_FILENO);
  std::vector<SweepPoint> points;
  for (size_t i = 0; i < o.traces.size(); ++i) {
    if (progress) std::cerr << "\r[" << i + 1 << "/" << o.traces.size() << "] " << o.traces[i] << "\033[K" << std::flush;
    Trace trace = load_trace_noting(o.traces[i]);
    if (no_events(trace))
      throw InputError(o.traces[i], -1, "no events in the trace (an empty or unfinished capture, or the wrong file?), so it "
                                        "is no sweep point for batch " + std::to_string(batches[i]));
    std::vector<std::string> doubts;
    if (!runs.empty()) doubts = cut_to_decode_window(trace, o.traces[i], runs[i], o.decode_windows[i]);
    const LaunchAnalysis analysis = analyze_launches(trace);
    points.push_back(sweep_point(batches[i], clean_text(o.traces[i]), analysis, trace.launch_coverage));
    SweepPoint& p = points.back();
    p.top_level_operators = top_level_operator_names(trace, analysis);
    p.gpu_models = gpu_model_names(trace);
    p.same_bytes_as = same_bytes_as[i];
    if (!o.labels.empty()) {  // a label against the name's bs<N> (a name the rule refuses is no claim)
      try {
        if (const std::optional<int64_t> named = batch_from_file_name(o.traces[i]); named && *named != batches[i])
          p.file_name_batch = *named;
      } catch (const UsageError&) {
      }
    }
    p.skipped = trace.skipped;
    p.names_cleaned = trace.names_cleaned;
    if (!runs.empty()) {
      p.decode_window_source = clean_text(o.decode_windows[i]);
      p.decode_window_from = runs[i].window->from, p.decode_window_to = runs[i].window->to;
      p.decode_steps = runs[i].run.decode_steps;
      p.batch_from_run = o.labels.empty();
      p.decode_window_doubts = std::move(doubts);
    }
  }
  if (progress) std::cerr << "\r\033[K" << std::flush;
  const SweepResult r = analyze_sweep(std::move(points));
  // The plot is written before the output (a plot that cannot be written stops the verb first); a
  // sweep with nothing to plot (no batch has a launch figure or an idle share: no GPU activity, or
  // launches not measured) still prints its table and sentence, or JSON, then says why no plot was
  // written and exits 1: the output asked for does not exist (review SW L3).
  const std::string svg = o.plot.empty() ? "" : sweep_svg(r);
  if (!svg.empty()) write_text_file(o.plot, svg);
  if (o.json) {
    std::cout << result_json_text(sweep_json(r)) << "\n";
  } else {
    print_sweep(std::cout, r);
    if (!svg.empty()) std::cout << "plot: " << o.plot << "\n";
  }
  if (!o.plot.empty() && svg.empty()) {
    std::cout << std::flush;
    throw Error("sweep: no plot written to " + o.plot +
                ": no batch has a launch figure or an idle share to plot (" +
                (o.json ? "the summary says why" : "the sentence above says why") + ")");
  }
}

const CommandRegistrar reg(300, "sweep", [](CLI::App& app) {
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("sweep", "Batch sweep: TKLQT, idle time and the CPU-bound to GPU-bound transition across "
                                          "traces of one model at several batch sizes");
  CLI::Option* inputs = cmd->add_option("traces", opt->traces, "Kineto traces (.json/.json.gz) or recordings, one per batch size (at least two)")
      ->required();
  inputs_on_both_sides_of_dash(cmd, inputs);  // `A -- B`: A, then B
  cmd->add_option("--label", opt->labels, "bs=N: batch size of each trace, in trace order (default: bs<N> in the file name)")
      ->allow_extra_args(false);
  cmd->add_option("--decode-window", opt->decode_windows,
                  "RUN.json: the engine run --json of each recording, in trace order: analyze only its decode steps "
                  "(decode_window_ns); its n_seq is the batch size unless --label gives one")
      ->allow_extra_args(false);
  cmd->add_option("--plot", opt->plot, "Write a plot of TKLQT parts and idle shares against batch size (SVG)");
  cmd->add_flag("--json", opt->json, "Machine-readable output (docs/fusion.md, section \"sweep --json\")");
  cmd->callback([opt]() {
    opt->plot_typed = opt->plot;
    opt->plot = dash_as_stdout(opt->plot);  // `--plot -`: the SVG on stdout (review CX L9)
    run(*opt);
  });
});

}  // namespace

}  // namespace infertrace::cli
