// libinfertrace_cupti.so: the CUPTI injection library. The CUDA driver loads it into a program when
// CUDA_INJECTION64_PATH names it and calls InitializeInjection() once, at CUDA initialization.
// It attaches to the recorder's ring (INFERTRACE_CUPTI_RING = its path), takes CUPTI's subscription,
// asks CUPTI to timestamp activity with CLOCK_MONOTONIC, enables the activity records and the API
// callbacks. Refused (another CUPTI client first) or failing, it undoes what it set up, says why on
// stderr and in the ring, and returns: the program always runs on, untraced.
// It cannot be exercised without a GPU; docs/record.md lists the checks that remain for one.
#include <cupti.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cupti_inject/inject_state.h"

namespace infertrace::inject {

namespace {

// Made once and never destroyed: static destructors run right after at_exit, while records can still
// be pushed from other threads (API callbacks of a thread still launching during exit, a CUPTI
// buffer handed over by CUPTI's own thread or at context teardown); a static Ring would be unmapped
// under them. The process's exit unmaps it.
cupti::Ring& g_ring = *new cupti::Ring;
std::atomic<uint32_t> g_pid{0};
ExitCounts g_counts;  // atomics only: nothing to destroy
bool g_monotonic = false;
uint32_t g_cupti_version = 0;

uint64_t CUPTIAPI monotonic_timestamp() { return mono_ns(); }

void push_info(bool at_exit) {
  cupti::RingInfo info{};
  info.pid = pid();
  info.timestamp_callback = g_monotonic ? 1 : 0;
  info.cupti_version = g_cupti_version;
  if (at_exit) g_counts.fill(info);
  g_ring.push(cupti::kRecInfo, &info, sizeof(info));
}

// Set in a forked child (which cannot use the parent's CUDA context anyway): it makes no CUPTI call
// at exit, since a lock CUPTI held in another thread of the parent at the fork (the flusher's,
// ten times a second) stays held in the child forever.
bool g_forked_child = false;

void at_exit() {
  stop_periodic_flush();
  if (!g_forked_child) {
    flush_activity();
    if (!g_monotonic) push_clock_sample();
  }
  // CUPTI's activity stays enabled: a buffer it hands over after this point is not read (the
  // kernel-name table and the counts above are final).
  close_activity();
  push_info(true);
}

// The rest of a forked child's rule: its exit counts were reset just before (register_fork_handlers).
void after_fork_child() {
  g_forked_child = true;
  g_pid.store(static_cast<uint32_t>(::getpid()), std::memory_order_relaxed);
  names_after_fork_child();
  forget_periodic_flush_in_child();
  callbacks_after_fork_child();
}

void say(const std::string& what) { std::fprintf(stderr, "infertrace-cupti: %s; this process is not traced\n", what.c_str()); }

// Not tracing this process: one line on stderr and one RingInfo with the reason for the recorder.
void refuse(uint32_t status, const std::string& why) {
  say(why);
  cupti::RingInfo info{};
  info.pid = pid();
  info.cupti_version = g_cupti_version;
  info.status = status;
  g_ring.push(cupti::kRecInfo, &info, sizeof(info));
}

}  // namespace

cupti::Ring& ring() { return g_ring; }
uint32_t pid() { return g_pid.load(std::memory_order_relaxed); }
ExitCounts& exit_counts() { return g_counts; }
bool timestamps_monotonic() { return g_monotonic; }

void push_late_records(uint64_t records) {
  const cupti::RingInfo info = late_records_info(pid(), g_monotonic, g_cupti_version, records);
  g_ring.push(cupti::kRecInfo, &info, sizeof(info));
}

}  // namespace infertrace::inject

extern "C" __attribute__((visibility("default"))) int InitializeInjection(void) {
  using namespace infertrace::inject;
  const char* path = std::getenv("INFERTRACE_CUPTI_RING");
  if (!path || !*path) {
    say("INFERTRACE_CUPTI_RING is not set (start the program with `infertrace record --cuda cupti -- CMD`)");
    return 1;
  }
  std::string why;
  g_ring = infertrace::cupti::Ring::attach(path, &why);
  if (!g_ring.valid()) {
    say("cannot attach the recorder's ring: " + why);
    return 1;
  }
  g_pid = static_cast<uint32_t>(::getpid());
  cuptiGetVersion(&g_cupti_version);
  // The subscription first: when another CUPTI client holds it, nothing of ours is registered or
  // enabled (an activity kind or buffer callback left behind would take records from that client).
  std::string refused;
  if (const uint32_t status = subscribe(refused); status != infertrace::cupti::kInfoTraced) {
    refuse(status, refused);
    return 1;
  }
  // Before any activity kind is enabled, as CUPTI requires.
  g_monotonic = cuptiActivityRegisterTimestampCallback(monotonic_timestamp) == CUPTI_SUCCESS;
  const char* reason = nullptr;
  if (!start_activity(&reason)) {
    stop_activity();
    unsubscribe();
    refuse(infertrace::cupti::kInfoSetupFailed, reason ? reason : "CUPTI activity setup failed");
    return 1;
  }
  if (!start_api_callbacks(&reason)) {
    stop_activity();
    unsubscribe();
    refuse(infertrace::cupti::kInfoSetupFailed, reason ? reason : "CUPTI callback setup failed");
    return 1;
  }
  register_fork_handlers(g_counts, names_before_fork, names_after_fork_parent, after_fork_child);
  if (!g_monotonic) push_clock_sample();
  push_info(false);
  std::atexit(at_exit);
  start_periodic_flush();
  return 1;
}
