#include "record/summary_lines.h"

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

}  // namespace infertrace
