// Writes a .itrace recording the way `infertrace record --cuda cupti` does, from the synthetic
// producer instead of a GPU: a ring, a forked producer process writing the scripted workload
// (cupti_synth_producer.h), the recorder's merge (record/cupti_merge.h) draining it into the file.
// Usage: cupti_synth_recording OUT.itrace LAUNCHES [raw] [--refused NAME,NAME...] [--no-launch-callbacks [--keep-copy]]
//   The process sends the library's RingCallbacks record, as the library always does (every
//   callback accepted: a launch, a copy, a sync); --refused names these callbacks refused; --no-launch-callbacks: no launch-class
//   callback was enabled (the sync only), so neither the launches nor the async copy are recorded;
//   with --keep-copy the async copy's callback stays enabled and its call recorded (CUPTI refused the
//   kernel launches alone, review AR H1).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

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
  bool raw = false, launch_callbacks = true, keep_copy = false;
  std::vector<std::string> refused;
  for (int i = 3; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "raw") {
      raw = true;
    } else if (a == "--no-launch-callbacks") {
      launch_callbacks = false;
    } else if (a == "--keep-copy") {
      keep_copy = true;
    } else if (a == "--refused" && i + 1 < argc) {
      std::stringstream list(argv[++i]);
      for (std::string n; std::getline(list, n, ',');) refused.push_back(n);
    } else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  cupti::Ring ring = cupti::Ring::create_anonymous(1 << 16);
  ItraceWriter out(argv[1]);
  out.meta("start_ns", "1000000000");
  CuptiMerge merge(out, 0);
  const pid_t child = ::fork();
  if (child == 0) {
    const bool copy_callbacks = launch_callbacks || keep_copy;
    const bool sent = synth::push_callbacks(ring, 4242, synth::enabled_callbacks(launch_callbacks, copy_callbacks), refused);
    _exit(sent && synth::produce(ring, 4242, 4243, 1'000'000'000, launches, raw, launch_callbacks, copy_callbacks) == 0 ? 0 : 3);
  }
  if (synth::drain_until_exit(ring, merge, out, child) != 0) return 1;
  std::printf("api %llu gpu %llu\n", static_cast<unsigned long long>(merge.stats().api),
              static_cast<unsigned long long>(merge.stats().gpu));
  return 0;
}
