// Every export says which source an IRQ row has (device IRQ, x86 system vector, softirq), beside
// the columns it had: irqs.csv and SQLite's irq table a `source` column, Chrome an arg, Perfetto an
// annotation (review DX/EA: vector 236 and IRQ 236 otherwise read alike).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "file_text.h"
#include "report/exports.h"
#include "report/perfetto.h"
#include "report/proto/perfetto_trace.pb.h"
#include "report/sqlite_export.h"
#include "sqlite_query.h"

namespace infertrace {
namespace {

namespace fs = std::filesystem;

struct In {
  IrqKind kind;
  bool vector;
  int32_t irq;
  const char* name;
  const char* source;      // as the exports should spell it
  const char* number_arg;  // the name of its number's arg / annotation in Chrome and Perfetto
};

// Vector 236 and device IRQ 236 at distinct times, so each row is found by its start.
const std::vector<In> kIrqs = {
    {IrqKind::Hard, false, 236, "eth0", "device", "irq"},
    {IrqKind::Hard, true, 236, "LOC", "system_vector", "vector"},
    {IrqKind::Soft, false, 1, "TIMER", "softirq", "softirq_vector"},
};

ns_t start_of(size_t i) { return 1000 + static_cast<ns_t>(i) * 1000; }

Trace trace() {
  Trace t;
  t.source = TraceSource::Recording;
  t.threads.push({10, 10, t.strings.intern("worker"), 0, 10'000});
  for (size_t i = 0; i < kIrqs.size(); ++i) {
    Irq q;
    q.ts = start_of(i), q.dur = 100, q.cpu = 0, q.kind = kIrqs[i].kind, q.irq = kIrqs[i].irq;
    q.name = t.strings.intern(kIrqs[i].name), q.pid = 10, q.tid = 10, q.system_vector = kIrqs[i].vector;
    t.irqs.push(q);
  }
  return t;
}

fs::path scratch(const char* name) {
  const fs::path p = fs::temp_directory_path() / (std::string("infertrace_irq_source_") + name);
  fs::remove_all(p);
  return p;
}

TEST(IrqSourceExports, CsvHasASourceColumnAfterTheOldOnes) {
  const fs::path dir = scratch("csv");
  fs::create_directories(dir);
  write_csv_tables(trace(), dir.string());
  std::istringstream in(slurp(dir / "irqs.csv"));
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "ts_ns,cpu,kind,irq,name,dur_ns,pid,tid,source");
  std::map<ns_t, std::string> source_at;
  while (std::getline(in, line)) source_at[std::stoll(line.substr(0, line.find(',')))] = line.substr(line.rfind(',') + 1);
  ASSERT_EQ(source_at.size(), kIrqs.size());
  for (size_t i = 0; i < kIrqs.size(); ++i) EXPECT_EQ(source_at[start_of(i)], kIrqs[i].source) << kIrqs[i].name;
  fs::remove_all(dir);
}

TEST(IrqSourceExports, SqliteIrqTableHasSource) {
  const fs::path path = scratch("db.sqlite");
  write_sqlite_file(trace(), path.string(), SqliteAnalyses{});
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  for (size_t i = 0; i < kIrqs.size(); ++i)
    EXPECT_EQ(scalar(db, "select source from irq where ts_ns = " + std::to_string(start_of(i))), kIrqs[i].source);
  // Vector 236 and IRQ 236: one row each, told apart by source.
  EXPECT_EQ(scalar(db, "select count(distinct source) from irq where irq = 236 and kind = 'hard'"), "2");
  sqlite3_close(db);
  fs::remove(path);
}

TEST(IrqSourceExports, ChromeArgsAndNames) {
  const fs::path path = scratch("chrome.json");
  write_chrome_json(trace(), path.string());
  const nlohmann::json doc = nlohmann::json::parse(slurp(path));
  std::map<int64_t, const nlohmann::json*> irq_at;  // ts in us * 1000 -> event
  for (const auto& e : doc["traceEvents"])
    if (e.value("cat", "") == "hardirq" || e.value("cat", "") == "softirq")
      irq_at[static_cast<int64_t>(e["ts"].get<double>() * 1000 + 0.5)] = &e;
  ASSERT_EQ(irq_at.size(), kIrqs.size());
  for (size_t i = 0; i < kIrqs.size(); ++i) {
    ASSERT_TRUE(irq_at.count(start_of(i))) << kIrqs[i].name;
    const nlohmann::json& e = *irq_at[start_of(i)];
    EXPECT_EQ(e["args"]["source"], kIrqs[i].source);
    // The number under the one name that says which number it is (review EK L5), no other.
    EXPECT_EQ(e["args"][kIrqs[i].number_arg], kIrqs[i].irq);
    for (const char* other : {"irq", "vector", "softirq_vector"})
      EXPECT_EQ(e["args"].contains(other), std::string(other) == kIrqs[i].number_arg) << kIrqs[i].name << " " << other;
    const std::string prefix = kIrqs[i].kind == IrqKind::Soft ? "softirq " : kIrqs[i].vector ? "vector " : "irq ";
    EXPECT_EQ(e["name"], prefix + kIrqs[i].name);
  }
  fs::remove(path);
}

TEST(IrqSourceExports, PerfettoSourceAnnotation) {
  const fs::path path = scratch("trace.pftrace");
  write_perfetto_file(trace(), path.string());
  pftrace::Trace tr;
  ASSERT_TRUE(tr.ParseFromString(slurp(path)));
  std::map<uint64_t, std::string> names, annotation_names;
  std::map<uint64_t, std::string> source_at;  // slice start -> source annotation
  std::map<uint64_t, std::map<std::string, int64_t>> numbers_at;  // slice start -> int annotations
  for (const auto& p : tr.packet()) {
    for (const auto& n : p.interned_data().event_names()) names.emplace(n.iid(), n.name());
    for (const auto& n : p.interned_data().debug_annotation_names()) annotation_names.emplace(n.iid(), n.name());
    if (!p.has_track_event() || p.track_event().type() == pftrace::TrackEvent::TYPE_SLICE_END) continue;
    for (const auto& a : p.track_event().debug_annotations())
      if (annotation_names[a.name_iid()] == "source") source_at[p.timestamp()] = a.string_value();
      else if (a.has_int_value()) numbers_at[p.timestamp()][annotation_names[a.name_iid()]] = a.int_value();
  }
  ASSERT_EQ(source_at.size(), kIrqs.size());
  for (size_t i = 0; i < kIrqs.size(); ++i) {
    const uint64_t at = static_cast<uint64_t>(start_of(i));
    EXPECT_EQ(source_at[at], kIrqs[i].source) << kIrqs[i].name;
    // The number's annotation says which number it is (review EK L5): a vector's is no `irq`.
    std::map<std::string, int64_t> want = {{kIrqs[i].number_arg, kIrqs[i].irq}};
    want["interrupted_tid"] = 10;  // the thread trace() puts every row on
    EXPECT_EQ(numbers_at[at], want) << kIrqs[i].name;
  }
  fs::remove(path);
}

}  // namespace
}  // namespace infertrace
