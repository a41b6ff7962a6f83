// Operator nesting on the host (docs/analyze.md, "Operators by self time"): each operator's self
// time, for every trace; and what a trace without GPU activity measures in place of the launch
// metrics (docs/analyze.md, "Traces without GPU activity"): the host span and each thread's
// active and idle time inside it. (IL, GPU idle, TKLQT and the verdict need GPU work.)
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

// One pass over the operators, thread by thread: what the self-time table and the host figures
// are made of. Self times are summed per group of operators (the caller's: one per name), not
// kept per row: a 1 GB trace has millions of operators, and a per-row array is fresh memory.
struct OperatorNesting {
  std::vector<ns_t> self;               // per group: durations minus their direct children's
  std::vector<HostThreadStat> threads;  // by (pid, tid): operators and active set, comm and idle not
  int64_t top_level = 0;                // operators contained in no other operator of their thread
  bool any = false;                     // some operator at all
  ns_t first_top = 0, last_end = 0;    // first top-level operator start, last operator end
  // Per group: its outermost framework operators, contained in no other operator of their thread
  // but user annotations (ProfilerStep#N, also where an old trace writes it as an operator, and
  // record_function ranges), themselves never counted: sweep
  // compares which names run outermost (one model's are the same at every batch size, its nested
  // ones are not, and annotations carry step numbers and labels that differ between runs).
  std::vector<int64_t> top_level_by_group{};
};

// group_of_name: the group (0 .. groups-1) of each operator name, every name in the operator table
// having one.
OperatorNesting nest_operators(const Trace& t, const std::vector<int32_t>& group_of_name, size_t groups);

struct HostOperatorStat {
  StrId name = kNoString;
  int64_t count = 0;
  ns_t total = 0;  // inclusive: sum of durations
  ns_t self = 0;   // total minus each instance's direct children (contained whole, same thread)
  int64_t top_level = 0;  // outermost framework instances (OperatorNesting::top_level_by_group)
};

// Operators by self time, every trace (LaunchAnalysis::by_self).
struct OperatorSelfTimes {
  int64_t top_level = 0;  // operators contained in no other operator of their thread
  ns_t self_total = 0;    // sum of every operator's self time (the share's whole)
  std::vector<HostOperatorStat> operators;  // by self time, descending
};

struct HostAnalysis {
  ns_t t_begin = 0, t_end = 0;  // first top-level operator start .. last host event end
  ns_t span = 0;                // t_end - t_begin (0 without host events)
  std::vector<HostThreadStat> threads;  // by active time, descending
};

// The host figures of a trace without GPU activity, from the nesting pass of its operators.
HostAnalysis analyze_host(const Trace& t, const OperatorNesting& nesting);

}  // namespace infertrace
