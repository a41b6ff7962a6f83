#include "analysis/gpu_starvation.h"

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "analysis/launch_thread_choice.h"
#include "analysis/loss_windows.h"
#include "analysis/offcpu_walk.h"
#include "analysis/thread_lives.h"
#include "trace/attach_states.h"

namespace infertrace {

namespace {

struct Span {
  ns_t b, e;
};

// Sorted, non-overlapping union of the intervals.
std::vector<Span> merge_spans(std::vector<Span> v) {
  std::sort(v.begin(), v.end(), [](const Span& x, const Span& y) { return x.b < y.b; });
  std::vector<Span> out;
  for (const Span& s : v) {
    if (s.e <= s.b) continue;
    if (!out.empty() && s.b <= out.back().e) out.back().e = std::max(out.back().e, s.e);
    else out.push_back(s);
  }
  return out;
}

// Total overlap of two sorted, disjoint span lists.
ns_t overlap(const std::vector<Span>& a, const std::vector<Span>& b) {
  ns_t sum = 0;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const ns_t lo = std::max(a[i].b, b[j].b), hi = std::min(a[i].e, b[j].e);
    if (hi > lo) sum += hi - lo;
    (a[i].e < b[j].e) ? ++i : ++j;
  }
  return sum;
}

bool overlaps_any(const Span& s, const std::vector<Span>& v) {
  auto it = std::lower_bound(v.begin(), v.end(), s.b, [](const Span& x, ns_t t) { return x.e <= t; });
  return it != v.end() && it->b < s.e;
}

}  // namespace

GpuStarvation analyze_gpu_starvation(const Trace& t, int64_t tid, const ThreadLives* given_lives, int64_t only_life) {
  GpuStarvation g;
  if (t.gpu.size() == 0) return g;
  std::optional<ThreadLives> own;
  const ThreadLives& lives = given_lives ? *given_lives : own.emplace(t);
  if (tid < 0) {
    // Chosen per life: launches of two threads that had the id in turn are not summed, and the
    // walk below keeps to the chosen one's off-CPU time.
    LaunchLife best;
    if (!busiest_launch_life(logical_launches_by_life(t, lives), best)) return g;
    tid = best.tid, g.pid = best.pid, only_life = best.life;
  }
  g.tid = tid;

  std::vector<Span> busy;
  busy.reserve(t.gpu.size());
  for (size_t i = 0; i < t.gpu.size(); ++i) busy.push_back({t.gpu.start[i], t.gpu.start[i] + t.gpu.dur[i]});
  busy = merge_spans(std::move(busy));
  if (busy.empty()) return g;
  g.window_begin = busy.front().b, g.window_end = busy.back().e;
  std::vector<Span> idle;
  for (size_t i = 0; i + 1 < busy.size(); ++i) idle.push_back({busy[i].e, busy[i + 1].b});
  for (const Span& s : busy) g.gpu_busy += s.e - s.b;
  for (const Span& s : idle) g.gpu_idle += s.e - s.b;
  g.idle_gaps = static_cast<int64_t>(idle.size());

  // The thread's off-CPU intervals, split where a wakeup makes a blocked thread runnable again, by
  // the walk sched.cpp's off-CPU accounting uses too (analysis/offcpu_walk.h).
  // One walk per life of the id (analysis/thread_lives.h): an outsider given the id after the
  // thread's exit is not the thread, and a traced thread that got it later starts a walk of its own.
  // With a life chosen, only its walk counts.
  std::map<uint32_t, std::vector<OffcpuEvent>> ev;  // by life
  const SwitchTable& s = t.switches;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!lives.traced(tid, s.ts[i])) continue;
    const uint32_t life = lives.life(tid, s.ts[i]);
    if (only_life >= 0 && life != static_cast<uint32_t>(only_life)) continue;
    if (s.prev_tid[i] == tid) ev[life].push_back({s.ts[i], s.preempted[i] ? OffcpuEventKind::OutPreempted : OffcpuEventKind::OutBlocked});
    if (s.next_tid[i] == tid) ev[life].push_back({s.ts[i], OffcpuEventKind::SwitchIn});
    if (s.prev_tid[i] == tid && g.pid < 0) g.pid = s.prev_pid[i];
  }
  if (ev.empty()) return g;
  for (size_t i = 0; i < t.wakeups.size(); ++i)
    if (t.wakeups.tid[i] == tid) {
      const auto it = ev.find(lives.life(tid, t.wakeups.ts[i]));
      if (it != ev.end()) it->second.push_back({t.wakeups.ts[i], OffcpuEventKind::Wakeup});
    }
  const LossSpans loss(t);
  std::vector<OffcpuPiece> pieces, life_pieces;
  // Off the CPU at the attach (`record --pid`): blocked from the stamp on, as sched counts it (in
  // the life the stamp falls in).
  OffcpuStart start;
  for (const ThreadAtAttach& a : attach_states(t))
    if (a.tid == tid && start.ts < 0) start.ts = a.ts, start.off_cpu = offcpu_state(a.state);
  for (auto& [life, v] : ev) {
    walk_offcpu(v, loss, life_pieces, start.ts >= 0 && lives.life(tid, start.ts) == life ? start : OffcpuStart{});
    pieces.insert(pieces.end(), life_pieces.begin(), life_pieces.end());
  }
  std::vector<Span> preempted, runqueue, blocked, left_out;
  for (const OffcpuPiece& p : pieces) {
    switch (p.kind) {
      case OffcpuPieceKind::SwitchInMissing: break;  // the thread ran in the gap: off the CPU from its end
      case OffcpuPieceKind::SwitchInLost:
      case OffcpuPieceKind::SwitchOutLost:
        // Where in the gap the thread was off the CPU is unknown: left out, as sched's off-CPU share
        // leaves it out (review DX M1).
        left_out.push_back({p.begin, p.end}), ++g.lost_switch_gaps;
        break;
      case OffcpuPieceKind::IntervalSpanningLoss:
        ++g.intervals_spanning_loss;  // the whole interval, its wait and sleep alike
        left_out.push_back({p.begin, p.end});
        break;
      case OffcpuPieceKind::Interval:
        if (p.preempted) {
          preempted.push_back({p.begin, p.end});
        } else if (p.ready >= 0) {
          blocked.push_back({p.begin, p.ready});
          runqueue.push_back({p.ready, p.end});
        } else {
          blocked.push_back({p.begin, p.end});  // no wakeup recorded: all of it counts as sleeping
        }
        break;
    }
  }
  preempted = merge_spans(std::move(preempted));
  runqueue = merge_spans(std::move(runqueue));
  blocked = merge_spans(std::move(blocked));
  left_out = merge_spans(std::move(left_out));
  g.available = true;
  g.idle_while_preempted = overlap(idle, preempted);
  g.idle_while_runqueue = overlap(idle, runqueue);
  g.idle_while_blocked = overlap(idle, blocked);
  g.starved_by_scheduler = g.idle_while_preempted + g.idle_while_runqueue;
  for (const Span& gap : idle)
    if (overlaps_any(gap, preempted) || overlaps_any(gap, runqueue)) ++g.gaps_starved;
  g.idle_left_out = overlap(idle, left_out);
  const ns_t idle_known = g.gpu_idle - g.idle_left_out;
  g.share_of_idle = idle_known > 0 ? static_cast<double>(g.starved_by_scheduler) / static_cast<double>(idle_known) : 0.0;
  return g;
}

}  // namespace infertrace
