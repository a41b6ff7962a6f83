// `infertrace export TRACE --perfetto out.pftrace | --sqlite out.db | --csv DIR | --chrome out.json`:
// whole-trace exports (report/perfetto.h, report/sqlite_export.h, report/exports.h; schemas in
// docs/sqlite-schema.md and docs/recording-format.md).
#include <algorithm>
#include <cerrno>
#include <iterator>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "analysis/launch.h"
#include "cli/export_outputs.h"
#include "cli/load_noting.h"
#include "cli/output_file.h"
#include "cli/registry.h"
#include "ingest/load.h"
#include "report/exports.h"
#include "report/html_report.h"
#include "report/perfetto.h"
#include "report/schema_version.h"
#include "report/sqlite_db.h"
#include "report/sqlite_export.h"
#include "util/json_error.h"
#include "util/partial_file.h"
#include "util/plural.h"
#include "util/error.h"
#include "util/read_whole_file.h"

namespace infertrace::cli {

namespace {

struct Options {
  std::string trace;
  std::string perfetto, sqlite, csv, chrome;
  std::string perfetto_typed, chrome_typed;  // as typed, before dash_as_stdout (`-`): for messages
  std::vector<std::string> attach;  // VERB=FILE
};

std::pair<std::string, std::string> read_attachment(const std::string& spec) {
  const size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
    throw UsageError("--attach expects VERB=FILE (e.g. fusion=fusion.json), got '" + spec + "'");
  // Checked before the file is read: only a verb whose --json output the report knows names a
  // document a reader of analysis_json can tell what it holds (anything went in before).
  const std::string verb = spec.substr(0, eq);
  if (std::find(std::begin(html::kDocumentKinds), std::end(html::kDocumentKinds), verb) == std::end(html::kDocumentKinds)) {
    std::string accepted;
    for (const char* known : html::kDocumentKinds) accepted += (accepted.empty() ? "" : ", ") + std::string(known);
    throw UsageError("--attach " + spec + ": unknown verb '" + verb + "' (accepted: " + accepted +
                     "; threads is bench threads)");
  }
  const std::string file = spec.substr(eq + 1);
  const std::string text = read_whole_file(file, "--attach");
  nlohmann::json doc;
  try {
    // Store only valid JSON: json_extract() fails on anything else.
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(file, static_cast<int64_t>(e.byte > 0 ? e.byte - 1 : 0), "not valid JSON: " + json_error_text(e.what()));
  } catch (const nlohmann::json::exception& e) {  // e.g. a number beyond double (1e400): out_of_range
    throw InputError(file, -1, "unreadable JSON: " + json_error_text(e.what()));
  }
  // The verb is what a reader selects the document by: an analyze document stored as `sched`
  // would be found, silently, by a query for scheduler results (audit EW M3). What the document
  // is comes from its own `kind` (or its keys, for documents saved before `kind`), as `report`
  // reads it.
  // A schema_version that is no version, as report and compare refuse it (review HR L1). (A `kind`
  // without its keys is stored as it is: the database keeps what the file says.)
  if (const std::string problem = schema_version_problem(doc); !problem.empty())
    throw InputError(file, -1, "--attach " + verb + "=" + file + ": " + problem);
  const std::string kind = html::classify_document(doc);
  if (kind != verb)
    throw InputError(file, -1, "--attach " + verb + "=" + file + ": the file is " +
                                   (kind.empty() ? std::string("no result document infertrace writes")
                                                 : "the --json output of " + std::string(kind == "threads" ? "bench threads" : kind)) +
                                   ", not of " + (verb == "threads" ? "bench threads" : verb));
  return {verb, text};
}

// The entry of `created` for `option`, where the clean-up learns what this run wrote: null when the
// output existed before the run (nothing of it is removed) or is a device, FIFO or descriptor.
ExportOutput* created_entry(std::vector<ExportOutput>& created, const std::string& option) {
  for (ExportOutput& c : created)
    if (c.option == option) return &c;
  return nullptr;
}

// write_whole, noting the file it renamed into place in the output's entry of `created`. An error
// names `-` as typed, "- (standard output)", where it named the path dash_as_stdout made of it
// (review SQ L3: "/proc/self/fd/4: write failed").
template <class Write>
auto write_output(std::vector<ExportOutput>& created, const std::string& option, const std::string& out, Write write,
                  const std::string& typed = "", const std::function<void(const std::string&)>& before_rename = {}) {
  ExportOutput* entry = created_entry(created, option);
  try {
    return write_whole(out, write, entry ? &entry->written_file : nullptr, FifoWait::Forever, before_rename);
  } catch (const Error& e) {
    if (typed != "-") throw;
    throw Error(name_output(e.what(), out, "- (standard output)"), e.exit_code());
  }
}

// CSV tables and Chrome JSON need only the Trace (docs/recording-format.md has the CSV columns).
void write_plain_exports(const Options& o, const Trace& trace, const std::vector<uint32_t>* launch_calls,
                         std::vector<ExportOutput>& created) {
  if (!o.csv.empty()) {
    ExportOutput* csv = created_entry(created, "--csv");
    write_csv_tables(trace, o.csv, csv ? &csv->renamed : nullptr, launch_calls);
    // Every table written, counted (review DJ L4: gpu.csv's rows were not): the optional ones when
    // they were written (write_csv_tables).
    std::cout << "csv: " << o.csv << " (API calls " << trace.api.size();
    if (trace.gpu.size() > 0) std::cout << ", GPU activities " << trace.gpu.size();
    if (trace.ops.size() > 0) std::cout << ", operators " << trace.ops.size();
    std::cout << ", switches " << trace.switches.size() << ", wakeups " << trace.wakeups.size() << ", irqs "
              << trace.irqs.size() << ", syscalls " << trace.syscalls.size() << ", threads " << trace.threads.size();
    if (!trace.loss_windows.empty()) std::cout << ", loss windows " << trace.loss_windows.size();
    std::cout << ")\n";
  }
  if (!o.chrome.empty()) {
    write_output(
        created, "--chrome", o.chrome,
        [&](const std::string& tmp) {
          write_chrome_json(trace, tmp, launch_calls);
          return 0;
        },
        o.chrome_typed);
    std::cout << "chrome: " << o.chrome << "\n";
  }
}

void write_exports(const Options& o, const Trace& trace, std::vector<std::pair<std::string, std::string>> attachments,
                   std::vector<ExportOutput>& created);

void run(const Options& o) {
  if (o.perfetto.empty() && o.sqlite.empty() && o.csv.empty() && o.chrome.empty())
    throw UsageError("export: name at least one output: --perfetto FILE, --sqlite FILE, --csv DIR or --chrome FILE");
  // Only the SQLite database has a place for attached documents; without it they were dropped silently.
  if (!o.attach.empty() && o.sqlite.empty())
    throw UsageError("--attach stores documents in the SQLite table analysis_json: give --sqlite FILE too");
  std::vector<std::pair<std::string, std::string>> attachments;
  for (auto& a : o.attach) attachments.push_back(read_attachment(a));
  // Every output checked before anything is read or written, alone, against the others and against
  // every input (the trace and the --attach documents; a --csv table too: review CX M2).
  for (const std::string* f : {&o.perfetto, &o.sqlite, &o.chrome})
    if (!f->empty()) check_output_file(*f, {}, "", o.csv);  // a directory, a socket, a missing directory
  if (!o.sqlite.empty()) require_regular_output(o.sqlite, "an SQLite database");
  std::vector<ExportOutput> outputs;
  if (!o.csv.empty()) outputs.push_back({"--csv", o.csv, true});
  if (!o.chrome.empty()) {
    outputs.push_back({"--chrome", o.chrome, false});
    outputs.back().typed = o.chrome_typed;
  }
  if (!o.perfetto.empty()) {
    outputs.push_back({"--perfetto", o.perfetto, false});
    outputs.back().typed = o.perfetto_typed;
  }
  if (!o.sqlite.empty()) outputs.push_back({"--sqlite", o.sqlite, false});
  check_outputs_against_inputs(outputs, {o.trace}, "the input trace");
  std::vector<std::string> documents;
  for (const std::string& a : o.attach) documents.push_back(a.substr(a.find('=') + 1));
  check_outputs_against_inputs(outputs, documents, "an --attach document");
  check_export_outputs(outputs);
  const Trace trace = load_trace_noting(o.trace);  // Kineto JSON or recording, by content
  // A later output that fails takes the earlier ones this run created with it: a failed export
  // leaves nothing that looks complete (outputs that existed before stay, replaced or not).
  std::vector<ExportOutput> created = outputs_to_be_created(outputs);
  // Ctrl-C or SIGTERM while the outputs are written: the OUT.partial files go, as a failed run's do
  // (review CA L4), and so does what this run created and finished before (the outputs of
  // `created`, the tables in a --csv directory it made, that directory): an interrupted export
  // leaves nothing of its own, as a failed one. Outputs that existed before stay, replaced or not.
  remove_partials_on_signal();
  try {
    make_output_directories(created);  // the --csv directory, recording what mkdir made
    write_exports(o, trace, std::move(attachments), created);  // noting in `created` what it wrote
    keep_created_outputs(created);  // the run is complete: a signal now leaves its outputs
  } catch (const std::exception& e) {
    const std::string removed = remove_created_outputs(created);
    if (removed.empty()) throw;
    const auto* error = dynamic_cast<const Error*>(&e);
    throw Error(std::string(e.what()) + " (" + removed + ")", error ? error->exit_code() : 1);
  }
}

void write_exports(const Options& o, const Trace& trace, std::vector<std::pair<std::string, std::string>> attachments,
                   std::vector<ExportOutput>& created) {
  // The launch call of each GPU row (analysis/launch.h), which gpu.csv, the Chrome JSON and the
  // Perfetto trace all name: the correlations mapped once, not once per output (review DH).
  std::vector<uint32_t> launch_calls;
  const bool linked_outputs = (!o.csv.empty()) + (!o.chrome.empty()) + (!o.perfetto.empty()) > 1;
  if (linked_outputs && trace.gpu.size() > 0) launch_calls = launch_calls_of_gpu_rows(trace);
  const std::vector<uint32_t>* links = launch_calls.empty() ? nullptr : &launch_calls;
  write_plain_exports(o, trace, links, created);
  if (!o.perfetto.empty()) {
    const PerfettoSummary s =
        write_output(created, "--perfetto", o.perfetto, [&](const std::string& tmp) { return write_perfetto_file(trace, tmp, links); },
                     o.perfetto_typed);
    std::cout << "perfetto: " << o.perfetto << " (" << s.tracks << plural(s.tracks, " track, ", " tracks, ") << s.slices
              << plural(s.slices, " slice, ", " slices, ") << s.instants << plural(s.instants, " instant, ", " instants, ")
              << s.flows << plural(s.flows, " launch->GPU flow)\n", " launch->GPU flows)\n");
  }
  if (!o.sqlite.empty()) {
    const LaunchAnalysis launch = analyze_launches(trace);
    SqliteAnalyses an;
    an.launch = &launch;
    an.json_results = std::move(attachments);
    // Written through the partial's descriptor (fd), never by name (review SQ57 M1/M2); the old
    // database's side files go just before the rename (review SQ57 H1, remove_sqlite_side_files).
    const SqliteSummary rows = write_output(
        created, "--sqlite", o.sqlite, [&](const std::string& tmp, int fd) { return write_sqlite_file(trace, tmp, an, fd); }, "",
        remove_sqlite_side_files);
    // The tables that got rows; "no events" when none did (review SQ L5: an empty trace printed "()").
    std::cout << "sqlite: " << o.sqlite << " (";
    bool first = true;
    for (auto& [table, n] : rows)
      if (n > 0) std::cout << (first ? "" : ", ") << table << " " << n, first = false;
    std::cout << (first ? "no events)\n" : ")\n");
  }
}

const CommandRegistrar reg(710, "export", [](CLI::App& app) {
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("export", "Export a trace to Perfetto (native protobuf), SQLite, CSV tables or Chrome JSON");
  cmd->add_option("trace", opt->trace, "Kineto trace (.json/.json.gz) or recording (.itrace)")
      ->required();
  cmd->add_option("--perfetto", opt->perfetto, "Perfetto trace to write (open in ui.perfetto.dev; -: stdout)");
  cmd->add_option("--sqlite", opt->sqlite, "SQLite database to write (docs/sqlite-schema.md)");
  cmd->add_option("--csv", opt->csv, "Directory for the trace's tables as CSV, from a Kineto trace or a recording (docs/recording-format.md); "
                  "a symlinked table's target is "
                  "replaced, a device or FIFO named like a table, or a table that is an input, is refused");
  cmd->add_option("--chrome", opt->chrome, "Chrome trace-event JSON to write (Perfetto UI, chrome://tracing; -: stdout)");
  cmd->add_option("--attach", opt->attach, "VERB=FILE: store a saved --json result in the SQLite table analysis_json (VERB: analyze, sched, "
                  "fusion, sweep, compare or threads, for bench threads)")
      ->allow_extra_args(false);  // one value each: `--attach A=F TRACE` took the trace for a second document
  cmd->callback([opt]() {
    // `-` (review CX L9): the Chrome JSON and the Perfetto trace can go to stdout, a database and a
    // directory of tables cannot (it made a file or a directory called -).
    opt->chrome_typed = opt->chrome;
    opt->perfetto_typed = opt->perfetto;
    opt->chrome = dash_as_stdout(opt->chrome);
    opt->perfetto = dash_as_stdout(opt->perfetto);
    refuse_dash(opt->sqlite, "--sqlite", "an SQLite database");
    refuse_dash(opt->csv, "--csv", "a directory of CSV tables");
    run(*opt);
  });
});

}  // namespace

}  // namespace infertrace::cli
