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
// End of an event; a negative (unknown) duration counts as 0.
inline ns_t end_of(ns_t start, ns_t dur) { return sat_add(start, std::max<ns_t>(dur, 0)); }

// Running union of intervals fed in order of start time (several accumulators can share one sorted
// pass, e.g. one per device and per stream). Empty intervals (end <= start) contribute nothing.
class UnionAccumulator {
 public:
  void add(ns_t s, ns_t e) {
    if (e <= s) return;
    if (open_ && s <= cur_e_) {
      cur_e_ = std::max(cur_e_, e);
      return;
    }
    if (open_) total_ = sat_add(total_, sat_sub(cur_e_, cur_s_));
    cur_s_ = s, cur_e_ = e, open_ = true;
  }
  ns_t total() const { return open_ ? sat_add(total_, sat_sub(cur_e_, cur_s_)) : total_; }

 private:
  ns_t total_ = 0, cur_s_ = 0, cur_e_ = 0;
  bool open_ = false;
};

// Length of the union of `iv` after clipping every interval to [lo, hi). Sorts `iv` in place.
ns_t union_length(std::vector<Interval>& iv, ns_t lo, ns_t hi);

}  // namespace infertrace
