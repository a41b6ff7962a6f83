// The shared off-CPU walk (analysis/offcpu_walk.h) on hand-built event lists of one thread. Each
// expected piece list is worked out by hand in the comment above it, from the rules in the header:
// the thread starts on the CPU, a switch-out opens a stay, the next switch-in closes it, and
// closed spans meeting a loss window are left out.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "analysis/offcpu_walk.h"

namespace infertrace {
namespace {

constexpr OffcpuEventKind In = OffcpuEventKind::SwitchIn, Wake = OffcpuEventKind::Wakeup, OutB = OffcpuEventKind::OutBlocked,
                          OutP = OffcpuEventKind::OutPreempted;

std::string kind_name(OffcpuPieceKind k) {
  switch (k) {
    case OffcpuPieceKind::Interval: return "interval";
    case OffcpuPieceKind::IntervalSpanningLoss: return "interval-loss";
    case OffcpuPieceKind::SwitchInMissing: return "in-missing";
    case OffcpuPieceKind::SwitchInLost: return "in-lost";
    case OffcpuPieceKind::SwitchOutLost: return "out-lost";
  }
  return "?";
}

// One line a piece, so that a failure shows the whole walk: "interval [100,300] preempted ready 100".
std::string describe(const OffcpuPiece& p) {
  std::string s = kind_name(p.kind) + " [" + std::to_string(p.begin) + "," + std::to_string(p.end) + "]";
  if (p.kind != OffcpuPieceKind::Interval && p.kind != OffcpuPieceKind::IntervalSpanningLoss) return s;
  s += p.preempted ? " preempted" : " blocked";
  s += p.ready >= 0 ? " ready " + std::to_string(p.ready) : " ready -";
  if (p.wait_meets_loss) s += " wait-loss";
  if (p.from_attach) s += " attach";
  if (p.open_end) s += " open-end";
  return s;
}

// Walks `events` (in the order listed) against the loss windows [first, last], the thread starting
// as `start` says (on the CPU by default).
std::vector<std::string> walk(std::vector<OffcpuEvent> events, const std::vector<std::pair<ns_t, ns_t>>& windows = {},
                              OffcpuStart start = {}) {
  Trace t;
  for (const auto& [first, last] : windows) {
    LossWindow w;
    w.first = first, w.last = last, w.cpu = 0, w.lost["switch"] = 1;
    t.loss_windows.push_back(w);
  }
  const LossSpans loss(t);
  std::vector<OffcpuPiece> pieces;
  walk_offcpu(events, loss, pieces, start);
  std::vector<std::string> out;
  for (const OffcpuPiece& p : pieces) out.push_back(describe(p));
  return out;
}

using Lines = std::vector<std::string>;

TEST(OffcpuWalk, PreemptedStayIsRunnableFromItsSwitchOut) {
  // Preempted at 100, back at 300: runnable the whole time, so ready = the switch-out. A wake-up
  // at 150 of a preempted thread moves nothing.
  EXPECT_EQ(walk({{100, OutP}, {300, In}}), Lines({"interval [100,300] preempted ready 100"}));
  EXPECT_EQ(walk({{100, OutP}, {150, Wake}, {300, In}}), Lines({"interval [100,300] preempted ready 100"}));
}

TEST(OffcpuWalk, BlockedStayWithAndWithoutWakeup) {
  // Blocked at 100, back at 400, no wake-up recorded: nothing says when it became runnable.
  EXPECT_EQ(walk({{100, OutB}, {400, In}}), Lines({"interval [100,400] blocked ready -"}));
  // Listed out of order: sorted, the wake-ups are 250 and 300; the first one makes it runnable.
  EXPECT_EQ(walk({{400, In}, {300, Wake}, {100, OutB}, {250, Wake}}), Lines({"interval [100,400] blocked ready 250"}));
}

TEST(OffcpuWalk, WakeupsWhileRunningChangeNothing) {
  // Wake 50 comes before any switch-out (the walk starts on the CPU), wake 250 between the first
  // stay's switch-in (200) and the next switch-out (300): neither is a ready time, so both stays
  // read "ready -".
  EXPECT_EQ(walk({{50, Wake}, {100, OutB}, {200, In}, {250, Wake}, {300, OutB}, {500, In}}),
            Lines({"interval [100,200] blocked ready -", "interval [300,500] blocked ready -"}));
}

TEST(OffcpuWalk, TieOffTheCpuWithASwitchInReturnsFirst) {
  // Off the CPU since 100 when the tie at 200 holds a switch-out and a switch-in (the switch-out
  // listed first): it came back at 200 before it left again, so [100,200] closes as a blocked stay
  // and [200,300] is a preempted one; no switch-in is missing.
  const Lines expected{"interval [100,200] blocked ready -", "interval [200,300] preempted ready 200"};
  EXPECT_EQ(walk({{100, OutB}, {200, OutP}, {200, In}, {300, In}}), expected);
  EXPECT_EQ(walk({{100, OutB}, {200, In}, {200, OutP}, {300, In}}), expected);
}

TEST(OffcpuWalk, TieOnTheCpuLeavesFirst) {
  // Back on the CPU at 100 when the tie at 200 holds a switch-in and a switch-out (the switch-in
  // listed first): it had to leave before it could return, a stay of 0 ns at 200; the switch-in at
  // 300 then finds it running (no loss window: nothing left out).
  const Lines expected{"interval [50,100] blocked ready -", "interval [200,200] preempted ready 200"};
  EXPECT_EQ(walk({{50, OutB}, {100, In}, {200, In}, {200, OutP}, {300, In}}), expected);
  EXPECT_EQ(walk({{50, OutB}, {100, In}, {200, OutP}, {200, In}, {300, In}}), expected);
}

TEST(OffcpuWalk, TieOffTheCpuWithoutASwitchInLeavesBeforeTheWakeup) {
  // Off the CPU since 100; the tie at 200 holds a wake-up and a switch-out but no switch-in: the
  // switch-out first (a missing switch-in [100,200]), so the wake-up belongs to the new stay and
  // the switch-in at 300 gives it a wait from 200 (review BM M2).
  EXPECT_EQ(walk({{100, OutB}, {200, Wake}, {200, OutB}, {300, In}}),
            Lines({"in-missing [100,200]", "interval [200,300] blocked ready 200"}));
}

TEST(OffcpuWalk, SecondSwitchOutWithoutLossIsAMissingSwitchIn) {
  // Preempted at 100, blocked at 200 with no switch-in between: the thread ran unreported in
  // [100,200]; the stay runs from 200 and is a blocked one (the preempted ready time does not carry).
  EXPECT_EQ(walk({{100, OutP}, {200, OutB}, {300, In}}),
            Lines({"in-missing [100,200]", "interval [200,300] blocked ready -"}));
}

TEST(OffcpuWalk, SecondSwitchOutAcrossALossWindowIsALostSwitchIn) {
  // The same with a loss window [150,160] inside the gap: the switch-in may have been lost, the
  // gap is left out; the stay [200,300] does not meet the window and is kept.
  EXPECT_EQ(walk({{100, OutP}, {200, OutB}, {300, In}}, {{150, 160}}),
            Lines({"in-lost [100,200]", "interval [200,300] blocked ready -"}));
}

TEST(OffcpuWalk, SecondSwitchInAcrossALossWindowIsALostSwitchOut) {
  // Stay [10,100]; then a switch-in at 300 finds the thread running since 100. With the window
  // [200,210] in the gap a switch-out was lost there: [100,300] left out (in_at follows the
  // interval's switch-in too). Without a window nothing is known lost.
  EXPECT_EQ(walk({{10, OutP}, {100, In}, {300, In}}, {{200, 210}}),
            Lines({"interval [10,100] preempted ready 10", "out-lost [100,300]"}));
  EXPECT_EQ(walk({{10, OutP}, {100, In}, {300, In}}), Lines({"interval [10,100] preempted ready 10"}));
  // The first event a switch-in: no earlier switch-in to span from.
  EXPECT_EQ(walk({{100, In}, {200, OutP}, {300, In}}, {{50, 60}}), Lines({"interval [200,300] preempted ready 200"}));
}

TEST(OffcpuWalk, IntervalMeetingALossWindowIsMarkedWithItsWait) {
  // Blocked [100,400], woken at 200. A window [150,160] meets the sleep only: the interval is
  // left out, its wait [200,400] is clear of it. A window [300,310] meets the wait as well.
  EXPECT_EQ(walk({{100, OutB}, {200, Wake}, {400, In}}, {{150, 160}}),
            Lines({"interval-loss [100,400] blocked ready 200"}));
  EXPECT_EQ(walk({{100, OutB}, {200, Wake}, {400, In}}, {{300, 310}}),
            Lines({"interval-loss [100,400] blocked ready 200 wait-loss"}));
  // Closed spans: a window starting at the switch-in's ns meets the interval, one starting 1 ns
  // later does not.
  EXPECT_EQ(walk({{100, OutP}, {400, In}}, {{400, 410}}), Lines({"interval-loss [100,400] preempted ready 100 wait-loss"}));
  EXPECT_EQ(walk({{100, OutP}, {400, In}}, {{401, 410}}), Lines({"interval [100,400] preempted ready 100"}));
}

// A thread off the CPU at the attach (review RP M3): the state read from /proc ('S', 'D', 'R', or 0
// unknown) decides whether the walk starts it off the CPU at its TASK stamp.
OffcpuStart at_attach(ns_t ts, char state) {
  OffcpuStart s;
  s.ts = ts, s.off_cpu = offcpu_state(state);
  return s;
}

// The summed length of the closed intervals kept (what sched counts as off-CPU time).
ns_t offcpu_total(std::vector<OffcpuEvent> events, OffcpuStart start) {
  const LossSpans loss{Trace{}};
  std::vector<OffcpuPiece> pieces;
  walk_offcpu(events, loss, pieces, start);
  ns_t total = 0;
  for (const OffcpuPiece& p : pieces)
    if (p.kind == OffcpuPieceKind::Interval) total += p.end - p.begin;
  return total;
}

TEST(OffcpuWalk, BlockedAtTheAttachIsOffTheCpuFromTheStamp) {
  // Stamped at t0 in state S, first switched in at t1, out again at t2 (blocked), back at t3: off
  // the CPU t1 - t0 (from the attach) plus t3 - t2.
  const ns_t t0 = 1'000'000, t1 = t0 + 1'515'300'000, t2 = t1 + 20'000, t3 = t2 + 30'000;
  const std::vector<OffcpuEvent> ev{{t1, In}, {t2, OutB}, {t3, In}};
  EXPECT_EQ(offcpu_total(ev, at_attach(t0, 'S')), (t1 - t0) + (t3 - t2));
  EXPECT_EQ(walk(ev, {}, at_attach(t0, 'S')),
            Lines({"interval [" + std::to_string(t0) + "," + std::to_string(t1) + "] blocked ready - attach",
                   "interval [" + std::to_string(t2) + "," + std::to_string(t3) + "] blocked ready -"}));
  // D (uninterruptible) and T (stopped) are off the CPU as S is; a wake-up before the switch-in is
  // when it became runnable, as for any block.
  EXPECT_EQ(offcpu_total(ev, at_attach(t0, 'D')), (t1 - t0) + (t3 - t2));
  EXPECT_EQ(offcpu_total(ev, at_attach(t0, 'T')), (t1 - t0) + (t3 - t2));
  EXPECT_EQ(walk({{500, Wake}, {700, In}}, {}, at_attach(100, 'S')), Lines({"interval [100,700] blocked ready 500 attach"}));
  // Running or runnable (R), or unknown (0: a recording without states): the walk starts on the CPU,
  // as before: only t3 - t2 counts.
  EXPECT_EQ(offcpu_total(ev, at_attach(t0, 'R')), t3 - t2);
  EXPECT_EQ(offcpu_total(ev, at_attach(t0, 0)), t3 - t2);
  EXPECT_EQ(offcpu_total(ev, OffcpuStart{}), t3 - t2);
}

TEST(OffcpuWalk, SwitchOutFirstAfterAnOffCpuStateCountsNothingTwice) {
  // /proc said S, but the first event is a switch-out at 300: the thread ran after the stamp (it
  // woke between the stamp and the read and blocked again). Off the CPU only from 300 to 500: no
  // interval from the stamp, no missing switch-in, nothing counted twice or negative.
  EXPECT_EQ(walk({{300, OutB}, {500, In}}, {}, at_attach(100, 'S')), Lines({"interval [300,500] blocked ready -"}));
  EXPECT_EQ(offcpu_total({{300, OutP}, {500, In}, {600, OutB}, {900, In}}, at_attach(100, 'S')), (500 - 300) + (900 - 600));
  // The same events with the state R give the same pieces.
  EXPECT_EQ(walk({{300, OutB}, {500, In}}, {}, at_attach(100, 'R')), walk({{300, OutB}, {500, In}}, {}, at_attach(100, 'S')));
}

TEST(OffcpuWalk, AttachIntervalMeetingALossWindowIsLeftOut) {
  // Blocked from the stamp 100 to the switch-in at 900; a loss window [400, 450] lies inside: the
  // switch-out and switch-in that may have been lost there make the span unknown, left out.
  EXPECT_EQ(walk({{900, In}}, {{400, 450}}, at_attach(100, 'S')), Lines({"interval-loss [100,900] blocked ready - attach"}));
}

TEST(OffcpuWalk, AttachStateIgnoredWhenAnEventPrecedesTheStamp) {
  // No recorded event can precede the stamp; a trace that holds one (merged, damaged) keeps the
  // walk's start on the CPU: the switch-in at 50 is not the end of a stay begun at 100.
  EXPECT_EQ(walk({{50, In}, {200, OutB}, {300, In}}, {}, at_attach(100, 'S')), Lines({"interval [200,300] blocked ready -"}));
  // A thread with no event at all yields nothing: no switch-in ends the stay (as a last switch-out).
  EXPECT_EQ(walk({}, {}, at_attach(100, 'S')), Lines({}));
}

OffcpuStart at_attach_until(ns_t ts, char state, ns_t until) {
  OffcpuStart s = at_attach(ts, state);
  s.until = until;
  return s;
}

TEST(OffcpuWalk, OffTheCpuFromTheAttachToTheRecordingsEnd) {
  // Asleep at the stamp 100 and never switched in before the end 1000 (review S39 L1): off the CPU
  // [100, 1000], an open end (no run-queue sample can come of it).
  EXPECT_EQ(walk({}, {}, at_attach_until(100, 'S', 1000)), Lines({"interval [100,1000] blocked ready - attach open-end"}));
  // Woken at 700 and still waiting for a CPU at the end: asleep [100, 700], waiting [700, 1000].
  EXPECT_EQ(walk({{700, Wake}}, {}, at_attach_until(100, 'S', 1000)),
            Lines({"interval [100,1000] blocked ready 700 attach open-end"}));
  // A loss window inside: left out as any interval meeting one.
  EXPECT_EQ(walk({}, {{400, 450}}, at_attach_until(100, 'D', 1000)),
            Lines({"interval-loss [100,1000] blocked ready - attach open-end"}));
  // Closed by a switch-in: the end plays no part, and the stay after the next switch-out is open
  // as any last switch-out (nothing).
  EXPECT_EQ(walk({{300, In}, {500, OutB}}, {}, at_attach_until(100, 'S', 1000)),
            Lines({"interval [100,300] blocked ready - attach"}));
  // A switch-out first (it ran after the stamp), R, or unknown: nothing from the stamp.
  EXPECT_EQ(walk({{300, OutB}}, {}, at_attach_until(100, 'S', 1000)), Lines({}));
  EXPECT_EQ(walk({}, {}, at_attach_until(100, 'R', 1000)), Lines({}));
  EXPECT_EQ(walk({}, {}, at_attach_until(100, 0, 1000)), Lines({}));
  // An end at or before the stamp: nothing.
  EXPECT_EQ(walk({}, {}, at_attach_until(100, 'S', 100)), Lines({}));
}

TEST(OffcpuWalk, PiecesAreReplacedOnEachWalk) {
  // The caller reuses one vector across threads: a second walk must not keep the first's pieces.
  const LossSpans loss{Trace{}};
  std::vector<OffcpuPiece> pieces;
  std::vector<OffcpuEvent> a{{100, OutP}, {200, In}}, b{{500, OutB}, {700, In}};
  walk_offcpu(a, loss, pieces);
  ASSERT_EQ(pieces.size(), 1u);
  walk_offcpu(b, loss, pieces);
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(describe(pieces[0]), "interval [500,700] blocked ready -");
}

}  // namespace
}  // namespace infertrace
