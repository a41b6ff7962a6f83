// `infertrace ingest TRACE...`: read traces and say what the reader found (events per table,
// events it could not use and why, facts about the source, read speed). The first thing to run on
// a trace another tool rejects, and what the e2e tests compare with a plain Python reading.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/inputs_after_dash.h"
#include "cli/load_noting.h"
#include "cli/registry.h"
#include "ingest/input_buffer.h"
#include "ingest/load.h"
#include "report/text_table.h"
#include "util/error.h"
#include "util/natural_order.h"
#include "util/units.h"
#include "report/json_text.h"

namespace infertrace::cli {

namespace {

struct Options {
  std::vector<std::string> traces;
  bool json = false;
  size_t chunk_bytes = 0;
};

struct Counts {
  int64_t kernels = 0, memcpys = 0, memsets = 0;
  int64_t launch_calls = 0, sync_calls = 0;
};

Counts count(const Trace& t) {
  Counts c;
  for (GpuKind k : t.gpu.kind) {
    if (k == GpuKind::Kernel) ++c.kernels;
    else if (k == GpuKind::Memcpy) ++c.memcpys;
    else ++c.memsets;
  }
  for (ApiKind k : t.api.kind) {
    if (is_launch(k)) ++c.launch_calls;
    if (k == ApiKind::Sync) ++c.sync_calls;
  }
  return c;
}

// The process tree's records by kind; the threads alive at the attach by their /proc state letter
// ("unknown" for a record without one).
struct TaskCounts {
  int64_t existing = 0, created = 0, execs = 0, exits = 0, renames = 0;
  std::map<std::string, int64_t> state_counts;
  std::string by_state;  // "S 3, R 1"
};

TaskCounts count_tasks(const Trace& t) {
  TaskCounts k;
  for (size_t i = 0; i < t.tasks.size(); ++i) {
    switch (t.tasks.kind[i]) {
      case TaskKind::Existing:
        ++k.existing;
        ++k.state_counts[t.tasks.state[i] ? std::string(1, t.tasks.state[i]) : "unknown"];
        break;
      case TaskKind::New: ++k.created; break;
      case TaskKind::Exec: ++k.execs; break;
      case TaskKind::Exit: ++k.exits; break;
      case TaskKind::Rename: ++k.renames; break;
    }
  }
  for (const auto& [state, n] : k.state_counts) k.by_state += (k.by_state.empty() ? "" : ", ") + state + " " + std::to_string(n);
  return k;
}

// `bytes`: the file's size; -1 for a pipe or FIFO, whose size is not known (review S42 L6: "read 0 B").
nlohmann::json to_json(const Trace& t, double seconds, int64_t bytes) {
  const Counts c = count(t);
  int64_t annotations = 0;
  for (uint8_t u : t.ops.user_annotation) annotations += u;
  nlohmann::json j = {{"file", t.file},
                      {"source", t.source == TraceSource::Kineto ? "kineto" : "recording"},
                      {"gpu_activities", t.gpu.size()},
                      {"kernels", c.kernels},
                      {"memcpys", c.memcpys},
                      {"memsets", c.memsets},
                      {"api_calls", t.api.size()},
                      {"launch_calls", c.launch_calls},
                      {"sync_calls", c.sync_calls},
                      {"operators", t.ops.size()},
                      {"user_annotations", annotations},
                      {"threads", t.threads.size()},
                      {"strings", t.strings.size()},
                      {"skipped", t.skipped},
                      {"names_cleaned", t.names_cleaned},
                      {"meta", t.meta},
                      {"read_seconds", seconds},
                      {"file_bytes", bytes >= 0 ? nlohmann::json(bytes) : nlohmann::json(nullptr)}};
  // Launch calls of a process CUPTI recorded none of (its launch callbacks refused) are unknown,
  // not the rows read: null and why; a partial count says what it leaves out (trace/launch_coverage.h).
  if (!t.launch_coverage.measured()) {
    j["launch_calls"] = nullptr;
    j["launch_undefined_reason"] = t.launch_coverage.unmeasured_reason;
  }
  if (t.launch_coverage.partial()) j["launch_partial_note"] = t.launch_coverage.partial_note;
  // A recording's own tables (a Kineto trace has none of these, so its document keeps its keys).
  if (t.source == TraceSource::Recording) {
    j["switches"] = t.switches.size();
    j["wakeups"] = t.wakeups.size();
    j["irqs"] = t.irqs.size();
    j["syscalls"] = t.syscalls.size();
    const TaskCounts k = count_tasks(t);
    j["tasks"] = {{"records", t.tasks.size()}, {"existing", k.existing}, {"existing_by_state", k.state_counts},
                  {"new", k.created}, {"exec", k.execs}, {"exit", k.exits}, {"rename", k.renames}};
  }
  return j;
}

void print(const Trace& t, double seconds, int64_t bytes) {
  const Counts c = count(t);
  std::cout << t.file << "\n";
  TextTable tab({"table", "rows"});
  tab.add_row({"GPU activities", format_count(static_cast<int64_t>(t.gpu.size()))});
  tab.add_row({"  kernels", format_count(c.kernels)});
  tab.add_row({"  memcpy", format_count(c.memcpys)});
  tab.add_row({"  memset", format_count(c.memsets)});
  tab.add_row({"CUDA API calls", format_count(static_cast<int64_t>(t.api.size()))});
  tab.add_row({"  launch calls", t.launch_coverage.measured() ? format_count(c.launch_calls)
                                                                : "- (not measured: " + format_count(c.launch_calls) + " rows read)"});
  tab.add_row({"  sync calls", format_count(c.sync_calls)});
  tab.add_row({"operators", format_count(static_cast<int64_t>(t.ops.size()))});
  tab.add_row({"threads", format_count(static_cast<int64_t>(t.threads.size()))});
  if (t.source == TraceSource::Recording) {  // what `sched` analyzes; a recording's whole content otherwise
    tab.add_row({"context switches", format_count(static_cast<int64_t>(t.switches.size()))});
    tab.add_row({"wake-ups", format_count(static_cast<int64_t>(t.wakeups.size()))});
    tab.add_row({"IRQs", format_count(static_cast<int64_t>(t.irqs.size()))});
    tab.add_row({"syscalls", format_count(static_cast<int64_t>(t.syscalls.size()))});
    tab.add_row({"process tree records", format_count(static_cast<int64_t>(t.tasks.size()))});
    const TaskCounts k = count_tasks(t);
    if (k.existing > 0) tab.add_row({"  alive at the attach", format_count(k.existing) + " (by state: " + k.by_state + ")"});
    tab.add_row({"  new threads and processes", format_count(k.created)});
    tab.add_row({"  execs", format_count(k.execs)});
    tab.add_row({"  exits", format_count(k.exits)});
    tab.add_row({"  renames", format_count(k.renames)});
  }
  tab.print(std::cout);
  if (t.skipped.empty()) {
    std::cout << "every event the reader looked at was usable\n";
  } else {
    std::cout << "not used:\n";
    for (auto& [reason, n] : t.skipped) std::cout << "  " << reason << ": " << format_count(n) << "\n";
  }
  if (!t.names_cleaned.empty()) {
    std::cout << "names cleaned (" << kNamesCleanedMeaning << "):\n";
    for (auto& [reason, n] : t.names_cleaned) std::cout << "  " << reason << ": " << format_count(n) << "\n";
  }
  if (!t.launch_coverage.measured()) std::cout << t.launch_coverage.unmeasured_reason << "\n";
  if (t.launch_coverage.partial()) std::cout << t.launch_coverage.partial_note << "\n";
  // Under its own heading: printed straight after "not used:", the key = value lines read as more
  // items left out (audit EW L4).
  if (!t.meta.empty()) std::cout << "metadata:\n";
  // Keys with numbers in numeric order (api.2 before api.10; review UX L11), the rest as the map has them.
  std::vector<const std::pair<const std::string, std::string>*> meta;
  for (auto& kv : t.meta) meta.push_back(&kv);
  std::stable_sort(meta.begin(), meta.end(), [](auto* a, auto* b) { return natural_less(a->first, b->first); });
  for (auto* kv : meta) {
    std::cout << "  " << kv->first << " = " << kv->second << "\n";
  }
  std::cout << "read " << (bytes >= 0 ? format_bytes(static_cast<double>(bytes)) : std::string("a stream (size not known)"))
            << " in " << format_ns(seconds * 1e9) << "\n";
}

void run(const Options& o) {
  nlohmann::json all = nlohmann::json::array();
  for (const auto& path : o.traces) {
    LoadOptions lo;
    lo.chunk_bytes = o.chunk_bytes;
    const auto t0 = std::chrono::steady_clock::now();
    // The notes every verb gives (an incomplete recording, lost events, unmeasured launches): ingest
    // printed only the last (audit EW L4). Their time is counted in the read, as small as it is.
    const bool stream = input_read_only_once(path);  // (asked before the read: a FIFO's state may change)
    const Trace t = load_trace_noting(path, lo);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::error_code ec;
    const uint64_t size = std::filesystem::file_size(path, ec);
    const int64_t bytes = stream || ec ? -1 : static_cast<int64_t>(size);
    if (o.json) {
      all.push_back(to_json(t, s, bytes));
    } else {
      print(t, s, bytes);
    }
  }
  if (o.json) {
    nlohmann::json out = o.traces.size() == 1 ? all[0] : nlohmann::json{{"traces", all}};
    out["schema_version"] = 1;
    std::cout << result_json_text(out) << "\n";
  }
}

const CommandRegistrar reg(150, "ingest", [](CLI::App& app) {
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("ingest", "Read traces and show what the reader found (tables, skipped events)");
  CLI::Option* inputs = cmd->add_option("traces", opt->traces, "Kineto traces (.json or .json.gz) or recordings (.itrace)")->required();
  inputs_on_both_sides_of_dash(cmd, inputs);  // `A -- B`: A, then B
  cmd->add_flag("--json", opt->json, "Machine-readable output (docs/ingest.md)");
  cmd->add_option("--chunk-bytes", opt->chunk_bytes,
                  "Read the traceEvents array in pieces of about this many bytes (0 = automatic)");
  cmd->callback([opt]() { run(*opt); });
});

}  // namespace

}  // namespace infertrace::cli
