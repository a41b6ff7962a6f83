#include "record/summary_lines.h"

#include "analysis/launch_undercount.h"
#include "util/plural.h"

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

std::vector<std::string> map_full_lines(uint64_t untraced_processes, const std::vector<int64_t>& untraced_pids,
                                        uint32_t max_processes, const std::map<std::string, uint64_t>& pending_full,
                                        uint32_t max_threads) {
  std::vector<std::string> lines;
  if (untraced_processes > 0) {
    std::string line = "NOT TRACED: " + std::to_string(untraced_processes) +
                       (untraced_processes == 1 ? " new process" : " new processes") +
                       " of the traced tree, nor anything they started (the traced set was full: " +
                       std::to_string(max_processes) + plural(max_processes, " process", " processes") + " at once, an exited one until the kernel frees it; record again with a larger "
                       "--max-processes)";
    if (!untraced_pids.empty()) {
      line += "; pids";
      const size_t shown = untraced_pids.size() < 10 ? untraced_pids.size() : 10;
      for (size_t i = 0; i < shown; ++i) line += (i ? ", " : " ") + std::to_string(untraced_pids[i]);
      if (untraced_pids.size() > shown || untraced_processes > shown) line += ", ...";
    }
    lines.push_back(line);
  }
  const auto count = [&](const char* name) {
    const auto it = pending_full.find(name);
    return it == pending_full.end() ? uint64_t{0} : it->second;
  };
  const std::string sized = " (the map of calls in progress was full: " + std::to_string(max_threads) +
                            plural(max_threads, " thread", " threads") + " at once; record again with a larger --max-threads)";
  if (const uint64_t n = count("syscall"))
    lines.push_back("NOT RECORDED: " + std::to_string(n) + (n == 1 ? " syscall" : " syscalls") + sized);
  if (const uint64_t n = count("api"))
    lines.push_back("NOT RECORDED: " + std::to_string(n) + (n == 1 ? " timed CUDA call" : " timed CUDA calls") + sized);
  if (const uint64_t n = count("fold"))
    lines.push_back("NOT FOLDED: " + std::to_string(n) +
                    (n == 1 ? " runtime launch" : " runtime launches") +
                    " whose driver call may be recorded as a launch of its own" + sized);
  return lines;
}

}  // namespace infertrace
