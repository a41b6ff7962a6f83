#include "trace/launch_coverage.h"

#include <algorithm>

namespace infertrace {

void compose_partial(LaunchCoverage& c) {
  c.partial_pids = c.cupti_partial_pids;
  c.partial_note = c.cupti_partial_note;
  if (c.late_probes.empty()) return;
  auto listed = [](const std::vector<uint32_t>& pids, uint32_t pid) {
    return std::find(pids.begin(), pids.end(), pid) != pids.end();
  };
  std::string words;
  for (const LaunchCoverage::LateProbe& p : c.late_probes) {
    if (p.pid > 0 && !listed(c.partial_pids, p.pid) && !listed(c.unmeasured_pids, p.pid)) c.partial_pids.push_back(p.pid);
    words += (words.empty() ? "" : "; in ") + p.words;
  }
  if (c.partial_pids.empty()) c.partial_pids.push_back(0);  // (no pid recorded: still partial)
  c.partial_note = c.partial_note.empty() ? "launch figures are partial: they leave out, in " + words
                                          : c.partial_note + "; in " + words;
}

bool drop_late_probes_before(LaunchCoverage& c, int64_t from) {
  const size_t before = c.late_probes.size();
  std::erase_if(c.late_probes, [from](const LaunchCoverage::LateProbe& p) { return p.probed_ns <= from; });
  if (c.late_probes.size() == before) return false;
  compose_partial(c);
  return true;
}

}  // namespace infertrace
