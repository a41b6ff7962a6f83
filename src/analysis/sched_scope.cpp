#include "analysis/sched_scope.h"

#include <algorithm>
#include <map>

namespace infertrace {

TracedScope traced_scope(const Trace& trace) {
  TracedScope s;
  for (size_t i = 0; i < trace.threads.size(); ++i) {
    if (trace.threads.pid[i] >= 0) s.pids.insert(trace.threads.pid[i]);
    if (trace.threads.tid[i] >= 0) s.tids.insert(trace.threads.tid[i]);
  }
  for (size_t i = 0; i < trace.api.size(); ++i) {
    if (trace.api.pid[i] >= 0) s.pids.insert(trace.api.pid[i]);
    if (trace.api.tid[i] >= 0) s.tids.insert(trace.api.tid[i]);
  }
  s.lives = ThreadLives(trace);
  const SwitchTable& sw = trace.switches;
  s.switch_prev_in.resize(sw.size());
  s.switch_next_in.resize(sw.size());
  for (size_t i = 0; i < sw.size(); ++i) {
    s.switch_prev_in[i] = s.contains(sw.prev_pid[i], sw.prev_tid[i], sw.ts[i]) ? 1 : 0;
    s.switch_next_in[i] = s.contains(sw.next_pid[i], sw.next_tid[i], sw.ts[i]) ? 1 : 0;
  }
  return s;
}

std::vector<ThreadLaunches> logical_launches(const Trace& trace, int64_t* nested_dropped) {
  struct Call {
    ns_t start, dur;
  };
  std::map<int64_t, std::pair<int64_t, std::vector<Call>>> by_tid;  // tid -> (pid, calls)
  const ApiCallTable& api = trace.api;
  for (size_t i = 0; i < api.size(); ++i) {
    if (!is_launch(api.kind[i])) continue;
    auto& slot = by_tid[api.tid[i]];
    slot.first = api.pid[i];
    slot.second.push_back({api.start[i], api.dur[i]});
  }
  int64_t dropped = 0;
  std::vector<ThreadLaunches> out;
  out.reserve(by_tid.size());
  for (auto& [tid, entry] : by_tid) {
    auto& calls = entry.second;
    // Enclosing call first when two start together (longer duration first).
    std::sort(calls.begin(), calls.end(), [](const Call& a, const Call& b) {
      return a.start != b.start ? a.start < b.start : a.dur > b.dur;
    });
    ThreadLaunches t;
    t.pid = entry.first;
    t.tid = tid;
    ns_t kept_end = INT64_MIN;  // end of the last kept call; unknown duration covers only its start
    for (const Call& c : calls) {
      if (!t.ts.empty() && (c.start < kept_end || c.start == t.ts.back())) {
        ++dropped;
        continue;
      }
      t.ts.push_back(c.start);
      kept_end = c.dur > 0 ? c.start + c.dur : c.start;
    }
    out.push_back(std::move(t));
  }
  if (nested_dropped) *nested_dropped = dropped;
  return out;
}

}  // namespace infertrace
