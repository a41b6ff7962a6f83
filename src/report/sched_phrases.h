// Phrases that the terminal report of `sched` (sched_render.cpp) and the HTML report's scheduler
// section (html_sched.cpp) print word for word the same, kept in one place so they cannot drift.
#pragma once

namespace infertrace {

#include <cstdint>
#include <optional>

// Why a scheduler impact (the whole trace's or the launch window's) is unknown although switches
// were recorded (sched.cpp; docs/sched.md "Lost events"). Without clean pairs there is no clean
// median to measure the excess against (review EY M1: a run whose pairs were all blocked, with
// nothing lost, was said to have lost its window); with them, a launching thread had every pair
// meet a loss window, so its share has no wall. Without switched pairs the impact is 0%, not
// unknown. `clean_pairs`: unset when a saved document lacks the count (a bare "n/a" then).
inline const char* impact_unknown_reason(std::optional<int64_t> clean_pairs, bool window) {
  if (!clean_pairs) return "n/a";
  if (*clean_pairs == 0) return "n/a (no clean pairs)";
  return window ? "n/a (a thread's whole window time left out for loss)" : "n/a (a thread's whole time left out for loss)";
}

}  // namespace infertrace
