// Which operator issued each launch call: the innermost enclosing operator, found by the call's
// External id (Kineto stamps each runtime call with the id of the op on top of the profiler's
// stack) and, when the call has none or it matches no operator, by time containment on the same
// thread (the latest-starting operator whose [start, end) contains the call's start).
#pragma once

#include <cstdint>
#include <vector>

#include "analysis/launch.h"
#include "trace/trace.h"

namespace infertrace {

struct OperatorAttribution {
  int64_t by_external_id = 0, by_containment = 0, unattributed = 0;
};

// Sets `op` of every link (operator row, or -1; links come with op = -1, in any order). Written in
// place: a separate array of rows in and operators out was 12 bytes a launch of fresh memory.
OperatorAttribution attribute_to_operators(const Trace& trace, std::vector<LaunchLink>& links);

}  // namespace infertrace
