// `infertrace report INPUT... -o report.html`: one self-contained HTML file covering whatever the
// inputs hold (src/report/html_report.h; docs/report.md).
#include "cli/cmd_report.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <utility>

#include "cli/inputs_after_dash.h"
#include "cli/load_noting.h"
#include "cli/numeric_options.h"
#include "cli/output_file.h"
#include "cli/result_document.h"
#include "cli/registry.h"
#include "ingest/load.h"
#include "report/sched_recording_key.h"
#include "report/sched_render.h"
#include "util/json_error.h"
#include "util/error.h"
#include "util/text_clean.h"
#include "util/write_text_file.h"

namespace infertrace::cli {

namespace {

// Adds a result document; a scheduler analysis only once per recording (a recording and its saved
// `sched --json` given together would be two identical sections). Kept: a saved one with per-thread
// syscall tables (`sched --json --per-thread`: content the one made here lacks), else the one
// computed now from the recording, whichever came first.
void add_doc(ReportData& data, const std::string& label, nlohmann::json doc, bool fresh) {
  const std::string key = sched_recording_key(doc);
  if (!key.empty()) {
    const auto [it, added] = data.sched_shown.emplace(key, ReportData::SchedShown{data.inputs.docs.size(), fresh});
    if (!added) {
      html::JsonInput& shown = data.inputs.docs[it->second.doc];
      const std::string first = shown.label;
      auto per_thread = [](const nlohmann::json& j) { return j.contains("syscalls_by_thread"); };
      const bool replace = per_thread(doc) != per_thread(shown.doc) ? per_thread(doc) : fresh && !it->second.fresh;
      if (replace) shown = {label, std::move(doc)}, it->second.fresh = fresh;
      if (data.say_duplicates)
        std::cerr << "report: " << first << " and " << label
                  << " are the scheduler analysis of one recording: shown once, as " << shown.label << "\n";
      return;
    }
  }
  data.inputs.docs.push_back({label, std::move(doc)});
}

}  // namespace

std::string report_input_name(const std::string& path, const std::string& label) {
  // As the page shows it: a file name or label that is not UTF-8 reads '?' (util/text_clean.h).
  return clean_text(label.empty() ? std::filesystem::path(path).filename().string() : label);
}

void add_report_input(ReportData& data, const std::string& path, const std::string& label) {
  const std::string name = report_input_name(path, label);
  ResultOrTrace in = read_result_or_trace(path);
  if (const std::optional<std::string>& text = in.result) {
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(*text);
    } catch (const nlohmann::json::parse_error& e) {
      // nlohmann counts bytes from 1; offsets in our errors count from 0.
      throw InputError(path, static_cast<int64_t>(e.byte > 0 ? e.byte - 1 : 0), "not valid JSON: " + json_error_text(e.what()));
    } catch (const nlohmann::json::exception& e) {  // e.g. a number beyond double (1e400)
      throw InputError(path, -1, "unreadable JSON: " + json_error_text(e.what()));
    }
    // A schema_version that is no version, or a `kind` without its content (review HR L1, M3).
    if (const std::string problem = html::document_problem(doc); !problem.empty()) throw InputError(path, -1, problem);
    add_doc(data, name, std::move(doc), false);
    return;
  }
  auto trace = std::make_unique<Trace>(in.bytes ? load_trace_noting(std::move(*in.bytes), path) : load_trace_noting(path));
  auto analysis = std::make_unique<LaunchAnalysis>(analyze_launches(*trace));
  // A recording's scheduler and IRQ analysis is its main content: the same section a saved
  // `sched --json` gets. Syscalls counted in the kernel (--events syscall-counts) are in META, not
  // in any table, and make a recording with OS events too.
  const auto counted = trace->meta.lower_bound("syscall_count.");
  const bool kernel_counts = counted != trace->meta.end() && counted->first.rfind("syscall_count.", 0) == 0;
  if (trace->switches.size() + trace->wakeups.size() + trace->irqs.size() + trace->syscalls.size() > 0 || kernel_counts)
    add_doc(data, name + " (scheduler)", sched_analysis_json(*trace, analyze_sched(*trace)), true);
  data.inputs.traces.push_back({name, trace.get(), analysis.get(), data.timeline});
  data.traces.push_back(std::move(trace));
  data.analyses.push_back(std::move(analysis));
}

std::vector<std::string> write_report(const ReportData& data, const std::string& out_path) {
  const std::string page = html::render_report(data.inputs);
  write_text_file(out_path, page);
  return html::findings(data.inputs);
}

namespace {

struct Options {
  std::vector<std::string> inputs;
  std::string out = "report.html";
  std::string title = "infertrace report";
  double timeline_at_s = 0;
  size_t timeline_events = html::TimelineOptions{}.max_events;
};

const CommandRegistrar reg(700, "report", [](CLI::App& app) {
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("report", "Write a self-contained HTML report (charts, tables, timeline) from traces "
                                           "and saved --json results of other verbs");
  CLI::Option* inputs = cmd->add_option("inputs", opt->inputs,
                                        "Kineto traces (.json/.json.gz), recordings (.itrace) and saved --json "
                                        "results (sweep, fusion, bench threads, analyze, sched, compare); NAME=PATH "
                                        "names one (default: its file name)")
      ->required();
  inputs_on_both_sides_of_dash(cmd, inputs);  // `A -- B`: A, then B
  cmd->add_option("-o,--output", opt->out, "HTML file to write (- or /dev/stdout: into the open stdout, at its offset)")
      ->capture_default_str();
  cmd->add_option("--title", opt->title, "Title of the report")->capture_default_str();
  // The timeline shows an excerpt: by default the first events, which in a long run are its
  // start-up (review LR L2).
  check_range(cmd->add_option("--timeline-at", opt->timeline_at_s,
                              "Each trace's timeline excerpt starts at the first event this many seconds after the "
                              "trace's first event (0: the first event)")
                  ->capture_default_str(),
              0.0, 1e7);
  check_range(cmd->add_option("--timeline-events", opt->timeline_events, "Events in each trace's timeline excerpt")
                  ->capture_default_str(),
              size_t{1}, size_t{100000});
  cmd->callback([opt]() {
    const std::string typed = opt->out;  // for messages: `-` as typed (review S44 L4)
    opt->out = dash_as_stdout(opt->out);  // `-o -`: the page on stdout (review CX L9)
    // NAME=PATH names an input (as in compare); a descriptor (<(...)) is named after its place.
    std::vector<NamedInput> named;
    std::vector<std::string> paths;
    for (const std::string& arg : opt->inputs) {
      named.push_back(split_named_input(arg, "report"));
      paths.push_back(named.back().path);
    }
    // Checked before anything is read: the page must not replace an input nor a directory.
    check_output_file(opt->out, paths, "an input of the report", "", "-o " + typed);
    // Each input's section is told by its name alone, so two of one name are refused, as compare
    // does (review S43 L5: two "Trace: nm" sections), before anything is read.
    std::vector<std::string> labels, shown;
    for (size_t i = 0; i < named.size(); ++i) {
      const std::string& path = named[i].path;
      labels.push_back(named[i].name.empty() ? descriptor_input_name("report", path, i + 1) : named[i].name);
      shown.push_back(report_input_name(path, labels.back()));
      for (size_t j = 0; j < i; ++j)
        if (shown[j] == shown[i])
          throw UsageError("report: two inputs are named '" + shown[i] + "' (" + named[j].path + ", " + path +
                           "); name them with NAME=PATH");
    }
    ReportData data;
    data.inputs.title = clean_text(opt->title);
    data.timeline.max_events = opt->timeline_events;
    data.timeline.from_offset = static_cast<ns_t>(std::llround(opt->timeline_at_s * 1e9));
    for (size_t i = 0; i < named.size(); ++i) add_report_input(data, named[i].path, labels[i]);
    const auto f = write_report(data, opt->out);
    for (auto& line : f) std::cout << "- " << line << "\n";
    std::cout << "report: " << opt->out << "\n";
  });
});

}  // namespace

}  // namespace infertrace::cli
