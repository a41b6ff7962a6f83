// What a trace without GPU activity measures (docs/analyze.md, "Traces without GPU activity"):
// the host span, each thread's active and idle time inside it, and the operators by self time.
// The launch metrics (IL, GPU idle, TKLQT, bound) need GPU work and are undefined there.
#pragma once

#include <cstdint>
#include <vector>

#include "trace/trace.h"

namespace infertrace {

struct HostThreadStat {
  int64_t pid = -1, tid = -1;
  StrId comm = kNoString;
  int64_t operators = 0;
  ns_t active = 0;  // union of the thread's operators (its top-level ones cover it)
  ns_t idle = 0;    // host span - active
};

struct HostOperatorStat {
  StrId name = kNoString;
  int64_t count = 0;
  ns_t total = 0;  // inclusive: sum of durations
  ns_t self = 0;   // total minus each instance's direct children (contained whole, same thread)
};

struct HostAnalysis {
  ns_t t_begin = 0, t_end = 0;  // first top-level operator start .. last host event end
  ns_t span = 0;                // t_end - t_begin (0 without host events)
  int64_t top_level = 0;        // operators contained in no other operator of their thread
  ns_t self_total = 0;          // sum of every operator's self time (the share's whole)
  std::vector<HostThreadStat> threads;     // by active time, descending
  std::vector<HostOperatorStat> operators; // by self time, descending
};

HostAnalysis analyze_host(const Trace& t);

}  // namespace infertrace
