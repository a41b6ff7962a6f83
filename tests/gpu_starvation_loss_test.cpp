// GPU starvation (analysis/gpu_starvation.h) on a recording with loss windows: the launching
// thread's off-CPU intervals whose closed span meets a window are left out of the preempted /
// run-queue / sleeping split and counted, and the GPU idle time they cover leaves the share's
// denominator, as sched's off-CPU figures do (docs/sched.md, "Lost events"). The expected values
// are worked out in the comments and computed again here nanosecond by nanosecond from the
// timeline as written down, not with the analysis's span arithmetic.
#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/gpu_starvation.h"
#include "analysis/sched.h"
#include "report/sched_render.h"
#include "util/units.h"

namespace infertrace {
namespace {

constexpr int64_t kPid = 100, kMain = 101, kOther = 999;

struct Busy {
  ns_t b, e;
};
// The main thread's off-CPU intervals as written into the trace: [out, in), and where a wake-up
// split a blocked one, when it became runnable (-1: preempted, runnable from the switch-out).
struct OffCpu {
  ns_t out, in;
  bool preempted;
  ns_t wake;
};

// GPU busy [0,100] [200,350] [500,600]: idle gaps [100,200] and [350,500], 250 ns.
const std::vector<Busy> kBusy = {{0, 100}, {200, 350}, {500, 600}};
// Preempted 120..180 (60 ns of gap 1); blocks at 310, woken at 400, back at 450 (sleeping 50 ns
// and run queue 50 ns of gap 2); preempted 550..580 (GPU busy).
const std::vector<OffCpu> kOff = {{120, 180, true, -1}, {310, 450, false, 400}, {550, 580, true, -1}};
// [420,430] meets the blocked interval (its wake-up may be the lost event): left out, with the
// 100 ns of gap 2 it covers ([350,450]). [580,580] only touches the last preemption's switch-in:
// a closed span meets it, left out too (no idle time). [190,195] meets no interval: changes nothing.
// Left: preempted 60, run queue 0, sleeping 0; starved 60 of 250 - 100 known idle; 2 left out.
const std::vector<std::pair<ns_t, ns_t>> kLoss = {{420, 430}, {580, 580}, {190, 195}};

Trace build(bool with_loss) {
  Trace t;
  t.source = TraceSource::Recording;
  for (ns_t ts : {0, 190, 490}) {
    ApiCall c;
    c.start = ts, c.dur = 5, c.pid = kPid, c.tid = kMain, c.name = t.strings.intern("cudaLaunchKernel");
    c.kind = ApiKind::KernelLaunch;
    t.api.push(c);
  }
  for (const Busy& k : kBusy) {
    GpuActivity a;
    a.start = k.b, a.dur = k.e - k.b, a.device = 0, a.name = t.strings.intern("k");
    t.gpu.push(a);
  }
  const auto sw = [&](ns_t ts, int64_t prev, bool preempted, int64_t next) {
    ContextSwitch s;
    s.ts = ts, s.cpu = 0, s.preempted = preempted, s.prev_state = preempted ? 0 : 1;
    s.prev_pid = prev == kOther ? kOther : kPid, s.prev_tid = prev;
    s.next_pid = next == kOther ? kOther : kPid, s.next_tid = next;
    t.switches.push(s);
  };
  for (const OffCpu& o : kOff) {
    sw(o.out, kMain, o.preempted, kOther);
    if (o.wake >= 0) {
      Wakeup w;
      w.ts = o.wake, w.cpu = 0, w.pid = kPid, w.tid = kMain;
      t.wakeups.push(w);
    }
    sw(o.in, kOther, true, kMain);
  }
  if (with_loss)
    for (const auto& [first, last] : kLoss) {
      LossWindow w;
      w.first = first, w.last = last, w.cpu = 1, w.lost["switch"] = 1;
      t.loss_windows.push_back(w);
    }
  return t;
}

// The same figures counted one nanosecond at a time from kBusy, kOff and kLoss.
struct Expected {
  ns_t idle = 0, preempted = 0, runqueue = 0, sleeping = 0, left_out = 0;
  int64_t intervals_left_out = 0;
};
Expected count_by_ns(bool with_loss) {
  Expected x;
  std::vector<bool> left(kOff.size(), false);
  for (size_t i = 0; i < kOff.size(); ++i)
    for (const auto& [first, last] : kLoss)
      if (with_loss && first <= kOff[i].in && last >= kOff[i].out) left[i] = true;
  for (bool l : left) x.intervals_left_out += l ? 1 : 0;
  for (ns_t ns = kBusy.front().b; ns < kBusy.back().e; ++ns) {
    bool busy = false;
    for (const Busy& k : kBusy) busy = busy || (ns >= k.b && ns < k.e);
    if (busy) continue;
    ++x.idle;
    for (size_t i = 0; i < kOff.size(); ++i) {
      const OffCpu& o = kOff[i];
      if (ns < o.out || ns >= o.in) continue;
      if (left[i]) ++x.left_out;
      else if (o.preempted) ++x.preempted;
      else if (o.wake >= 0 && ns >= o.wake) ++x.runqueue;
      else ++x.sleeping;
    }
  }
  return x;
}

TEST(GpuStarvationLoss, IntervalsMeetingALossWindowAreLeftOutAndCounted) {
  const Expected x = count_by_ns(true);
  ASSERT_EQ(x.idle, 250);  // the timeline as the comments describe it
  ASSERT_EQ(x.left_out, 100);
  const GpuStarvation g = analyze_gpu_starvation(build(true));
  ASSERT_TRUE(g.available);
  EXPECT_EQ(g.gpu_idle, x.idle);
  EXPECT_EQ(g.intervals_spanning_loss, x.intervals_left_out);
  EXPECT_EQ(g.intervals_spanning_loss, 2);
  EXPECT_EQ(g.idle_left_out, x.left_out);
  EXPECT_EQ(g.idle_while_preempted, x.preempted);
  EXPECT_EQ(g.idle_while_runqueue, x.runqueue);
  EXPECT_EQ(g.idle_while_blocked, x.sleeping);
  EXPECT_EQ(g.starved_by_scheduler, x.preempted + x.runqueue);
  EXPECT_EQ(g.gaps_starved, 1);  // gap 2's run-queue time was left out with its interval
  EXPECT_DOUBLE_EQ(g.share_of_idle,
                   static_cast<double>(x.preempted + x.runqueue) / static_cast<double>(x.idle - x.left_out));
}

TEST(GpuStarvationLoss, WithoutLossWindowsNothingIsLeftOut) {
  const Expected x = count_by_ns(false);
  const GpuStarvation g = analyze_gpu_starvation(build(false));
  ASSERT_TRUE(g.available);
  EXPECT_EQ(g.intervals_spanning_loss, 0);
  EXPECT_EQ(g.idle_left_out, 0);
  EXPECT_EQ(g.idle_while_preempted, x.preempted);
  EXPECT_EQ(g.idle_while_runqueue, x.runqueue);
  EXPECT_EQ(g.idle_while_blocked, x.sleeping);
  EXPECT_DOUBLE_EQ(g.share_of_idle, static_cast<double>(x.preempted + x.runqueue) / static_cast<double>(x.idle));
}

// The gaps of lost switches (review DX M1), as sched's off-CPU share leaves them out: two
// switch-outs in a row across a window (the switch-in between was lost) and two switch-ins in a row
// across one (a switch-out and its off-CPU interval were lost). Main: preempted at 120, [switch-in
// lost in 140..160], preempted again at 170, in at 180, [switch-out lost in 400..410], in at 450.
// GPU idle [100,200] and [350,500] (250 ns): left out [120,170] (50 ns) and, of the gap [180,450],
// [180,200] and [350,450] (120 ns); preempted and kept [170,180] (10 ns): share 10 / (250 - 170).
TEST(GpuStarvationLoss, GapsOfLostSwitchesAreLeftOut) {
  Trace t = build(false);
  t.switches = SwitchTable{};
  t.wakeups = WakeupTable{};
  const auto sw = [&](ns_t ts, bool out) {
    ContextSwitch c;
    c.ts = ts, c.cpu = 0, c.preempted = true, c.prev_state = 0;
    c.prev_pid = out ? kPid : kOther, c.prev_tid = out ? kMain : kOther;
    c.next_pid = out ? kOther : kPid, c.next_tid = out ? kOther : kMain;
    t.switches.push(c);
  };
  sw(120, true), sw(170, true), sw(180, false), sw(450, false);
  for (const auto& [first, last] : std::vector<std::pair<ns_t, ns_t>>{{140, 160}, {400, 410}}) {
    LossWindow w;
    w.first = first, w.last = last, w.cpu = 1, w.lost["switch"] = 1;
    t.loss_windows.push_back(w);
  }
  const GpuStarvation g = analyze_gpu_starvation(t);
  ASSERT_TRUE(g.available);
  EXPECT_EQ(g.gpu_idle, 250);
  EXPECT_EQ(g.idle_left_out, (170 - 120) + (200 - 180) + (450 - 350));
  EXPECT_EQ(g.idle_while_preempted, 180 - 170);
  EXPECT_EQ(g.intervals_spanning_loss, 0);  // no whole off-CPU interval met a window
  EXPECT_EQ(g.lost_switch_gaps, 2);
  EXPECT_DOUBLE_EQ(g.share_of_idle, 10.0 / (250.0 - 170.0));
  {
    const SchedAnalysis a = analyze_sched(t);
    const nlohmann::json j = sched_analysis_json(t, a)["gpu_starved_by_scheduler"];
    EXPECT_EQ(j["lost_switch_gaps"], 2);
    EXPECT_EQ(j["idle_left_out_ns"], 170);
    std::ostringstream text;
    print_sched_report(text, t, a, {});
    EXPECT_NE(text.str().find("0, and 2 gaps of lost switches (left out; "), std::string::npos) << text.str();
  }
  // A window over the whole run leaves no idle time to divide by: the share is null, not 0
  // (review EA L2).
  {
    // Off the CPU from 50 to 550, over both idle gaps, and that interval meets a window.
    Trace all = build(false);
    all.switches = SwitchTable{};
    all.wakeups = WakeupTable{};
    for (const auto& [ts, out] : std::vector<std::pair<ns_t, bool>>{{50, true}, {550, false}}) {
      ContextSwitch c;
      c.ts = ts, c.cpu = 0, c.preempted = true, c.prev_state = 0;
      c.prev_pid = out ? kPid : kOther, c.prev_tid = out ? kMain : kOther;
      c.next_pid = out ? kOther : kPid, c.next_tid = out ? kOther : kMain;
      all.switches.push(c);
    }
    LossWindow w;
    w.first = 300, w.last = 310, w.cpu = 1, w.lost["switch"] = 1;
    all.loss_windows.push_back(w);
    const SchedAnalysis a = analyze_sched(all);
    ASSERT_EQ(a.gpu_starvation.idle_left_out, 250);
    ASSERT_EQ(a.gpu_starvation.gpu_idle, 250);
    EXPECT_TRUE(sched_analysis_json(all, a)["gpu_starved_by_scheduler"]["share_of_idle"].is_null());
  }
  // Without the windows the same gaps are the kernel's (switch-ins not reported): nothing left out.
  t.loss_windows.clear();
  const GpuStarvation k = analyze_gpu_starvation(t);
  EXPECT_EQ(k.idle_left_out, 0);
  EXPECT_EQ(k.lost_switch_gaps, 0);
  EXPECT_DOUBLE_EQ(k.share_of_idle, 10.0 / 250.0);
}

// JSON and text carry the two figures only for a recording with loss windows (the keys of one
// without stay as they were).
TEST(GpuStarvationLoss, SchedReportNamesWhatWasLeftOut) {
  const Expected x = count_by_ns(true);
  const Trace t = build(true);
  const SchedAnalysis a = analyze_sched(t);
  const nlohmann::json j = sched_analysis_json(t, a)["gpu_starved_by_scheduler"];
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["offcpu_intervals_spanning_loss"], x.intervals_left_out);
  EXPECT_EQ(j["idle_left_out_ns"], x.left_out);
  EXPECT_EQ(j["starved_ns"], x.preempted + x.runqueue);
  std::ostringstream text;
  print_sched_report(text, t, a, {});
  EXPECT_NE(text.str().find("GPU idle: launching thread off-CPU intervals spanning a loss window"), std::string::npos)
      << text.str();
  // The share's denominator is named: the idle time not left out (review DX L1).
  EXPECT_NE(text.str().find(" of the " + format_ns(x.idle - x.left_out) + " not left out"), std::string::npos) << text.str();

  const Trace clean = build(false);
  const SchedAnalysis b = analyze_sched(clean);
  const nlohmann::json k = sched_analysis_json(clean, b)["gpu_starved_by_scheduler"];
  ASSERT_TRUE(k.is_object());
  EXPECT_FALSE(k.contains("offcpu_intervals_spanning_loss"));
  EXPECT_FALSE(k.contains("idle_left_out_ns"));
  std::ostringstream text2;
  print_sched_report(text2, clean, b, {});
  EXPECT_EQ(text2.str().find("spanning a loss window"), std::string::npos) << text2.str();
}

}  // namespace
}  // namespace infertrace
