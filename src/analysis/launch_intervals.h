// Interval unions for busy/idle figures: several streams (or nested host events) overlap, so busy
// time is the length of the union of intervals, never the sum of durations.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "trace/trace.h"

namespace infertrace {

using Interval = std::pair<ns_t, ns_t>;  // [first, second)

// Saturating arithmetic for times from untrusted input: a corrupt timestamp near the int64 limits
// must give a wrong-looking number, never signed-overflow undefined behaviour.
inline ns_t sat_add(ns_t a, ns_t b) {
  ns_t r;
  return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}
inline ns_t sat_sub(ns_t a, ns_t b) {
  ns_t r;
  return __builtin_sub_overflow(a, b, &r) ? (b < 0 ? INT64_MAX : INT64_MIN) : r;
}
// End of an event; a negative (unknown) duration counts as 0. (sat_add with the sign of the
// addend known: only an overflow upwards is possible. Called once per host row and GPU row.)
inline ns_t end_of(ns_t start, ns_t dur) {
  ns_t r;
  return __builtin_add_overflow(start, std::max<ns_t>(dur, 0), &r) ? INT64_MAX : r;
}

// A linked launch call's latency to its GPU work and the queue part of it (docs/metrics.md):
// latency = gpu_start - call start, clamped at 0 (clock skew); queue = max(0, gpu_start - call end),
// 0 when the call's duration is unknown (< 0), so the whole latency is then launch part. The launch
// part is latency - queue (both in [0, INT64_MAX]: no overflow). analyze and fusion both split here.
struct LaunchSplit {
  ns_t latency = 0, queue = 0;
  bool clamped = false;  // the GPU work started before the call: latency clamped to 0
  ns_t launch_part() const { return latency - queue; }
};
inline LaunchSplit split_launch(ns_t gpu_start, ns_t call_start, ns_t call_dur) {
  LaunchSplit s;
  s.latency = sat_sub(gpu_start, call_start);
  if (s.latency < 0) s.latency = 0, s.clamped = true;
  if (call_dur >= 0) s.queue = std::max<ns_t>(0, sat_sub(gpu_start, sat_add(call_start, call_dur)));
  return s;
}

// Running union of intervals fed in order of start time (several accumulators can share one sorted
// pass, e.g. one per device and per stream). Empty intervals (end <= start) contribute nothing.
class UnionAccumulator {
 public:
  void add(ns_t s, ns_t e) {
    if (e <= s) return;
    if (s <= cur_e_) {  // overlaps or touches the open run (or s is INT64_MIN and nothing is open)
      cur_e_ = std::max(cur_e_, e);
      return;
    }
    total_ = sat_add(total_, sat_sub(cur_e_, cur_s_));
    cur_s_ = s, cur_e_ = e;
  }
  ns_t total() const { return sat_add(total_, sat_sub(cur_e_, cur_s_)); }

 private:
  // Before the first interval the open run is the empty [INT64_MIN, INT64_MIN): it adds 0 when
  // closed, so add() needs no "is a run open" test (one branch less per interval; a GPU row feeds
  // three accumulators). A first interval starting at INT64_MIN extends it, which is the same run.
  ns_t total_ = 0, cur_s_ = INT64_MIN, cur_e_ = INT64_MIN;
};

// The same length as a UnionAccumulator fed every interval clipped to the window [lo, hi), but a
// run is clipped once, when it closes, instead of each interval: host rows nest (most operators
// fall inside the open run), and the two clips were a quarter of the host-activity merge. (The
// union of the clipped intervals is the union clipped, run by run.)
class WindowUnion {
 public:
  WindowUnion(ns_t lo, ns_t hi) : lo_(lo), hi_(hi) {}
  void add(ns_t s, ns_t e) {
    if (e <= s) return;
    if (s <= cur_e_) {
      cur_e_ = std::max(cur_e_, e);
      return;
    }
    total_ = total();
    cur_s_ = s, cur_e_ = e;
  }
  ns_t total() const {
    const ns_t s = std::max(cur_s_, lo_), e = std::min(cur_e_, hi_);
    return e > s ? sat_add(total_, sat_sub(e, s)) : total_;
  }

 private:
  ns_t lo_, hi_;
  ns_t total_ = 0, cur_s_ = INT64_MIN, cur_e_ = INT64_MIN;  // (as UnionAccumulator)
};

// Length of the union of `iv` after clipping every interval to [lo, hi). Sorts `iv` in place.
ns_t union_length(std::vector<Interval>& iv, ns_t lo, ns_t hi);

}  // namespace infertrace
