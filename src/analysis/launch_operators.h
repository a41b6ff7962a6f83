// Which operator issued each launch call: the innermost enclosing operator, found by the call's
// External id (Kineto stamps each runtime call with the id of the op on top of the profiler's
// stack) and, when the call has none or it matches no operator, by time containment on the same
// thread (the latest-starting operator whose [start, end) contains the call's start).
#pragma once

#include <cstdint>
#include <vector>

#include "trace/trace.h"

namespace infertrace {

struct OperatorAttribution {
  std::vector<int64_t> op_of_call;  // parallel to the `calls` argument: operator row, or -1
  int64_t by_external_id = 0, by_containment = 0, unattributed = 0;
};

// `calls` are rows of trace.api (any order).
OperatorAttribution attribute_to_operators(const Trace& trace, const std::vector<uint32_t>& calls);

}  // namespace infertrace
