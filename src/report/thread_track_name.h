// A thread's name on a track or a lane, one rule for the Chrome export and the HTML timeline
// (review HR L5: the timeline read "thread 439 (python3) 439 ops" beside "tid 439 CUDA API"), and
// which thread row names a track, one rule for both trace exports and the HTML timeline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "trace/trace.h"

namespace infertrace {

// Its name and tid. A name that already carries the id is left as it is: PyTorch's own ("thread
// 439 (python3)"), and one the Chrome export wrote and the Kineto reader read back ("python3 439"),
// which would otherwise grow by " 439" on every round trip. No name: "thread 439".
inline std::string thread_track_name(std::string_view comm, int64_t tid) {
  std::string n(comm);
  const std::string id = std::to_string(tid);
  const std::string tail = " " + id;
  const bool ends_with_tid = n.size() > tail.size() && n.compare(n.size() - tail.size(), tail.size(), tail) == 0;
  if (n.empty()) n = "thread " + id;
  else if (n.rfind("thread " + id + " (", 0) != 0 && !ends_with_tid) n += tail;
  return n;
}

// The thread row (in Trace::threads) that names the track of a pid and tid: the row of that pid
// and tid, else the first row of the tid (a recording has one row per tid, so a reused id's life
// under another process is named by it: review S41 L8), else none. By pid and tid, not by tid
// alone: a Kineto trace has a row per pid and tid, and the same tid in two processes names two
// threads (review XP L1: --perfetto and the HTML timeline named both after the last row).
class ThreadNameRows {
 public:
  explicit ThreadNameRows(const Trace& t) {
    for (size_t i = 0; i < t.threads.size(); ++i) {
      exact_.try_emplace({t.threads.pid[i], t.threads.tid[i]}, i);
      first_of_tid_.try_emplace(t.threads.tid[i], i);
    }
  }
  std::optional<size_t> row(int64_t pid, int64_t tid) const {
    if (auto it = exact_.find({pid, tid}); it != exact_.end()) return it->second;
    return first_of_tid(tid);
  }
  std::optional<size_t> first_of_tid(int64_t tid) const {
    if (auto it = first_of_tid_.find(tid); it != first_of_tid_.end()) return it->second;
    return std::nullopt;
  }

 private:
  std::map<std::pair<int64_t, int64_t>, size_t> exact_;
  std::map<int64_t, size_t> first_of_tid_;
};

}  // namespace infertrace
