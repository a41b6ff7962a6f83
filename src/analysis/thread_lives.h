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
// kernel sets it before the final schedule. An id's lives are the spans between its deaths: life 0
// up to and including its first death, life k after the k-th. Life 0 is whoever the scope says
// (analysis/sched_scope.h); a later life is a traced thread's only when the recording holds an event
// the recorder writes for traced threads alone in it (a launch or sync call, a syscall, an IRQ that
// interrupted it, a wake-up of it: a new thread's wake-up is recorded before its first switch-in),
// else it is an outsider's and its switches are not the traced threads'. A death the recorder lost
// (a full ring) leaves the lives around it joined, as before this rule.
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

  // The life of `tid` that `ts` falls in (0 for an id that never died).
  uint32_t life(int64_t tid, ns_t ts) const;
  // Whether that life is one of a traced thread (life 0: always; the scope decides).
  bool traced(int64_t tid, ns_t ts) const;
  // Ids that died and came back within the recording (as a traced or an untraced thread).
  int64_t ids_reused() const { return ids_reused_; }

 private:
  struct Deaths {
    std::vector<ns_t> at;              // ascending
    std::vector<uint8_t> life_traced;  // per life after a death: life_traced[k - 1] for life k
  };
  std::unordered_map<int64_t, Deaths> by_tid_;
  int64_t ids_reused_ = 0;
};

}  // namespace infertrace
