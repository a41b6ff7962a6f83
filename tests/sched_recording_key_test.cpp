// `report` shows a recording given with its own saved `sched --json` once, by the key of the
// recording (report/sched_recording_key.h). It must match the analysis made now from the recording
// (counts of events not recorded are null) with one saved before those counts became null (0, no
// flags) and one saved since, and must not match the analysis of a different recording: another
// time span, even by one nanosecond, or another file name.
#include <gtest/gtest.h>

#include <set>

#include "analysis/sched.h"
#include "report/sched_recording_key.h"
#include "report/sched_render.h"

namespace infertrace {
namespace {

using nlohmann::json;

constexpr int64_t kPid = 100, kTid = 101;

// A recording of one thread's six launches (at `shift` + 0 .. 10000 ns) and two IRQs on it, read
// from `file`; it asked for launches and IRQs, not context switches (META events).
Trace recording(const std::string& file, ns_t shift = 0) {
  Trace t;
  t.source = TraceSource::Recording;
  t.file = file;
  t.meta["events"] = "launch,irq";
  for (ns_t ts : {0, 1000, 2000, 5000, 6000, 10000}) {
    ApiCall c;
    c.start = shift + ts, c.dur = 100, c.pid = kPid, c.tid = kTid, c.name = t.strings.intern("cudaLaunchKernel");
    c.kind = classify_api("cudaLaunchKernel");
    t.api.push(c);
  }
  for (ns_t ts : {500, 5200}) {
    Irq q;
    q.ts = shift + ts, q.dur = 50, q.cpu = 0, q.kind = IrqKind::Hard, q.irq = 42, q.name = t.strings.intern("eth0");
    q.pid = kPid, q.tid = kTid;
    t.irqs.push(q);
  }
  return t;
}

json analysis_of(const Trace& t) { return sched_analysis_json(t, analyze_sched(t)); }

TEST(SchedRecordingKey, ARecordingMatchesItsAnalysesSavedBeforeAndAfterCountsBecameNull) {
  const json fresh = analysis_of(recording("/runs/a/rec.itrace"));
  // The case at issue: switches were not recorded, so the analysis made now has null counts.
  ASSERT_TRUE(fresh.at("switch_outs").is_null());
  ASSERT_EQ(fresh.at("switches_recorded"), false);

  // Saved since: the same document, saved where `sched` ran in the recording's folder (its source
  // the bare name), with the per-thread syscall tables `--per-thread` adds.
  json saved_new = fresh;
  saved_new["source"] = "rec.itrace";
  saved_new["syscalls_by_thread"] = json::array();
  // Saved before 2026-12-03: 0 for the counts of events not recorded; before 2026-11-30 without
  // the flags; before 2026-12-02 a count of the launches a recording did not measure (null now).
  json saved_old = fresh;
  for (const char* k : {"switch_outs", "preemptions", "blocks", "switch_ins_missing"}) saved_old[k] = 0;
  saved_old.erase("switches_recorded"), saved_old.erase("irqs_recorded");
  json unmeasured_now = fresh, unmeasured_old = fresh;
  unmeasured_now["launches"] = nullptr;
  unmeasured_old["launches"] = 3;

  const std::string key = sched_recording_key(fresh);
  ASSERT_FALSE(key.empty());
  EXPECT_EQ(sched_recording_key(saved_new), key);
  EXPECT_EQ(sched_recording_key(saved_old), key);
  EXPECT_EQ(sched_recording_key(unmeasured_now), sched_recording_key(unmeasured_old));
  EXPECT_FALSE(sched_recording_key(unmeasured_now).empty());
}

TEST(SchedRecordingKey, DifferentRecordingsDoNotCollide) {
  const Trace a = recording("/runs/a/rec.itrace");
  Trace later_end = recording("/runs/b/rec.itrace");  // one more IRQ, ending 1 ns after a's last event
  {
    Irq q;
    q.ts = 10100, q.dur = 1, q.cpu = 0, q.kind = IrqKind::Soft, q.irq = 3, q.name = later_end.strings.intern("TIMER");
    q.pid = kPid, q.tid = kTid;
    later_end.irqs.push(q);
  }
  const Trace shifted = recording("/runs/c/rec.itrace", 1);  // every event 1 ns later
  const Trace renamed = recording("/runs/a/other.itrace");   // a's events under another name
  const json docs[] = {analysis_of(a), analysis_of(later_end), analysis_of(shifted), analysis_of(renamed)};
  // The spans as the traces hold them: a's ends at its last launch's end (10000 + 100 ns).
  ASSERT_EQ(docs[0].at("t_end_ns"), 10100);
  ASSERT_EQ(docs[1].at("t_end_ns"), 10101);
  ASSERT_EQ(docs[2].at("t_begin_ns"), 1);
  ASSERT_EQ(docs[3].at("t_begin_ns"), docs[0].at("t_begin_ns"));
  ASSERT_EQ(docs[3].at("t_end_ns"), docs[0].at("t_end_ns"));
  std::set<std::string> keys;
  for (const json& d : docs) {
    EXPECT_FALSE(sched_recording_key(d).empty()) << d.at("source");
    keys.insert(sched_recording_key(d));
  }
  EXPECT_EQ(keys.size(), 4u);

  // Not a scheduler analysis, or one without a span or file name: no key (shown as it is).
  json analyze = docs[0];
  analyze["kind"] = "analyze";
  json no_span = docs[0], no_source = docs[0];
  no_span.erase("t_end_ns");
  no_source["source"] = nullptr;
  for (const json& d : {analyze, no_span, no_source, json::array()}) EXPECT_EQ(sched_recording_key(d), "") << d;
}

}  // namespace
}  // namespace infertrace
