// Why a scheduler impact (the whole trace's or the launch window's) is unknown although switches
// were recorded, in the words the verdict, the terminal report and the HTML report all print
// (sched.cpp; docs/sched.md "Lost events"). One place, so the three cannot disagree (review FC M2:
// the verdict said "no clean or no switched pairs" beside a row blaming loss).
#pragma once

#include <cstdint>
#include <optional>

namespace infertrace {

// Without clean pairs there is no clean median to measure the excess against (review EY M1); with
// them the impact is unknown when a launching thread had every pair meet a loss window, so its
// share has no wall. Without switched pairs the impact is 0%, not unknown. `clean_pairs`,
// `pairs_spanning_loss`: unset when a saved document lacks them. Neither reason (a wall of 0, only
// in a crafted recording, or a document without the counts): a bare "n/a".
// `launches`: the launch calls (unset when not measured or not known): without two there are no
// pairs at all, and that is the reason given (review UX L2: a recording without launches read "no
// clean pairs").
inline const char* impact_unknown_reason(std::optional<int64_t> clean_pairs, std::optional<int64_t> pairs_spanning_loss,
                                         bool window, std::optional<int64_t> launches = std::nullopt) {
  if (launches && *launches == 0) return "n/a (no launches)";
  if (launches && *launches == 1) return "n/a (one launch: no pairs)";
  if (clean_pairs && *clean_pairs == 0) return "n/a (no clean pairs)";
  if (clean_pairs && pairs_spanning_loss && *pairs_spanning_loss > 0)
    return window ? "n/a (a thread's whole window time left out for loss)" : "n/a (a thread's whole time left out for loss)";
  return "n/a";
}

}  // namespace infertrace
