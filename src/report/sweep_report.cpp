#include "report/sweep_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "report/analyze_notes.h"
#include "report/html_svg.h"
#include "report/text_table.h"
#include "util/units.h"

namespace infertrace {

nlohmann::json sweep_json(const SweepResult& r) {
  using nlohmann::json;
  json pts = json::array();
  for (auto& p : r.points) {
    // A trace without GPU activity: its launch, latency and idle figures are null, not 0.
    const auto fig = [&](auto v) { return p.no_gpu ? json(nullptr) : json(v); };
    // Launch-derived figures: null too when the recording did not measure its launches.
    const auto launch_fig = [&](auto v) { return p.no_gpu || p.launches_unmeasured ? json(nullptr) : json(v); };
    // The launching thread's figures: null too without one (no launch call: host_undefined_reason).
    const bool host_known = !p.no_gpu && !p.launches_unmeasured && p.host_undefined_reason.empty();
    const auto host_fig = [&](auto v) { return host_known ? json(v) : json(nullptr); };
    pts.push_back({{"batch", p.batch},
                   {"source", p.source},
                   {"kernels", p.kernels},
                   {"akd_ns", p.kernels > 0 ? json(p.akd_ns) : json(nullptr)},  // mean kernel duration (SKIP Eq. 3)
                   {"tklqt_ns", launch_fig(p.tklqt)},
                   {"tklqt_launch_ns", launch_fig(p.tklqt_launch)},
                   {"tklqt_queue_ns", launch_fig(p.tklqt_queue)},
                   {"inference_latency_ns", fig(p.inference_latency)},
                   {"gpu_idle_ns", fig(p.gpu_idle)},
                   {"cpu_idle_ns", host_fig(p.cpu_idle)},
                   // A share of an empty inference latency is undefined (the terminal's "-"), not
                   // "never idle" (review DN).
                   {"gpu_idle_share", p.inference_latency > 0 ? fig(p.gpu_idle_share) : json(nullptr)},
                   {"cpu_idle_share", p.inference_latency > 0 ? host_fig(p.cpu_idle_share) : json(nullptr)},
                   {"bound", p.bound.empty() ? json(nullptr) : json(p.bound)},
                   {"balanced", p.balanced},
                   {"cpu_bound_gpu_busy", p.cpu_bound_gpu_busy},  // analysis/bound_verdict.h (review AK M1)
                   // The device the balance and the caveats judge by (review AK M2).
                   {"devices", p.devices},
                   {"most_idle_device_idle_ns", fig(std::max(p.gpu_idle, p.most_idle_device_idle))},
                   {"most_idle_device_idle_share",
                    p.inference_latency > 0 ? fig(std::max(p.gpu_idle_share, p.most_idle_device_share)) : json(nullptr)},
                   {"orphan_activities", p.orphan_activities},
                   // A count, not a GPU figure: without GPU activity every launch call is an orphan,
                   // as analyze --json and the text below say (audit CU H2); null only when the
                   // launches were not measured.
                   {"orphan_launch_calls", p.launches_unmeasured ? json(nullptr) : json(p.orphan_launch_calls)},
                   {"skipped", p.skipped},
                   // names kept with characters replaced (as analyze): their events are used (review DJ M1)
                   {"names_cleaned", p.names_cleaned},
                   {"launch_thread_annotations", launch_fig(p.launch_thread_annotations)},
                   {"cpu_idle_without_annotations_ns", host_fig(p.cpu_idle_without_annotations)},
                   {"cpu_idle_without_annotations_share",
                    p.inference_latency > 0 ? host_fig(p.cpu_idle_without_annotations_share) : json(nullptr)},
                   {"profiler_steps", p.profiler_steps},
                   // as analyze --json counts them (review SW M2), and whether the verdict rests on them
                   {"clock_skew_clamped", launch_fig(p.clock_skew_clamped)},
                   {"linked_launch_calls", launch_fig(p.linked_launch_calls)},
                   {"verdict_on_clamped_latencies", verdict_on_clamped_latencies(p)},
                   // deviceProperties' names, null when the trace does not say (review CS M2)
                   {"gpu_models", p.gpu_models.empty() ? json(nullptr) : json(p.gpu_models)},
                   // the summary's cautions (review CS L4, L5): null when none
                   {"same_bytes_as", p.same_bytes_as > 0 ? json(p.same_bytes_as) : json(nullptr)},
                   {"file_name_batch", p.file_name_batch > 0 ? json(p.file_name_batch) : json(nullptr)}});
    if (!p.no_gpu && !p.launches_unmeasured && !p.host_undefined_reason.empty())
      pts.back()["host_undefined_reason"] = p.host_undefined_reason;
    if (p.no_gpu) pts.back()["undefined_reason"] = no_gpu_reason(p.skipped_gpu_events);
    else if (p.bound.empty() && !p.launches_unmeasured) pts.back()["bound_undefined_reason"] = no_verdict_reason(p);
    if (p.launches_unmeasured) pts.back()["launch_undefined_reason"] = p.launch_note;
    else if (!p.launch_note.empty()) pts.back()["launch_partial_note"] = p.launch_note;
    // Cut by `--decode-window` (as fusion --json's "decode_window", with the doubts about it).
    if (!p.decode_window_source.empty())
      pts.back()["decode_window"] = {{"source", p.decode_window_source},
                                     {"from_ns", p.decode_window_from},
                                     {"to_ns", p.decode_window_to},
                                     {"decode_steps", p.decode_steps},
                                     {"batch_from", p.batch_from_run ? "n_seq" : "label"},
                                     {"doubts", p.decode_window_doubts}};
  }
  json j;
  j["schema_version"] = 1;
  j["kind"] = "sweep";
  j["points"] = std::move(pts);
  j["transition_batch"] = r.transition_batch ? json(*r.transition_batch) : json(nullptr);
  j["balanced_region"] = r.balanced_region ? json{{"from", r.balanced_region->from}, {"to", r.balanced_region->to}}
                                           : json(nullptr);
  j["balanced_batches"] = r.balanced_batches;
  // Batches whose top-level operators are not the smallest batch's (the summary's caution).
  j["operators_differ"] = r.operators_differ;
  // Batches on other GPU models than the smallest batch that names its own (review CS M2).
  j["gpu_models_differ"] = r.gpu_models_differ;
  j["summary"] = r.summary;
  return j;
}

const std::vector<JsonColumn>& sweep_point_columns() {
  using F = CellFormat;
  // In print_sweep's order; the ns figures and their shares of IL side by side.
  static const std::vector<JsonColumn> cols = {
      {"batch", "batch", F::Label},
      {"kernels", "kernels", F::Count},
      {"akd_ns", "AKD (mean kernel duration)", F::Ns},
      {"tklqt_ns", "TKLQT", F::Ns},
      {"tklqt_launch_ns", "launch part", F::Ns},
      {"tklqt_queue_ns", "queue part", F::Ns},
      {"inference_latency_ns", "IL (inference latency)", F::Ns},
      {"gpu_idle_ns", "GPU idle", F::Ns},
      {"gpu_idle_share", "GPU idle (% of IL)", F::Share},
      {"cpu_idle_ns", "CPU idle", F::Ns},
      {"cpu_idle_share", "CPU idle (% of IL)", F::Share},
      {"bound", "bound", F::Text},
      {"balanced", "balanced", F::YesNo},
      {"orphan_activities", "orphan GPU activities", F::Count},
      {"orphan_launch_calls", "orphan launch calls", F::Count},
      {"cpu_idle_without_annotations_ns", "CPU idle without annotations", F::Ns},
      {"cpu_idle_without_annotations_share", "CPU idle without annotations (% of IL)", F::Share},
      {"launch_thread_annotations", "annotation ranges of the launching thread", F::Count},
      {"profiler_steps", "profiler steps", F::Count},
      {"clock_skew_clamped", "launch latencies clamped (clock skew)", F::Count},
      {"linked_launch_calls", "linked launch calls", F::Count},
      {"verdict_on_clamped_latencies", "verdict rests on clamped latencies", F::YesNo},
      {"cpu_bound_gpu_busy", "CPU-bound with the GPU idle under 10% (the host waits in syncs)", F::YesNo},
      {"devices", "GPU devices", F::Count},
      {"most_idle_device_idle_ns", "most idle GPU device: idle", F::Ns},
      {"most_idle_device_idle_share", "most idle GPU device: idle (% of IL)", F::Share},
      {"source", "file", F::Text},
      {"undefined_reason", "why no figures", F::Text},
      {"bound_undefined_reason", "why no bound", F::Text},
      {"launch_undefined_reason", "why no launch figures", F::Text},
      {"launch_partial_note", "launch figures partial", F::Text},
      {"host_undefined_reason", "why no CPU idle", F::Text},
      {"gpu_models", "GPU models (Kineto deviceProperties)", F::Text},
      {"same_bytes_as", "same bytes as the trace of batch", F::Label},
      {"file_name_batch", "batch its file name says (another than its label)", F::Label},
  };
  return cols;
}

std::pair<std::string, std::string> sweep_parts_text(ns_t launch, ns_t queue) {
  std::string a = format_ns(launch), b = format_ns(queue);
  if (a == b && launch != queue) a = format_count(launch) + " ns", b = format_count(queue) + " ns";
  return {a, b};
}

namespace {

// "11.78 ms (43.4%)": an idle time with its share of IL (docs/fusion.md "Per batch"); "-" for the
// share without an inference latency.
std::string idle_cell(ns_t idle, double share, bool has_il) {
  return format_ns(idle) + " (" + (has_il ? sweep_share_text(share) : std::string("-")) + ")";
}

}  // namespace

void print_sweep(std::ostream& os, const SweepResult& r) {
  using A = TextTable::Align;
  // With several GPUs the GPU idle is their union's, and the balance judges by the most idle device
  // (analysis/sweep.cpp): that device's idle gets a column of its own, so that the share the
  // "(balanced)" rests on is in the table (review WD56 M3). One GPU each: the same figure, no column.
  const bool several = std::any_of(r.points.begin(), r.points.end(), [](const SweepPoint& p) { return p.devices > 1; });
  std::vector<std::string> head = {"batch", "kernels", "AKD", "TKLQT", "launch part", "queue part", "IL", "GPU idle"};
  if (several) head.push_back("most idle GPU");
  for (const char* h : {"CPU idle", "bound", "file"}) head.push_back(h);
  std::vector<A> align(head.size(), A::Right);
  align[head.size() - 2] = align[head.size() - 1] = A::Left;
  TextTable t(head, align);
  for (auto& p : r.points) {
    std::vector<std::string> row;
    if (p.no_gpu) {  // a CPU-only trace: nothing here is measured (not "0 ns")
      row = {std::to_string(p.batch), format_count(p.kernels), "-", "-", "-", "-", "-", "-", "-", "- (" + no_gpu_short(p.skipped_gpu_events) + ")", p.source};
    } else {
      const bool l = !p.launches_unmeasured;  // launch figures measured
      // The parts that decide the bound, exact where their rounded texts would tie (review CS L2).
      const auto [launch_part, queue_part] = sweep_parts_text(p.tklqt_launch, p.tklqt_queue);
      const bool cpu_known = l && p.host_undefined_reason.empty();
      row = {std::to_string(p.batch), format_count(p.kernels), p.kernels > 0 ? format_ns(p.akd_ns) : "-",
             l ? format_ns(p.tklqt) : "-", l ? launch_part : "-", l ? queue_part : "-", format_ns(p.inference_latency),
             // the time and its share of IL (review CS L3); no inference latency (empty or CPU-only
             // trace): no share, not "0.0% idle"
             idle_cell(p.gpu_idle, p.gpu_idle_share, p.inference_latency > 0),
             cpu_known ? idle_cell(p.cpu_idle, p.cpu_idle_share, p.inference_latency > 0) : "-",
             // balanced without a verdict too: JSON and the sentence say it (review SW L1)
             !l ? "- (launches not measured)" : (p.bound.empty() ? "-" : p.bound) + (p.balanced ? " (balanced)" : ""),
             p.source};
    }
    // (as sweep --json's most_idle_device_*: a one-device point's is its GPU idle)
    if (several)
      row.insert(row.begin() + 8, p.no_gpu ? "-"
                                           : idle_cell(std::max(p.gpu_idle, p.most_idle_device_idle),
                                                       std::max(p.gpu_idle_share, p.most_idle_device_share), p.inference_latency > 0));
    t.add_row(std::move(row));
  }
  t.print(os, std::string("Batch sweep: AKD = mean kernel duration; TKLQT = launch part + queue part; GPU and CPU idle: time (share "
                          "of the inference latency, IL)") +
                  (several ? "; GPU idle: no device busy; most idle GPU: the device idle longest, which the balance judges by" : ""));
  // Whatever a point's figures leave out is said, per point (never silently).
  for (auto& p : r.points) {
    std::string notes;
    const auto add = [&](const std::string& what, int64_t n) {
      if (n > 0) notes += (notes.empty() ? "" : ", ") + what + " " + format_count(n);
    };
    add("orphan GPU activities", p.orphan_activities);
    if (!p.launches_unmeasured) add("orphan launch calls", p.orphan_launch_calls);
    if (!p.launches_unmeasured && p.clock_skew_clamped > 0)
      notes += (notes.empty() ? "" : ", ") + clamped_latencies_text(p) +
               (verdict_on_clamped_latencies(p) ? ": the verdict rests on clamped values" : "");
    if (!p.launch_note.empty()) notes += (notes.empty() ? "" : ", ") + p.launch_note;
    if (!p.no_gpu && !p.host_undefined_reason.empty()) notes += (notes.empty() ? "" : ", ") + ("CPU idle undefined: " + p.host_undefined_reason);
    if (p.profiler_steps > 1) notes += (notes.empty() ? "" : ", ") + profiler_steps_meaning(p.profiler_steps);
    for (auto& [reason, n] : p.skipped) add("skipped: " + reason, n);
    for (auto& [reason, n] : p.names_cleaned) add("names cleaned: " + reason, n);  // (used: kNamesCleanedMeaning)
    if (!p.decode_window_source.empty())
      notes += (notes.empty() ? "" : ", ") + ("cut to the decode window of " + p.decode_window_source + " (" +
                                              format_count(p.decode_steps) + (p.decode_steps == 1 ? " step" : " steps") +
                                              " in " + format_ns(p.decode_window_to - p.decode_window_from) +
                                              (p.batch_from_run ? "; batch from its n_seq" : "") + ")");
    for (const std::string& d : p.decode_window_doubts) notes += (notes.empty() ? "" : ", ") + ("caution: " + d);
    if (!notes.empty()) os << "  batch " << p.batch << " (" << p.source << "): " << notes << "\n";
  }
  os << "\n";
  if (r.transition_batch)
    os << "Transition to GPU-bound: batch " << *r.transition_batch << "\n";
  else
    os << "Transition to GPU-bound: none in this sweep\n";
  os << r.summary << "\n";
}

namespace {

// The <svg>...</svg> of a chart figure, placed at x offset `dx` inside a larger drawing.
std::string placed_svg(const std::string& figure, int dx) {
  const size_t b = figure.find("<svg"), e = figure.rfind("</svg>");
  if (b == std::string::npos || e == std::string::npos) return "";
  return "<svg x=\"" + std::to_string(dx) + "\"" + figure.substr(b + 4, e + 6 - (b + 4));
}

}  // namespace

std::string sweep_svg(const SweepResult& r) {
  html::Series launch{"TKLQT launch part", {}, {}}, queue{"TKLQT queue part", {}, {}};
  html::Series gpu{"GPU idle / IL", {}, {}}, cpu{"CPU idle / IL", {}, {}};
  for (auto& p : r.points) {
    if (p.no_gpu) continue;  // no figures to plot
    const double b = static_cast<double>(p.batch);
    if (!p.launches_unmeasured) {  // (no point for an unknown figure)
      launch.x.push_back(b), launch.y.push_back(static_cast<double>(p.tklqt_launch));
      queue.x.push_back(b), queue.y.push_back(static_cast<double>(p.tklqt_queue));
    }
    if (p.inference_latency > 0) {
      gpu.x.push_back(b), gpu.y.push_back(p.gpu_idle_share);
      if (!p.launches_unmeasured && p.host_undefined_reason.empty()) cpu.x.push_back(b), cpu.y.push_back(p.cpu_idle_share);
    }
  }
  html::ChartOptions o1;
  o1.title = "TKLQT parts against batch size";
  o1.x_label = "batch size", o1.y_label = "time", o1.y_unit = "ns", o1.log2_x = true;
  // TKLQT grows with the batch by orders of magnitude (gpt2 prefill: 2.8 ms at batch 1, 1.67 s at
  // 64): over 1.5 decades a log y axis keeps the small batches off the zero line (review UX M2).
  o1.log10_y = html::wide_y_span({launch, queue});  // (the axis label then says "time (log scale)")
  html::ChartOptions o2 = o1;
  o2.log10_y = false;
  o2.title = "GPU and CPU idle against batch size";
  o2.y_label = "share of inference latency", o2.y_unit = "pct_sweep";  // tooltips as the table
  const std::string left = placed_svg(html::line_chart({launch, queue}, o1), 0);
  const std::string right = placed_svg(html::line_chart({gpu, cpu}, o2), o1.width + 20);
  if (left.empty() && right.empty()) return "";
  const int width = o1.width + 20 + o2.width, height = std::max(o1.height, o2.height);
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\">"
      "<style>text{{font-family:sans-serif}}.ctitle{{font-weight:600;font-size:13px}}"
      ".tick,.legend,.alabel{{font-size:11px;fill:#333}}.grid{{stroke:#e5e8ec}}.axis{{stroke:#888}}</style>"
      "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>{}{}</svg>\n",
      width, height, width, height, left, right);
}

}  // namespace infertrace
