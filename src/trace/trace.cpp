#include "trace/trace.h"

#include <tuple>

namespace infertrace {

void GpuActivityTable::push(const GpuActivity& a) {
  start.push_back(a.start);
  dur.push_back(a.dur);
  kind.push_back(a.kind);
  device.push_back(a.device);
  stream.push_back(a.stream);
  correlation.push_back(a.correlation);
  external_id.push_back(a.external_id);
  name.push_back(a.name);
  grid_x.push_back(a.grid[0]);
  grid_y.push_back(a.grid[1]);
  grid_z.push_back(a.grid[2]);
  block_x.push_back(a.block[0]);
  block_y.push_back(a.block[1]);
  block_z.push_back(a.block[2]);
}

GpuActivity GpuActivityTable::row(size_t i) const {
  GpuActivity a;
  a.start = start[i];
  a.dur = dur[i];
  a.kind = kind[i];
  a.device = device[i];
  a.stream = stream[i];
  a.correlation = correlation[i];
  a.external_id = external_id[i];
  a.name = name[i];
  a.grid[0] = grid_x[i];
  a.grid[1] = grid_y[i];
  a.grid[2] = grid_z[i];
  a.block[0] = block_x[i];
  a.block[1] = block_y[i];
  a.block[2] = block_z[i];
  return a;
}

void GpuActivityTable::reserve(size_t n) {
  std::apply([n](auto&... column) { (column.reserve(n), ...); }, columns());
}

void ApiCallTable::push(const ApiCall& c) {
  start.push_back(c.start);
  dur.push_back(c.dur);
  pid.push_back(c.pid);
  tid.push_back(c.tid);
  cpu.push_back(c.cpu);
  correlation.push_back(c.correlation);
  external_id.push_back(c.external_id);
  stream.push_back(c.stream);
  name.push_back(c.name);
  kind.push_back(c.kind);
  if (geometry.empty() && !c.geometry_known) return;
  if (geometry.empty()) geometry.resize(start.size() - 1);  // the rows before this one had none
  LaunchDims d;
  d.known = c.geometry_known;
  for (int k = 0; k < 3; ++k) d.grid[k] = c.grid[k], d.block[k] = c.block[k];
  geometry.push_back(d);
}

ApiCall ApiCallTable::row(size_t i) const {
  ApiCall c;
  c.start = start[i];
  c.dur = dur[i];
  c.pid = pid[i];
  c.tid = tid[i];
  c.cpu = cpu[i];
  c.correlation = correlation[i];
  c.external_id = external_id[i];
  c.stream = stream[i];
  c.name = name[i];
  c.kind = kind[i];
  if (has_geometry(i)) {
    c.geometry_known = true;
    for (int k = 0; k < 3; ++k) c.grid[k] = geometry[i].grid[k], c.block[k] = geometry[i].block[k];
  }
  return c;
}

void ApiCallTable::reserve(size_t n) {
  std::apply([n](auto&... column) { (column.reserve(n), ...); }, columns());
}

void OperatorTable::push(const Operator& o) {
  start.push_back(o.start);
  dur.push_back(o.dur);
  pid.push_back(o.pid);
  tid.push_back(o.tid);
  external_id.push_back(o.external_id);
  name.push_back(o.name);
  user_annotation.push_back(o.user_annotation ? 1 : 0);
}

Operator OperatorTable::row(size_t i) const {
  Operator o;
  o.start = start[i];
  o.dur = dur[i];
  o.pid = pid[i];
  o.tid = tid[i];
  o.external_id = external_id[i];
  o.name = name[i];
  o.user_annotation = user_annotation[i] != 0;
  return o;
}

void OperatorTable::reserve(size_t n) {
  std::apply([n](auto&... column) { (column.reserve(n), ...); }, columns());
}

void ThreadTable::push(const ThreadInfo& t) {
  pid.push_back(t.pid);
  tid.push_back(t.tid);
  comm.push_back(t.comm);
  first_ts.push_back(t.first_ts);
  last_ts.push_back(t.last_ts);
}

ThreadInfo ThreadTable::row(size_t i) const {
  return ThreadInfo{pid[i], tid[i], comm[i], first_ts[i], last_ts[i]};
}

void SwitchTable::push(const ContextSwitch& s) {
  ts.push_back(s.ts);
  cpu.push_back(s.cpu);
  prev_pid.push_back(s.prev_pid);
  prev_tid.push_back(s.prev_tid);
  prev_comm.push_back(s.prev_comm);
  prev_state.push_back(s.prev_state);
  preempted.push_back(s.preempted ? 1 : 0);
  next_pid.push_back(s.next_pid);
  next_tid.push_back(s.next_tid);
  next_comm.push_back(s.next_comm);
}

ContextSwitch SwitchTable::row(size_t i) const {
  ContextSwitch s;
  s.ts = ts[i];
  s.cpu = cpu[i];
  s.prev_pid = prev_pid[i];
  s.prev_tid = prev_tid[i];
  s.prev_comm = prev_comm[i];
  s.prev_state = prev_state[i];
  s.preempted = preempted[i] != 0;
  s.next_pid = next_pid[i];
  s.next_tid = next_tid[i];
  s.next_comm = next_comm[i];
  return s;
}

void WakeupTable::push(const Wakeup& w) {
  ts.push_back(w.ts);
  cpu.push_back(w.cpu);
  pid.push_back(w.pid);
  tid.push_back(w.tid);
  waker_pid.push_back(w.waker_pid);
  waker_tid.push_back(w.waker_tid);
}

Wakeup WakeupTable::row(size_t i) const {
  return Wakeup{ts[i], cpu[i], pid[i], tid[i], waker_pid[i], waker_tid[i]};
}

void IrqTable::push(const Irq& q) {
  ts.push_back(q.ts);
  dur.push_back(q.dur);
  cpu.push_back(q.cpu);
  kind.push_back(q.kind);
  irq.push_back(q.irq);
  name.push_back(q.name);
  pid.push_back(q.pid);
  tid.push_back(q.tid);
  system_vector.push_back(q.system_vector ? 1 : 0);
  own.push_back(q.own ? 1 : 0);
}

Irq IrqTable::row(size_t i) const {
  return Irq{ts[i], dur[i], cpu[i], kind[i], irq[i], name[i], pid[i], tid[i], system_vector[i] != 0, own[i] != 0};
}

const char* IrqTable::source_name(size_t i) const {
  if (kind[i] == IrqKind::Soft) return own[i] ? "softirq_own" : "softirq";
  return system_vector[i] ? "system_vector" : "device";
}

const char* IrqTable::label_prefix(size_t i) const {
  // An own softirq is no interruption (no IRQ figure counts it): a reader of a slow pair on a
  // timeline must see that (review RV L3).
  if (kind[i] == IrqKind::Soft) return own[i] ? "own softirq " : "softirq ";
  return system_vector[i] ? "vector " : "irq ";
}

void SyscallTable::push(const Syscall& s) {
  ts.push_back(s.ts);
  dur.push_back(s.dur);
  pid.push_back(s.pid);
  tid.push_back(s.tid);
  nr.push_back(s.nr);
  name.push_back(s.name);
  ret.push_back(s.ret);
  fd_target.push_back(s.fd_target);
}

Syscall SyscallTable::row(size_t i) const {
  return Syscall{ts[i], dur[i], pid[i], tid[i], nr[i], name[i], ret[i], fd_target[i]};
}

void TaskTable::push(const TaskEvent& e) {
  ts.push_back(e.ts);
  pid.push_back(e.pid);
  tid.push_back(e.tid);
  parent_tid.push_back(e.parent_tid);
  kind.push_back(e.kind);
  state.push_back(e.state);
  comm.push_back(e.comm);
}

TaskEvent TaskTable::row(size_t i) const {
  return TaskEvent{ts[i], pid[i], tid[i], kind[i], parent_tid[i], state[i], comm[i]};
}

void SwitchTable::reserve(size_t n) {
  std::apply([n](auto&... column) { (column.reserve(n), ...); }, columns());
}

void WakeupTable::reserve(size_t n) {
  std::apply([n](auto&... column) { (column.reserve(n), ...); }, columns());
}

void IrqTable::reserve(size_t n) {
  std::apply([n](auto&... column) { (column.reserve(n), ...); }, columns());
}

void SyscallTable::reserve(size_t n) {
  std::apply([n](auto&... column) { (column.reserve(n), ...); }, columns());
}

void TaskTable::reserve(size_t n) {
  std::apply([n](auto&... column) { (column.reserve(n), ...); }, columns());
}

}  // namespace infertrace
