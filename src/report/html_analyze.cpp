// The section of a saved `analyze --json` document (docs/analyze.md): the launch and queue figures
// of docs/metrics.md sections 1-2 with the labels and units of `infertrace analyze` in a terminal
// (src/report/analyze_text.cpp), and for a recording its scheduler section (html_sched.cpp). Every
// figure is the JSON's value as it is: shares the JSON does not carry (launch part of TKLQT, a
// kernel's share of kernel time, launch tax / GPU time) are left out rather than computed here, so
// the page and the document cannot disagree. Several traces: one overview row each, then each
// trace's tables and scheduler section under its file name.
#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "analysis/bound_verdict.h"
#include "report/analyze_json.h"
#include "report/analyze_notes.h"
#include "report/bound_finding.h"
#include "report/html_parts.h"
#include "report/html_sections.h"
#include "report/html_svg.h"
#include "report/kernel_display_names.h"
#include "util/units.h"

namespace infertrace::html {

namespace {

using json = nlohmann::json;

constexpr size_t kMaxRows = kAnalysisTableRows;

bool is_zero(const json& v) { return v.is_number() && v.get<double>() == 0; }

// A share of the inference latency as the JSON states it; "-" when IL is 0, where the document's 0
// would read as "never idle" (the trace section's rule).
std::string il_share(const json& t, const char* key) {
  return is_zero(member(t, "inference_latency_ns")) ? "-" : pct_or(member(t, key));
}

// The launching thread's sync time as a share of the inference latency, for the bound row of a
// CPU-bound trace with a busy GPU; "" when it is 0 or unknown (as analyze's text).
std::string sync_share(const json& t) {
  const auto il = num(t, "inference_latency_ns"), sync = num(t, "host_sync_ns");
  if (!il || !sync || *il <= 0 || *sync <= 0) return "";
  return format_pct(*sync / *il);
}

// The device the bound row's caveats judge by (analyze --json's most_idle_device, review AK M2):
// its idle time and share, and the subject the sentence names. A document saved before it had
// the union's figures, which it falls back to.
struct IdleGpu {
  ns_t idle = 0;
  std::string share, words = "the GPU";
};
IdleGpu idle_gpu(const json& t) {
  IdleGpu g;
  const json& m = member(t, "most_idle_device");
  if (m.is_object() && member(m, "idle_ns").is_number()) {
    g.idle = static_cast<ns_t>(num(m, "idle_ns").value_or(0));
    g.share = is_zero(member(t, "inference_latency_ns")) ? "-" : pct_or(member(m, "idle_fraction"));
    g.words = idle_gpu_words(static_cast<size_t>(num(m, "devices").value_or(1)),
                             static_cast<int64_t>(num(m, "device").value_or(-1)));
  } else {
    g.idle = static_cast<ns_t>(num(t, "gpu_idle_ns").value_or(0));
    g.share = il_share(t, "gpu_idle_fraction");
  }
  return g;
}

std::string bound_text(const json& t) {
  const std::string b = str_or(t, "bound", "");
  return b == "cpu" ? "CPU" : b == "gpu" ? "GPU" : "-";
}

std::string file_of(const json& t, size_t index) { return str_or(t, "file", fmt::format("trace {}", index + 1)); }

std::string more_note(size_t total, const char* what) { return more_rows_note(total, kMaxRows, what, "analyze --json"); }

// Keys the summary shows under a label (or folds into another row), and keys that are not figures.
const char* const kShownKeys[] = {
    "gpu_activities", "kernels", "memcpys", "memsets", "launch_calls", "linked_launch_calls", "graph_launches",
    "api_calls", "sync_calls", "operators", "tklqt_ns", "tklqt_launch_ns", "tklqt_queue_ns", "api_time_ns", "akd_ns",
    "inference_latency_ns", "t_begin_ns", "t_end_ns", "gpu_busy_ns", "gpu_idle_ns", "gpu_idle_fraction",
    "host_active_ns", "host_sync_ns", "cpu_idle_ns", "cpu_idle_fraction", "bound", "clock_skew_clamped",
    "orphan_activities", "orphan_launch_calls", "activities_of_other_calls", "duplicate_correlation_calls",
    "launch_calls_unknown_duration", "zero_duration_events", "file", "schema_version", "kind", "undefined_reason", "launch_undefined_reason", "launch_partial_note",
    "recorded_calls_note", "host_undefined_reason", "launch_thread_annotations", "host_active_without_annotations_ns",
    "cpu_idle_without_annotations_ns", "cpu_idle_without_annotations_fraction", "profiler_steps",
    "duplicate_calls_of_other_processes", "shared_id_activities_by_device", "shared_id_activities_unresolved",
    "cpu_bound_gpu_busy", "bound_undefined_reason", "names_cleaned", "invalid_api_names_resolved", "invalid_api_names_kept",
    "t_begin_from",  // (in the inference latency row's meaning)
    "most_idle_device"};  // (its own row when an object; null, one device or none, is no row: review HR L2)

// What CUPTI refused per process and what that leaves unmeasured or partial, under the summary (as
// the terminal prints it; `cupti_callbacks`, `launch_undefined_reason`, `launch_partial_note`).
std::string callback_notes(const json& t) {
  std::string out;
  const json& procs = member(member(t, "cupti_callbacks"), "processes");
  if (procs.is_array())
    for (const json& p : procs) {
      const json& names = member(p, "refused_names");
      if (!member(p, "refused").is_number() || is_zero(member(p, "refused"))) continue;
      std::string list;
      if (names.is_array())
        for (const json& n : names)
          if (n.is_string()) list += (list.empty() ? "" : ", ") + n.get<std::string>();
      if (member(p, "refused_unlisted").is_number() && !is_zero(member(p, "refused_unlisted")))
        list += ", and " + count_or(member(p, "refused_unlisted")) + " more not listed";
      out += "<p class=\"note\">CUPTI refused " + escape(count_or(member(p, "refused"))) +
             count_noun(member(p, "refused"), " callback", " callbacks") + " in pid " +
             escape(label_or(member(p, "pid"))) + ", not recorded: " + escape(list) + "</p>";
    }
  for (const char* key : {"launch_undefined_reason", "launch_partial_note"})
    if (const std::string s = str_or(t, key, ""); !s.empty()) out += "<p class=\"note\">" + escape(s) + ".</p>";
  return out;
}

// The terminal's "Launch and queue summary": metric, value, meaning.
std::string summary_table(const json& t) {
  HtmlTable tb({"metric", "value", "meaning"}, 1);
  tb.set_left(2);
  // A trace without GPU activity: its launch figures are null for this reason (docs/analyze.md).
  const std::string undefined = str_or(t, "undefined_reason", "");
  // A recording with a process whose launch callbacks CUPTI all refused: its launch figures are null.
  const std::string not_measured = str_or(t, "launch_undefined_reason", "");
  const auto launch_key = [](const char* key) {
    const auto& keys = launch_measured_keys();
    return std::any_of(keys.begin(), keys.end(), [&](const char* k) { return std::string_view(k) == key; });
  };
  auto row = [&](const char* key, const std::string& label, const std::string& value, const std::string& meaning) {
    if (!t.contains(key)) return;
    // A launch figure that is null for both reasons: the callbacks' reason names what to fix.
    if (!not_measured.empty() && member(t, key).is_null() && launch_key(key))
      tb.add_row({label, "-", not_measured});
    else if (!undefined.empty() && member(t, key).is_null())
      tb.add_row({label, "-", "undefined: " + undefined});
    else if (!not_measured.empty() && member(t, key).is_null())
      tb.add_row({label, "-", not_measured});
    else
      tb.add_row({label, value, meaning});
  };
  auto c = [&](const char* key) { return count_or(member(t, key)); };
  auto ns = [&](const char* key) { return ns_or(member(t, key)); };
  row("gpu_activities", "GPU activities", c("gpu_activities"),
      c("kernels") + " kernels, " + c("memcpys") + " memcpy, " + c("memsets") + " memset");
  // A lower bound when the recorder lost records that may be launch calls (review RL57 L3), as the terminal marks it.
  const json& launches_bound = member(t, "launch_calls_bound");
  const bool launches_lower = launches_bound.is_object() && member(launches_bound, "lower_bound") == true &&
                              member(t, "launch_calls").is_number() && member(t, "launch_calls") != 0;
  row("launch_calls", "launch calls", (launches_lower ? "≥ " : "") + c("launch_calls"),
      c("linked_launch_calls") + " linked to GPU work, " + c("graph_launches") + " graph launches" +
          (launches_lower ? "; a lower bound: " + str_or(launches_bound, "reason", "") : ""));
  row("api_calls", "CUDA API calls", c("api_calls"), c("sync_calls") + " of them synchronisation calls");
  row("operators", "operators", c("operators"), "operator events in the trace");
  row("tklqt_ns", "TKLQT", ns("tklqt_ns"), "total kernel launch and queue time: sum over launch calls of (first GPU start - call start); their waits overlap, so it can exceed the inference latency");
  row("tklqt_launch_ns", "TKLQT launch part", ns("tklqt_launch_ns"), "host-side launch cost");
  row("tklqt_queue_ns", "TKLQT queue part", ns("tklqt_queue_ns"), "waiting behind earlier GPU work");
  // Null with every linked call's duration unknown (a recording without return probes): said as the
  // terminal says it (review DF L1), not a bare "-".
  const bool api_time_unknown = member(t, "api_time_ns").is_null() && member(t, "linked_launch_calls").is_number() &&
                                member(t, "linked_launch_calls").get<double>() > 0 &&
                                member(t, "launch_calls_unknown_duration") == member(t, "linked_launch_calls");
  row("api_time_ns", "API time", api_time_unknown ? std::string("unknown") : ns("api_time_ns"),
      api_time_unknown ? "no linked launch call has a recorded duration" : "sum of launch call durations");
  // Null AKD with GPU work but no kernel: a mean of nothing (review CX L5), not a missing figure.
  const bool no_kernels = member(t, "akd_ns").is_null() && is_zero(member(t, "kernels")) &&
                          member(t, "inference_latency_ns").is_number();
  row("akd_ns", "AKD", no_kernels ? std::string("n/a") : ns("akd_ns"),
      no_kernels ? "average kernel duration: undefined, no kernels" : "average kernel duration");
  const json& from = member(t, "t_begin_from");
  row("inference_latency_ns", "inference latency", ns("inference_latency_ns"),
      inference_latency_meaning(from.is_string() ? from.get<std::string>() : ""));
  if (member(t, "t_begin_ns").is_number() && member(t, "t_end_ns").is_number())
    tb.add_row({"inference latency window", c("t_begin_ns") + " to " + c("t_end_ns") + " ns", "on the trace's clock"});
  row("gpu_busy_ns", "GPU busy", ns("gpu_busy_ns"), "union of GPU activity intervals");
  // A share of a zero IL is undefined: said so rather than "- of inference latency".
  auto of_il = [&](const char* key) {
    return is_zero(member(t, "inference_latency_ns")) ? std::string("no share (the inference latency is 0)")
                                                      : il_share(t, key) + " of inference latency";
  };
  // As the terminal: several devices, the union and the most idle one (review AK M2).
  const json& most_idle = member(t, "most_idle_device");
  const bool several = most_idle.is_object() && num(most_idle, "devices").value_or(1) > 1;
  row("gpu_idle_ns", "GPU idle", ns("gpu_idle_ns"),
      of_il("gpu_idle_fraction") + (several ? ", union of " + count_or(member(most_idle, "devices")) + " devices" : ""));
  if (several)
    tb.add_row({"  most idle device", ns_or(member(most_idle, "idle_ns")),
                "device " + count_or(member(most_idle, "device")) + ", " + idle_gpu(t).share +
                    " of inference latency (per device: GPU devices below; the bound row judges by it)"});
  // The launching thread, if any: null in this schema when there is none; a document saved before
  // 2026-12-05 wrote {"pid": -1, "tid": -1, "launches": 0} instead (review FMT M2), read the same.
  const json& lt_saved = member(t, "launch_thread");
  const bool no_thread = lt_saved.is_object() && member(lt_saved, "launches").is_number_integer() &&
                         member(lt_saved, "launches").get<int64_t>() == 0;
  static const json none;
  const json& lt = no_thread ? none : lt_saved;
  std::string cpu_idle = of_il("cpu_idle_fraction");
  if (lt.is_object()) cpu_idle += ", launching thread " + (member(lt, "tid").is_number_integer() ? member(lt, "tid").dump() : "-");
  if (t.contains("host_active_ns") && t.contains("host_sync_ns"))
    cpu_idle += " (host active " + ns("host_active_ns") + ", in syncs " + ns("host_sync_ns") + ")";
  const std::string host_undefined = str_or(t, "host_undefined_reason", "");
  if (!host_undefined.empty() && member(t, "cpu_idle_ns").is_null())
    tb.add_row({"CPU idle", "-", "undefined: " + host_undefined});
  else
    row("cpu_idle_ns", "CPU idle", ns("cpu_idle_ns"), cpu_idle);
  // As the terminal: what the launching thread's annotation ranges decide (analyze_notes.h).
  const json& annotations = member(t, "launch_thread_annotations");
  if (annotations.is_number_integer() && annotations.get<int64_t>() > 0 && member(t, "cpu_idle_without_annotations_ns").is_number())
    tb.add_row({"CPU idle without annotations", ns("cpu_idle_without_annotations_ns"),
                without_annotations_meaning(of_il("cpu_idle_without_annotations_fraction"), annotations.get<int64_t>(),
                                            ns("host_active_without_annotations_ns"))});
  const json& steps = member(t, "profiler_steps");
  if (steps.is_number_integer() && steps.get<int64_t>() > 1)
    tb.add_row({"profiler steps", c("profiler_steps"), profiler_steps_meaning(steps.get<int64_t>())});
  const std::string b = str_or(t, "bound", "");
  row("bound", "bound", bound_text(t),
      b.empty() ? "undefined: " + str_or(t, "bound_undefined_reason", "no launch call is linked to GPU work")
      // The analysis's flag (analysis/bound_verdict.h), with the terminal's wording.
      : b == "cpu" && member(t, "cpu_bound_gpu_busy").is_boolean() && member(t, "cpu_bound_gpu_busy").get<bool>()
          ? cpu_bound_gpu_busy_meaning(idle_gpu(t).words, idle_gpu(t).share, sync_share(t))
      : b == "cpu" ? "launch part >= queue part: the host cannot keep the GPU fed"
      // The text's rule (analysis/bound_verdict.h), on the saved times, by the most idle device.
      : gpu_bound_in_bursts(b, idle_gpu(t).idle, static_cast<ns_t>(num(t, "inference_latency_ns").value_or(0)))
          ? "queue part > launch part, yet " + idle_gpu(t).words + " is idle " + idle_gpu(t).share +
                " of inference latency: work waits for the GPU in bursts, with host-side gaps between them"
          : "queue part > launch part: work waits for the GPU");
  if (lt.is_object() && undefined.empty())
    tb.add_row({"launching thread", "tid " + (member(lt, "tid").is_number_integer() ? member(lt, "tid").dump() : "-"),
                "pid " + (member(lt, "pid").is_number_integer() ? member(lt, "pid").dump() : "-") + ", " +
                    count_or(member(lt, "launches")) + " launch calls (the most of any thread)"});
  // Counters that account for unlinked events: shown when not zero, as the terminal does. In a
  // recording that left launch calls unrecorded (`recorded_calls_note`), orphan GPU work is the gap's.
  const bool unrecorded = member(t, "recorded_calls_note").is_string();
  const std::pair<const char*, std::pair<const char*, const char*>> counters[] = {
      {"clock_skew_clamped", {"clock skew clamped", "launches whose GPU start preceded the call (latency set to 0)"}},
      {"orphan_activities", {"orphan GPU activities", unrecorded ? "GPU work whose correlation matches no recorded API call (its launch call was not recorded: CUPTI callbacks)"
                                                                 : "GPU work whose correlation matches no API call"}},
      {"orphan_launch_calls", {"orphan launch calls", "launch calls with no GPU work in the trace"}},
      {"activities_of_other_calls", {"GPU work of other calls", "correlated with a non-launch call (e.g. cudaMemcpy)"}},
      {"duplicate_correlation_calls", {"duplicate correlations", kDuplicateCallsMeaning}},
      {"duplicate_calls_of_other_processes", {"duplicates of other processes", kOtherProcessIdsMeaning}},
      {"shared_id_activities_by_device", {"shared ids linked by device", kSharedIdsByDeviceMeaning}},
      {"shared_id_activities_unresolved", {"shared ids unresolved", kSharedIdsUnresolvedMeaning}},
      {"launch_calls_unknown_duration", {"unknown call duration", "linked launch calls without an end (no queue part)"}},
      {"invalid_api_names_resolved", {"INVALID names resolved", kInvalidNamesResolvedMeaning}},
      {"invalid_api_names_kept", {"INVALID names kept", kInvalidNamesKeptMeaning}},
      {"zero_duration_events", {"zero-duration events", "kept as they are: a launch call of 0 us has no launch part, a kernel of 0 us no time"}}};
  for (auto& [key, text] : counters) {
    if (!member(t, key).is_number() || is_zero(member(t, key))) continue;
    const bool ops_only = !undefined.empty() && std::string_view(key) == "zero_duration_events";  // no launch or kernel
    tb.add_row({text.first, c(key),
                ops_only ? "kept as they are: an operator of 0 us (under 1 us in whole-microsecond traces) has no time" : text.second});
  }
  for (auto& [reason, n] : member(t, "skipped").items())
    if (n.is_number())
      tb.add_row({"skipped: " + skipped_reason_words(reason), count_or(n),
                  "input events the reader could not use"});
  for (auto& [reason, n] : member(t, "names_cleaned").items())
    if (n.is_number()) tb.add_row({"names cleaned: " + skipped_reason_words(reason), count_or(n), kNamesCleanedMeaning});
  const json& links = member(t, "operator_links");
  if (links.is_object()) {
    tb.add_row({"launches tied to an operator by External id", count_or(member(links, "by_external_id")), "the launch call's External id names it"});
    tb.add_row({"launches tied to an operator by time", count_or(member(links, "by_containment")), "the innermost operator around the call on its thread"});
    tb.add_row({"launches without an operator", count_or(member(links, "none")), "linked launch calls no operator contains"});
  }
  // Figures of a later schema version: shown in words rather than dropped.
  for (auto& [k, v] : t.items())
    if (!v.is_structured() && std::find(std::begin(kShownKeys), std::end(kShownKeys), k) == std::end(kShownKeys))
      tb.add_row({words(k), scalar_text(v, k), ""});
  return tb.empty() ? "" : tb.render("Launch and queue summary") + callback_notes(t);
}

// `recorded_calls_note`: the analysis's note when launch calls went unrecorded (shown under the table).
std::string api_table(const json& apis, const json& recorded_calls_note) {
  if (!apis.is_array() || apis.empty()) return "";
  // Launch calls first (they carry the latency columns), then the rest in the document's order.
  std::vector<const json*> rows;
  for (auto& r : apis) rows.push_back(&r);
  auto is_launch = [](const json* r) {
    const std::string k = str_or(*r, "kind", "");
    return k == "kernel_launch" || k == "graph_launch" || k == "memcpy_async" || k == "memset_async";
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const json* x, const json* y) { return is_launch(x) > is_launch(y); });
  static const std::pair<const char*, const char*> kinds[] = {{"kernel_launch", "kernel launch"}, {"graph_launch", "graph launch"},
                                                              {"memcpy_async", "async memcpy"}, {"memset_async", "async memset"},
                                                              {"sync", "sync"}, {"other", "other"}};
  HtmlTable tb({"API", "kind", "calls", "linked", "mean API time", "mean latency", "mean launch part", "mean queue", "total latency"}, 2);
  for (size_t i = 0; i < rows.size() && i < kMaxRows; ++i) {
    const json& r = *rows[i];
    std::string kind = str_or(r, "kind", "-");
    for (auto& [k, label] : kinds)
      if (kind == k) kind = label;
    // Means over linked calls are undefined without any (documents saved before they were null
    // wrote 0); the total latency is a sum over none, 0 as the document has it (review FMT L1).
    const bool linked = member(r, "linked").is_number() && !is_zero(member(r, "linked"));
    auto per_link = [&](const char* key) { return linked ? ns_or(member(r, key)) : std::string("-"); };
    tb.add_row({str_or(r, "name", "?"), kind, count_or(member(r, "calls")), count_or(member(r, "linked")),
                ns_or(member(r, "mean_api_ns")), per_link("mean_latency_ns"), per_link("mean_launch_ns"),
                per_link("mean_queue_ns"), ns_or(member(r, "latency_total_ns"))});
  }
  const std::string note = recorded_calls_note.is_string() ? "<p class=\"note\">" + escape(recorded_calls_note.get<std::string>()) + ".</p>" : "";
  return tb.render("CUDA API calls") + more_note(rows.size(), "APIs") + note;
}

std::string kernel_table(const json& kernels) {
  if (!kernels.is_array() || kernels.empty()) return "";
  std::vector<std::string> names;
  for (auto& k : kernels) names.push_back(str_or(k, "name", str_or(k, "short_name", "?")));
  const KernelDisplayNames display(names);
  // The means per launch call are null without one, and absent from documents saved before
  // 2026-12-06: "-" both.
  HtmlTable tb({"kernel", "count", "total", "mean", "min", "max", "mean launch", "mean queue"});
  for (size_t i = 0; i < kernels.size() && i < kMaxRows; ++i) {
    const json& k = kernels[i];
    tb.add_row({display(names[i]), count_or(member(k, "count")), ns_or(member(k, "total_ns")), ns_or(member(k, "mean_ns")),
                ns_or(member(k, "min_ns")), ns_or(member(k, "max_ns")), ns_or(member(k, "mean_launch_ns")),
                ns_or(member(k, "mean_queue_ns"))});
    tb.set_title(i, 0, names[i]);
  }
  return tb.render("Top kernels by total time") + more_note(kernels.size(), "kernels");
}

std::string operator_table(const json& ops, const json& links) {
  if (!ops.is_array()) return "";
  HtmlTable tb({"operator", "calls", "GPU work", "launch tax", "launch part", "queue part", "GPU time", "CPU time"});
  size_t launching = 0;
  for (auto& o : ops) {
    // Sorted by launch tax: operators that launched nothing add no row, as in the terminal.
    if (!member(o, "kernels").is_number() || is_zero(member(o, "kernels"))) continue;
    if (launching++ >= kMaxRows) continue;
    tb.add_name_row({str_or(o, "name", "?"), count_or(member(o, "calls")), count_or(member(o, "kernels")),
                ns_or(member(o, "launch_tax_ns")), ns_or(member(o, "launch_part_ns")), ns_or(member(o, "queue_part_ns")),
                ns_or(member(o, "gpu_time_ns")), ns_or(member(o, "cpu_time_ns"))});
  }
  if (tb.empty()) return "";
  std::string caption = "Operators by launch tax (launches go to the innermost operator";
  if (member(links, "none").is_number()) caption += "; " + count_or(member(links, "none")) + " linked launches had none";
  return tb.render(caption + ")") + more_note(launching, "operators");
}

std::string stream_tables(const json& streams, const json& devices) {
  std::string s;
  if (streams.is_array() && !streams.empty()) {
    HtmlTable tb({"device", "stream", "kernels", "memcpy", "memset", "busy", "kernel time"});
    for (auto& r : streams)
      tb.add_row({count_or(member(r, "device")), count_or(member(r, "stream")), count_or(member(r, "kernels")),
                  count_or(member(r, "memcpys")), count_or(member(r, "memsets")), ns_or(member(r, "busy_ns")),
                  ns_or(member(r, "kernel_time_ns"))});
    s += tb.render("GPU streams (busy inside the inference-latency window)");
  }
  // One device: its busy and idle time are the summary's GPU busy and idle.
  if (devices.is_array() && devices.size() > 1) {
    HtmlTable tb({"device", "busy", "idle", "idle share"});
    for (auto& d : devices)
      tb.add_row({count_or(member(d, "device")), ns_or(member(d, "busy_ns")), ns_or(member(d, "idle_ns")),
                  pct_or(member(d, "idle_fraction"))});
    s += tb.render("GPU devices");
  }
  return s;
}

// Operators by self time: the `operators` array of `operators_by_self` (every trace) or, in an
// older saved result, of `host`.
std::string self_time_table(const json& ops) {
  if (!ops.is_array() || ops.empty()) return "";
  HtmlTable tb({"operator", "count", "total", "self", "mean", "self share"});
  for (size_t i = 0; i < ops.size() && i < kMaxRows; ++i) {
    const json& o = ops[i];
    tb.add_name_row({str_or(o, "name", "?"), count_or(member(o, "count")), ns_or(member(o, "total_ns")), ns_or(member(o, "self_ns")),
                ns_or(member(o, "mean_ns")), pct_or(member(o, "self_share"))});
  }
  return tb.render("Operators by self time (inclusive minus direct children on the same thread)") +
         more_note(ops.size(), "operators");
}

// A trace without GPU activity: its `host` object (span, threads, operators by self time), under
// the document's `undefined_reason` (why there is no GPU side).
std::string host_tables(const json& h, const std::string& no_gpu) {
  if (!h.is_object()) return "";
  HtmlTable sm({"metric", "value", "meaning"}, 1);
  sm.set_left(2);
  sm.add_row({"host span", ns_or(member(h, "span_ns")), "first top-level operator start to last host event end"});
  sm.add_row({"top-level operators", count_or(member(h, "top_level_operators")), "operators inside no other operator of their thread"});
  sm.add_row({"operator self time", ns_or(member(h, "self_total_ns")), "sum of self times (the share column's whole)"});
  std::string out = sm.render("Host (" + no_gpu + ")");
  const json& threads = member(h, "threads");
  if (threads.is_array() && !threads.empty()) {
    HtmlTable tb({"pid", "tid", "thread", "operators", "active", "idle", "idle share"});
    for (size_t k = 0; k < threads.size() && k < kMaxRows; ++k) {
      const json& x = threads[k];
      tb.add_row({label_or(member(x, "pid")), label_or(member(x, "tid")), str_or(x, "name", ""), count_or(member(x, "operators")),
                  ns_or(member(x, "active_ns")), ns_or(member(x, "idle_ns")), pct_or(member(x, "idle_fraction"))});
    }
    out += tb.render("Host threads (active: union of the thread's operators inside the host span)") +
           more_note(threads.size(), "threads");
  }
  return out + self_time_table(member(h, "operators"));
}

// One trace's figures and tables; its scheduler section when the trace is a recording.
std::string trace_body(const json& t, const std::string& sched_heading) {
  std::string body = summary_table(t) + api_table(member(t, "apis"), member(t, "recorded_calls_note")) + kernel_table(member(t, "kernel_stats")) +
                     operator_table(member(t, "operator_stats"), member(t, "operator_links"));
  // A GPU trace's self-time table follows its launch-tax table; a CPU-only one has it in its host section.
  if (!member(t, "host").is_object()) body += self_time_table(member(member(t, "operators_by_self"), "operators"));
  body += stream_tables(member(t, "streams"), member(t, "devices")) + host_tables(member(t, "host"), str_or(t, "undefined_reason", no_gpu_reason(0)));
  if (member(t, "sched").is_object()) body += "<h3>" + escape(sched_heading) + "</h3>" + sched_section(t["sched"]);
  return body;
}

// Several traces: the report's "Traces at a glance" row for each, from the document's figures.
std::string overview_table(const json& traces) {
  HtmlTable tb({"trace", "kernels", "TKLQT", "launch part", "queue part", "IL", "GPU idle", "CPU idle", "bound"});
  for (size_t i = 0; i < traces.size(); ++i) {
    const json& t = traces[i];
    // A trace without GPU activity (`undefined_reason`: its GPU figures null): "-" throughout, kernels
    // too, as the overview of the traces themselves (docs/report.md; review HR L7: it read "0").
    const bool no_gpu = member(t, "undefined_reason").is_string();
    tb.add_row({file_of(t, i), no_gpu ? std::string("-") : count_or(member(t, "kernels")), ns_or(member(t, "tklqt_ns")), ns_or(member(t, "tklqt_launch_ns")),
                ns_or(member(t, "tklqt_queue_ns")), ns_or(member(t, "inference_latency_ns")), il_share(t, "gpu_idle_fraction"),
                il_share(t, "cpu_idle_fraction"), bound_text(t)});
  }
  return tb.render("Traces at a glance (GPU and CPU idle as shares of the inference latency, IL)");
}

}  // namespace

std::string analyze_section(const json& doc) {
  const json& traces = member(doc, "traces");
  if (!traces.is_array()) return trace_body(doc, "Scheduler, IRQs and syscalls");
  std::string body = overview_table(traces);
  for (size_t i = 0; i < traces.size(); ++i) {
    const std::string file = file_of(traces[i], i);
    body += "<h3>Trace: " + escape(file) + "</h3>" + trace_body(traces[i], "Scheduler, IRQs and syscalls: " + file);
  }
  return body;
}

// The CPU-/GPU-bound sentence of one saved trace, as a trace analyzed here gets it (review HR L2:
// a saved analysis on its own had no findings).
void saved_bound_finding(const std::string& label, const json& t, std::vector<std::string>& out) {
  BoundFigures f;
  f.bound = str_or(t, "bound", "");
  f.cpu_bound_gpu_busy = member(t, "cpu_bound_gpu_busy") == true;
  const auto ns = [&](const char* key) { return static_cast<ns_t>(num(t, key).value_or(0)); };
  f.tklqt = ns("tklqt_ns"), f.tklqt_launch = ns("tklqt_launch_ns"), f.tklqt_queue = ns("tklqt_queue_ns");
  f.inference_latency = ns("inference_latency_ns");
  const IdleGpu g = idle_gpu(t);
  f.gpu_idle = g.idle, f.gpu = g.words;
  if (ns("host_sync_ns") > 0 && str_or(t, "host_undefined_reason", "").empty()) f.host_sync = ns("host_sync_ns");
  if (std::string s = bound_finding(label, f); !s.empty()) out.push_back(std::move(s));
}

void analyze_findings(const JsonInput& in, std::vector<std::string>& out) {
  const json& traces = member(in.doc, "traces");
  if (!traces.is_array()) {
    saved_bound_finding(in.label, in.doc, out);
    if (member(in.doc, "sched").is_object()) sched_findings({in.label, in.doc["sched"]}, out);
    return;
  }
  // Each trace's verdict, and each recording's scheduler verdict, named by its trace.
  for (size_t i = 0; i < traces.size(); ++i) {
    saved_bound_finding(in.label + ": " + file_of(traces[i], i), traces[i], out);
    if (member(traces[i], "sched").is_object()) sched_findings({in.label + ": " + file_of(traces[i], i), traces[i]["sched"]}, out);
  }
}

}  // namespace infertrace::html
