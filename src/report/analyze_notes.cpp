#include "report/analyze_notes.h"

namespace infertrace {

std::string annotation_ranges_text(int64_t n) {
  return std::to_string(n) + (n == 1 ? " annotation range" : " annotation ranges") +
         " (ProfilerStep#, record_function)";
}

std::string profiler_steps_meaning(int64_t steps) {
  return "ProfilerStep# ranges: inference latency, TKLQT and the idle times span all " + std::to_string(steps) +
         " steps and the gaps between them (profile one step for per-step figures)";
}

const char* const kOtherProcessIdsMeaning =
    "of those, launch calls whose id a call of another process owns: traces of several processes merged into one, "
    "whose GPU work links to the first process's calls (analyze each process's trace on its own)";

}  // namespace infertrace
