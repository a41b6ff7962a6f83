// The recorder's loss windows (Trace::loss_windows: where its ring buffer was full) as one set of
// time spans for the scheduler analysis. Events are lost per CPU, but a thread migrates, so a
// window on any CPU is treated as a gap in every thread's record: a launch pair or a switch-in gap
// that overlaps it may be missing events of its own thread (docs/sched.md, "Lost events").
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "trace/trace.h"

namespace infertrace {

// Length of the union of `spans` (any order, overlapping or not) inside [lo, hi].
ns_t union_length_between(std::vector<std::pair<ns_t, ns_t>> spans, ns_t lo, ns_t hi);

class LossSpans {
 public:
  explicit LossSpans(const Trace& t);
  bool empty() const { return spans_.empty(); }
  size_t windows() const { return windows_; }  // LOSS records, before merging
  int64_t lost_events() const { return lost_; }
  ns_t covered() const;  // length of the union of the windows
  ns_t covered_between(ns_t lo, ns_t hi) const { return union_length_between(spans_, lo, hi); }
  // Whether the closed interval [a, b] meets a window (a window is closed too: its first and last
  // instants are both stamps of lost records).
  bool overlaps(ns_t a, ns_t b) const;
  bool contains(ns_t ts) const { return overlaps(ts, ts); }

 private:
  std::vector<std::pair<ns_t, ns_t>> spans_;  // the union: sorted, disjoint
  size_t windows_ = 0;
  int64_t lost_ = 0;
};

}  // namespace infertrace
