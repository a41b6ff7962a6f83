// The order of one thread's switch-outs, wake-ups and switch-ins that share a nanosecond, for the
// off-CPU walk that sched.cpp and gpu_starvation.cpp share (analysis/offcpu_walk.h). A real context switch takes microseconds, so a
// recording never holds one thread's switch-out and switch-in at the same ns, but a synthetic or
// merged trace (or a coarse clock) can, and the walk must not depend on the order they were listed.
// What happened first follows from where the thread was before the tie:
//   - off the CPU, it had to come back before it could leave again: wake-up, switch-in, switch-out.
//     Applying the switch-out first would read as a second switch-out with no switch-in between (a
//     switch-in not reported), which ends the off-CPU time before the tie unaccounted (and counts
//     a missing switch-in that was not missing);
//   - on the CPU, it had to leave before it could come back: switch-out, wake-up, switch-in (a stay
//     off the CPU of 0 ns). Applying the switch-in first would find it already running and then
//     leave it off the CPU from the tie on;
//   - off the CPU with no switch-in in the tie (its switch-in went unreported, as this VM's agent
//     threads cause, or a wake-up on another CPU shares the switch-out's ns): switch-out, then
//     wake-up. The wake-up then belongs to the stay that the switch-out begins, so the next
//     switch-in still yields its run-queue sample (the wake-up first would be dropped as the
//     second switch-out resets the stay, review BM M2).
// Limits (synthetic traces only; reviews BM L2, BO L4): a tie of three or more switches of one
// thread ({in, out, in}, {out, in, out}) is ordered by the two rules above, not replayed; a
// thread's first event decides nothing (the walk starts it on the CPU); two switch-outs of
// different kinds at one ns keep the order they were listed in.
// Event kinds as offcpu_walk.h numbers them: 0 switch-in, 1 wake-up, 2 and 3 switch-out (read as
// int, so a scoped enum of those numbers serves as well as a plain one).
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace infertrace::switch_ties {

template <class Kind>
int kind_number(Kind k) { return static_cast<int>(k); }

inline bool is_out(int kind) { return kind >= 2; }

// Sorts by time; at a tie, the order for a thread off the CPU (wake-up, switch-in, switch-out),
// each kind keeping the order it was listed in.
template <class Ev>
void sort_events(std::vector<Ev>& v) {
  const auto off_cpu_rank = [](int kind) { return kind == 1 ? 0 : kind == 0 ? 1 : 2; };
  std::stable_sort(v.begin(), v.end(), [&](const Ev& a, const Ev& b) {
    return a.ts != b.ts ? a.ts < b.ts : off_cpu_rank(kind_number(a.kind)) < off_cpu_rank(kind_number(b.kind));
  });
}

// Called at v[i] before the walk applies it, `on_cpu` saying where the thread is then: at the first
// event of a tie, the switch-outs of that ns are moved first unless the thread is off the CPU and
// the tie holds a switch-in to bring it back (then sort_events' order stands).
template <class Ev>
void order_tie_at(std::vector<Ev>& v, size_t i, bool on_cpu) {
  if (i > 0 && v[i - 1].ts == v[i].ts) return;
  size_t end = i + 1;
  while (end < v.size() && v[end].ts == v[i].ts) ++end;
  if (end - i < 2) return;
  const auto first = v.begin() + static_cast<std::ptrdiff_t>(i), last = v.begin() + static_cast<std::ptrdiff_t>(end);
  if (!on_cpu && std::any_of(first, last, [](const Ev& e) { return kind_number(e.kind) == 0; })) return;
  std::stable_partition(first, last, [](const Ev& e) { return is_out(kind_number(e.kind)); });
}

}  // namespace infertrace::switch_ties
