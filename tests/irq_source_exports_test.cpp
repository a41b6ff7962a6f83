// Every export says which source an IRQ row has (device IRQ, x86 system vector, softirq), beside
// the columns it had: irqs.csv and SQLite's irq table a `source` column, Chrome an arg, Perfetto an
// annotation (review DX/EA: vector 236 and IRQ 236 otherwise read alike).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <stdlib.h>  // mkdtemp

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
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
  bool own = false;        // a softirq the thread ran as its own work (Irq::own)
};

// Vector 236 and device IRQ 236 at distinct times, so each row is found by its start.
const std::vector<In> kIrqs = {
    {IrqKind::Hard, false, 236, "eth0", "device", "irq"},
    {IrqKind::Hard, true, 236, "LOC", "system_vector", "vector"},
    {IrqKind::Soft, false, 1, "TIMER", "softirq", "softirq_vector"},
    {IrqKind::Soft, false, 3, "NET_RX", "softirq_own", "softirq_vector", true},
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
    q.own = kIrqs[i].own;
    t.irqs.push(q);
  }
  return t;
}

// A directory of the test's own (mkdtemp), removed with everything in it when the test ends, even
// after a failed ASSERT: fixed /tmp names were shared by every build's tests run at once, so one
// run could read or delete another's file (review EK L6).
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::string name = (fs::temp_directory_path() / "infertrace_irq_source_XXXXXX").string();
    if (::mkdtemp(name.data()) == nullptr) throw std::runtime_error("mkdtemp " + name + ": " + std::strerror(errno));
    path = name;
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path operator/(const char* name) const { return path / name; }
};

// An own softirq is labelled apart on the timelines (review RV L3): no IRQ figure counts it.
std::string label_of(const In& q) {
  return (q.own ? "own softirq " : q.kind == IrqKind::Soft ? "softirq " : q.vector ? "vector " : "irq ") + std::string(q.name);
}

TEST(IrqSourceExports, CsvHasASourceColumnAfterTheOldOnes) {
  const ScratchDir scratch;
  const fs::path dir = scratch / "csv";
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
}

TEST(IrqSourceExports, SqliteIrqTableHasSource) {
  const ScratchDir scratch;
  const fs::path path = scratch / "db.sqlite";
  write_sqlite_file(trace(), path.string(), SqliteAnalyses{});
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  for (size_t i = 0; i < kIrqs.size(); ++i)
    EXPECT_EQ(scalar(db, "select source from irq where ts_ns = " + std::to_string(start_of(i))), kIrqs[i].source);
  // Vector 236 and IRQ 236: one row each, told apart by source.
  EXPECT_EQ(scalar(db, "select count(distinct source) from irq where irq = 236 and kind = 'hard'"), "2");
  sqlite3_close(db);
}

TEST(IrqSourceExports, ChromeArgsAndNames) {
  const ScratchDir scratch;
  const fs::path path = scratch / "chrome.json";
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
    EXPECT_EQ(e["name"], label_of(kIrqs[i]));
  }
}

TEST(IrqSourceExports, PerfettoSourceAnnotation) {
  const ScratchDir scratch;
  const fs::path path = scratch / "trace.pftrace";
  write_perfetto_file(trace(), path.string());
  pftrace::Trace tr;
  ASSERT_TRUE(tr.ParseFromString(slurp(path)));
  std::map<uint64_t, std::string> names, annotation_names;
  std::map<uint64_t, std::string> source_at;  // slice start -> source annotation
  std::map<uint64_t, std::string> name_at;    // slice start -> slice name
  std::map<uint64_t, std::map<std::string, int64_t>> numbers_at;  // slice start -> int annotations
  for (const auto& p : tr.packet()) {
    for (const auto& n : p.interned_data().event_names()) names.emplace(n.iid(), n.name());
    for (const auto& n : p.interned_data().debug_annotation_names()) annotation_names.emplace(n.iid(), n.name());
    if (!p.has_track_event() || p.track_event().type() == pftrace::TrackEvent::TYPE_SLICE_END) continue;
    const auto& ev = p.track_event();
    name_at[p.timestamp()] = ev.has_name_iid() ? names.at(ev.name_iid()) : ev.name();
    for (const auto& a : p.track_event().debug_annotations())
      if (annotation_names[a.name_iid()] == "source") source_at[p.timestamp()] = a.string_value();
      else if (a.has_int_value()) numbers_at[p.timestamp()][annotation_names[a.name_iid()]] = a.int_value();
  }
  ASSERT_EQ(source_at.size(), kIrqs.size());
  for (size_t i = 0; i < kIrqs.size(); ++i) {
    const uint64_t at = static_cast<uint64_t>(start_of(i));
    EXPECT_EQ(source_at[at], kIrqs[i].source) << kIrqs[i].name;
    EXPECT_EQ(name_at[at], label_of(kIrqs[i]));  // "vector LOC", not "irq LOC" (review EK L6)
    // The number's annotation says which number it is (review EK L5): a vector's is no `irq`.
    std::map<std::string, int64_t> want = {{kIrqs[i].number_arg, kIrqs[i].irq}};
    want["tid"] = 10;  // the thread trace() puts every row on (--chrome's name: before 2026-12-06 interrupted_tid)
    EXPECT_EQ(numbers_at[at], want) << kIrqs[i].name;
  }
}

}  // namespace
}  // namespace infertrace
