// The recorder's side of a synthetic CUPTI run: drains the ring into the merge while the forked
// producer runs, then finishes the merge and the recording. Shared by the synthetic recording
// programs so they build their .itrace exactly as `record --cuda cupti` does.
#pragma once

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "record/cupti_merge.h"
#include "record/cupti_ring.h"
#include "record/itrace_writer.h"

namespace infertrace::synth {

// Returns 0 when the producer `child` exited 0, else 1 (after saying so on stderr).
inline int drain_until_exit(cupti::Ring& ring, CuptiMerge& merge, ItraceWriter& out, pid_t child) {
  int status = 0;
  auto drain = [&] { ring.drain([&](uint32_t t, const unsigned char* p, uint32_t n) { merge.consume(t, p, n); }); };
  while (::waitpid(child, &status, WNOHANG) == 0) drain(), ::usleep(1000);
  drain();
  merge.finish(ring.header()->dropped_records.load(), ring.header()->dropped_bytes.load(),
               ring.header()->producers.load());
  out.finish();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "producer failed (status %d)\n", status);
    return 1;
  }
  return 0;
}

}  // namespace infertrace::synth
