// Device IRQs and x86 system vectors stay apart where `sched` lists them (review DX/EA): a vector
// 236 and an IRQ 236 are different interrupts, so the hard-IRQ table has a row per (source,
// number, name), labels a vector "LOC (vector 236)", and says which system vectors were traced.
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/irq_stats.h"
#include "analysis/sched.h"
#include "report/sched_render.h"

namespace infertrace {
namespace {

struct In {
  bool vector;
  int32_t irq;
  const char* name;
  ns_t dur;
};

// Every hard IRQ on CPU 0, 1000 ns apart (none nested), interrupting thread 10 of process 10.
// The hardest case first: a device IRQ 236 whose handler happens to be named LOC, and the LOC
// vector 236: they differ only in their source.
const std::vector<In> kIrqs = {
    {false, 236, "LOC", 100}, {false, 236, "LOC", 120}, {true, 236, "LOC", 40},  {true, 236, "LOC", 60},
    {true, 236, "LOC", 50},   {true, 251, "CAL", 30},   {true, 252, "CAL", 35},  {false, 40, "nvme", 200},
    {false, 41, "nvme", 210}, {false, 24, "eth0", 70},
};

Trace recording() {
  Trace t;
  t.source = TraceSource::Recording;
  t.meta["events"] = "sched,irq";
  t.meta["irq.system_vectors"] = "LOC,CAL";
  t.meta["irq.system_vectors_missing"] = "thermal_apic,error_apic";
  ns_t ts = 1000;
  for (const In& in : kIrqs) {
    Irq q;
    q.ts = ts, q.dur = in.dur, q.cpu = 0, q.kind = IrqKind::Hard, q.irq = in.irq;
    q.name = t.strings.intern(in.name), q.pid = 10, q.tid = 10, q.system_vector = in.vector;
    t.irqs.push(q);
    ts += 1000;
  }
  return t;
}

// The label each input row should be listed under, from the rule in docs/sched.md.
std::string expected_label(const In& in) {
  if (in.vector) return std::string(in.name) + " (vector " + std::to_string(in.irq) + ")";
  int named = 0;  // distinct device IRQ numbers with this handler name
  std::map<int32_t, bool> seen;
  for (const In& o : kIrqs)
    if (!o.vector && std::string(o.name) == in.name && !seen[o.irq]) seen[o.irq] = true, ++named;
  return named > 1 ? std::string(in.name) + " (irq " + std::to_string(in.irq) + ")" : std::string(in.name);
}

TEST(IrqSource, SummaryKeepsSourcesAndNumbersApart) {
  const Trace t = recording();
  const IrqSummary s = summarize_irqs(t);
  std::map<std::tuple<bool, int32_t, std::string>, std::pair<int64_t, ns_t>> want;  // count, total
  for (const In& in : kIrqs) {
    auto& w = want[{in.vector, in.irq, in.name}];
    ++w.first, w.second += in.dur;
  }
  ASSERT_EQ(s.hard.size(), want.size());  // 7: LOC twice (device, vector), CAL twice, nvme twice, eth0
  EXPECT_EQ(s.hard_count, static_cast<int64_t>(kIrqs.size()));  // counts keep both kinds (metrics.md §5)
  for (const IrqStat& st : s.hard) {
    const auto key = std::make_tuple(st.system_vector, st.irq, std::string(t.str(st.name)));
    ASSERT_TRUE(want.count(key)) << std::get<2>(key) << " " << st.irq;
    EXPECT_EQ(st.count, want[key].first) << std::get<2>(key) << " " << st.irq;
    EXPECT_EQ(st.total, want[key].second) << std::get<2>(key) << " " << st.irq;
  }
}

TEST(IrqSource, SchedJsonKeysLabelsAndSources) {
  const Trace t = recording();
  const SchedAnalysis a = analyze_sched(t);
  const nlohmann::json j = sched_analysis_json(t, a);
  const nlohmann::json& hard = j["hardirqs"];
  std::map<std::string, int64_t> count;
  for (const In& in : kIrqs) ++count[expected_label(in)];
  ASSERT_EQ(hard.size(), count.size()) << hard.dump();
  for (const In& in : kIrqs) {
    const std::string label = expected_label(in);
    ASSERT_TRUE(hard.contains(label)) << label << " in " << hard.dump();
    EXPECT_EQ(hard[label]["count"], count[label]) << label;
    EXPECT_EQ(hard[label]["irq"], in.irq) << label;
    EXPECT_EQ(hard[label]["source"], in.vector ? "system_vector" : "device") << label;
  }
  EXPECT_EQ(j["irq_system_vectors"], true);
  EXPECT_EQ(j["irq_system_vectors_traced"], nlohmann::json({"LOC", "CAL"}));
  EXPECT_EQ(j["irq_system_vectors_missing"], nlohmann::json({"thermal_apic", "error_apic"}));

  std::ostringstream os;
  print_sched_report(os, t, a);
  const std::string text = os.str();
  for (const auto& [label, n] : count) EXPECT_NE(text.find(label), std::string::npos) << label << "\n" << text;
  EXPECT_NE(text.find("hard IRQs counted"), std::string::npos) << text;
  EXPECT_NE(text.find("device IRQs and the x86 system vectors LOC, CAL (not traced: thermal_apic, error_apic)"),
            std::string::npos)
      << text;
}

// A recording from before the recorder marked vectors: its LOC rows are device IRQs, as before,
// and one without the META says its hard IRQs are device IRQs only; without IRQs the lists are null.
TEST(IrqSource, OldRecordingsAndNoIrqs) {
  Trace t = recording();
  t.meta.erase("irq.system_vectors");
  t.meta.erase("irq.system_vectors_missing");
  for (auto& v : t.irqs.system_vector) v = 0;
  const SchedAnalysis a = analyze_sched(t);
  const nlohmann::json j = sched_analysis_json(t, a);
  EXPECT_EQ(j["irq_system_vectors"], false);
  EXPECT_EQ(j["irq_system_vectors_traced"], nlohmann::json::array());
  EXPECT_TRUE(j["irq_system_vectors_missing"].is_null());
  for (const auto& [label, v] : j["hardirqs"].items()) EXPECT_EQ(v["source"], "device") << label;
  // LOC of device IRQ 236 (five rows now, vector or not): one row, as the name and number agree.
  ASSERT_TRUE(j["hardirqs"].contains("LOC")) << j["hardirqs"].dump();
  int64_t loc = 0;
  for (const In& in : kIrqs) loc += std::string(in.name) == "LOC";
  EXPECT_EQ(j["hardirqs"]["LOC"]["count"], loc);
  std::ostringstream os;
  print_sched_report(os, t, a);
  EXPECT_NE(os.str().find("device IRQs only"), std::string::npos) << os.str();

  t.meta["events"] = "sched";
  const nlohmann::json none = sched_analysis_json(t, analyze_sched(t));
  EXPECT_TRUE(none["irq_system_vectors_traced"].is_null());
  EXPECT_TRUE(none["irq_system_vectors_missing"].is_null());
}

}  // namespace
}  // namespace infertrace
