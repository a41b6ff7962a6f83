// Phrases that the terminal report of `sched` (sched_render.cpp) and the HTML report's scheduler
// section (html_sched.cpp) print word for word the same, kept in one place so they cannot drift.
#pragma once

namespace infertrace {

// The launch window's scheduler impact when it is unknown although switches were recorded: a
// launching thread had every pair in the window meet a loss window, so its share has no wall
// (sched.cpp; docs/sched.md "Lost events"). Without switched pairs the impact is 0%, not unknown.
inline constexpr const char* kWindowImpactLost = "n/a (a thread's whole window time left out for loss)";

}  // namespace infertrace
