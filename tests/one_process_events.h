// Hand-built scheduler events for the scheduler-analysis tests: the traced process is pid 100 with
// threads kMain and kSide; kOther (999) is a thread of another process. A launch call of a traced
// thread, and a context switch on CPU 0 from one thread to another (each in the traced process
// unless it is kOther; a switch-out is preempted, else blocked in prev_state 1).
#pragma once

#include "trace/trace.h"

namespace infertrace::one_process {

constexpr int64_t kPid = 100, kMain = 101, kSide = 102, kOther = 999;

inline void launch(Trace& t, int64_t tid, ns_t ts, ns_t dur = 100) {
  ApiCall c;
  c.start = ts, c.dur = dur, c.pid = kPid, c.tid = tid, c.name = t.strings.intern("cudaLaunchKernel");
  c.kind = classify_api("cudaLaunchKernel");
  t.api.push(c);
}

inline void sw(Trace& t, ns_t ts, int64_t prev_tid, bool preempted, int64_t next_tid) {
  ContextSwitch s;
  s.ts = ts, s.cpu = 0, s.preempted = preempted, s.prev_state = preempted ? 0 : 1;
  s.prev_pid = prev_tid == kOther ? kOther : kPid, s.prev_tid = prev_tid;
  s.next_pid = next_tid == kOther ? kOther : kPid, s.next_tid = next_tid;
  t.switches.push(s);
}

}  // namespace infertrace::one_process
