// A thread's name on a track or a lane, one rule for the Chrome export and the HTML timeline
// (review HR L5: the timeline read "thread 439 (python3) 439 ops" beside "tid 439 CUDA API").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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

}  // namespace infertrace
