#include "record/summary_lines.h"

#include "analysis/launch_undercount.h"

namespace infertrace {

std::string unpublished_slots_line(uint64_t slots) {
  if (slots == 0) return "";
  // Not among "dropped": those are exact counts of full buffers, which --expected-rate sizes.
  return "up to " + std::to_string(slots) + (slots == 1 ? " CUPTI record" : " CUPTI records") +
         " unread: a process was killed mid-write (" + std::to_string(slots) +
         (slots == 1 ? " ring slot" : " ring slots") +
         " from one it claimed and never published to the ring's head, where the recorder stopped reading; "
         "no option sizes this, a larger --expected-rate does not help)";
}

std::string launches_per_thread_heading(const std::map<std::string, uint64_t>& dropped, uint64_t unpublished_slots,
                                        bool coverage_measured) {
  uint64_t lost = 0;
  for (const auto& [key, n] : dropped)
    if (drop_may_hold_launches(key)) lost = n > UINT64_MAX - lost ? UINT64_MAX : lost + n;
  lost = unpublished_slots > UINT64_MAX - lost ? UINT64_MAX : lost + unpublished_slots;
  std::string why;
  if (!coverage_measured) why = "only the calls recorded: see the launch lines above";
  if (lost > 0) {
    if (!why.empty()) why += "; ";
    why += "lower bounds: " + std::string(unpublished_slots > 0 ? "up to " : "") + std::to_string(lost) +
           (lost == 1 ? " record that may have been a launch call was lost" : " records that may have been launch calls were lost");
  }
  return why.empty() ? "launches per thread:" : "launches per thread (" + why + "):";
}

}  // namespace infertrace
