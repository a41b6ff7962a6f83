// `infertrace record`'s entry point: the checks before anything is opened, the CUDA mode, and the
// Recorder (record/recorder_session.h) that runs the recording; a build without eBPF says why not.
#include "record/recorder.h"

#include <fstream>

#include "util/error.h"

namespace infertrace {

// /proc/sys/kernel/pid_max bounds the processes and threads that exist at once, threads-max the
// threads: a map larger than the smaller could never fill.
uint32_t default_map_entries() {
  uint64_t n = kDefaultMapEntries;
  for (const char* path : {"/proc/sys/kernel/pid_max", "/proc/sys/kernel/threads-max"}) {
    std::ifstream in(path);
    uint64_t v = 0;
    if (in >> v && v > 0 && v < n) n = v;
  }
  return static_cast<uint32_t>(n);
}

void print_kept_messages(std::FILE* out, const std::vector<std::string>& notes, const std::vector<std::string>& warnings,
                         const std::vector<std::string>& stop_notes) {
  for (const std::string& n : notes) std::fprintf(out, "infertrace record: %s\n", n.c_str());
  for (const std::string& w : warnings) std::fprintf(out, "infertrace: warning: %s\n", w.c_str());
  for (const std::string& n : stop_notes) std::fprintf(out, "infertrace record: %s\n", n.c_str());
}

}  // namespace infertrace

#if INFERTRACE_HAVE_BPF

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "record/cuda_mode.h"
#include "record/preflight.h"
#include "record/record_targets.h"
#include "record/recorder_session.h"

// The recording itself: record/recorder_session.h and the record/recorder_*.cpp it lists.
namespace infertrace {

using recorder_impl::Recorder;

namespace {

// The checks made before the Recorder opens anything, and the CUDA mode they lead to. `note`: a
// start-up message for the user.
CudaMode check_and_pick_mode(const RecordOptions& opts, const std::function<void(const std::string&)>& note) {
  if (opts.command.empty() == opts.pids.empty())
    throw UsageError("record: give either --pid PID (one or more) or -- COMMAND [ARGS...]");
  if (!(opts.launch || opts.sched || opts.wakeup || opts.irq || opts.syscall))
    throw UsageError("record: --events selects nothing");
  // Before the Recorder opens (and truncates) the output: a usage error leaves the file as it was.
  check_record_targets(opts);
  CudaModeFacts facts;
  facts.have_command = !opts.command.empty();
  facts.have_pids = !opts.pids.empty();
  facts.library = cupti_library_path();
  facts.gpu_present = opts.cuda == "auto" && facts.have_command && !facts.library.empty() && gpu_present();
  if (const char* inj = std::getenv("CUDA_INJECTION64_PATH"); inj && *inj && std::string(inj) != facts.library)
    facts.other_injection = inj;
  if (opts.cuda == "auto" && !facts.other_injection.empty() && !facts.library.empty() && facts.gpu_present && opts.launch)
    note("CUDA_INJECTION64_PATH=" + facts.other_injection + " is set: recording with --cuda uprobe, which leaves it in "
         "place (cupti mode would replace it)");
  // Without launch events asked for, auto mode does not inject anything.
  const CudaMode mode = opts.cuda == "auto" && !opts.launch ? CudaMode::Uprobe : resolve_cuda_mode(opts.cuda, facts);
  check_record_prerequisites();
  return mode;
}

}  // namespace

RecordSummary record(const RecordOptions& opts) {
  // The start-up's informational messages: kept for --summary-file (warnings_to_summary) as the
  // warnings are, else said at once; on a failure before the Recorder runs, said with the error.
  std::vector<std::string> notes = opts.startup_notes;
  CudaMode mode;
  try {
    mode = check_and_pick_mode(opts, [&](const std::string& message) {
      if (opts.warnings_to_summary) notes.push_back(message);
      else std::fprintf(stderr, "infertrace record: %s\n", message.c_str());
    });
  } catch (...) {
    print_kept_messages(stderr, notes, {});
    throw;
  }
  // CUPTI sees the API calls itself: the launch uprobes stay off so nothing is recorded twice.
  RecordOptions o = opts;
  if (mode == CudaMode::Cupti) o.launch = false;
  Recorder r(o, mode);
  r.keep_notes(std::move(notes));
  try {
    return r.run();
  } catch (...) {
    // Warnings (and start-up notes) kept for --summary-file reach it only through a returned
    // summary: on a failure they go to stderr with the error, not nowhere (review DH M1).
    r.print_kept_messages();
    throw;
  }
}

}  // namespace infertrace

#else  // built without eBPF

namespace infertrace {
RecordSummary record(const RecordOptions& opts) {
  print_kept_messages(stderr, opts.startup_notes, {});  // the caller's, kept for --summary-file
  throw Error(std::string("this build of infertrace has no eBPF recorder: ") + INFERTRACE_BPF_MISSING +
              " at build time (install clang, bpftool and libbpf-dev with scripts/setup.sh, then rebuild)");
}
}  // namespace infertrace

#endif
