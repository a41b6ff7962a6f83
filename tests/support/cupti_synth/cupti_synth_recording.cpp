// Writes a .itrace recording the way `infertrace record --cuda cupti` does, from the synthetic
// producer instead of a GPU: a ring, a forked producer process writing the scripted workload
// (cupti_synth_producer.h), the recorder's merge (record/cupti_merge.h) draining it into the file.
// Usage: cupti_synth_recording OUT.itrace LAUNCHES [raw]
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cupti_synth_drain.h"
#include "cupti_synth_producer.h"
#include "record/cupti_merge.h"
#include "record/itrace_writer.h"

int main(int argc, char** argv) {
  using namespace infertrace;
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s OUT.itrace LAUNCHES [raw]\n", argv[0]);
    return 2;
  }
  const int launches = std::atoi(argv[2]);
  const bool raw = argc > 3 && std::string(argv[3]) == "raw";
  cupti::Ring ring = cupti::Ring::create_anonymous(1 << 16);
  ItraceWriter out(argv[1]);
  out.meta("start_ns", "1000000000");
  CuptiMerge merge(out, 0);
  const pid_t child = ::fork();
  if (child == 0) _exit(synth::produce(ring, 4242, 4243, 1'000'000'000, launches, raw) == 0 ? 0 : 3);
  if (synth::drain_until_exit(ring, merge, out, child) != 0) return 1;
  std::printf("api %llu gpu %llu\n", static_cast<unsigned long long>(merge.stats().api),
              static_cast<unsigned long long>(merge.stats().gpu));
  return 0;
}
