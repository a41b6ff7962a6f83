// Why a scheduler impact (the whole trace's or the launch window's) is unknown although switches
// were recorded, in the words the verdict, the terminal report and the HTML report all print
// (sched.cpp; docs/sched.md "Lost events"). One place, so the three cannot disagree (review FC M2:
// the verdict said "no clean or no switched pairs" beside a row blaming loss).
#pragma once

#include <cstdint>
#include <optional>

namespace infertrace {

// Why a recording has no launch pairs at all, or nullptr: no launch call, or one (review UX L2: such
// a recording read "no clean pairs"). `launches` unset when not measured. With `na`, as a table cell
// ("n/a (no launches)"). The one wording of the impact reason below, sched's penalty rows
// (sched_render.cpp) and compare's penalty reason (compare.cpp).
inline const char* too_few_launches(std::optional<int64_t> launches, bool na = false) {
  if (!launches || *launches >= 2) return nullptr;
  if (*launches == 0) return na ? "n/a (no launches)" : "no launches";
  return na ? "n/a (one launch: no pairs)" : "one launch: no pairs";
}

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
  if (const char* few = too_few_launches(launches, true)) return few;
  if (clean_pairs && *clean_pairs == 0) return "n/a (no clean pairs)";
  if (clean_pairs && pairs_spanning_loss && *pairs_spanning_loss > 0)
    return window ? "n/a (a thread's whole window time left out for loss)" : "n/a (a thread's whole time left out for loss)";
  return "n/a";
}

}  // namespace infertrace
