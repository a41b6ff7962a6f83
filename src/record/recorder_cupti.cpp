// The recorder's CUPTI side (--cuda cupti): the ring the injection library writes into, created
// before the command starts (stale rings of dead recorders removed first), and its last drain and
// counts into the summary and META at the end. Drained during the recording by drain().
#if INFERTRACE_HAVE_BPF

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "record/cuda_apis.h"
#include "record/cuda_mode.h"
#include "record/cupti_ring_cleanup.h"
#include "record/recorder_session.h"
#include "util/error.h"
#include "util/units.h"

namespace infertrace::recorder_impl {

// The directory of CUPTI rings: /dev/shm, or INFERTRACE_CUPTI_RING_DIR when set and not empty.
// /dev/shm is shared by every recorder of the machine, and the clean-up below removes any stale
// ring there; a test that plants stale rings and counts what is removed points this at a directory
// of its own, so other recordings running meanwhile neither remove its rings nor get theirs removed.
// The directory must be absolute (the traced processes get the ring's path and may change their
// working directory: a relative one lost every CUDA record, review FB M1) and an existing directory.
static std::string cupti_ring_dir() {
  const char* dir = std::getenv("INFERTRACE_CUPTI_RING_DIR");
  if (!dir || !*dir) return "/dev/shm";
  const std::string d(dir);
  if (d[0] != '/')
    throw Error("record: INFERTRACE_CUPTI_RING_DIR=" + d + " is not an absolute path; the traced processes open the "
                "ring by its path from their own working directory");
  struct stat st{};
  if (::stat(d.c_str(), &st) != 0) throw Error("record: INFERTRACE_CUPTI_RING_DIR=" + d + ": " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) throw Error("record: INFERTRACE_CUPTI_RING_DIR=" + d + " is not a directory");
  return d;
}

// CUPTI mode: the ring the injection library writes into, as a file in /dev/shm so every process
// of the traced tree can open it by path (file descriptors do not survive close_fds=True spawns).
void Recorder::create_cupti_ring() {
  const std::string ring_dir = cupti_ring_dir();
  cupti_lib_ = cupti_library_path();
  // Room for a second of records at the expected rate (two per launch: API + GPU), so a drain
  // every 100 ms absorbs bursts of 10x the rate.
  const uint64_t slots = std::max<uint64_t>(1 << 16, static_cast<uint64_t>(o_.expected_rate * 2));
  // Through sudo the ring goes to the invoking user (below), so that user's rings are ours to
  // clean up; otherwise our own.
  const char* sudo_uid = ::getuid() == 0 ? std::getenv("SUDO_UID") : nullptr;
  const uid_t ring_uid = sudo_uid ? static_cast<uid_t>(std::atoi(sudo_uid)) : ::getuid();
  // A recorder killed by SIGKILL or the OOM killer could not remove its ring (up to ~1 GiB of RAM
  // until reboot): the next CUPTI recording does, for rings whose recorder no longer runs.
  for (const cupti::RemovedRing& r : cupti::remove_stale_cupti_rings(ring_dir, ring_uid))
    warn("removed " + r.path + " (" + format_bytes(static_cast<double>(r.bytes)) + "), the CUPTI ring of recorder " +
         std::to_string(r.pid) + ", which no longer runs");
  static int counter = 0;
  std::string path;
  try {
    cupti_ring_ = cupti::create_named_ring(ring_dir, ::getpid(), &counter, std::min<uint64_t>(slots, 1ull << 24), &path);
  } catch (const std::exception& e) {
    throw Error(std::string("record: ") + e.what());
  }
  s_.cupti_ring_path = path;
  // Through sudo the command runs as the invoking user, who must be able to open the ring.
  // Through the descriptor of the file we created, never its path (review FB L1, FC L4: chown
  // followed a symlink, and a reopen by path could meet a swapped file or a FIFO, in a ring
  // directory the user owns).
  if (sudo_uid) {
    const char* sg = std::getenv("SUDO_GID");
    const int fd = cupti_ring_.file_descriptor();
    if (fd < 0 || ::fchown(fd, ring_uid, sg ? static_cast<gid_t>(std::atoi(sg)) : gid_t(-1)) != 0)
      throw Error("record: cannot hand the CUPTI ring " + path + " to the invoking user: " +
                  std::strerror(fd < 0 ? EBADF : errno));
  }
  merge_ = std::make_unique<CuptiMerge>(out_, static_cast<uint32_t>(cuda_apis().size()));
  out_.meta("cupti.library", cupti_lib_);
  out_.meta("cupti.ring_slots", std::to_string(cupti_ring_.capacity()));
}

void Recorder::finish_cupti() {
  if (!merge_) return;
  merge_->set_stop(stop_ns_);
  cupti_ring_.drain([&](uint32_t t, const unsigned char* p, uint32_t n) { merge_->consume(t, p, n); });
  const auto* h = cupti_ring_.header();
  // Positions claimed but never published: a producer died mid-copy (docs/record.md).
  sum_.cupti_ring_unpublished_slots = cupti_ring_.pending();
  out_.meta("cupti.ring_unpublished_slots", std::to_string(sum_.cupti_ring_unpublished_slots));
  merge_->finish(h->dropped_records.load(), h->dropped_bytes.load(), h->producers.load());
  const auto& st = merge_->stats();
  for (auto& [tid, n] : st.launches_per_thread) sum_.launches_per_thread[static_cast<int64_t>(tid)] += n;
  sum_.events["cuda_api (cupti)"] += st.api;
  sum_.events["gpu (cupti)"] += st.gpu;
  sum_.dropped["cupti_ring"] = h->dropped_records.load();
  sum_.dropped["cupti_activity"] = st.activity_dropped;
  sum_.cupti_activity_late = st.activity_late;
  sum_.folded_driver_calls += st.folded_driver_calls;
  sum_.cupti_processes = st.processes;
  sum_.cupti_processes_with_monotonic_clock = st.processes_with_timestamp_callback;
  sum_.cupti_processes_not_traced = st.processes_not_traced;
  sum_.cupti_gpu_without_timestamps = st.gpu_without_timestamps;
  sum_.cupti_gpu_without_clock = st.gpu_without_clock;
  sum_.cupti_callbacks = st.callbacks;
  sum_.cupti_launch_coverage = st.coverage;
  // CUPTI's calls after the stop, left out (with their GPU records) or cut at it by the merge, are
  // counted with the probes' events (the summary's "left out:" and "cut at the stop:" lines). Their
  // META, written before the CUPTI ring's last drain, is written again: a reader keeps the last value.
  if (st.api_after_stop + st.gpu_after_stop > 0) {
    sum_.after_stop += st.api_after_stop + st.gpu_after_stop;
    sum_.cupti_api_after_stop = st.api_after_stop;
    out_.meta("events_after_stop", std::to_string(sum_.after_stop));
  }
  if (st.api_cut_at_stop > 0) {
    sum_.cut_at_stop += st.api_cut_at_stop;
    out_.meta("events_cut_at_stop", std::to_string(sum_.cut_at_stop));
  }
  cupti_ring_.remove_file();
}

}  // namespace infertrace::recorder_impl

#endif  // INFERTRACE_HAVE_BPF
