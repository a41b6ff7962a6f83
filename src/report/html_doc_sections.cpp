// Report sections drawn from saved --json documents of other verbs. Keys follow each verb's
// documented schema (docs/json-schema.md); what a section cannot find it leaves out, and a document
// of an unknown kind is still shown as tables of its values.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "analysis/bound_verdict.h"
#include "analysis/launch_undercount.h"
#include "report/analyze_json.h"
#include "report/compare_render.h"
#include "report/fusion_loop_report.h"
#include "report/fusion_report.h"
#include "report/html_parts.h"
#include "report/html_sections.h"
#include "report/html_svg.h"
#include "report/json_brief.h"
#include "report/schema_version.h"
#include "report/sweep_report.h"
#include "trace/recorder_drops.h"
#include "trace/trace.h"
#include "util/units.h"

namespace infertrace::html {

namespace {

using json = nlohmann::json;

// The array of per-point objects a document keeps under one of these keys.
const json& first_array(const json& doc, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    const json& v = member(doc, k);
    if (v.is_array() && !v.empty()) return v;
  }
  return member(doc, "");
}

// ---- sweep (docs/metrics.md section 3) ----------------------------------------------------------

// The finite number a text is, whole (a hand-edited "8", " 8" or "8.0"), or nullopt ("abc", "8x", "").
std::optional<double> number_in_text(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  if (b == std::string::npos) return std::nullopt;
  const std::string t = s.substr(b, e - b + 1);
  char* end = nullptr;
  const double d = std::strtod(t.c_str(), &end);
  // (an underflow, "1e-400", is the tiny number it reads; an overflow is no finite number)
  if (end != t.c_str() + t.size() || !std::isfinite(d)) return std::nullopt;
  // (strtod also reads hex and "inf"/"nan": only decimal digits, a sign, '.' and an exponent count)
  if (t.find_first_not_of("+-0123456789.eE") != std::string::npos) return std::nullopt;
  return d;
}

// Input events each point's reader could not use (`skipped`, by reason), which the terminal lists
// under its table per batch: one row per batch and reason; "" when no point skipped any.
std::string sweep_skipped_table(const json& pts) {
  HtmlTable t({"batch", "file", "reason", "events skipped"}, 3);
  for (auto& p : pts)
    for (auto& [reason, n] : member(p, "skipped").items())
      if (n.is_number() && n.get<double>() > 0)
        t.add_row({label_or(member(p, "batch")), str_or(p, "source", ""), skipped_reason_words(reason), count_or(n)});
  return t.empty() ? "" : t.render("Input events the readers could not use (not in any figure above)");
}

// Names each point's reader kept with characters replaced (`names_cleaned`, by reason): their
// events are used, so apart from the skipped ones (review DJ M1); "" when no point cleaned any.
std::string sweep_names_cleaned_table(const json& pts) {
  HtmlTable t({"batch", "file", "reason", "names cleaned"}, 3);
  for (auto& p : pts)
    for (auto& [reason, n] : member(p, "names_cleaned").items())
      if (n.is_number() && n.get<double>() > 0)
        t.add_row({label_or(member(p, "batch")), str_or(p, "source", ""), skipped_reason_words(reason), count_or(n)});
  return t.empty() ? "" : t.render(std::string("Names cleaned: ") + kNamesCleanedMeaning);
}

// A whole number of ns as ns_t, when it is one (a hand-edited 1.5 or 1e300 is not).
std::optional<ns_t> whole_ns(const json& v) {
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u <= static_cast<uint64_t>(std::numeric_limits<ns_t>::max())) return static_cast<ns_t>(u);
    return std::nullopt;
  }
  return v.is_number_integer() ? std::optional<ns_t>(v.get<ns_t>()) : std::nullopt;
}

// A point's shares of IL and TKLQT parts as text, as the terminal table writes them
// (sweep_share_text, sweep_parts_text): the page read "50.0%" beside "(balanced)" and "10.00 us"
// twice beside a GPU-bound verdict, the terminal did not (review WD56 M3).
void sweep_cells_as_terminal(json& p) {
  if (!p.is_object()) return;
  for (const JsonColumn& c : sweep_point_columns())
    if (c.format == CellFormat::Share && p.contains(c.key) && p[c.key].is_number())
      p[c.key] = sweep_share_text(p[c.key].get<double>());
  const auto launch = whole_ns(member(p, "tklqt_launch_ns")), queue = whole_ns(member(p, "tklqt_queue_ns"));
  if (launch && queue) std::tie(p["tklqt_launch_ns"], p["tklqt_queue_ns"]) = sweep_parts_text(*launch, *queue);
}

std::string sweep_section(const json& doc) {
  const json& pts = member(doc, "points");
  Series launch{"TKLQT launch part", {}, {}}, queue{"TKLQT queue part", {}, {}};
  Series gpu_idle{"GPU idle / IL", {}, {}}, cpu_idle{"CPU idle / IL", {}, {}};
  // By batch size, whatever the document's order (a hand-edited or merged document: its line went
  // back and forth, review HR L7). A batch size counts sequences: one below 1 (none, 0, negative,
  // or a fraction such as 1e-300, which a log2 axis would place a thousand doublings left of every
  // other point, review S41 L7) is left to the table, and said so; so is one that is no number. A
  // number written as text ("8") is that number, and said so too.
  std::vector<std::pair<double, const json*>> plotted;
  size_t below_one = 0;
  std::vector<std::string> as_text, not_number;
  for (auto& p : pts) {
    const json& v = member(p, "batch");
    std::optional<double> b = num(p, "batch");
    if (v.is_string()) {
      b = number_in_text(v.get<std::string>());
      // (a text below 1 is said once, with the other batches below 1: review S42 L2)
      if (!b) not_number.push_back(v.get<std::string>());
      else if (*b >= 1) as_text.push_back(v.get<std::string>());
    } else if (!v.is_null() && !v.is_number()) {
      not_number.push_back(v.dump());
      continue;
    }
    if (b && *b >= 1) plotted.emplace_back(*b, &p);
    else if (!v.is_string() || b) ++below_one;
  }
  std::stable_sort(plotted.begin(), plotted.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  for (const auto& [batch, point] : plotted) {
    const json& p = *point;
    const std::optional<double> b = batch;
    if (auto v = num(p, "tklqt_launch_ns")) launch.x.push_back(*b), launch.y.push_back(*v);
    if (auto v = num(p, "tklqt_queue_ns")) queue.x.push_back(*b), queue.y.push_back(*v);
    auto il = num(p, "inference_latency_ns");
    if (il && *il > 0) {
      if (auto v = num(p, "gpu_idle_ns")) gpu_idle.x.push_back(*b), gpu_idle.y.push_back(*v / *il);
      if (auto v = num(p, "cpu_idle_ns")) cpu_idle.x.push_back(*b), cpu_idle.y.push_back(*v / *il);
    }
  }
  ChartOptions o1;
  o1.title = "TKLQT parts against batch size";
  o1.x_label = "batch size", o1.y_label = "time", o1.y_unit = "ns", o1.log2_x = true;
  // TKLQT grows with the batch by orders of magnitude (gpt2 prefill: 2.8 ms at batch 1, 1.67 s at
  // 64): over 1.5 decades a log y axis keeps the small batches off the zero line (review UX M2).
  o1.log10_y = wide_y_span({launch, queue});  // (the axis label then says "time (log scale)")
  ChartOptions o2 = o1;
  o2.log10_y = false;
  o2.title = "GPU and CPU idle against batch size";
  o2.y_label = "share of inference latency", o2.y_unit = "pct_sweep";  // tooltips as the table
  std::string body = "<div class=\"cols\">" + line_chart({launch, queue}, o1) + line_chart({gpu_idle, cpu_idle}, o2) + "</div>";
  // Up to 3 of the values as written, quoted.
  const auto quoted = [](const std::vector<std::string>& vs) {
    std::string q;
    for (size_t i = 0; i < vs.size() && i < 3; ++i) q += (i ? ", \"" : "\"") + vs[i] + "\"";
    return vs.size() > 3 ? q + ", ..." : q;
  };
  if (below_one > 0)
    body += fmt::format("<p class=\"note\">{} {} no batch size of 1 or more (a batch counts sequences; the log2 batch "
                        "axis starts at 1): in the table only, not charted.</p>",
                        below_one, below_one == 1 ? "point has" : "points have");
  if (!not_number.empty())
    body += fmt::format("<p class=\"note\">{} {} a batch that is not a number ({}): in the table only, not charted.</p>",
                        not_number.size(), not_number.size() == 1 ? "point has" : "points have", escape(quoted(not_number)));
  if (!as_text.empty())
    body += fmt::format("<p class=\"note\">{} {} the batch as text, not as a JSON number ({}): charted as the number it "
                        "reads.</p>",
                        as_text.size(), as_text.size() == 1 ? "point gives" : "points give", escape(quoted(as_text)));
  std::string verdict;
  const json& tr = member(doc, "transition_batch");
  if (tr.is_number()) verdict += fmt::format("Transition to GPU-bound at batch {}. ", label_or(tr));
  else if (doc.contains("transition_batch")) verdict += "No transition: the sweep never becomes GPU-bound for good. ";
  if (auto s = str_or(doc, "summary", ""); !s.empty()) verdict += s;
  if (!verdict.empty()) body = "<p class=\"verdict\">" + escape(verdict) + "</p>" + body;
  // The table shows no idle share of an empty inference latency, as the terminal's "-" (a share of
  // 0 ns reads as "never idle"; sweep --json writes null there since 2026-12-03, documents saved
  // before have 0).
  json rows = pts;
  for (auto& p : rows) {
    // A batch given as text that reads as a number is that number in the table too (it was charted
    // so, and the table's note would call it no number: review S42 L3).
    if (const json& v = member(p, "batch"); v.is_string())
      if (const auto b = number_in_text(v.get<std::string>())) p["batch"] = *b;
    auto il = num(p, "inference_latency_ns");
    if (p.is_object() && il && *il <= 0)
      for (const char* k : {"gpu_idle_share", "cpu_idle_share"})
        if (p.contains(k)) p[k] = nullptr;
  }
  // Figures that are no number named as the document has them, before the cells below become text.
  const std::string not_numbers = non_number_note(rows, sweep_point_columns());
  for (auto& p : rows) sweep_cells_as_terminal(p);
  body += labelled_table(rows, sweep_point_columns(), "Per batch size", 50, false) + not_numbers;
  return body + sweep_skipped_table(pts) + sweep_names_cleaned_table(pts);
}

void sweep_findings(const JsonInput& in, std::vector<std::string>& out) {
  const json& tr = member(in.doc, "transition_batch");
  // The smallest batch of the sweep: when the transition is there, nothing was launch-bound.
  std::optional<double> smallest;
  for (auto& p : member(in.doc, "points"))
    if (auto b = num(p, "batch")) smallest = smallest ? std::min(*smallest, *b) : *b;
  // The sweep sentence's qualifier (analysis/sweep.cpp, analysis/bound_verdict.h): GPU-bound batches
  // past the transition whose GPU still idles half the inference latency or more.
  std::vector<std::string> bursty_batches;
  if (tr.is_number())
    for (auto& p : member(in.doc, "points")) {
      auto b = num(p, "batch");
      if (b && *b >= tr.get<double>() &&
          // By the most idle device (review AK M2); a document saved before has the union's idle.
          gpu_bound_in_bursts(str_or(p, "bound", ""),
                              static_cast<ns_t>(num(p, "most_idle_device_idle_ns").value_or(num(p, "gpu_idle_ns").value_or(0))),
                              static_cast<ns_t>(num(p, "inference_latency_ns").value_or(0))))
        bursty_batches.push_back(label_or(member(p, "batch")));
    }
  // "batch 32" or "batches 16, 32 and 64", as the sweep sentence names them.
  std::string bursty;
  for (size_t i = 0; i < bursty_batches.size(); ++i)
    bursty += (i == 0 ? (bursty_batches.size() == 1 ? "batch " : "batches ") : i + 1 == bursty_batches.size() ? " and " : ", ") +
              bursty_batches[i];
  if (tr.is_number() && smallest && tr.get<double>() <= *smallest)
    out.push_back(fmt::format("Batch sweep ({}): GPU-bound at every batch size, from batch {} on{}.", in.label,
                              label_or(tr),
                              bursty.empty() ? ": the GPU is the limit; fusing kernels or CUDA graphs will not shorten "
                                               "these runs much"
                                             : ""));
  else if (tr.is_number())
    out.push_back(fmt::format("Batch sweep ({}): launch-bound below batch {}, GPU-bound from batch {} on: fusing kernels "
                              "or CUDA graphs pays below it, the GPU is the limit above.",
                              in.label, label_or(tr), label_or(tr)));
  else if (in.doc.contains("transition_batch"))
    out.push_back(fmt::format("Batch sweep ({}): no CPU-to-GPU-bound transition in the measured batch range.", in.label));
  // With several devices the rule judges by the most idle one, which the idle chart (the union of
  // all devices) does not show: said so (review HR L10: "idle at least half" beside a chart at 4%).
  bool several_devices = false;
  for (auto& p : member(in.doc, "points")) several_devices = several_devices || num(p, "devices").value_or(1) > 1;
  if (!bursty.empty())
    out.push_back(fmt::format("Batch sweep ({}): {} nevertheless idle at least half the inference latency at {}: "
                              "kernels queue in bursts with host-side gaps between them, so there the host's work "
                              "between bursts matters as much as faster kernels.",
                              in.label,
                              several_devices ? "the most idle GPU device (the table's \"most idle GPU device\"; the idle "
                                                "chart shows the union of all devices) is"
                                              : "the GPU is",
                              bursty));
}

// ---- fusion (docs/metrics.md section 4) ----------------------------------------------------------

// `fusion --measured` (docs/fusion.md "Closed loop"): predicted speedup per chain length, with each
// measured mode's speedup as a flat dashed line across the same lengths.
std::string closed_loop_section(const json& loop) {
  if (!loop.is_object()) return "";
  Series predicted{"predicted speedup (from the eager trace)", {}, {}};
  for (auto& p : member(loop, "predictions")) {
    auto len = num(p, "length"), v = num(p, "predicted_speedup");
    if (len && v) predicted.x.push_back(*len), predicted.y.push_back(*v);
  }
  std::vector<Series> series{predicted};
  for (auto& m : member(loop, "measured")) {
    auto v = num(m, "measured_speedup");
    if (!v || predicted.x.empty()) continue;
    Series flat{"measured " + str_or(m, "mode", "?") + " mode", predicted.x, std::vector<double>(predicted.x.size(), *v), true};
    series.push_back(std::move(flat));
  }
  if (predicted.x.empty()) return "";
  ChartOptions o;
  o.title = "Closed loop: predicted vs measured speedup";
  o.x_label = "chain length L", o.y_label = "speedup over eager", o.y_unit = "x2", o.log2_x = true;  // the tables' Times2
  std::string body = "<h3>Closed loop: the eager trace's prediction against measured modes</h3>";
  if (auto s = str_or(loop, "summary", ""); !s.empty()) body += "<p class=\"verdict\">" + escape(s) + "</p>";
  body += line_chart(series, o);
  body += labelled_scalars(member(loop, "eager"), fusion_loop_eager_columns(), "Eager trace (decode steps)");
  body += labelled_table(member(loop, "predictions"), fusion_loop_prediction_columns(), "Predicted per chain length");
  // The launch-matched figures are columns of their mode's row (lifted out of their object).
  body += labelled_table(member(loop, "measured"), fusion_loop_measured_columns(), "Measured modes", 10);
  return body;
}

std::string fusion_section(const json& doc) {
  Series speed{"ideal speedup (K_eager / K_fused)", {}, {}};
  Series saved{"launch time saved", {}, {}};
  for (auto& l : member(doc, "lengths")) {
    auto len = num(l, "length");
    if (!len) continue;
    if (auto v = num(l, "ideal_speedup")) speed.x.push_back(*len), speed.y.push_back(*v);
    if (auto v = num(l, "launch_time_saved_ns")) saved.x.push_back(*len), saved.y.push_back(*v);
  }
  ChartOptions o;
  o.title = "Fusion: ideal speedup against chain length";
  o.x_label = "chain length L", o.y_label = "speedup", o.y_unit = "x", o.log2_x = true, o.y_from_zero = false;
  ChartOptions o2 = o;
  o2.title = "Fusion: launch time saved against chain length";
  o2.y_label = "launch time saved", o2.y_unit = "ns", o2.y_from_zero = true;
  std::string body = "<div class=\"cols\">" + line_chart({speed}, o) + line_chart({saved}, o2) + "</div>";
  body += labelled_table(member(doc, "lengths"), fusion_length_columns(), "Per chain length");
  body += labelled_table(member(doc, "candidates"), fusion_candidate_columns(), "Top candidate chains", 20);
  return body + closed_loop_section(member(doc, "closed_loop"));
}

void fusion_findings(const JsonInput& in, std::vector<std::string>& out) {
  if (auto k = num(in.doc, "kernels"); k && *k == 0) {
    // An ideal speedup of 1.00x "saving 0 ns" over no kernels at all would read as a measurement.
    const std::string why = str_or(in.doc, "undefined_reason", "");
    out.push_back(fmt::format("Kernel fusion ({}): no kernels in the trace{}, nothing to fuse.", in.label,
                              why.empty() ? std::string() : " (" + why + ")"));
    return;
  }
  const json* best = nullptr;
  for (auto& l : member(in.doc, "lengths")) {
    auto v = num(l, "ideal_speedup");
    if (v && (!best || *v > *num(*best, "ideal_speedup"))) best = &l;
  }
  if (!best) return;
  std::string saved;
  if (auto s = num(*best, "launch_time_saved_ns")) saved = fmt::format(", saving {} of launch time", format_ns(*s));
  const auto T = num(in.doc, "threshold");
  const std::string chains = fused_chains_phrase(T ? *T : 1.0);
  out.push_back(fmt::format("Kernel fusion ({}): fusing {} of length {} gives the best ideal speedup, "
                            "{}x (kernel count before / after){}.",
                            in.label, chains, label_or((*best)["length"]), format_fixed(*num(*best, "ideal_speedup"), 2), saved));
  // Chains seen once among them (a one-off prologue scores PS 1: review FU-1), and the best length
  // over chains seen at least twice (fusion --json, written since 2026-12-05).
  const auto once = num(*best, "fused_chains_seen_once"), fused = num(*best, "fused_chains");
  if (once && fused && *once > 0) {
    const int64_t n_once = static_cast<int64_t>(*once), n_fused = static_cast<int64_t>(*fused);
    const std::string which = n_once == n_fused ? (n_fused == 1 ? "its 1 fused chain" : "all " + format_count(n_fused) + " of its fused chains")
                                                : format_count(n_once) + " of its " + format_count(n_fused) + " fused chains";
    std::string s = fmt::format("Kernel fusion ({}): at length {}, {} {} seen only once in the trace.", in.label,
                                label_or((*best)["length"]), which, n_once == 1 ? "was" : "were");
    const json& rep = member(in.doc, "best_length_repeated");
    if (auto sp = num(rep, "ideal_speedup")) {
      std::string rep_saved;
      if (auto v = num(rep, "launch_time_saved_ns")) rep_saved = fmt::format(", saving {}", format_ns(*v));
      s += fmt::format(" Over chains seen at least twice, the best is length {}: {}x from {} fusions{}.",
                       label_or(member(rep, "length")), format_fixed(*sp, 2), label_or(member(rep, "fused_chains")), rep_saved);
    } else if (rep.is_null() && in.doc.contains("best_length_repeated")) {
      s += " No chain seen at least twice is fused at any of the requested lengths.";
    }
    out.push_back(s);
  }
  if (auto s = str_or(member(in.doc, "closed_loop"), "summary", ""); !s.empty())
    out.push_back(fmt::format("Closed loop ({}): {}", in.label, s));
}

// ---- bench threads (docs/metrics.md section 6) --------------------------------------------------

// `bench threads -o json` keeps each rate as {median, mean, stddev, samples}: metrics.md section 6
// reports mean and sample standard deviation, so the table shows both (the flat pp_mean / tg_mean
// copies alone would drop the spread) and how many repetitions they come from; and the median, the
// figure the best thread count is chosen by (files saved before 2026-12-01 have no median).
std::string rate_text(const json& rate) {
  const auto mean = num(rate, "mean"), sd = num(rate, "stddev");
  if (!mean) return "";
  // One repetition has no sample sd (null): "± n/a" as the markdown's "+- n/a", not the mean alone
  // under a "mean ± sd" header (review TI L4).
  return sd ? format_fixed(*mean, 2) + " \u00b1 " + format_fixed(*sd, 2) : format_fixed(*mean, 2) + " \u00b1 n/a";
}

std::string median_text(const json& rate) {
  const auto m = num(rate, "median");
  return m ? format_fixed(*m, 2) : "";
}

std::string threads_spread_table(const json& pts) {
  if (!pts.is_array() || pts.empty() || !member(pts[0], "tg_tokens_per_second").is_object()) return "";
  const bool medians = num(member(pts[0], "tg_tokens_per_second"), "median").has_value();
  std::vector<std::string> head = {"threads", "pp tokens/s (mean \u00b1 sd)", "tg tokens/s (mean \u00b1 sd)", "repetitions",
                                   "tg roofline (tokens/s)", "tg of roofline", "context switches / token", "pinned CPUs"};
  if (medians) head.insert(head.begin() + 1, {"pp tokens/s (median)", "tg tokens/s (median)"});
  HtmlTable t(head);
  for (auto& p : pts) {
    const json& tg = member(p, "tg_tokens_per_second");
    const json& samples = member(tg, "samples");
    const auto roof = num(p, "roofline_tg"), tg_mean = num(tg, "mean"), cs = num(p, "context_switches_per_token");
    std::string pinned;
    for (auto& c : member(p, "pinned_cpus")) pinned += (pinned.empty() ? "" : ",") + json_brief(c);
    std::vector<std::string> row = {json_brief(member(p, "threads")), rate_text(member(p, "pp_tokens_per_second")), rate_text(tg),
                                    samples.is_array() ? std::to_string(samples.size()) : "", roof ? format_fixed(*roof, 2) : "n/a",
                                    roof && tg_mean && *roof > 0 ? format_pct(*tg_mean / *roof) : "n/a", cs ? format_fixed(*cs, 3) : "",
                                    pinned.empty() ? "not pinned" : pinned};
    if (member(p, "oversubscribed") == true) row[0] += " (oversubscribed)";
    if (medians) row.insert(row.begin() + 1, {median_text(member(p, "pp_tokens_per_second")), median_text(tg)});
    t.add_row(row);
  }
  return t.render("Per thread count");
}

// " (not a clear winner: ...)" when the sweep lists points whose tg repetitions reach the best's
// slowest (`best_overlaps`, files since 2026-12-01), else "".
std::string overlap_text(const json& doc) {
  std::string list;
  for (auto& t : member(doc, "best_overlaps"))
    if (t.is_number()) list += (list.empty() ? "" : ", ") + json_brief(t);
  if (list.empty()) return "";
  return " (not a clear winner: tg repetitions at " + list + (list == "1" ? " thread" : " threads") + " reach its slowest)";
}

// `bench membw --json`: a thread sweep too (points with `threads`), of read and triad GB/s, not
// tokens per second. Its page had no chart and its keys for headers ("read_gbs": review DW58 L3).
bool is_membw(const json& pts) { return !pts.empty() && pts[0].is_object() && pts[0].contains("read_gbs"); }

std::string membw_section(const json& doc, const json& pts) {
  std::vector<Series> series;
  for (auto [name, key] : {std::pair{"read (GB/s)", "read_gbs"}, std::pair{"triad (GB/s)", "triad_gbs"}}) {
    Series s{name, {}, {}, false};
    for (auto& p : pts)
      if (auto t = num(p, "threads"), v = num(p, key); t && v) s.x.push_back(*t), s.y.push_back(*v);
    if (!s.x.empty()) series.push_back(std::move(s));
  }
  ChartOptions o;
  o.title = "Memory bandwidth against threads";
  o.x_label = "threads", o.y_label = "GB/s", o.log2_x = true;
  std::string body = line_chart(series, o);
  HtmlTable t({"threads", "read GB/s", "triad GB/s", "repetitions"});
  for (auto& p : pts) {
    std::string threads = json_brief(member(p, "threads"));
    if (member(p, "oversubscribed") == true) threads += " (oversubscribed)";
    const json& samples = member(p, "read_samples_gbs");
    const auto read = num(p, "read_gbs"), triad = num(p, "triad_gbs");
    t.add_row({threads, read ? format_fixed(*read, 2) : "-", triad ? format_fixed(*triad, 2) : "-",
               samples.is_array() ? std::to_string(samples.size()) : ""});
  }
  body += t.render("Per thread count");
  std::string facts = str_or(doc, "statistic", "");
  if (member(doc, "array_below_4x_last_level_cache") == true)
    facts += std::string(facts.empty() ? "" : "; ") +
             "the arrays are under 4x the last-level cache, so part of the traffic may be the cache's, not DRAM's";
  if (!facts.empty()) body += "<p class=\"note\">" + escape(facts) + ".</p>";
  return body;
}

std::string threads_section(const json& doc) {
  const json& pts = first_array(doc, {"points", "results"});
  if (is_membw(pts)) return membw_section(doc, pts);
  // Series by the conventional names: tg / pp tokens per second (mean), and the roofline bound.
  const std::pair<const char*, std::vector<const char*>> wanted[] = {
      // The median first: bench threads picks its best point by it (older files: the mean).
      {"decode tg (tokens/s)", {"tg_median", "tg_mean", "tg_tps", "tg", "tg_tokens_per_s"}},
      {"prefill pp (tokens/s)", {"pp_median", "pp_mean", "pp_tps", "pp", "pp_tokens_per_s"}},
      {"decode roofline (tokens/s)", {"roofline_tg", "tg_roofline", "roofline_tokens_per_s", "roofline"}}};
  std::vector<Series> series;
  for (auto& [name, keys] : wanted) {
    Series s{name, {}, {}, std::string(name).find("roofline") != std::string::npos};
    for (auto& p : pts) {
      auto t = num(p, "threads");
      if (!t) continue;
      for (const char* k : keys)
        if (auto v = num(p, k)) {
          s.x.push_back(*t), s.y.push_back(*v);
          break;
        }
    }
    if (!s.x.empty()) series.push_back(std::move(s));
  }
  ChartOptions o;
  o.title = "Tokens per second against threads";
  o.x_label = "threads", o.y_label = "tokens/s", o.log2_x = true;
  std::string body = line_chart(series, o);
  if (auto best = num(doc, "best_threads"))
    body = fmt::format("<p class=\"verdict\">Best thread count: {}{}.</p>", *best, escape(overlap_text(doc))) + body;
  // Decode faster than the DRAM roofline (`above_roofline`, files since 2026-12-01): say why.
  std::string above;
  for (auto& t : member(doc, "above_roofline"))
    if (t.is_number()) above += (above.empty() ? "" : ", ") + json_brief(t);
  if (!above.empty()) {
    const auto bpt = num(doc, "bytes_per_token"), llc = num(doc, "last_level_cache_bytes");
    const std::string why =
        member(doc, "fits_in_last_level_cache") == true && bpt && llc
            ? fmt::format("the {:.1f} MB read per token fit in the {:.1f} MB last-level cache, so decode reads the cache, "
                          "not DRAM, and the DRAM roofline does not bound it",
                          *bpt / 1e6, *llc / 1e6)
            : "decode read faster than the bandwidth test did, so that roofline is no ceiling here";
    // "at 1 thread", "at 2 threads", "at 1, 2 threads".
    const char* noun = above == "1" ? " thread: " : " threads: ";
    body += "<p>Above 100% of the roofline at " + escape(above) + noun + escape(why) + ".</p>";
  }
  const std::string spread = threads_spread_table(pts);
  return body + (spread.empty() ? objects_table(pts, "Per thread count", 50, "threads") : spread);
}

// ---- scheduler / IRQ analysis (docs/metrics.md section 5) --------------------------------------

// The section itself: src/report/html_sched.cpp; its finding, sched_findings(), below.

// ---- compare and interference ------------------------------------------------------------------

// The terminal's ASCII bound marks as the page's cells show them: "<=" as "≤ ", ">=" as "≥ ", "~" as
// "~ " ("" stays "").
std::string page_mark(const std::string& mark) {
  return mark == "<=" ? "≤ " : mark == ">=" ? "≥ " : mark == "~" ? "~ " : "";
}

// A note of the terminal's (compare --json `notes`) in the page's marks (review EZ L4): its "<=" and
// ">=" are the bound marks, and its "launches/s" column is the page's rate column.
std::string page_marks(std::string note) {
  for (auto [from, to] : {std::pair{"launches/s >=", "rate ≥"}, std::pair{"<=", "≤"}, std::pair{">=", "≥"}})
    for (size_t at = note.find(from); at != std::string::npos; at = note.find(from, at + std::strlen(to)))
      note.replace(at, std::strlen(from), to);
  return note;
}

// The scenario table's rows at most; the chart draws the same scenarios (review HR L5: 5,001 bars of
// 1 px beside a table of 50).
constexpr size_t kCompareRows = 50;

std::string compare_section(const json& doc) {
  const json& sc = first_array(doc, {"scenarios", "rows"});
  std::vector<std::string> cats;
  BarGroup slow{"slowdown %", {}};
  // A bounded slowdown's bar carries its cell's mark in the tooltip (review EZ L4). Only the rows
  // the table shows (labelled_table counts the objects).
  size_t rows_seen = 0;
  for (auto& r : sc) {
    if (!r.is_object() || rows_seen++ >= kCompareRows) continue;
    if (auto v = num(r, "slowdown_pct")) {
      cats.push_back(str_or(r, "name", str_or(r, "scenario", "?"))), slow.values.push_back(*v);
      const json& b = member(r, "slowdown_bound");
      slow.marks.push_back(b.is_string() ? page_mark(slowdown_mark(b.get<std::string>())) : "");
    }
  }
  ChartOptions o;
  o.title = "Slowdown against the baseline";
  o.x_label = "scenario", o.y_label = "slowdown", o.y_unit = "%";  // the cells' "31.5%" (review HR L3)
  const size_t objects = static_cast<size_t>(std::count_if(sc.begin(), sc.end(), [](const json& r) { return r.is_object(); }));
  if (objects > kCompareRows) o.title += " (the " + std::to_string(kCompareRows) + " scenarios in the table)";
  // What the rate column counts: the terminal names it in the header, the labels once here.
  // The terminal's header in words: no basis, or a baseline without the rate, is no slowdown at all
  // (review FC L2: "from nothing ...; the rate column is that figure").
  std::string basis;
  if (str_or(doc, "experiment", "") == "interference") {
    // bench interference: the slowdown is against the scenario named baseline, from its throughput
    // (the command's metric, or runs per second); compare's `rate` is not in these rows, and testing
    // it said "No slowdown" under every interference page's slowdown chart (review TI M1).
    const json* base = nullptr;
    for (const json& r : sc)
      if (r.is_object() && str_or(r, "name", "") == "baseline") base = &r;
    const std::string b = str_or(doc, "basis", "");
    const std::string figure = b == "metric" ? "the command's metric (--metric-regex, its median)"
                               : b == "runs_per_second" ? "runs per second (1 / the run's wall time, the median)"
                                                        : b;
    if (!base)
      basis = "<p class=\"note\">No slowdown: the experiment has no baseline scenario.</p>";
    else if (!member(*base, "throughput").is_number())
      basis = "<p class=\"note\">No slowdown: the baseline scenario has no throughput (no usable run).</p>";
    else
      basis = "<p class=\"note\">Slowdown against the baseline scenario's throughput from " + escape(figure) +
              ": the share of it lost.</p>";
  } else if (auto b = str_or(doc, "basis", ""); !b.empty()) {
    const std::string base = escape(str_or(doc, "baseline", "the first scenario"));
    const bool base_rate = !sc.empty() && member(sc[0], "rate").is_number();
    if (b == "none")
      basis = "<p class=\"note\">No slowdown: no scenario has a launch rate, and not every one has a throughput.</p>";
    else if (!base_rate)
      basis = "<p class=\"note\">No slowdown: the baseline, " + base + ", has no " +
              (b == "throughput" ? std::string("throughput") : std::string("launch rate")) + ".</p>";
    else
      basis = "<p class=\"note\">Slowdown against " + base + " from " +
              escape(b == "throughput" ? "the throughput (work/s)" : b == "launch_rate" ? "launches per second of wall time" : b) +
              "; the rate column is that figure.</p>";
  }
  // A figure whose events a scenario's input does not hold (a Kineto trace: no context switches or
  // IRQs) reads "not recorded", as in the terminal, where "-" would read as "none"; the flags that
  // say so are then in those cells, not columns of their own.
  json rows = sc;
  const bool no_throughput = std::none_of(sc.begin(), sc.end(), [](const json& r) {
    return r.is_object() && r.contains("throughput") && !r["throughput"].is_null();
  });
  for (auto& r : rows) {
    if (!r.is_object()) continue;
    for (auto& [key, v] : r.items())
      if (const char* flag = comparison_unrecorded_flag(key); flag && v.is_null() && member(r, flag) == false)
        v = "not recorded";
    r.erase("switches_recorded"), r.erase("irqs_recorded");
    // A lower-bound launch rate and the slowdown it bounds carry the terminal's marks (audit EE L4);
    // the flags are then in those cells, as above, and the notes say what the marks mean.
    if (member(r, "rate_lower_bound") == true && member(r, "rate").is_number())
      r["rate"] = "≥ " + format_rate(r["rate"].get<double>());
    if (const json& b = member(r, "slowdown_bound"); b.is_string() && member(r, "slowdown_pct").is_number()) {
      r["slowdown_pct"] = page_mark(slowdown_mark(b.get<std::string>())) + format_fixed(r["slowdown_pct"].get<double>(), 1) + "%";
    }
    // Rates per 1000 launches of launches counted fewer than ran: "≤ " (the terminal's "<="), and the
    // Sched/1K increases from them the slowdown's marks (review FC L6); the reasons are in the notes.
    // Not the launch window's when lost launches may lie beyond its ends: neither bound (review LW M1).
    const bool window_uncertain = member(r, "launch_window_ends_uncertain") == true;
    if (member(r, "per_1k_upper_bound") == true)
      for (const char* k : {"sched_per_1k", "launch_window_sched_per_1k", "irq_per_1k_hard", "irq_per_1k_soft"})
        if (member(r, k).is_number() && !(window_uncertain && std::string_view(k) == "launch_window_sched_per_1k"))
          r[k] = per_1k_marked(true, r[k].get<double>(), "≤ ", format_fixed(r[k].get<double>(), 1));  // an exact 0 unmarked
    // The window's increase by its own bound (compare --json since 2026-12-06), else the trace's.
    const json& window_bound = member(r, "launch_window_sched_increase_bound").is_null() && !r.contains("launch_window_ends_uncertain")
                                   ? member(r, "sched_increase_bound")
                                   : member(r, "launch_window_sched_increase_bound");
    for (auto [k, b] : {std::pair<const char*, const json*>{"sched_increase", &member(r, "sched_increase_bound")},
                        std::pair<const char*, const json*>{"launch_window_sched_increase", &window_bound}})
      if (b->is_string() && member(r, k).is_number())
        r[k] = page_mark(slowdown_mark(b->get<std::string>())) + format_fixed(r[k].get<double>(), 2) + "x";
    // A lost count that includes the CUPTI ring's unpublished slots bounds the records from above:
    // its cell says "up to", as the verdict does; the flag is then in that cell.
    if (member(r, "launch_records_lost_up_to") == true && member(r, "launch_records_lost").is_number_integer())
      r["launch_records_lost"] = "up to " + std::to_string(r["launch_records_lost"].get<int64_t>());
    r.erase("launch_records_lost_up_to");
    // An incomplete recording whose recorder wrote no loss counters (compare --json null beside its
    // `incomplete_note`): unknown, not "-" (review HR M1); the notes say what it lacks.
    if (member(r, "incomplete_note").is_string())
      for (const char* k : {"lost_events", "launch_records_lost"})
        if (r.contains(k) && r[k].is_null()) r[k] = kLossCountsUnknown;
    r.erase("incomplete_note");
    // bench interference: its exact lost count plus the CUPTI ring's unpublished slots, an upper bound
    // (the terminal's "<="), as the terminal's "lost" cell (bench/interference_summary.h lost_cell).
    if (const json& u = member(r, "unpublished_slots"); u.is_number_integer() && u.get<int64_t>() > 0 &&
                                                        member(r, "lost_events").is_number_integer())
      r["lost_events"] = "≤ " + std::to_string(saturating_add_drops(r["lost_events"].get<int64_t>(), u.get<int64_t>()));
    r.erase("unpublished_slots"), r.erase("runs_with_unpublished_slots");
    r.erase("rate_lower_bound"), r.erase("slowdown_bound"), r.erase("rates_over_loss");
    r.erase("per_1k_upper_bound"), r.erase("per_1k_upper_bound_reason"), r.erase("sched_increase_bound");
    r.erase("launch_window_sched_increase_bound"), r.erase("launch_window_ends_uncertain");
    // No scenario with a throughput: no column of "-", as the terminal leaves it out (review HR L7).
    if (no_throughput) r.erase("throughput");
    // A null with a known reason reads "n/a (reason)", as `sched` prints it; "-" otherwise.
    for (auto [reason_key, keys] :
         {std::pair<const char*, std::vector<const char*>>{"rates_undefined_reason",
                                                           {"sched_per_1k", "launch_window_sched_per_1k", "irq_per_1k_hard", "irq_per_1k_soft"}},
          {"penalty_undefined_reason", {"penalty_ns"}},
          {"offcpu_undefined_reason", {"offcpu_share"}}}) {
      if (const json& why = member(r, reason_key); why.is_string())
        for (const char* k : keys)
          if (member(r, k).is_null() && r.contains(k)) r[k] = "n/a (" + why.get<std::string>() + ")";
      r.erase(reason_key);
    }
  }
  // The terminal's sentences under its table (compare --json "notes" since 2026-12-03): what a null
  // or a hard IRQ rate of another kind means, which the cells alone cannot say.
  std::string notes;
  for (auto& n : member(doc, "notes"))
    if (n.is_string()) notes += "<p class=\"note\">" + escape(page_marks(n.get<std::string>())) + "</p>";
  // A bench interference document has no notes: what its "≤" and "~" marks mean is said here, when
  // a row carries either (review FH L6, FK b: a neither-bound run's "~" beside an exact baseline).
  if (!doc.contains("notes") && std::any_of(sc.begin(), sc.end(), [](const json& r) {
        return member(r, "per_1k_upper_bound") == true || member(r, "sched_increase_bound").is_string();
      }))
    notes += "<p class=\"note\">Sched/1K, IRQ/1K ≤: medians over runs some of which counted fewer launches than ran "
             "(records lost that may be launch calls, or launch callbacks CUPTI refused), and none lost switches or IRQs: "
             "upper bounds. A Sched/1K increase (x base) is marked ≤ (its medians are the bounds), ≥ (the "
             "baseline's are) or ~ (it may be off either way: both are bounds, or one side's medians are upper bounds "
             "while the other side has a neither-bound run, one that lost switches or IRQs as well as launches).</p>";
  if (!doc.contains("notes") && std::any_of(sc.begin(), sc.end(), [](const json& r) {
        const json& u = member(r, "unpublished_slots");
        return u.is_number_integer() && u.get<int64_t>() > 0;
      }))
    notes += "<p class=\"note\">Events the recorder lost ≤: an upper bound where a process was killed while writing its "
             "CUPTI records: the count adds the CUPTI ring's slots it never published, up to that many records (a record "
             "takes one or more slots), to the exact losses (the JSON document keeps the two apart).</p>";
  // bench interference's counts of the runs behind its marks, labelled (review FH L6: the raw key showed).
  std::vector<JsonColumn> cols = comparison_scenario_columns();
  // The rate column under the terminal's name for it: "launches/s", or the throughput it copies
  // (review HR L7: "rate (basis/s)").
  for (JsonColumn& c : cols)
    if (std::string_view(c.key) == "rate") {
      const std::string b = str_or(doc, "basis", "");
      if (b == "launch_rate") c.label = "launches/s";
      else if (b == "throughput") c.label = "rate: the throughput (work/s)";
    }
  // Its per-scenario figures beside the throughput, as its terminal table has them (review HR L8:
  // shown under their keys, "wall_s 0.31", "spread_pct 33.15").
  const auto after_throughput = std::find_if(cols.begin(), cols.end(), [](const JsonColumn& c) {
    return std::string_view(c.key) == "throughput";
  });
  // The terminal's three decimals for the median, min and max (review S41 L5: at one decimal a
  // 0.7% spread read "3.3", "3.3", "3.3").
  const bool interference = member(doc, "experiment") == "interference";
  // The terminal's header for it: "metric (median)" with --metric-regex, else "runs/s (median)"
  // (review TI L5: always "throughput (work/s)" here).
  const bool by_metric = str_or(doc, "basis", "") == "metric";
  if (after_throughput != cols.end() && interference) {
    after_throughput->format = CellFormat::Fixed3;
    after_throughput->label = by_metric ? "metric (median)" : "runs/s (median)";
  }
  cols.insert(after_throughput == cols.end() ? cols.end() : after_throughput + 1,
              {{"throughput_min", !interference ? "throughput min (work/s)" : by_metric ? "metric min" : "runs/s min",
                CellFormat::Fixed3},
               {"throughput_max", !interference ? "throughput max (work/s)" : by_metric ? "metric max" : "runs/s max",
                CellFormat::Fixed3},
               {"spread_pct", "spread (max - min, % of the median)", CellFormat::Percent},
               {"runs_ok", "runs that finished", CellFormat::Count},
               {"wall_s", "wall time per run (median)", CellFormat::Seconds}});
  cols.push_back({"description", "what the scenario adds", CellFormat::Text});
  cols.push_back({"skipped", "skipped", CellFormat::YesNo});
  cols.push_back({"skip_reason", "why skipped", CellFormat::Text});
  cols.push_back({"analysed_recordings", "recordings analysed", CellFormat::Count});
  cols.push_back({"runs_per_1k_upper_bound", "analysed runs whose rates per 1000 launches are upper bounds", CellFormat::Count});
  cols.push_back({"runs_per_1k_neither_bound", "analysed runs whose rates per 1000 launches are neither bound (recorder loss)",
                  CellFormat::Count});
  cols.push_back({"runs_with_lost_events", "analysed runs whose recorder lost events", CellFormat::Count});
  // pinned: whether the command ran with nice -10 (review BX H1), labelled rather than its raw key.
  cols.push_back({"nice_applied", "nice -10 applied (pinned)", CellFormat::YesNo});
  // An interrupted bench interference (Ctrl-C, SIGTERM, SIGHUP) writes what it measured with
  // "complete": false (review BI L7: it was charted as a finished matrix).
  const std::string partial =
      member(doc, "complete") == false
          ? "<p class=\"note\">Partial matrix: the experiment was interrupted before every run was made; "
            "its scenarios have fewer runs than asked (repetitions), some none.</p>"
          : "";
  // (the figures that are no number are looked for in the document's rows, before the cells above
  // were made text: review S42 M1)
  // Penalties below 0 of the rows shown, said as `sched`'s section says them (review HR L6).
  std::vector<std::pair<std::string, double>> penalties;
  for (size_t i = 0; i < sc.size() && i < kCompareRows; ++i)
    if (const json& p = member(sc[i], "penalty_ns"); p.is_number())
      penalties.emplace_back(str_or(sc[i], "name", "scenario " + std::to_string(i + 1)), p.get<double>());
  return partial + bar_chart(cats, {slow}, o) + basis + labelled_table(rows, cols, "Scenarios", kCompareRows, false) +
         non_number_note(sc, cols) + negative_penalty_note(penalties) + notes;
}

// ---- a saved `analyze --json`: src/report/html_analyze.cpp ------------------------------------

std::string generic_section(const json& doc) {
  std::string body = "<p class=\"note\">A document of a kind this report does not chart; its values:</p>";
  body += scalars_table(doc, "");
  if (doc.is_object())
    for (auto& [k, v] : doc.items())
      if (v.is_array()) body += objects_table(v, k, 20);
  return body;
}

}  // namespace

namespace {

// Each scenario's verdict against the baseline, as the terminal's verdict column has it (review HR
// L8: the page had no finding for a comparison), at most kCompareRows; a partial interference matrix.
void compare_findings(const JsonInput& in, std::vector<std::string>& out) {
  if (member(in.doc, "complete") == false)
    out.push_back(fmt::format("Interference matrix ({}) is partial: the experiment was interrupted before every run was made.",
                              in.label));
  // At most 10 lines; the table has the rest.
  constexpr size_t kMostFindings = 10;
  const json& sc = first_array(in.doc, {"scenarios", "rows"});
  size_t rows = 0, listed = 0, more = 0;
  for (const json& r : sc) {
    if (!r.is_object() || rows++ == 0) continue;  // the first is the baseline
    const std::string verdict = str_or(r, "verdict", "");
    if (verdict.empty()) continue;
    if (listed++ >= kMostFindings) {
      ++more;
      continue;
    }
    out.push_back(fmt::format("Scenario comparison ({}): {}: {}{}", in.label, str_or(r, "name", "?"), page_marks(verdict),
                              verdict.back() == '.' ? "" : "."));
  }
  if (more > 0)
    out.push_back(fmt::format("Scenario comparison ({}): {} more {} in its table{}.", in.label,
                              format_count(static_cast<int64_t>(more)), more == 1 ? "scenario's verdict is" : "scenarios' verdicts are",
                              rows > kCompareRows ? " and in compare --json" : ""));
}

}  // namespace

std::string incomplete_finding(const std::string& source, std::string words) {
  if (!words.empty()) words[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(words[0])));
  return source + ": " + words;  // "run.itrace: incomplete recording (no end record: ...)"
}

void sched_findings(const JsonInput& in, std::vector<std::string>& out) {
  // First, as the page says it under the verdict (review HR M2).
  if (const std::string w = sched_incomplete_words(in.doc); !w.empty())
    out.push_back(incomplete_finding(str_or(in.doc, "source", in.label), w));
  if (auto v = str_or(in.doc, "verdict", ""); !v.empty()) {
    out.push_back(fmt::format("Scheduler/IRQ ({}): {}", in.label, v));
    return;
  }
  auto s = num(in.doc, "sched_per_1k");
  if (s) out.push_back(fmt::format("Scheduler/IRQ ({}): {} context switches per 1000 launches.", in.label, format_fixed(*s, 1)));
}

std::string classify_document(const json& doc) {
  if (!doc.is_object()) return "";
  if (doc.contains("kind") && doc["kind"].is_string()) {
    const std::string k = doc["kind"].get<std::string>();
    for (const char* known : kDocumentKinds)
      if (k == known) return k;
  }
  const json& pts = first_array(doc, {"points", "results"});
  if (!pts.empty() && pts[0].is_object()) {
    if (pts[0].contains("batch")) return "sweep";
    if (pts[0].contains("threads")) return "threads";
  }
  if (member(doc, "lengths").is_array()) return "fusion";
  if (doc.contains("sched_per_1k") || doc.contains("pairs")) return "sched";
  if (member(doc, "scenarios").is_array()) return "compare";
  if (doc.contains("tklqt_ns")) return "analyze";
  return "";
}

static_assert(kNewestSchemaVersion >= kAnalyzeSchemaVersion, "schema_version.h: the newest version is analyze's or later");

namespace {

// What a document of each kind must hold for its section to show anything, in classify_document's
// terms: the keys that tell the kind when there is no `kind`.
struct KindKeys {
  const char* kind;
  const char* what;  // the keys, in words
  bool (*has)(const json& doc);
};

bool has_array(const json& doc, const char* key) { return member(doc, key).is_array(); }

constexpr KindKeys kKindKeys[] = {
    {"sweep", "a \"points\" list", [](const json& d) { return has_array(d, "points") || has_array(d, "results"); }},
    {"threads", "a \"points\" or \"results\" list", [](const json& d) { return has_array(d, "points") || has_array(d, "results"); }},
    {"fusion", "a \"lengths\" list", [](const json& d) { return has_array(d, "lengths"); }},
    {"sched", "\"sched_per_1k\" or \"pairs\"", [](const json& d) { return d.contains("sched_per_1k") || d.contains("pairs"); }},
    {"compare", "a \"scenarios\" list", [](const json& d) { return has_array(d, "scenarios") || has_array(d, "rows"); }},
    {"analyze", "\"tklqt_ns\" or a \"traces\" list", [](const json& d) { return d.contains("tklqt_ns") || has_array(d, "traces"); }},
};

}  // namespace

std::string document_problem(const json& doc) {
  if (std::string p = schema_version_problem(doc); !p.empty()) return p;
  // A `kind` names the section; one whose keys are absent would render an empty section, exit 0
  // (review HR M3: a compare document marked "sched").
  if (!doc.is_object() || !doc.contains("kind") || !doc["kind"].is_string()) return "";
  const std::string kind = doc["kind"].get<std::string>();
  for (const KindKeys& k : kKindKeys)
    if (kind == k.kind && !k.has(doc))
      return "says \"kind\": \"" + kind + "\" but has none of what such a document holds (" + k.what +
             "): not the --json output of " + (kind == "threads" ? std::string("bench threads") : kind) +
             ", or edited (its `kind` or its content)";
  return "";
}

std::string document_section(const JsonInput& in, const std::string& kind, size_t index) {
  std::string body = fmt::format("<p class=\"src\">{}</p>", escape(in.label));
  // A document of a later writer is shown as far as this one reads it, and said so (review HR L3:
  // it was shown without a word); `compare` says the same on stderr.
  if (const std::string later = later_schema_note(in.doc); !later.empty()) {
    std::string note = later;
    note[0] = 'W';
    body += "<p class=\"note\">" + escape(note) + ".</p>";
  }
  std::string title;
  if (kind == "sweep") title = "Batch sweep", body += sweep_section(in.doc);
  else if (kind == "fusion") title = "Kernel fusion by proximity score", body += fusion_section(in.doc);
  else if (kind == "threads")
    title = is_membw(first_array(in.doc, {"points", "results"})) ? "Memory bandwidth against threads" : "Throughput against threads",
    body += threads_section(in.doc);
  else if (kind == "sched") title = "Scheduler, IRQs and syscalls", body += sched_section(in.doc);
  // "(interference)" only for bench interference's matrix, not a plain compare (review HR L7).
  else if (kind == "compare")
    title = member(in.doc, "experiment") == "interference" ? "Scenario comparison (interference)" : "Scenario comparison",
    body += compare_section(in.doc);
  // `analyze --json` of a recording keeps its scheduler analysis under "sched" (of each trace).
  else if (kind == "analyze") title = "Saved analysis", body += analyze_section(in.doc);
  else title = "Other results", body += generic_section(in.doc);
  return section(fmt::format("doc-{}", index), title + ": " + in.label, body);
}

void document_findings(const JsonInput& in, const std::string& kind, std::vector<std::string>& out) {
  if (kind == "sweep") sweep_findings(in, out);
  else if (kind == "fusion") fusion_findings(in, out);
  else if (kind == "sched") sched_findings(in, out);
  else if (kind == "analyze") analyze_findings(in, out);
  else if (kind == "compare") compare_findings(in, out);
  else if (kind == "threads") {
    if (auto b = num(in.doc, "best_threads"))
      out.push_back(fmt::format("Thread sweep ({}): best at {} thread{}{}.", in.label, *b, *b == 1 ? "" : "s", overlap_text(in.doc)));
  }
}

}  // namespace infertrace::html
