// The built-in workload of `bench interference` when no command is given: one thread issuing a
// stream of short, fixed-size work items ("launches") back to back for a fixed time, the shape of a
// CPU-bound launch loop. Its throughput (launches per second) drops with every microsecond the OS
// takes from the thread, which is what the interference experiment measures.
#pragma once

#include <cstdint>

namespace infertrace::bench {

struct LaunchLoopResult {
  int64_t launches = 0;
  double seconds = 0;
  double per_second = 0;
};

// Runs for about `seconds` (past it by at most one launch, or 0.1 ms of short ones; at least one
// launch); each launch is `work` rounds of dependent arithmetic (about 1 us per 256 rounds on a
// current core).
LaunchLoopResult run_launch_loop(double seconds, int work = 512);

}  // namespace infertrace::bench
