// The one row `sched` (terminal and HTML) gives on thread ids that named two threads in turn
// (SchedAnalysis::thread_ids_reused, pairs_across_thread_end; docs/sched.md "Thread ids reused").
#pragma once

#include <cstdint>
#include <string>

#include "util/plural.h"
#include "util/units.h"

namespace infertrace {

inline std::string thread_ids_reused_text(int64_t ids, int64_t pairs_across_end) {
  return format_count(ids) +
         " (an id named a second thread after its first exited: each life counted apart, an outsider's switches left "
         "out; " +
         format_count(pairs_across_end) + plural(pairs_across_end, " launch pair", " launch pairs") +
         " across an exit left out)";
}

}  // namespace infertrace
