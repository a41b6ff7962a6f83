// A thread id that names two threads in turn (analysis/thread_lives.h; review SP M1), on hand-built
// traces whose expected figures are worked out in the comments from the events inserted.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "analysis/gpu_starvation.h"
#include "analysis/sched.h"
#include "analysis/thread_lives.h"
#include "loss_window_make.h"
#include "report/sched_render.h"

namespace infertrace {
namespace {

constexpr int64_t kPid = 100, kMain = 101, kOther = 999;

void launch(Trace& t, int64_t pid, int64_t tid, ns_t ts) {
  ApiCall c;
  c.start = ts, c.dur = 10, c.pid = pid, c.tid = tid, c.name = t.strings.intern("cudaLaunchKernel");
  c.kind = classify_api("cudaLaunchKernel");
  t.api.push(c);
}

// prev_state: 0 runnable (preempted), 1 interruptible (blocked), kTaskDead its final switch.
void sw(Trace& t, ns_t ts, int64_t prev_pid, int64_t prev_tid, int64_t prev_state, int64_t next_pid, int64_t next_tid) {
  ContextSwitch s;
  s.ts = ts, s.cpu = 0, s.prev_pid = prev_pid, s.prev_tid = prev_tid, s.prev_state = prev_state;
  s.preempted = prev_state == 0, s.next_pid = next_pid, s.next_tid = next_tid;
  t.switches.push(s);
}

void wakeup(Trace& t, ns_t ts, int64_t pid, int64_t tid) {
  Wakeup w;
  w.ts = ts, w.cpu = 0, w.pid = pid, w.tid = tid, w.waker_pid = kPid, w.waker_tid = kMain;
  t.wakeups.push(w);
}

const ThreadSched* thread_of(const SchedAnalysis& a, int64_t tid) {
  for (const ThreadSched& th : a.threads)
    if (th.tid == tid) return &th;
  return nullptr;
}

void task(Trace& t, ns_t ts, int64_t pid, int64_t tid, TaskKind kind) {
  TaskEvent e;
  e.ts = ts, e.pid = pid, e.tid = tid, e.kind = kind;
  t.tasks.push(e);
}

// A traced thread's row of the thread table, as the recording's reader makes it (one per id): the
// scope takes a switch side whose id is in the table as a traced thread's, whatever its process.
void thread_row(Trace& t, int64_t pid, int64_t tid) {
  ThreadInfo th;
  th.pid = pid, th.tid = tid;
  t.threads.push(th);
}

// Lives are split at each final switch-out; the switch-out belongs to the life it ends.
TEST(ThreadLives, LifeAndTracedByEventsAfterEachDeath) {
  Trace t;
  task(t, 10, 7, 7, TaskKind::Existing);        // life 0: alive at the attach
  sw(t, 100, 7, 7, kTaskDead, kOther, kOther);  // 7 dies at 100
  sw(t, 300, 7, 7, kTaskDead, kOther, kOther);  // the next 7 dies at 300
  launch(t, 7, 7, 200);                          // life 1 made a launch: traced
  sw(t, 400, 7, 7, 0, kOther, kOther);           // life 2: a switch only (an outsider)
  const ThreadLives lives(t);
  EXPECT_EQ(lives.life(7, 50), 0u);
  EXPECT_EQ(lives.life(7, 100), 0u);
  EXPECT_EQ(lives.life(7, 101), 1u);
  EXPECT_EQ(lives.life(7, 300), 1u);
  EXPECT_EQ(lives.life(7, 301), 2u);
  EXPECT_EQ(lives.life(8, 301), 0u);  // an id that never died
  EXPECT_TRUE(lives.traced(7, 50));
  EXPECT_TRUE(lives.traced(7, 200));
  EXPECT_FALSE(lives.traced(7, 400));  // nothing only a traced thread gets after 300
  EXPECT_TRUE(lives.traced(8, 400));
  EXPECT_EQ(lives.ids_reused(), 1);
}

// The same lives for ids on both sides of the bitmap that answers "never died" (2^22 ids, Linux's
// largest pid_max) and for ids past it: 3 and 64 (bit 0 of the second word) die, 65 does not;
// 2^22 + 5 dies, 2^22 + 6 and 2^22 - 1 do not; a negative id never dies.
TEST(ThreadLives, IdsOnBothSidesOfTheBitmap) {
  constexpr int64_t kBig = (int64_t{1} << 22) + 5;
  for (const bool with_big : {false, true}) {
    Trace t;
    for (const int64_t tid : {int64_t{3}, int64_t{64}}) {
      task(t, 10, tid, tid, TaskKind::Existing);
      sw(t, 100, tid, tid, kTaskDead, kOther, kOther);
      launch(t, tid, tid, 200);  // the next life of the id is traced too
    }
    if (with_big) {
      task(t, 10, kBig, kBig, TaskKind::Existing);
      sw(t, 100, kBig, kBig, kTaskDead, kOther, kOther);
      sw(t, 150, kBig, kBig, 0, kOther, kOther);  // a switch only after the death: an outsider
    }
    const ThreadLives lives(t);
    SCOPED_TRACE(with_big ? "an id past the bitmap died" : "ids inside the bitmap only");
    for (const int64_t tid : {int64_t{3}, int64_t{64}}) {
      EXPECT_EQ(lives.life(tid, 100), 0u) << tid;
      EXPECT_EQ(lives.life(tid, 101), 1u) << tid;
      EXPECT_TRUE(lives.traced(tid, 200)) << tid;
    }
    for (const int64_t tid : {int64_t{65}, (int64_t{1} << 22) - 1, kBig + 1, int64_t{-1}}) {
      EXPECT_EQ(lives.life(tid, 500), 0u) << tid;
      EXPECT_TRUE(lives.traced(tid, 500)) << tid;
    }
    EXPECT_EQ(lives.life(kBig, 101), with_big ? 1u : 0u);
    EXPECT_EQ(lives.traced(kBig, 150), !with_big);
    EXPECT_EQ(lives.ids_reused(), 2 + with_big);
  }
}

// Review LW L1: thread 500 of process 100 launches twice (20, 40) and exits at 100; a new thread
// gets id 500 at 150 and launches twice (200, 220). Two threads had launch pairs, one id: the
// impact's "summed over N launching threads" and its per-thread average count threads (2), as the
// pairs do (none spans the two lives), not ids (1).
TEST(ThreadLives, LaunchingThreadsAreCountedPerLifeOfAnId) {
  Trace t;
  t.meta["events"] = "launch,sched";
  for (ns_t ts : {20, 40}) launch(t, kPid, 500, ts);
  task(t, 10, kPid, 500, TaskKind::New);
  sw(t, 100, kPid, 500, kTaskDead, kOther, kOther);
  task(t, 150, kPid, 500, TaskKind::New);
  sw(t, 160, kOther, kOther, 0, kPid, 500);
  for (ns_t ts : {200, 220}) launch(t, kPid, 500, ts);
  const SchedAnalysis a = analyze_sched(t, {});
  EXPECT_EQ(a.thread_ids_reused, 1);
  EXPECT_EQ(a.all.count, 2);  // 20-40 and 200-220; not 40-200 across the thread's end
  EXPECT_EQ(a.pair_threads, 2);
}

// Review LW L2: with loss, each thread life's kept excess is over the wall less ITS left-out pairs,
// not less those of every thread that had its id. Thread 101 of process 100 (life 0) launches at 0,
// 1000, 2000, 5000 and 6000, preempted at 2500 (back at 4000), and exits at 7000; a new thread gets
// id 101 and launches at 8000, 9000, 10000, 13000, 14000, 15000, 17000 and 18000, preempted at 11000
// (back at 12000). One loss window, [16000, 16100], in the second life only. Worked by hand:
// pairs of life 0: 1000, 1000, 3000 (preempted), 1000; 6000 -> 8000 spans the exit (no pair); life 1:
// 1000, 1000, 3000 (preempted), 1000, 1000, [15000, 17000] left out (2000 ns), 1000. Clean median
// 1000, so each life's excess is 2000. Wall [0, 18010] (the last launch's end): life 0's 2000 over
// 18010, life 1's over 18010 - 2000 = 16010 (per id, both over 16010: 4000 / 16010, too high). The
// launch window [0, 18000]: 2000 / 18000 + 2000 / 16000.
TEST(ThreadLives, ImpactUnderLossHasAWallPerLifeOfAnId) {
  Trace t;
  t.source = TraceSource::Recording;
  t.meta["events"] = "launch,sched";
  for (ns_t ts : {0, 1000, 2000, 5000, 6000}) launch(t, kPid, kMain, ts);
  sw(t, 2500, kPid, kMain, 0, kOther, kOther);
  sw(t, 4000, kOther, kOther, 0, kPid, kMain);
  sw(t, 7000, kPid, kMain, kTaskDead, kOther, kOther);
  task(t, 7500, kPid, kMain, TaskKind::New);
  sw(t, 7600, kOther, kOther, 0, kPid, kMain);
  for (ns_t ts : {8000, 9000, 10000, 13000, 14000, 15000, 17000, 18000}) launch(t, kPid, kMain, ts);
  sw(t, 11000, kPid, kMain, 0, kOther, kOther);
  sw(t, 12000, kOther, kOther, 0, kPid, kMain);
  t.loss_windows = {make_loss_window(16000, 16100, 0, 1, 0)};
  const SchedAnalysis a = analyze_sched(t, {});
  EXPECT_EQ(a.thread_ids_reused, 1);
  EXPECT_EQ(a.pairs_across_thread_end, 1);
  EXPECT_EQ(a.pairs_spanning_loss, 1);
  EXPECT_EQ(a.clean.count, 8);
  EXPECT_DOUBLE_EQ(a.clean.median, 1000.0);
  EXPECT_EQ(a.preempted.count, 2);
  EXPECT_EQ(a.pair_threads, 2);
  EXPECT_EQ(a.wall, 18'010);
  const double want = 2000.0 / 18'010.0 + 2000.0 / 16'010.0;
  ASSERT_TRUE(a.scheduler_impact && a.impact_preempted && a.impact_blocked);
  EXPECT_NEAR(*a.scheduler_impact, want, 1e-15);
  EXPECT_NEAR(*a.impact_preempted, want, 1e-15);
  EXPECT_EQ(*a.impact_blocked, 0.0);
  ASSERT_TRUE(a.launch_window.defined && a.launch_window.scheduler_impact);
  EXPECT_EQ(a.launch_window.wall, 18'000);
  EXPECT_NEAR(*a.launch_window.scheduler_impact, 2000.0 / 18'000.0 + 2000.0 / 16'000.0, 1e-15);
}

// Review S40 H1: with --events launch,sched (no wake-ups, no syscalls) a thread of a traced pool
// that gets a dead pool thread's id has no event but its switches and its TASK record: that record
// says it is traced. Thread 500 of process 100, made at 10, preempted 50 -> 60, exits at 100; a new
// thread of process 100 gets id 500 at 150, is preempted 200 -> 260 and 300 -> 330, exits at 400.
// Expected: 5 switch-outs (3 preempted), off-CPU 10 + 60 + 30 = 100.
TEST(ThreadLives, TaskRecordMakesASwitchOnlyLifeTraced) {
  Trace t;
  t.meta["events"] = "launch,sched";
  for (int i = 1; i <= 4; ++i) launch(t, kPid, kMain, 100 * i);
  task(t, 10, kPid, 500, TaskKind::New);
  sw(t, 50, kPid, 500, 0, kOther, kOther);
  sw(t, 60, kOther, kOther, 0, kPid, 500);
  sw(t, 100, kPid, 500, kTaskDead, kOther, kOther);
  task(t, 150, kPid, 500, TaskKind::New);
  sw(t, 160, kOther, kOther, 0, kPid, 500);
  sw(t, 200, kPid, 500, 0, kOther, kOther);
  sw(t, 260, kOther, kOther, 0, kPid, 500);
  sw(t, 300, kPid, 500, 0, kOther, kOther);
  sw(t, 330, kOther, kOther, 0, kPid, 500);
  sw(t, 400, kPid, 500, kTaskDead, kOther, kOther);
  const SchedAnalysis a = analyze_sched(t, {});
  const ThreadSched* th = thread_of(a, 500);
  ASSERT_NE(th, nullptr);
  EXPECT_EQ(th->switch_outs, 5);
  EXPECT_EQ(th->preemptions, 3);
  EXPECT_EQ(th->offcpu, 10 + 60 + 30);
  EXPECT_EQ(a.thread_ids_reused, 1);
}

// Review S40 M1: an untraced process (pid = tid 600) shares the CPU with the traced main thread
// (preempts it at 100, preempted back at 150, again 200 / 260) and exits at 300; then the traced
// process makes a thread that gets id 600 (TASK New at 400), which blocks 450 -> 500 and exits at
// 600. Expected: the first life is the outsider's (no record of a traced thread in it while the
// later one has one): switch-outs main's 2 preemptions + 600's block and exit = 4, not 7 (with the
// outsider's 3); 600's off-CPU time its block's 50 alone, none of the outsider's.
TEST(ThreadLives, UntracedProcessBeforeATracedThreadWithItsIdIsNotTraced) {
  Trace t;
  for (int i = 1; i <= 6; ++i) launch(t, kPid, kMain, 100 * i + 10);
  sw(t, 100, kPid, kMain, 0, 600, 600);
  sw(t, 150, 600, 600, 0, kPid, kMain);
  sw(t, 200, kPid, kMain, 0, 600, 600);
  sw(t, 260, 600, 600, 0, kPid, kMain);
  sw(t, 300, 600, 600, kTaskDead, kOther, kOther);
  task(t, 400, kPid, 600, TaskKind::New);
  sw(t, 420, kOther, kOther, 0, kPid, 600);
  sw(t, 450, kPid, 600, 1, kOther, kOther);
  sw(t, 500, kOther, kOther, 0, kPid, 600);
  sw(t, 600, kPid, 600, kTaskDead, kOther, kOther);
  const SchedAnalysis a = analyze_sched(t, {});
  EXPECT_EQ(a.switch_outs, 4);
  EXPECT_EQ(a.preemptions, 2);
  const ThreadSched* th = thread_of(a, 600);
  ASSERT_NE(th, nullptr);
  EXPECT_EQ(th->switch_outs, 2);
  EXPECT_EQ(th->offcpu, 50);
  EXPECT_EQ(a.thread_ids_reused, 1);
}

// Review S43: an untraced process's thread (process 700, thread 600) shares the CPU with the traced
// main thread (preempts it at 100, preempted back at 150, again 200 / 260); its exit is not in the
// recording (its final switch-out had no traced side). The traced process then makes a thread that
// gets id 600 (TASK New at 400), which blocks 450 -> 500 and exits at 600. Nothing but the switch
// rows' process ids (700, then 100) tells the two apart. Expected as in the test above: switch-outs
// main's 2 preemptions + 600's block and exit = 4 (not 6: the outsider's 2 preemptions); 600's
// off-CPU time its block's 50 alone (not also [260, 420] from the outsider's last switch-out to the
// new thread's first switch-in, 160 more); lives of 600: the outsider's up to the instant before the
// new thread's first record, its TASK record at 400 (not traced), the traced thread's from there.
TEST(ThreadLives, UntracedProcessWithoutARecordedExitIsCutByItsProcessId) {
  Trace t;
  thread_row(t, kPid, kMain), thread_row(t, kPid, 600);
  for (int i = 1; i <= 6; ++i) launch(t, kPid, kMain, 100 * i + 10);
  sw(t, 100, kPid, kMain, 0, 700, 600);
  sw(t, 150, 700, 600, 0, kPid, kMain);
  sw(t, 200, kPid, kMain, 0, 700, 600);
  sw(t, 260, 700, 600, 0, kPid, kMain);
  task(t, 400, kPid, 600, TaskKind::New);
  sw(t, 420, kOther, kOther, 0, kPid, 600);
  sw(t, 450, kPid, 600, 1, kOther, kOther);
  sw(t, 500, kOther, kOther, 0, kPid, 600);
  sw(t, 600, kPid, 600, kTaskDead, kOther, kOther);
  const ThreadLives lives(t);
  EXPECT_EQ(lives.life(600, 260), 0u);
  EXPECT_EQ(lives.life(600, 399), 0u);
  EXPECT_EQ(lives.life(600, 400), 1u);
  EXPECT_EQ(lives.life(600, 600), 1u);
  EXPECT_FALSE(lives.traced(600, 150));
  EXPECT_TRUE(lives.traced(600, 450));
  EXPECT_EQ(lives.ids_reused(), 1);
  const SchedAnalysis a = analyze_sched(t, {});
  EXPECT_EQ(a.switch_outs, 4);
  EXPECT_EQ(a.preemptions, 2);
  const ThreadSched* th = thread_of(a, 600);
  ASSERT_NE(th, nullptr);
  EXPECT_EQ(th->switch_outs, 2);
  EXPECT_EQ(th->preemptions, 0);
  EXPECT_EQ(th->offcpu, 50);
  const ThreadSched* main = thread_of(a, kMain);
  ASSERT_NE(main, nullptr);
  EXPECT_EQ(main->offcpu, (150 - 100) + (260 - 200));
  EXPECT_EQ(a.thread_ids_reused, 1);
}

// The other order: a traced thread (process 100, thread 500, made at 10, preempted 50 -> 60,
// launches at 100 while on the CPU) whose final switch-out the recorder lost; a thread of untraced
// process 800 then has id 500 and preempts the main thread at 300, preempted back at 350. Expected:
// switch-outs 500's one and main's one = 2, both preempted; 500's off-CPU time 10; the outsider's
// switch-out at 350 is no traced thread's. The launch at 100, which has no process record after
// it, is the traced thread's: its life ends just before the outsider's first record, at 300.
TEST(ThreadLives, OutsiderAfterATracedThreadWhoseExitWasLostIsCutByItsProcessId) {
  Trace t;
  thread_row(t, kPid, kMain), thread_row(t, kPid, 500);
  for (int i = 1; i <= 4; ++i) launch(t, kPid, kMain, 100 * i);
  task(t, 10, kPid, 500, TaskKind::New);
  sw(t, 20, kOther, kOther, 0, kPid, 500);
  sw(t, 50, kPid, 500, 0, kOther, kOther);
  sw(t, 60, kOther, kOther, 0, kPid, 500);
  launch(t, kPid, 500, 100);
  sw(t, 300, kPid, kMain, 0, 800, 500);
  sw(t, 350, 800, 500, 0, kPid, kMain);
  const ThreadLives lives(t);
  EXPECT_EQ(lives.life(500, 100), 0u);
  EXPECT_EQ(lives.life(500, 299), 0u);
  EXPECT_EQ(lives.life(500, 300), 1u);
  EXPECT_TRUE(lives.traced(500, 50));
  EXPECT_FALSE(lives.traced(500, 350));
  const SchedAnalysis a = analyze_sched(t, {});
  EXPECT_EQ(a.switch_outs, 2);
  EXPECT_EQ(a.preemptions, 2);
  const ThreadSched* th = thread_of(a, 500);
  ASSERT_NE(th, nullptr);
  EXPECT_EQ(th->switch_outs, 1);
  EXPECT_EQ(th->offcpu, 10);
  EXPECT_EQ(a.thread_ids_reused, 1);
}

// Ends by process and by death together, for an id inside the bitmap of ids with more than one life
// and for one past it (2^22 + 5, a map's): process 700's thread with the id preempts main at 100
// and is preempted back at 150, then wakes main at 180 (its last record: the waker's ids); a traced
// thread of process 100 gets the id (TASK New at 200), runs from 210 and exits at 300; process 800's
// thread gets it after that death, switched with main at 400 and 450. Expected ends: 199 (the instant
// before the traced thread's first record) and 300 (the death); the change to 800 after the death is
// no third end. And id + 50, seen in process 700 only as the waker of a wake-up of main at 180, then
// made in process 100 at 200 (TASK New): two lives, the second from 200.
TEST(ThreadLives, EndsByProcessAndByDeathOnBothSidesOfTheBitmap) {
  for (const int64_t tid : {int64_t{600}, (int64_t{1} << 22) + 5}) {
    SCOPED_TRACE(tid);
    Trace t;
    launch(t, kPid, kMain, 50);
    sw(t, 100, kPid, kMain, 0, 700, tid);
    sw(t, 150, 700, tid, 0, kPid, kMain);
    Wakeup w;
    w.ts = 180, w.pid = kPid, w.tid = kMain, w.waker_pid = 700, w.waker_tid = tid;
    t.wakeups.push(w);
    task(t, 200, kPid, tid, TaskKind::New);
    w.waker_tid = tid + 50;
    t.wakeups.push(w);
    task(t, 200, kPid, tid + 50, TaskKind::New);
    sw(t, 210, kOther, kOther, 0, kPid, tid);
    sw(t, 300, kPid, tid, kTaskDead, kOther, kOther);
    sw(t, 400, kPid, kMain, 0, 800, tid);
    sw(t, 450, 800, tid, 0, kPid, kMain);
    const ThreadLives lives(t);
    EXPECT_EQ(lives.life(tid, 150), 0u);
    EXPECT_EQ(lives.life(tid, 199), 0u);
    EXPECT_EQ(lives.life(tid, 200), 1u);
    EXPECT_EQ(lives.life(tid, 300), 1u);
    EXPECT_EQ(lives.life(tid, 301), 2u);
    EXPECT_EQ(lives.life(tid, 450), 2u);
    EXPECT_FALSE(lives.traced(tid, 100));
    EXPECT_TRUE(lives.traced(tid, 250));
    EXPECT_FALSE(lives.traced(tid, 450));
    EXPECT_EQ(lives.life(kMain, 450), 0u);  // one process all along
    EXPECT_EQ(lives.life(tid + 50, 199), 0u);
    EXPECT_EQ(lives.life(tid + 50, 200), 1u);
    EXPECT_EQ(lives.ids_reused(), 1);
  }
}

// What stays one life (guards: the same on the commit before the process rule). A non-leader's exec
// (thread 301 of process 300): the leader's final switch-out at 500, then thread 301 goes on under
// the leader's id 300 (TASK Exec at 510), in the same process; id 300 has two lives, split by that
// death, both traced; 301 has one. And a thread of process 100 given id 700 of another thread of
// process 100 whose death was lost: nothing tells them apart, one life.
TEST(ThreadLives, ExecAndSameProcessReuseKeepOneLifePerDeath) {
  Trace t;
  task(t, 5, 300, 300, TaskKind::Existing);
  task(t, 6, 300, 301, TaskKind::New);
  launch(t, 300, 301, 100);
  launch(t, 300, 301, 200);
  sw(t, 150, 300, 300, 1, 300, 301);
  sw(t, 250, 300, 301, 0, kOther, kOther);
  sw(t, 480, kOther, kOther, 0, 300, 300);
  sw(t, 500, 300, 300, kTaskDead, kOther, kOther);
  task(t, 510, 300, 300, TaskKind::Exec);
  sw(t, 520, kOther, kOther, 0, 300, 300);
  launch(t, 300, 300, 530);
  task(t, 10, kPid, 700, TaskKind::New);
  sw(t, 20, kOther, kOther, 0, kPid, 700);
  sw(t, 30, kPid, 700, 0, kOther, kOther);
  task(t, 600, kPid, 700, TaskKind::New);
  sw(t, 610, kOther, kOther, 0, kPid, 700);
  const ThreadLives lives(t);
  EXPECT_EQ(lives.life(300, 500), 0u);
  EXPECT_EQ(lives.life(300, 520), 1u);
  EXPECT_TRUE(lives.traced(300, 150));
  EXPECT_TRUE(lives.traced(300, 520));
  EXPECT_EQ(lives.life(301, 250), 0u);
  EXPECT_EQ(lives.life(700, 610), 0u);
  EXPECT_TRUE(lives.traced(700, 610));
  EXPECT_EQ(lives.ids_reused(), 1);  // 300's two lives
}

// The traced child (pid = tid 200) launches twice, blocks once (1800 -> 2200) and exits at 2800. An
// untraced busy process then gets id 200 and shares the CPU with the traced main thread: it
// preempts main at 5000 and 7000 and is preempted back at 5500 and 7400 (recorded because main is
// the other side). Expected: switch-outs of traced threads are main's 2 preemptions and the child's
// block and final switch-out: 4 (2 preempted), not 6 (4 preempted); the child's off-CPU time is its
// one block, 400 ns, not that plus [2800, 5000] and [5500, 7000] (3,700 more).
TEST(ThreadLives, UntracedThreadWithAReusedIdIsNotTraced) {
  Trace t;
  for (int i = 1; i <= 10; ++i) launch(t, kPid, kMain, 1000 * i);
  launch(t, 200, 200, 1500);
  launch(t, 200, 200, 2500);
  sw(t, 1800, 200, 200, 1, kOther, kOther);
  sw(t, 2200, kOther, kOther, 0, 200, 200);
  sw(t, 2800, 200, 200, kTaskDead, kOther, kOther);
  sw(t, 5000, kPid, kMain, 0, 200, 200);
  sw(t, 5500, 200, 200, 0, kPid, kMain);
  sw(t, 7000, kPid, kMain, 0, 200, 200);
  sw(t, 7400, 200, 200, 0, kPid, kMain);
  const SchedAnalysis a = analyze_sched(t, {});
  EXPECT_EQ(a.switch_outs, 4);
  EXPECT_EQ(a.preemptions, 2);
  EXPECT_EQ(a.blocks, 2);
  EXPECT_EQ(a.launches, 12);
  EXPECT_DOUBLE_EQ(a.sched_per_1k, 1000.0 * 4 / 12);
  const ThreadSched* child = thread_of(a, 200);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->offcpu, 400);
  EXPECT_EQ(child->switch_outs, 2);
  EXPECT_EQ(child->preemptions, 0);
  const ThreadSched* main = thread_of(a, kMain);
  ASSERT_NE(main, nullptr);
  EXPECT_EQ(main->offcpu, (5500 - 5000) + (7400 - 7000));
  EXPECT_EQ(a.thread_ids_reused, 1);
  EXPECT_EQ(a.pairs_across_thread_end, 0);
}

// A traced process (pid = tid 300) launches at 100 and 200 and exits at 250; a new process of the
// traced tree gets id 300: woken new at 400, on the CPU at 450, launches at 500 and 600, blocks 650
// -> 700, launches at 800. Expected pairs: (100, 200), (500, 600), (600, 800) = 3, all but the block
// clean; (200, 500) spans the two threads: no pair, counted. Off-CPU of id 300: the block, 50 ns,
// not [250, 450] from the dead thread's final switch-out to the new one's first switch-in.
TEST(ThreadLives, TracedThreadWithAReusedIdStartsItsOwnPairsAndWalk) {
  Trace t;
  launch(t, 300, 300, 100);
  launch(t, 300, 300, 200);
  sw(t, 250, 300, 300, kTaskDead, kOther, kOther);
  wakeup(t, 400, 300, 300);
  sw(t, 450, kOther, kOther, 0, 300, 300);
  launch(t, 300, 300, 500);
  launch(t, 300, 300, 600);
  sw(t, 650, 300, 300, 1, kOther, kOther);
  sw(t, 700, kOther, kOther, 0, 300, 300);
  launch(t, 300, 300, 800);
  const SchedAnalysis a = analyze_sched(t, {});
  EXPECT_EQ(a.all.count, 3);
  EXPECT_EQ(a.clean.count, 2);
  EXPECT_EQ(a.blocked.count, 1);
  EXPECT_EQ(a.pairs_across_thread_end, 1);
  EXPECT_EQ(a.thread_ids_reused, 1);
  std::ostringstream text;
  t.meta["events"] = "launch,sched";
  print_sched_report(text, t, a);
  const size_t row = text.str().find("thread ids reused ");
  ASSERT_NE(row, std::string::npos) << text.str();
  EXPECT_EQ(text.str().find(" 1 (an id named a second thread after its first exited", row),
            text.str().find_first_not_of(' ', row + 17) - 1)
      << text.str();
  EXPECT_NE(text.str().find("; 1 launch pair across an exit left out)"), std::string::npos) << text.str();
  const ThreadSched* th = thread_of(a, 300);
  ASSERT_NE(th, nullptr);
  EXPECT_EQ(th->offcpu, 50);
  EXPECT_EQ(th->switch_outs, 2);  // the final switch-out of the first thread, the block of the second
  // No run-queue sample: the block had no wake-up recorded, and the new thread's wake-up at 400
  // comes before any switch-out of its own (without lives, it read as the dead thread's wake-up
  // after its final switch-out: a 50 ns wait from 400 to 450).
  EXPECT_EQ(a.runq_samples, 0);
}

// GPU starvation of a launching thread whose id an outsider gets after its exit: the launching
// thread (tid 200, 3 launches, the most) is preempted once, 1000 -> 1400, during a GPU idle gap
// [900, 1500], and exits at 1600; the outsider with id 200 is preempted at 2100 and back at 2900,
// during the gap [2000, 3000]. Expected: 400 ns idle while preempted (the thread's own), not 1200
// (the outsider's 800 with it).
TEST(ThreadLives, GpuStarvationLeavesOutAnOutsiderWithTheLaunchingThreadsId) {
  Trace t;
  for (ns_t ts : {100, 200, 300}) launch(t, 200, 200, ts);
  launch(t, kPid, kMain, 150);
  const auto kernel = [&](ns_t a, ns_t b) {
    GpuActivity g;
    g.start = a, g.dur = b - a, g.device = 0, g.stream = 7;
    t.gpu.push(g);
  };
  kernel(400, 900);
  kernel(1500, 2000);
  kernel(3000, 3100);
  sw(t, 1000, 200, 200, 0, kOther, kOther);
  sw(t, 1400, kOther, kOther, 0, 200, 200);
  sw(t, 1600, 200, 200, kTaskDead, kOther, kOther);
  sw(t, 2100, 200, 200, 0, kPid, kMain);
  sw(t, 2900, kPid, kMain, 0, 200, 200);
  const GpuStarvation g = analyze_gpu_starvation(t);
  EXPECT_EQ(g.tid, 200);
  EXPECT_EQ(g.idle_while_preempted, 400);
  EXPECT_EQ(g.gpu_idle, 600 + 1000);
}

// The launching thread is chosen per thread life (launch_thread_choice.h busiest_launch_life), and
// only its life's off-CPU time is walked. Both traces below have GPU kernels [50,500] [800,900]
// [1500,1600] [2000,2100], so the GPU idles in [500,800] [900,1500] [1600,2000] (1300 ns);
// kIdle lists these gaps and idle_in() intersects a span with them, by hand, for the expectations.
constexpr ns_t kIdle[][2] = {{500, 800}, {900, 1500}, {1600, 2000}};
ns_t idle_in(ns_t b, ns_t e) {
  ns_t sum = 0;
  for (const auto& gap : kIdle) sum += std::max<ns_t>(0, std::min(e, gap[1]) - std::max(b, gap[0]));
  return sum;
}

void kernels_with_idle_gaps(Trace& t) {
  const ns_t busy[][2] = {{50, 500}, {800, 900}, {1500, 1600}, {2000, 2100}};
  for (const auto& b : busy) {
    GpuActivity g;
    g.start = b[0], g.dur = b[1] - b[0], g.device = 0, g.stream = 7, g.name = t.strings.intern("k");
    t.gpu.push(g);
  }
}

// Thread 7 (life A) launches 3 times, is preempted 600 -> 780 and exits at 1000; thread 8 launches 4
// times, is preempted 550 -> 650 and blocks 1650 -> (woken 1700) -> 1750; a new thread made at 1100
// gets id 7 (life B), launches twice and is preempted 1250 -> 1450. By id, 7 has 5 launches and wins
// (its two lives' preemptions, 180 + 200 of GPU idle, read as the launching thread's); by life,
// thread 8 with 4 does. Its starved time: preempted [550,650] and run queue [1700,1750] against the
// idle gaps; sleeping [1650,1700] is reported beside it.
TEST(ThreadLives, LaunchingThreadIsTheLifeWithTheMostLaunches) {
  Trace t;
  t.source = TraceSource::Recording;
  kernels_with_idle_gaps(t);
  for (ns_t ts : {100, 200, 300}) launch(t, kPid, 7, ts);
  for (ns_t ts : {150, 250, 350, 450}) launch(t, kPid, 8, ts);
  sw(t, 550, kPid, 8, 0, kOther, kOther), sw(t, 650, kOther, kOther, 0, kPid, 8);
  sw(t, 600, kPid, 7, 0, kOther, kOther), sw(t, 780, kOther, kOther, 0, kPid, 7);
  sw(t, 1000, kPid, 7, kTaskDead, kOther, kOther);
  task(t, 1100, kPid, 7, TaskKind::New);
  for (ns_t ts : {1150, 1460}) launch(t, kPid, 7, ts);
  sw(t, 1250, kPid, 7, 0, kOther, kOther), sw(t, 1450, kOther, kOther, 0, kPid, 7);
  sw(t, 1650, kPid, 8, 1, kOther, kOther), wakeup(t, 1700, kPid, 8), sw(t, 1750, kOther, kOther, 0, kPid, 8);

  const ns_t preempted = idle_in(550, 650), runqueue = idle_in(1700, 1750), sleeping = idle_in(1650, 1700);
  ns_t idle = 0;
  for (const auto& gap : kIdle) idle += gap[1] - gap[0];
  const GpuStarvation g = analyze_gpu_starvation(t);
  EXPECT_EQ(g.pid, kPid);
  EXPECT_EQ(g.tid, 8);
  EXPECT_EQ(g.gpu_idle, idle);
  EXPECT_EQ(g.idle_while_preempted, preempted);
  EXPECT_EQ(g.idle_while_runqueue, runqueue);
  EXPECT_EQ(g.idle_while_blocked, sleeping);
  EXPECT_EQ(g.starved_by_scheduler, preempted + runqueue);
  EXPECT_EQ(g.gaps_starved, 2);  // [500,800] (preempted) and [1600,2000] (run queue)
  EXPECT_DOUBLE_EQ(g.share_of_idle, static_cast<double>(preempted + runqueue) / static_cast<double>(idle));

  // sched names the same thread, and its off-CPU time and run-queue waits are thread 8's own:
  // (650 - 550) + (1750 - 1650) off the CPU; waits 650 - 550 (preempted) and 1750 - 1700.
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_EQ(a.main_pid, kPid);
  EXPECT_EQ(a.main_tid, 8);
  EXPECT_EQ(a.main_offcpu, (650 - 550) + (1750 - 1650));
  EXPECT_EQ(a.main_runq_samples, 2);
  EXPECT_EQ(a.main_runq_max, 650 - 550);
  EXPECT_EQ(a.gpu_starvation.tid, 8);
  EXPECT_EQ(a.gpu_starvation.starved_by_scheduler, preempted + runqueue);
}

// The chosen life's id had another thread later: thread 7 (life A) launches 3 times, is preempted
// 600 -> 780 and exits at 1000; thread 8 launches once; a new thread made at 1100 gets id 7 (life B),
// launches twice and is preempted 1250 -> 1450, all of it GPU idle. Life A is the launching thread
// (3 launches): only its 180 ns of idle while preempted count, not life B's 200.
TEST(ThreadLives, GpuStarvationWalksOnlyTheChosenLife) {
  Trace t;
  t.source = TraceSource::Recording;
  kernels_with_idle_gaps(t);
  for (ns_t ts : {100, 200, 300}) launch(t, kPid, 7, ts);
  launch(t, kPid, 8, 150);
  sw(t, 600, kPid, 7, 0, kOther, kOther), sw(t, 780, kOther, kOther, 0, kPid, 7);
  sw(t, 1000, kPid, 7, kTaskDead, kOther, kOther);
  task(t, 1100, kPid, 7, TaskKind::New);
  for (ns_t ts : {1150, 1460}) launch(t, kPid, 7, ts);
  sw(t, 1250, kPid, 7, 0, kOther, kOther), sw(t, 1450, kOther, kOther, 0, kPid, 7);

  const ns_t life_a = idle_in(600, 780);
  ASSERT_GT(idle_in(1250, 1450), 0);  // life B's preemption does fall in GPU idle time
  const GpuStarvation g = analyze_gpu_starvation(t);
  EXPECT_EQ(g.tid, 7);
  EXPECT_EQ(g.idle_while_preempted, life_a);
  EXPECT_EQ(g.starved_by_scheduler, life_a);
  EXPECT_EQ(g.gaps_starved, 1);
  const SchedAnalysis a = analyze_sched(t);
  EXPECT_EQ(a.main_tid, 7);
  EXPECT_EQ(a.main_offcpu, 780 - 600);
  EXPECT_EQ(a.gpu_starvation.starved_by_scheduler, life_a);
  // The per-thread table keeps one row per id, both lives summed.
  const ThreadSched* th = thread_of(a, 7);
  ASSERT_NE(th, nullptr);
  EXPECT_EQ(th->offcpu, (780 - 600) + (1450 - 1250));
}

// A tie between two lives of one id goes to the earlier one: thread 7 (life A) and the thread that
// gets id 7 after it (life B) launch twice each, as does thread 9. By (pid, tid) 7 beats 9, and life
// A comes first. (By id, 7 read 4 launches.)
TEST(ThreadLives, TieBetweenLivesGoesToTheEarlierLife) {
  Trace t;
  t.source = TraceSource::Recording;
  kernels_with_idle_gaps(t);
  for (ns_t ts : {100, 200}) launch(t, kPid, 7, ts);
  for (ns_t ts : {110, 210}) launch(t, kPid, 9, ts);
  sw(t, 600, kPid, 7, 0, kOther, kOther), sw(t, 780, kOther, kOther, 0, kPid, 7);
  sw(t, 1000, kPid, 7, kTaskDead, kOther, kOther);
  task(t, 1100, kPid, 7, TaskKind::New);
  for (ns_t ts : {1150, 1460}) launch(t, kPid, 7, ts);
  sw(t, 1250, kPid, 7, 0, kOther, kOther), sw(t, 1450, kOther, kOther, 0, kPid, 7);
  const GpuStarvation g = analyze_gpu_starvation(t);
  EXPECT_EQ(g.tid, 7);
  EXPECT_EQ(g.starved_by_scheduler, idle_in(600, 780));
}

}  // namespace
}  // namespace infertrace
