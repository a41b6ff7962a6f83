#include "analysis/offcpu_walk.h"

#include "analysis/switch_tie_order.h"

namespace infertrace {

void walk_offcpu(std::vector<OffcpuEvent>& v, const LossSpans& loss, std::vector<OffcpuPiece>& pieces,
                 OffcpuStart start) {
  pieces.clear();
  switch_ties::sort_events(v);
  const auto meets_loss = [&](ns_t a, ns_t b) { return !loss.empty() && loss.overlaps(a, b); };
  const auto gap = [](OffcpuPieceKind kind, ns_t begin, ns_t end) {
    OffcpuPiece p;
    p.kind = kind, p.begin = begin, p.end = end;
    return p;
  };
  // out_at: the open stay's switch-out (-1 on the CPU); ready_at: when that stay became runnable;
  // in_at: the last switch-in, whatever came before it.
  ns_t out_at = -1, ready_at = -1, in_at = -1;
  bool preempted = false;
  // Off the CPU at the attach: the stay is open from the stamp, as if a block began there. Not when
  // an event precedes the stamp (none can: the stamp is read before the process is traced; a merged
  // or damaged trace could hold one, and the state would then not be the thread's first).
  bool from_attach = start.off_cpu && start.ts >= 0 && (v.empty() || v.front().ts >= start.ts);
  if (from_attach) out_at = start.ts;
  for (size_t i = 0; i < v.size(); ++i) {
    switch_ties::order_tie_at(v, i, out_at < 0);
    const OffcpuEvent& e = v[i];
    if (e.kind == OffcpuEventKind::OutBlocked || e.kind == OffcpuEventKind::OutPreempted) {
      // The thread ran between two switch-outs, so it has been off the CPU only since this one. Its
      // first switch-out after an off-CPU state at the attach: it ran since the stamp (it woke before
      // /proc was read, or /proc was read after it blocked again), and no switch-in was missed.
      if (out_at >= 0 && !from_attach)
        pieces.push_back(gap(meets_loss(out_at, e.ts) ? OffcpuPieceKind::SwitchInLost : OffcpuPieceKind::SwitchInMissing,
                             out_at, e.ts));
      out_at = e.ts;
      from_attach = false;
      preempted = e.kind == OffcpuEventKind::OutPreempted;
      ready_at = preempted ? e.ts : -1;  // a preempted thread is runnable from the switch-out on
    } else if (e.kind == OffcpuEventKind::Wakeup) {
      // The first wake-up of a blocked stay only. One while the thread runs (out_at < 0) may set
      // ready_at too, but nothing reads it before the next switch-out resets it (review EI L1).
      if (ready_at < 0) ready_at = e.ts;
    } else if (out_at < 0) {
      if (in_at >= 0 && meets_loss(in_at, e.ts)) pieces.push_back(gap(OffcpuPieceKind::SwitchOutLost, in_at, e.ts));
      in_at = e.ts;
    } else {
      OffcpuPiece p =
          gap(meets_loss(out_at, e.ts) ? OffcpuPieceKind::IntervalSpanningLoss : OffcpuPieceKind::Interval, out_at, e.ts);
      p.preempted = preempted, p.ready = ready_at;
      p.wait_meets_loss = ready_at >= 0 && meets_loss(ready_at, e.ts);
      p.from_attach = from_attach;
      pieces.push_back(p);
      from_attach = false;
      in_at = e.ts;
      out_at = ready_at = -1;
    }
  }
  // Still off the CPU since the attach when the recording ended (no switch in or out at all).
  if (from_attach && start.until > out_at) {
    OffcpuPiece p = gap(meets_loss(out_at, start.until) ? OffcpuPieceKind::IntervalSpanningLoss : OffcpuPieceKind::Interval,
                        out_at, start.until);
    p.ready = ready_at;
    p.wait_meets_loss = ready_at >= 0 && meets_loss(ready_at, start.until);
    p.from_attach = p.open_end = true;
    pieces.push_back(p);
  }
}

}  // namespace infertrace
