// Every host-side table of the trace model gives back, field by field, the row pushed into it:
// distinct values in every field, so a dropped flag or two swapped columns of one type show.
#include <gtest/gtest.h>

#include "trace/trace.h"

using namespace infertrace;

TEST(Tables, OperatorSwitchWakeupIrqSyscallRowsReadBackEveryField) {
  OperatorTable ops;
  ops.push(Operator{10, 20, 1, 2, 3, 4, true});
  ops.push(Operator{11, 21, 5, 6, 7, 8, false});
  EXPECT_TRUE(ops.row(0).user_annotation);
  EXPECT_FALSE(ops.row(1).user_annotation);
  EXPECT_EQ(ops.row(1).tid, 6);
  EXPECT_EQ(ops.row(1).external_id, 7);

  SwitchTable sw;
  ContextSwitch s;
  s.ts = 100, s.cpu = 3, s.prev_pid = 40, s.prev_tid = 41, s.prev_comm = 5, s.prev_state = 1, s.preempted = true;
  s.next_pid = 50, s.next_tid = 51, s.next_comm = 6;
  sw.push(s);
  s.preempted = false, s.prev_state = 2;
  sw.push(s);
  const ContextSwitch r0 = sw.row(0), r1 = sw.row(1);
  EXPECT_TRUE(r0.preempted);
  EXPECT_FALSE(r1.preempted);
  EXPECT_EQ(r0.prev_state, 1);
  EXPECT_EQ(r1.prev_state, 2);
  EXPECT_EQ(r0.prev_tid, 41);
  EXPECT_EQ(r0.next_pid, 50);
  EXPECT_EQ(r0.next_tid, 51);
  EXPECT_EQ(r0.next_comm, 6u);

  WakeupTable wk;
  wk.push(Wakeup{200, 2, 60, 61, 70, 71});
  const Wakeup w = wk.row(0);
  EXPECT_EQ(w.pid, 60);
  EXPECT_EQ(w.tid, 61);
  EXPECT_EQ(w.waker_pid, 70);
  EXPECT_EQ(w.waker_tid, 71);

  IrqTable irq;
  irq.push(Irq{300, 30, 1, IrqKind::Soft, 9, 7, 80, 81});
  const Irq q = irq.row(0);
  EXPECT_EQ(q.ts, 300);
  EXPECT_EQ(q.dur, 30);
  EXPECT_EQ(q.kind, IrqKind::Soft);
  EXPECT_EQ(q.irq, 9);
  EXPECT_EQ(q.pid, 80);
  EXPECT_EQ(q.tid, 81);

  SyscallTable sc;
  sc.push(Syscall{400, 40, 90, 91, 16, 8, -22, 12});
  const Syscall c = sc.row(0);
  EXPECT_EQ(c.pid, 90);
  EXPECT_EQ(c.tid, 91);
  EXPECT_EQ(c.nr, 16);
  EXPECT_EQ(c.ret, -22);
  EXPECT_EQ(c.fd_target, 12);
}
