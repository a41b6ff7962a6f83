#pragma once
// The name a thread had last in a recording (review RC M1), from the records that carry its comm:
// its TASK records (alive at the attach, new, exec, exit, rename: docs/recording-format.md) and the records
// that carry the kernel's current comm of the thread at an instant (either side of a switch, the
// woken thread of a wake-up). The recording reader's threads table and record's own summary
// ("launches per thread") name a thread by this one rule:
//  - the latest of them by time stamp: a thread that renames itself after its creation
//    (pthread_setname_np, prctl(PR_SET_NAME): worker threads of PyTorch, vLLM, CUDA's own and
//    Python's threads) is named by its new name, carried by its RENAME record (TASK kind 4, written
//    at the rename since 2026-12-06) and its later switch rows, where its TASK_NEW record holds the
//    parent's name copied at the clone and an --pid attach's TASK record the name at the attach;
//  - except that a thread whose latest TASK record is its exit keeps that record's name: after its
//    exit only its final switch-out can carry its id, or a thread of another process given the same
//    id (which a recording of a traced process's partner can hold), and neither may rename it. A
//    later TASK record of the id (a traced thread given the id again) starts over.
//  - at one stamp a TASK record wins over a switch or wake-up; among records of one kind, the later
//    in the order they are given.
// The callers give only records of a traced process (a switch's side of another process is not
// its thread). The result does not depend on the order the records are given in.
#include <cstdint>
#include <string>
#include <string_view>

namespace infertrace {

class ThreadNameSources {
 public:
  // A TASK record of the thread at `ts` with `comm`; `exit` for its exit record.
  void task(int64_t ts, std::string_view comm, bool exit) {
    if (has_task_ && ts < task_ts_) return;
    task_.assign(comm);
    task_ts_ = ts;
    task_exit_ = exit;
    has_task_ = true;
  }
  // A record holding the thread's comm at `ts` (a switch's side, a wake-up); an empty comm says nothing.
  void seen(int64_t ts, std::string_view comm) {
    if (comm.empty() || (has_seen_ && ts < seen_ts_)) return;
    seen_.assign(comm);
    seen_ts_ = ts;
    has_seen_ = true;
  }
  // The thread's name by the rule above; empty when no record named it.
  std::string_view name() const {
    if (has_task_ && (task_exit_ || !has_seen_ || seen_ts_ <= task_ts_)) return task_;
    return seen_;
  }

 private:
  std::string task_, seen_;
  int64_t task_ts_ = 0, seen_ts_ = 0;
  bool has_task_ = false, task_exit_ = false, has_seen_ = false;
};

}  // namespace infertrace
