// recorder_drops() (trace/recorder_drops.h): every drop counter of a recording's META,
// with its cause, and sched.dropped in the JSON built from it (docs/sched.md).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "analysis/launch_undercount.h"
#include "analysis/sched.h"
#include "cli/load_noting.h"
#include "report/sched_render.h"
#include "trace/recorder_drops.h"

namespace infertrace {
namespace {

Trace lossy_cupti_recording() {
  Trace t;
  t.source = TraceSource::Recording;
  t.meta["dropped.switch"] = "3";
  t.meta["dropped.api"] = "0";
  t.meta["dropped.syscall"] = "416";
  t.meta["dropped.irq"] = "7x";  // malformed: left out
  t.meta["droppedness"] = "9";   // not a dropped.<type> key
  t.meta["cupti.ring_dropped_records"] = "5";
  t.meta["cupti.ring_dropped_bytes"] = "320";  // bytes of those 5 records, not more events
  t.meta["cupti.activity_dropped"] = "2";
  t.meta["cupti.gpu_without_clock"] = "0";
  t.meta["cupti.gpu_without_timestamps"] = "11";
  t.meta["cupti.gpu_records"] = "40";  // the GPU records kept: not a loss
  return t;
}

TEST(RecorderDrops, EveryCounterWithItsCause) {
  const std::vector<RecorderDrop> d = recorder_drops(lossy_cupti_recording());
  ASSERT_EQ(d.size(), 7u);
  // dropped.<type> sorted by type (api < switch < syscall), then the four CUPTI counters.
  EXPECT_EQ(d[0].key, "api");
  EXPECT_EQ(d[0].count, 0);
  EXPECT_EQ(d[1].key, "switch");
  EXPECT_EQ(d[1].count, 3);
  EXPECT_EQ(d[2].key, "syscall");
  EXPECT_EQ(d[2].count, 416);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(d[i].cause, DropCause::EventRing);
  EXPECT_EQ(d[3].key, "cupti_ring");
  EXPECT_EQ(d[3].count, 5);
  EXPECT_EQ(d[3].cause, DropCause::CuptiRing);
  EXPECT_EQ(d[4].key, "cupti_activity");
  EXPECT_EQ(d[4].count, 2);
  EXPECT_EQ(d[4].cause, DropCause::CuptiActivity);
  EXPECT_EQ(d[5].key, "cupti_gpu_without_clock");
  EXPECT_EQ(d[5].count, 0);
  EXPECT_EQ(d[5].cause, DropCause::CuptiUnusableGpuRecord);
  EXPECT_EQ(d[6].key, "cupti_gpu_without_timestamps");
  EXPECT_EQ(d[6].count, 11);
  EXPECT_EQ(d[6].cause, DropCause::CuptiUnusableGpuRecord);
  // 3 + 416 + 5 + 2 + 11: the GPU records left out are lost to the analysis too.
  EXPECT_EQ(recorder_lost_total(lossy_cupti_recording()), 437);
}

TEST(RecorderDrops, NoneWithoutMeta) {
  Trace t;  // a Kineto trace has no such META
  t.meta["kineto.zero_duration_events"] = "4";
  EXPECT_TRUE(recorder_drops(t).empty());
}

TEST(RecorderDrops, SchedJsonCarriesTheCuptiCounters) {
  const Trace t = lossy_cupti_recording();
  const nlohmann::json j = sched_analysis_json(t, analyze_sched(t));
  const nlohmann::json want = {{"api", 0},           {"switch", 3},
                               {"syscall", 416},     {"cupti_ring", 5},
                               {"cupti_activity", 2}, {"cupti_gpu_without_clock", 0},
                               {"cupti_gpu_without_timestamps", 11}};
  EXPECT_EQ(j["dropped"], want);
}

}  // namespace
TEST(RecorderDrops, TotalsHoldAtTheLimitOnCorruptCounts) {
  // Two counters near INT64_MAX (a corrupt META): the total is held at INT64_MAX, not wrapped.
  Trace t;
  t.source = TraceSource::Recording;
  t.meta["dropped.switch"] = "9000000000000000000";
  t.meta["dropped.syscall"] = "9000000000000000000";
  EXPECT_EQ(recorder_lost_total(t), INT64_MAX);
  EXPECT_EQ(saturating_add_drops(INT64_MAX - 1, 1), INT64_MAX);
  EXPECT_EQ(saturating_add_drops(2, 3), 5);
}

// The stderr note agrees with the table (review FH M2): with only records lost that may be launch
// calls (api, cupti_ring), switches and IRQs whole and no LOSS record, the rates per 1000 launches
// are upper bounds, as `sched` marks them; with switch or IRQ events lost too, or a loss window,
// they may be off either way.
TEST(RecorderDropsNote, LaunchOnlyDropsMakeTheRatesUpperBounds) {
  const auto launch_drops = [](Trace& t) {
    t.source = TraceSource::Recording;
    t.file = "r.itrace";
    t.meta["dropped.api"] = "5";
    t.meta["dropped.switch"] = "0";
    t.meta["cupti.ring_dropped_records"] = "3";
    t.meta["events"] = "launch,sched";
    ApiCall c;
    c.start = 5, c.dur = 1, c.pid = c.tid = 1, c.kind = ApiKind::KernelLaunch;
    t.api.push(c);
  };
  Trace t;
  launch_drops(t);
  const std::string note = cli::dropped_events_note(t);
  EXPECT_NE(note.find("lost 8 events"), std::string::npos) << note;
  EXPECT_NE(note.find("rates per 1000 launches are upper bounds (fewer launches counted than ran: the recorder lost 8 "
                      "records that may be launch calls, while no switch or IRQ event was lost)"),
            std::string::npos)
      << note;
  EXPECT_EQ(note.find("rates per 1000 launches, launch-pair"), std::string::npos) << note;
  {  // one event lost: said in the singular, in the count and in the cause
    Trace one;
    launch_drops(one);
    one.meta["dropped.api"] = "1";
    one.meta.erase("cupti.ring_dropped_records");
    const std::string n1 = cli::dropped_events_note(one);
    EXPECT_NE(n1.find("r.itrace: the recorder lost 1 event ("), std::string::npos) << n1;
    EXPECT_NE(n1.find("the recorder lost 1 record that may be a launch call, while"), std::string::npos) << n1;
  }

  for (const char* key : {"dropped.switch", "dropped.irq"}) {
    Trace both;
    launch_drops(both);
    both.meta[key] = "1";
    const std::string n = cli::dropped_events_note(both);
    EXPECT_NE(n.find("rates per 1000 launches, launch-pair figures and the scheduler impact may be off in either direction"),
              std::string::npos)
        << key << ": " << n;
    EXPECT_EQ(n.find("upper bounds"), std::string::npos) << key << ": " << n;
  }
  Trace lossy;
  launch_drops(lossy);
  LossWindow w;
  w.first = 10, w.last = 20, w.cpu = 0, w.lost = {{"api", 5}};
  lossy.loss_windows.push_back(w);
  // A window that lost only api records leaves switches and IRQs whole: upper bounds, as sched
  // marks them (review FH L3); one that lost switches too: neither bound.
  EXPECT_NE(cli::dropped_events_note(lossy).find("rates per 1000 launches are upper bounds"), std::string::npos)
      << cli::dropped_events_note(lossy);
  lossy.loss_windows[0].lost["switch"] = 2;
  EXPECT_EQ(cli::dropped_events_note(lossy).find("upper bounds"), std::string::npos) << cli::dropped_events_note(lossy);
  // No rate shown (launches alone recorded, or no launch): the note names no rate at all (review FK).
  for (const char* events : {"launch", ""}) {
    Trace plain;
    launch_drops(plain);
    if (*events) plain.meta["events"] = events;
    else plain.api = ApiCallTable{};
    const std::string n = cli::dropped_events_note(plain);
    EXPECT_EQ(n.find("rates per 1000"), std::string::npos) << events << ": " << n;
    EXPECT_NE(n.find("launch-pair figures and the scheduler impact may be off in either direction"), std::string::npos)
        << events << ": " << n;
  }
  // No launch records lost (syscalls only): either way, as before.
  Trace sys;
  launch_drops(sys);
  sys.meta.erase("dropped.api"), sys.meta.erase("cupti.ring_dropped_records");
  sys.meta["dropped.syscall"] = "4";
  EXPECT_NE(cli::dropped_events_note(sys).find("may be off in either direction (a rate loses"), std::string::npos);
  EXPECT_EQ(cli::dropped_events_note(sys).find("upper bounds"), std::string::npos);
}

// META cupti.ring_unpublished_slots: a drop of its own, cupti_ring_unpublished, only when above 0;
// absent, 0, negative or malformed: nothing added, the other counters and the exact total as before.
TEST(RecorderDrops, UnpublishedSlotsOnlyWhenAboveZero) {
  const Trace base = lossy_cupti_recording();
  const size_t n_base = recorder_drops(base).size();
  const int64_t exact = 3 + 416 + 5 + 2 + 11;
  for (const char* v : {"", "0", "-3", "12x", "4.5", "abc"}) {
    Trace t = lossy_cupti_recording();
    t.meta["cupti.ring_unpublished_slots"] = v;  // "" and the rest: malformed or not above 0
    const std::vector<RecorderDrop> d = recorder_drops(t);
    EXPECT_EQ(d.size(), n_base) << "'" << v << "'";
    for (const RecorderDrop& x : d) {
      EXPECT_NE(x.key, "cupti_ring_unpublished") << "'" << v << "'";
      EXPECT_NE(x.cause, DropCause::CuptiRingUnpublished) << "'" << v << "'";
    }
    EXPECT_EQ(recorder_lost_total(t), exact) << "'" << v << "'";
    EXPECT_FALSE(sched_analysis_json(t, analyze_sched(t))["dropped"].contains("cupti_ring_unpublished")) << v;
  }
  Trace t = lossy_cupti_recording();
  const int64_t slots = 9;
  t.meta["cupti.ring_unpublished_slots"] = std::to_string(slots);
  const std::vector<RecorderDrop> d = recorder_drops(t);
  ASSERT_EQ(d.size(), n_base + 1);
  EXPECT_EQ(d.back().key, "cupti_ring_unpublished");
  EXPECT_EQ(d.back().count, slots);
  EXPECT_EQ(d.back().cause, DropCause::CuptiRingUnpublished);
  // A slot count bounds the records: kept out of the exact total.
  EXPECT_EQ(recorder_lost_total(t), exact);
  EXPECT_EQ(sched_analysis_json(t, analyze_sched(t))["dropped"]["cupti_ring_unpublished"], slots);
}

TEST(RecorderDrops, UnpublishedSlotsMayHoldLaunches) {
  EXPECT_TRUE(drop_may_hold_launches("cupti_ring_unpublished"));
  EXPECT_FALSE(drop_counted_by_per_1k_rates("cupti_ring_unpublished"));
  Per1kDropTally t;
  tally_per_1k_drop(t, "cupti_ring", 3);
  EXPECT_FALSE(t.launch_records_lost_up_to);
  tally_per_1k_drop(t, "cupti_ring_unpublished", 0);  // nothing lost: still exact
  EXPECT_FALSE(t.launch_records_lost_up_to);
  tally_per_1k_drop(t, "cupti_ring_unpublished", 4);
  EXPECT_EQ(t.launch_records_lost, 3 + 4);
  EXPECT_EQ(t.launch_records_lost_anywhere, 3 + 4);  // the CUPTI ring has no loss windows
  EXPECT_TRUE(t.launch_records_lost_up_to);
  EXPECT_FALSE(t.rate_events_lost);
  EXPECT_EQ(per_1k_launch_records_lost(t), 3 + 4);
  EXPECT_EQ(launch_undercount_cause(7, "", true), "the recorder lost up to 7 records that may be launch calls");
  EXPECT_EQ(launch_undercount_cause(7, ""), "the recorder lost 7 records that may be launch calls");
}

// The stderr note never states the slot count as an exact loss: "up to N", in the label, the total
// and the per-1k cause, with its own remedy (not --expected-rate's).
TEST(RecorderDrops, NoteSaysUpToForUnpublishedSlots) {
  const int64_t slots = 6;
  const auto recording = [&](int64_t api) {
    Trace t;
    t.source = TraceSource::Recording;
    t.file = "r.itrace";
    t.meta["events"] = "launch,sched";
    t.meta["dropped.switch"] = "0";
    if (api > 0) t.meta["dropped.api"] = std::to_string(api);
    t.meta["cupti.ring_unpublished_slots"] = std::to_string(slots);
    ApiCall c;
    c.start = 5, c.dur = 1, c.pid = c.tid = 1, c.kind = ApiKind::KernelLaunch;
    t.api.push(c);
    return t;
  };
  const std::string label = "CUPTI ring records a killed process left unwritten";
  const std::string n = cli::dropped_events_note(recording(0));
  EXPECT_NE(n.find("r.itrace: the recorder lost up to " + std::to_string(slots) + " events (" + label + " (up to " +
                   std::to_string(slots) + "))"),
            std::string::npos)
      << n;
  EXPECT_EQ(n.find("lost " + std::to_string(slots)), std::string::npos) << n;  // never the bare count
  EXPECT_NE(n.find("rates per 1000 launches are upper bounds (fewer launches counted than ran: the recorder lost up to " +
                   std::to_string(slots) + " records that may be launch calls, while no switch or IRQ event was lost)"),
            std::string::npos)
      << n;
  EXPECT_NE(n.find(label + ": a process of the tree was killed while writing its CUPTI records; the records after that "
                           "point in the ring were not read"),
            std::string::npos)
      << n;
  EXPECT_EQ(n.find("--expected-rate."), std::string::npos) << n;  // no ring was full
  // With exact counts too: their sum with the slots is "up to", the exact ones listed as they are.
  const int64_t api = 5;
  const std::string both = cli::dropped_events_note(recording(api));
  EXPECT_NE(both.find("the recorder lost up to " + std::to_string(api + slots) + " events (api " + std::to_string(api) +
                      ", " + label + " (up to " + std::to_string(slots) + "))"),
            std::string::npos)
      << both;
  EXPECT_NE(both.find("the recorder lost up to " + std::to_string(api + slots) + " records that may be launch calls"),
            std::string::npos)
      << both;
  EXPECT_NE(both.find("api: a ring buffer was full; record again with a larger --expected-rate."), std::string::npos) << both;
  // 0 slots and nothing else lost: no note, as before.
  Trace clean = recording(0);
  clean.meta["cupti.ring_unpublished_slots"] = "0";
  EXPECT_EQ(cli::dropped_events_note(clean), "");
}

}  // namespace infertrace

namespace infertrace {
namespace {

// The kernel side's full maps (META untraced.processes, pending_full.*; review RC M2): each a drop of
// its own cause, only when above 0, in sched.dropped, and said by map_full_note (not as events lost
// to a ring: dropped_events_note leaves them to it), with the pids and the option that sizes the map.
Trace map_full_recording(const char* untraced, const char* syscall) {
  Trace t;
  t.source = TraceSource::Recording;
  t.file = "m.itrace";
  t.meta["dropped.switch"] = "0";
  t.meta["max_processes"] = "40";
  t.meta["max_threads"] = "4";
  t.meta["untraced.processes"] = untraced;
  t.meta["untraced.pids"] = "101,102";
  t.meta["pending_full.syscall"] = syscall;
  t.meta["pending_full.api"] = "0";
  t.meta["pending_full.fold"] = "0";
  return t;
}

TEST(RecorderDrops, FullMapsOnlyWhenAboveZero) {
  const Trace none = map_full_recording("0", "0");
  EXPECT_EQ(recorder_drops(none).size(), 1u);  // dropped.switch alone
  EXPECT_EQ(cli::map_full_note(none), "");
  EXPECT_FALSE(sched_analysis_json(none, analyze_sched(none))["dropped"].contains("untraced_processes"));

  const Trace t = map_full_recording("81", "7");
  const std::vector<RecorderDrop> d = recorder_drops(t);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[1].key, "untraced_processes");
  EXPECT_EQ(d[1].count, 81);
  EXPECT_EQ(d[1].cause, DropCause::MapFull);
  EXPECT_EQ(d[2].key, "pending_full_syscall");
  EXPECT_EQ(d[2].count, 7);
  EXPECT_EQ(recorder_lost_total(t), 81 + 7);
  const auto j = sched_analysis_json(t, analyze_sched(t))["dropped"];
  EXPECT_EQ(j["untraced_processes"], 81);
  EXPECT_EQ(j["pending_full_syscall"], 7);
  // Not events lost to a full ring: no ring note, no --expected-rate.
  EXPECT_EQ(cli::dropped_events_note(t), "");
  const std::string n = cli::map_full_note(t);
  EXPECT_NE(n.find("m.itrace: 81 new processes of the traced tree were not traced, nor anything they started (the "
                   "recorder's traced set was full: 40 processes at once, an exited one until the kernel frees it; record again with a larger --max-processes); "
                   "pids 101, 102, ...: every figure leaves them out"),
            std::string::npos)
      << n;
  EXPECT_NE(n.find("7 syscalls were not recorded (the recorder's map of calls in progress was full: 4 threads at once; "
                   "record again with a larger --max-threads)"),
            std::string::npos)
      << n;
  EXPECT_EQ(n.find("--expected-rate"), std::string::npos) << n;
}

TEST(RecorderDrops, FullMapsDecideTheRateBounds) {
  // Untraced processes lose switches and IRQs with their launches; a fold not kept counts a launch
  // twice: neither bound. A timed CUDA call not kept may be a launch.
  EXPECT_TRUE(drop_counted_by_per_1k_rates("untraced_processes"));
  EXPECT_TRUE(drop_counted_by_per_1k_rates("pending_full_fold"));
  EXPECT_FALSE(drop_counted_by_per_1k_rates("pending_full_syscall"));
  EXPECT_TRUE(drop_may_hold_launches("pending_full_api"));
  EXPECT_FALSE(drop_may_hold_launches("untraced_processes"));
  Per1kDropTally t;
  tally_per_1k_drop(t, "pending_full_api", 5);
  EXPECT_EQ(t.launch_records_lost, 5);
  EXPECT_FALSE(t.rate_events_lost);
  tally_per_1k_drop(t, "untraced_processes", 1);
  EXPECT_TRUE(t.rate_events_lost);
}

// Review SG L5: a recording whose command left processes of its tree running says so on every
// verb's load (META command.left_running, command.left_running_pids); none, 0 or a value that is
// not a count: no note.
TEST(RecorderDrops, LeftRunningNoteOnlyWhenTheCommandLeftProcesses) {
  Trace t;
  t.source = TraceSource::Recording;
  t.file = "bg.itrace";
  EXPECT_EQ(cli::left_running_note(t), "");
  t.meta["command.left_running"] = "0";
  EXPECT_EQ(cli::left_running_note(t), "");
  t.meta["command.left_running"] = "2x";
  EXPECT_EQ(cli::left_running_note(t), "");
  t.meta["command.left_running"] = "2";
  t.meta["command.left_running_pids"] = "4101,4107";
  const std::string n = cli::left_running_note(t);
  EXPECT_EQ(n.rfind("bg.itrace: the command exited leaving 2 processes of its tree running (pids 4101 4107): ", 0), 0u)
      << n;
  t.meta["command.left_running"] = "1";
  t.meta["command.left_running_pids"] = "4101";
  EXPECT_NE(cli::left_running_note(t).find("leaving 1 process of its tree running (pid 4101)"), std::string::npos);
  t.source = TraceSource::Kineto;
  EXPECT_EQ(cli::left_running_note(t), "");
}

}  // namespace
}  // namespace infertrace
