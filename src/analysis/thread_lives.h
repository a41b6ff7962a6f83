// Which thread a thread id names at a given time. The kernel hands an id out again once its thread
// has exited and been reaped (pid_max is 32768 on many hosts), and a recording keeps only ids: the
// recorder writes a switch when either side is traced, so after a traced thread's exit its id can
// come back as an untraced thread's (a busy process sharing a CPU with a traced thread: every one
// of its switches with a traced partner is in the file) or as a new traced thread's (a process of
// the traced tree forked later). Read as one thread, the first counted an outsider's preemptions as
// the traced thread's (review SP M1: Sched/1K 200.2 for 103.6), the second made a launch "pair" and
// an off-CPU interval from the dead thread's last event to the new one's first.
//
// A thread's death is its last switch-out, the one whose prev_state has TASK_DEAD (0x80): the
// kernel sets it before the final schedule. An id's lives are the spans between its ends: life 0
// up to and including its first end, life k after the k-th. An end is a death, or, where none was
// recorded, the instant before the first record of the id in another process (review S43:
// an outsider's death is written only when a traced thread is switched in at it, so an outsider
// that had the id before a traced thread got it read as one life with it). A thread's process never
// changes (a non-leader's exec takes the leader's id, in the same process), so a switch side, a
// wake-up (the woken thread's and the waker's ids) or a TASK record that gives the id another
// process is another thread. A thread of the same process given the id after a death the recording
// lacks stays joined to the dead one: nothing tells them apart. A life is a traced thread's when the
// recording holds, in it, a record the recorder writes for traced threads alone: one of the process
// tree (Trace::tasks: a thread made while recording, the command's exec, a thread alive at the
// attach, an exit), a launch or sync call, a syscall, an IRQ that interrupted it, a wake-up of it.
// Every traced thread has at least the first kind, whatever --events asked for (a TASK record is
// always written), so a later life without any is an outsider's, seen only as a traced thread's
// switch partner. Life 0 is the scope's to judge (analysis/sched_scope.h), unless it has no such
// record while a later life has: then it was an untraced process's before a traced thread got the
// id. A death the recorder lost (a full ring) leaves the lives around it joined when both threads
// were of one process; a lost TASK record, with no other record of that life, makes the life read as an
// outsider's.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "trace/trace.h"

namespace infertrace {

constexpr int64_t kTaskDead = 0x80;  // the kernel's TASK_DEAD bit in a switch's prev_state

class ThreadLives {
 public:
  ThreadLives() = default;
  explicit ThreadLives(const Trace& trace);

  // The life of `tid` that `ts` falls in (0 for an id with one life).
  uint32_t life(int64_t tid, ns_t ts) const;
  // Whether that life is a traced thread's (an id with one life: true, the scope decides).
  bool traced(int64_t tid, ns_t ts) const;
  // Ids that named two threads in turn within the recording, one of them a traced thread's (told
  // apart by a death or by a change of process).
  int64_t ids_reused() const { return ids_reused_; }

 private:
  struct Ends {
    std::vector<ns_t> at;              // ascending: deaths, and the instants before a change of process
    std::vector<uint8_t> life_traced;  // per life, 0 .. deaths
  };
  // Whether `tid` may be in by_tid_: nearly every event's id has one life, and one bit test answers
  // for it where a hash lookup was a few percent of `sched` (ids past the bitmap: by_tid_ decides).
  bool may_have_ended(int64_t tid) const {
    if (tid >= 0 && static_cast<uint64_t>(tid) < ended_.size() * 64)
      return (ended_[static_cast<uint64_t>(tid) >> 6] >> (tid & 63)) & 1;
    return !ended_covers_all_;
  }

  std::unordered_map<int64_t, Ends> by_tid_;  // ids with a death or seen in two processes
  int64_t ids_reused_ = 0;
  std::vector<uint64_t> ended_;     // a bit per id in [0, 64 * size) that is in by_tid_
  bool ended_covers_all_ = true;    // no id of by_tid_ lies past the bitmap
};

}  // namespace infertrace
