// State shared by the parts of libinfertrace_cupti.so (the CUPTI injection library that
// `infertrace record --cuda cupti` loads into the traced program through CUDA_INJECTION64_PATH).
// Everything here runs inside the application: no exceptions escape, nothing blocks, and a failure
// leaves the application running untraced with one line on stderr.
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>
#include <string>

#include "cupti_inject/inject_counts.h"
#include "record/cupti_records.h"
#include "record/cupti_ring.h"

namespace infertrace::inject {

// The ring the recorder created (path in INFERTRACE_CUPTI_RING).
cupti::Ring& ring();
// This process's id (refreshed in a forked child).
uint32_t pid();
// The counts sent in the exit RingInfo (inject_counts.h).
ExitCounts& exit_counts();
// 1 when CUPTI accepted our CLOCK_MONOTONIC timestamp callback.
bool timestamps_monotonic();

inline uint64_t mono_ns() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// Takes CUPTI's callback subscription (inject_api.cpp): cupti::kInfoTraced, or the InfoStatus of the
// refusal with the reason (who holds it) in `why`. Done before anything else, so a refused process is
// left exactly as it was.
uint32_t subscribe(std::string& why);
// Enables the API callbacks on the subscription; false with a reason on failure.
bool start_api_callbacks(const char** why);
void unsubscribe();
// Enables kernel/memcpy/memset activity records and the buffer callbacks (inject_activity.cpp).
bool start_activity(const char** why);
// Undoes start_activity (after a later failure): the program runs on untraced, and a CUPTI client
// that comes later finds no activity kind of ours enabled.
void stop_activity();
// Pushes one paired CUPTI-clock/CLOCK_MONOTONIC sample (inject_activity.cpp).
void push_clock_sample();
// At exit: flushes CUPTI's buffers so the last records reach the ring.
void flush_activity();
// At exit, after the last flush: a buffer CUPTI still hands over is freed unread (inject_activity.cpp),
// its records counted and reported by push_late_records (inject_main.cpp).
void close_activity();
void push_late_records(uint64_t records);
// CUPTI's default flush: the buffers whose records are all complete, full or not.
void flush_completed_activity();
// A thread that calls flush_completed_activity every 100 ms (inject_flush.cpp), stopped and joined
// by stop_periodic_flush (at exit); a forked child has no such thread and forgets the parent's.
void start_periodic_flush();
void stop_periodic_flush();
void forget_periodic_flush_in_child();
// pthread_atfork handlers for the kernel-name table: a forked child numbers its names afresh,
// under its own pid.
void names_before_fork();
void names_after_fork_parent();
void names_after_fork_child();
// In a forked child (after its pid is known): the parent's RingCallbacks record again, under the
// child's pid (inject_api.cpp).
void callbacks_after_fork_child();

}  // namespace infertrace::inject
