// Interval unions for busy/idle figures: several streams (or nested host events) overlap, so busy
// time is the length of the union of intervals, never the sum of durations.
#pragma once

#include <algorithm>
#include <utility>
#include <vector>

#include "trace/trace.h"

namespace infertrace {

using Interval = std::pair<ns_t, ns_t>;  // [first, second)

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
    if (open_) total_ += cur_e_ - cur_s_;
    cur_s_ = s, cur_e_ = e, open_ = true;
  }
  ns_t total() const { return total_ + (open_ ? cur_e_ - cur_s_ : 0); }

 private:
  ns_t total_ = 0, cur_s_ = 0, cur_e_ = 0;
  bool open_ = false;
};

// Length of the union of `iv` after clipping every interval to [lo, hi). Sorts `iv` in place.
ns_t union_length(std::vector<Interval>& iv, ns_t lo, ns_t hi);

}  // namespace infertrace
