#include "report/analyze_notes.h"

namespace infertrace {

std::string without_annotations_meaning(const std::string& share_of_il, int64_t n, const std::string& host_active) {
  return share_of_il + ": " + std::to_string(n) + (n == 1 ? " annotation range" : " annotation ranges") +
         " (ProfilerStep#, record_function) of the launching thread count in host active as operators; without them "
         "host active is " + host_active;
}

std::string profiler_steps_meaning(int64_t steps) {
  return "ProfilerStep# ranges: inference latency, TKLQT and the idle times span all " + std::to_string(steps) +
         " steps and the gaps between them (profile one step for per-step figures)";
}

const char* const kDuplicateCallsMeaning = "launch calls sharing an earlier call's correlation id";

const char* const kOtherProcessIdsMeaning =
    "of those, launch calls whose id a call of another process owns: traces of several processes merged into one, "
    "whose GPU work could not be told apart by device and links to the first process's calls (analyze each "
    "process's trace on its own)";

const char* const kSharedIdsByDeviceMeaning =
    "GPU activities whose correlation id several processes' calls share (merged traces), linked to the call of the "
    "process that launches on their device";

const char* const kSharedIdsUnresolvedMeaning =
    "GPU activities whose correlation id several processes' calls share, linked to the first-starting call: no one "
    "process is known to launch on their device";

}  // namespace infertrace
