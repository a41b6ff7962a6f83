// The HTML report's tables of saved sweep, compare and fusion documents (each written here by the
// verb's own JSON writer): readable headers from the writer's label list, no JSON key on the page,
// and every figure in the terminal's units, shares as percentages. Expected cells are worked out
// below from the inputs, not read back from the writers.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "analysis/compare.h"
#include "analysis/fusion_loop.h"
#include "analysis/sweep.h"
#include "html_text.h"
#include "report/compare_render.h"
#include "report/fusion_loop_report.h"
#include "report/fusion_report.h"
#include "report/html_parts.h"
#include "report/html_report.h"
#include "report/sweep_report.h"
#include "util/units.h"

using namespace infertrace;
using html_text::has;
using html_text::row;
using nlohmann::json;

namespace {

std::string doc_section(const json& doc) {
  html::ReportInputs in;
  in.docs.push_back({"doc.json", doc});
  const std::string text = html_text::section_text(html::render_report(in), "doc-0");
  EXPECT_FALSE(text.empty());
  return text;
}

// A share as the terminal prints it (one decimal, percent), from a part and its whole.
std::string pct(double part, double whole) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * part / whole);
  return buf;
}

std::string fixed(const char* format, double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// No key of the document (a machine name with an underscore) is on the page.
void expect_no_keys(const json& doc, const std::string& text) {
  std::vector<std::string> keys;
  html_text::snake_keys(doc, keys);
  ASSERT_FALSE(keys.empty());
  for (auto& k : keys) EXPECT_FALSE(has(text, k)) << k << "\n" << text;
}

// IL 1000 ns; the launch part beats the queue part unless `gpu`.
LaunchAnalysis launch_figures(bool gpu, ns_t gpu_idle, ns_t cpu_idle) {
  LaunchAnalysis a;
  a.kernels = 1234, a.akd_ns = 50;
  a.tklqt_launch = gpu ? 100 : 300, a.tklqt_queue = gpu ? 300 : 100;
  a.tklqt = 400;
  a.inference_latency = 1000, a.gpu_idle = gpu_idle, a.cpu_idle = cpu_idle;
  a.bound = gpu ? "gpu" : "cpu";
  return a;
}

}  // namespace

TEST(HtmlDocTables, SweepTableHasLabelsAndIdleSharesAsPercentages) {
  const SweepResult r = analyze_sweep({sweep_point(1, "b1.json", launch_figures(false, 900, 125)),
                                       sweep_point(2, "b2.json", launch_figures(true, 123, 456))});
  const json doc = sweep_json(r);
  const std::string t = doc_section(doc);
  EXPECT_TRUE(has(t, row({"batch", "kernels", "AKD (mean kernel duration)", "TKLQT", "launch part", "queue part", "IL (inference latency)", "GPU idle",
                          "GPU idle (% of IL)", "CPU idle", "CPU idle (% of IL)", "bound"})))
      << t;
  // Batch 1: GPU idle 900 of 1000 ns, CPU idle 125; batch 2: 123 and 456.
  EXPECT_TRUE(has(t, row({"1", "1,234", "50 ns", "400 ns", "300 ns", "100 ns", "1.00 us", "900 ns", pct(900, 1000), "125 ns",
                          pct(125, 1000), "cpu"})))
      << t;
  EXPECT_TRUE(has(t, row({"2", "1,234", "50 ns", "400 ns", "100 ns", "300 ns", "1.00 us", "123 ns", pct(123, 1000), "456 ns",
                          pct(456, 1000), "gpu"})))
      << t;
  EXPECT_FALSE(has(t, " 0.9 ")) << t;  // the fraction itself
  expect_no_keys(doc, t);
}

// A point without inference latency has no idle share ("-", as the terminal), not "0.0%".
TEST(HtmlDocTables, SweepShowsNoShareOfAnEmptyInferenceLatency) {
  const SweepResult r = analyze_sweep({sweep_point(1, "real.json", launch_figures(false, 900, 125)),
                                       sweep_point(2, "empty.json", LaunchAnalysis{})});
  const std::string t = doc_section(sweep_json(r));
  const size_t b = t.find(" 2 0 ");
  ASSERT_NE(b, std::string::npos) << t;
  const std::string empty_row = t.substr(b, t.find("empty.json", b) - b);
  EXPECT_FALSE(has(empty_row, "%")) << empty_row;
}

// Batch sizes are labels, not counts: "1024" as the terminal prints it, never "1,024", in the
// table, the verdict line and the findings; a count beside them keeps its separators.
TEST(HtmlDocTables, BatchSizesHaveNoThousandsSeparators) {
  const SweepResult r = analyze_sweep({sweep_point(1024, "b1024.json", launch_figures(true, 123, 456)),
                                       sweep_point(2048, "b2048.json", launch_figures(true, 123, 456))});
  html::ReportInputs in;
  in.docs.push_back({"doc.json", sweep_json(r)});
  const std::string page = html::render_report(in);
  const std::string t = html_text::section_text(page, "doc-0");
  EXPECT_TRUE(has(t, row({"1024", "1,234", "50 ns", "400 ns"}))) << t;
  EXPECT_TRUE(has(t, row({"2048", "1,234", "50 ns", "400 ns"}))) << t;
  // Both points GPU-bound: the transition is at the smallest batch.
  EXPECT_TRUE(has(t, "Transition to GPU-bound at batch 1024.")) << t;
  EXPECT_FALSE(has(page, "1,024") || has(page, "2,048")) << t;
  const std::vector<std::string> found = html::findings(in);
  ASSERT_FALSE(found.empty());
  EXPECT_TRUE(has(found[0], "from batch 1024 on")) << found[0];
  // A document of an unknown kind: keys naming a batch, thread count or id are labels there too,
  // other integers counts.
  const json other = {{"best_batch", 4096}, {"requests", 4096}, {"tid", 12345}};
  const std::string o = doc_section(other);
  EXPECT_TRUE(has(o, row({"best_batch", "4096"}))) << o;
  EXPECT_TRUE(has(o, row({"requests", "4,096"}))) << o;
  EXPECT_TRUE(has(o, row({"tid", "12345"}))) << o;
}

// The report's sweep findings carry the sweep sentence's qualifier (review UX H1): a GPU-bound batch
// past the transition whose GPU idles half the latency or more is named, and "will not shorten these
// runs much" is not said of a sweep that has one.
TEST(HtmlDocTables, SweepFindingsQualifyBurstyGpuBoundBatches) {
  html::ReportInputs in;
  in.docs.push_back({"doc.json", sweep_json(analyze_sweep({sweep_point(1, "b1.json", launch_figures(true, 500, 100)),
                                                          sweep_point(2, "b2.json", launch_figures(true, 499, 100))}))});
  const std::vector<std::string> found = html::findings(in);
  std::string all;
  for (auto& f : found) all += f + "\n";
  EXPECT_TRUE(has(all, "GPU-bound at every batch size, from batch 1 on.")) << all;
  EXPECT_FALSE(has(all, "will not shorten")) << all;
  EXPECT_TRUE(has(all, "the GPU is nevertheless idle at least half the inference latency at batch 1: kernels queue in bursts"))
      << all;
  // Several devices: the finding names what it judges by, the most idle device, which the idle chart
  // (the union) does not show (review HR L10).
  json two = in.docs[0].doc;
  for (json& p : two["points"]) p["devices"] = 2;
  html::ReportInputs multi;
  multi.docs.push_back({"doc.json", two});
  std::string m;
  for (auto& f : html::findings(multi)) m += f + "\n";
  EXPECT_TRUE(has(m, "the most idle GPU device (the table's \"most idle GPU device\"; the idle chart shows the union of all "
                     "devices) is nevertheless idle at least half"))
      << m;
  html::ReportInputs steady;
  steady.docs.push_back({"doc.json", sweep_json(analyze_sweep({sweep_point(1, "b1.json", launch_figures(true, 499, 100))}))});
  std::string s;
  for (auto& f : html::findings(steady)) s += f + "\n";
  EXPECT_TRUE(has(s, "will not shorten these runs much")) << s;
  EXPECT_FALSE(has(s, "bursts")) << s;
}

// Only whole numbers under those keys are names: a fraction (an average batch, a mean length) keeps
// its decimals, shown as the same value under a key that names nothing; rounded, 1.5 would read as
// a batch of 2. A whole number written as a float is still a name.
TEST(HtmlDocTables, FractionsUnderLabelKeysKeepTheirDecimals) {
  const json doc = {{"avg_batch", 1.5},          {"mean_prompt_length", 3.75}, {"worker_threads", 0.5},
                    {"max_length", 8192.0},      {"requests", 4096},           {"mean_rate", 1.5}};
  const std::string o = doc_section(doc);
  // Two decimals, the page's rule for a plain fraction.
  EXPECT_TRUE(has(o, row({"avg_batch", fixed("%.2f", 1.5)}))) << o;
  EXPECT_TRUE(has(o, row({"mean_prompt_length", fixed("%.2f", 3.75)}))) << o;
  EXPECT_TRUE(has(o, row({"worker_threads", fixed("%.2f", 0.5)}))) << o;
  EXPECT_TRUE(has(o, row({"mean_rate", fixed("%.2f", 1.5)}))) << o;  // the same figure, no label key
  EXPECT_TRUE(has(o, row({"max_length", fixed("%.0f", 8192.0)}))) << o;  // a name: no separator
  EXPECT_TRUE(has(o, row({"requests", "4,096"}))) << o;                 // a count
  // The same through the function the typed tables use (CellFormat::Label).
  EXPECT_EQ(html::label_or(json(2.25)), fixed("%.2f", 2.25));
  EXPECT_EQ(html::label_or(json(1024.0)), "1024");
  EXPECT_EQ(html::label_or(json(-3)), "-3");
}

// Input events a point's reader could not use (`skipped`) are listed under the table, one row per
// batch and reason with the reason in words (the terminal lists them under its own by the key).
TEST(HtmlDocTables, SweepListsSkippedInputEvents) {
  SweepPoint a = sweep_point(1, "b1.json", launch_figures(false, 900, 125));
  SweepPoint b = sweep_point(2, "b2.json", launch_figures(true, 123, 456));
  a.skipped = {{"skipped_missing_ts", 3}, {"skipped_bad_type", 1200}};
  const json doc = sweep_json(analyze_sweep({a, b}));
  const std::string t = doc_section(doc);
  EXPECT_TRUE(has(t, "Input events the readers could not use")) << t;
  EXPECT_TRUE(has(t, row({"1", "b1.json", "missing ts", "3"}))) << t;
  EXPECT_TRUE(has(t, row({"1", "b1.json", "bad type", "1,200"}))) << t;
  EXPECT_FALSE(has(t, row({"2", "b2.json", "missing ts"}))) << t;  // b2 skipped nothing
  expect_no_keys(doc, t);
  // Without skipped events there is no such table.
  const std::string none = doc_section(sweep_json(analyze_sweep({b})));
  EXPECT_FALSE(has(none, "could not use")) << none;
}

TEST(HtmlDocTables, CompareTableHasLabelsRatiosAndShares) {
  // Baseline 1000 launches in 1 s; "cpu" 1000 in 1.25 s: 800/s, 20% slower; Sched/1K 10 -> 35 (3.5x).
  ScenarioMetrics base, cpu;
  base.name = "baseline", base.launches = 1000, base.wall = 1'000'000'000, base.sched_per_1k = 10.0;
  cpu.name = "cpu", cpu.launches = 1000, cpu.wall = 1'250'000'000, cpu.sched_per_1k = 35.0;
  cpu.penalty = 51'000, cpu.offcpu_share = 0.25, cpu.signature = "cpu_contention";
  const json doc = comparison_json(compare_scenarios({base, cpu}));
  const std::string t = doc_section(doc);
  EXPECT_TRUE(has(t, "Slowdown against baseline from launches per second of wall time")) << t;
  // The terminal's "launches/s"; no throughput column, as no scenario has one (review HR L7).
  EXPECT_TRUE(has(t, row({"scenario", "launches/s", "slowdown", "launches", "wall time",
                          "Sched/1K (switches per 1000 launches)", "Sched/1K x base"})))
      << t;
  EXPECT_TRUE(has(t, row({"cpu", fixed("%.1f", 1000 / 1.25), fixed("%.1f%%", (1 - 800.0 / 1000) * 100), "1,000",
                          "1.250 s", "35.0", fixed("%.2fx", 35.0 / 10.0)})))
      << t;
  EXPECT_TRUE(has(t, row({"51.00 us", pct(1, 4), "CPU contention"}))) << t;
  expect_no_keys(doc, t);

  // The system-vector lists read as names ("none" for an empty one), not "[2 items]".
  base.irq_system_vectors = cpu.irq_system_vectors = true;
  base.irq_vectors_traced = cpu.irq_vectors_traced = std::vector<std::string>{"LOC", "RES"};
  base.irq_vectors_missing = cpu.irq_vectors_missing = std::vector<std::string>{};
  const std::string v = doc_section(comparison_json(compare_scenarios({base, cpu})));
  EXPECT_TRUE(has(v, row({"yes", "LOC, RES", "none", "no"}))) << v;
  EXPECT_FALSE(has(v, "items]")) << v;
}

// compare's own cells made text ("not recorded" for a trace without switches, "n/a (reason)" for a
// null with its reason) are no figure that is "not a number" (review S42 M1: 16 such notes on an
// untouched compare --json); a figure the document itself has as text still is.
TEST(HtmlDocTables, CompareCellsMadeTextAreNoNonNumbers) {
  ScenarioMetrics base, kineto;
  base.name = "baseline", base.launches = 1000, base.wall = 1'000'000'000, base.sched_per_1k = 10.0;
  base.penalty_undefined_reason = penalty_undefined_reason(0, 0, 1000);
  kineto.name = "kineto", kineto.launches = 1000, kineto.wall = 1'250'000'000;
  kineto.switches_recorded = kineto.irqs_recorded = false;
  json doc = comparison_json(compare_scenarios({base, kineto}));
  const std::string t = doc_section(doc);
  EXPECT_TRUE(has(t, "not recorded")) << t;
  EXPECT_TRUE(has(t, "n/a (")) << t;
  EXPECT_FALSE(has(t, "not a number")) << t;
  doc["scenarios"][1]["wall_ns"] = "abc";
  const std::string e = doc_section(doc);
  EXPECT_TRUE(has(e, "1 figure of a column of numbers is not a number (")) << e;
}

// 1000 kernels over 10 decode steps; length 2 fuses 400 chains (600 kernels left) saving 20 us of
// launch time, length 4 fuses 200 (400 left) saving 30 us; IL 100 us with the GPU busy 60 us.
TEST(HtmlDocTables, FusionTablesHaveLabelsSpeedupsAndSignedErrors) {
  FusionResult f;
  f.threshold = 1.0, f.kernels = 1000, f.launch_part_total = 50'000;
  for (auto [L, fused, saved] : {std::tuple<int, int64_t, ns_t>{2, 400, 20'000}, {4, 200, 30'000}}) {
    ChainLengthResult l;
    l.length = L, l.fused_chains = fused, l.kernels_eager = 1000, l.kernels_fused = 1000 - fused * (L - 1);
    l.ideal_speedup = 1000.0 / static_cast<double>(l.kernels_fused), l.launch_time_saved = saved;
    f.lengths.push_back(l);
  }
  LaunchAnalysis a;
  a.bound = "cpu", a.inference_latency = 100'000, a.gpu_busy = 60'000, a.tklqt_launch = 40'000, a.tklqt_queue = 10'000;
  Trace trace;
  trace.file = "eager.json";
  json doc = fusion_json({&trace, &f, &a});
  auto run = [](const std::string& mode, double tg, int64_t launches) {
    MeasuredRun r;
    r.mode = mode, r.source = mode + ".json", r.decode_steps = 10, r.tg_tokens_per_s = tg;
    r.launches_per_step = r.kernels_per_step = launches;
    return r;
  };
  doc["closed_loop"] = fusion_loop_json(analyze_fusion_loop(f, a, run("eager", 90, 100), run("eager", 100, 100), {run("fused", 150, 20)}));
  const std::string t = doc_section(doc);
  EXPECT_TRUE(has(t, row({"chain length L", "unique chains", "chain instances", "deterministic chains", "fused chains",
                          "kernels eager (K_eager)", "kernels fused (K_fused)", "ideal speedup (K_eager / K_fused)",
                          "launch time saved", "IL after fusion (predicted)"})))
      << t;
  // Length 2: 1000/600 ideal speedup; IL 100 - 20 = 80 us after fusion.
  EXPECT_TRUE(has(t, row({"2", "0", "0", "0", "400", "1,000", "600", fixed("%.3fx", 1000.0 / 600), "20.00 us", "80.00 us"}))) << t;
  // Closed loop, length 4 (10 steps): 40 kernels per step, 60 removed per step, predicted IL 70 us.
  EXPECT_TRUE(has(t, row({"4", "40.0", "60.0", "30.00 us", fixed("%.2fx", 1000.0 / 400), "70.00 us",
                          fixed("%.2fx", 100.0 / 70), fixed("%.1f", 100 * 100.0 / 70)})))
      << t;
  // The fused mode: 150 against 100 tokens/s is 1.50x; the best prediction (100/70) is high by
  // (100/70)/1.5 - 1; 80 launches removed per step x 10 steps x 50 ns = 40 us off IL: floored at 60 us.
  EXPECT_TRUE(has(t, row({"fused", "1", "10", "20", "20", "150.0", "1.50x", fixed("%+.1f%%", 100 * ((100.0 / 70) / 1.5 - 1)),
                          "80.0", "40.00 us", "60.00 us", fixed("%.2fx", 100.0 / 60), fixed("%+.1f%%", 100 * ((100.0 / 60) / 1.5 - 1))})))
      << t;
  EXPECT_TRUE(has(t, row({"launch part (mean per launch)", "50 ns"}))) << t;
  expect_no_keys(doc, t);
}

// A key the label list does not have (a later writer, a document from elsewhere) is still shown,
// under its own name and in the units its name says; a labelled key no row has gets no column.
TEST(HtmlDocTables, UnlabelledKeysAreShownAndAbsentColumnsLeftOut) {
  const json doc = {{"kind", "sweep"},
                    {"points", json::array({{{"batch", 1}, {"tklqt_ns", 2'500}, {"new_figure_ns", 1'500}}})}};
  const std::string t = doc_section(doc);
  EXPECT_TRUE(has(t, row({"batch", "TKLQT", "new_figure_ns"}))) << t;
  EXPECT_TRUE(has(t, row({"1", "2.50 us", "1.50 us"}))) << t;
  EXPECT_FALSE(has(t, "GPU idle (% of IL)")) << t;
}

// The sweep section's two charts as the page draws them.
static std::string sweep_charts(const json& doc) {
  html::ReportInputs in;
  in.docs.push_back({"doc.json", doc});
  const std::string page = html::render_report(in);
  const size_t b = page.find("<div class=\"cols\">"), e = page.find("</div>", b);
  return b == std::string::npos ? std::string() : page.substr(b, e - b);
}

// A saved sweep's points are charted by batch size whatever their order in the document (review HR
// L7: a reordered document's line went back and forth), and a point the log2 batch axis cannot
// place (batch 0) is in the table only, with a note saying so.
TEST(HtmlDocTables, SweepChartsFollowTheBatchOrder) {
  const json sorted = sweep_json(analyze_sweep({sweep_point(1, "b1.json", launch_figures(false, 900, 125)),
                                                sweep_point(2, "b2.json", launch_figures(false, 700, 300)),
                                                sweep_point(8, "b8.json", launch_figures(true, 123, 456))}));
  json shuffled = sorted;
  std::swap(shuffled["points"][0], shuffled["points"][2]);  // 8, 2, 1
  ASSERT_EQ(shuffled["points"][0]["batch"], 8);
  EXPECT_FALSE(sweep_charts(sorted).empty());
  EXPECT_EQ(sweep_charts(shuffled), sweep_charts(sorted));
  json with_zero = sorted;
  with_zero["points"].push_back(sorted["points"][0]);
  with_zero["points"].back()["batch"] = 0;
  const std::string t = doc_section(with_zero);
  EXPECT_TRUE(has(t, "1 point has no batch size of 1 or more (a batch counts sequences; the log2 batch axis starts at 1): "
                     "in the table only, not charted.")) << t;
  EXPECT_FALSE(has(doc_section(sorted), "not charted"));
}

// A batch written as text ("8") is charted as that number, and said so; one that is no number
// ("abc") and one below 1 (1e-300: a log2 axis put it ~1000 doublings left of the others and
// squeezed them to the right edge) are left to the table with a note each (review S41 L7: "8" was
// counted as "no batch size above 0", 1e-300 charted).
TEST(HtmlDocTables, SweepBatchAsTextOrBelowOne) {
  const json sorted = sweep_json(analyze_sweep({sweep_point(1, "b1.json", launch_figures(false, 900, 125)),
                                                sweep_point(2, "b2.json", launch_figures(false, 700, 300)),
                                                sweep_point(8, "b8.json", launch_figures(true, 123, 456))}));
  json edited = sorted;
  edited["points"][2]["batch"] = "8";
  json tiny = sorted["points"][0], word = sorted["points"][1];
  tiny["batch"] = 1e-300;
  word["batch"] = "abc";
  edited["points"].push_back(tiny);
  edited["points"].push_back(word);
  // Charted exactly as the document with 8 as a number and without the two others.
  EXPECT_FALSE(sweep_charts(sorted).empty());
  EXPECT_EQ(sweep_charts(edited), sweep_charts(sorted));
  const std::string t = doc_section(edited);
  EXPECT_TRUE(has(t, "1 point gives the batch as text, not as a JSON number (\"8\"): charted as the number it reads.")) << t;
  EXPECT_TRUE(has(t, "1 point has a batch that is not a number (\"abc\"): in the table only, not charted.")) << t;
  EXPECT_TRUE(has(t, "1 point has no batch size of 1 or more")) << t;
  json one_text = sorted;
  one_text["points"][0]["batch"] = " 1 ";
  EXPECT_EQ(sweep_charts(one_text), sweep_charts(sorted));
  one_text["points"][0]["batch"] = "0x1";  // (hex is no batch written as a number)
  EXPECT_TRUE(has(doc_section(one_text), "1 point has a batch that is not a number (\"0x1\")")) << doc_section(one_text);
  // A text batch that reads as a number is that number in the table too: no "not a number" note
  // (review S42 L3). One below 1 is said once, with the batches below 1, not also as "charted"
  // (L2); "1e-400" underflows to a tiny number, below 1, not "not a number" (L4).
  EXPECT_TRUE(has(t, "1 figure of a column of numbers is not a number (batch \"abc\")")) << t;
  for (const char* small : {"0", "-1", "1e-300", "1e-400"}) {
    json s = sorted;
    s["points"][0]["batch"] = small;
    const std::string d = doc_section(s);
    EXPECT_TRUE(has(d, "1 point has no batch size of 1 or more")) << small << d;
    EXPECT_FALSE(has(d, "charted as the number it reads")) << small << d;
    EXPECT_FALSE(has(d, "not a number")) << small << d;
  }
}

// A figure of a column of numbers that is no number (hand-edited: "abc" for a time) is shown as
// written with a note under its table naming it (review HR L3: shown as "abc" without a word);
// a document of numbers has no such note.
TEST(HtmlDocTables, NonNumericFigureIsSaid) {
  json doc = sweep_json(analyze_sweep({sweep_point(1, "b1.json", launch_figures(false, 900, 125))}));
  EXPECT_FALSE(has(doc_section(doc), "not a number")) << doc_section(doc);
  doc["points"][0]["tklqt_ns"] = "abc";
  const std::string t = doc_section(doc);
  EXPECT_TRUE(has(t, "1 figure of a column of numbers is not a number (TKLQT \"abc\"): shown as written.")) << t;
  // In a saved analysis's figure table too (labelled_scalars).
  const std::string s = html::labelled_scalars({{"tklqt_ns", "12 ms"}, {"kernels", 3}},
                                               {{"tklqt_ns", "TKLQT", CellFormat::Ns}, {"kernels", "kernels", CellFormat::Count}},
                                               "figures");
  EXPECT_TRUE(has(s, "1 figure of a column of numbers is not a number (TKLQT &quot;12 ms&quot;): shown as written.")) << s;
}

// A document from a later writer (a schema_version above this build's) is shown with a note saying
// so (review HR L3: shown without a word); one of this build's version has none.
TEST(HtmlDocTables, LaterSchemaVersionIsSaid) {
  json doc = sweep_json(analyze_sweep({sweep_point(1, "b1.json", launch_figures(false, 900, 125))}));
  EXPECT_FALSE(has(doc_section(doc), "Written by a later infertrace")) << doc_section(doc);
  doc["schema_version"] = 99;
  EXPECT_TRUE(has(doc_section(doc), "Written by a later infertrace (schema_version 99; this one writes 1)"))
      << doc_section(doc);
}
