#include "analysis/sched_scope.h"

#include <algorithm>
#include <map>
#include <tuple>

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

namespace {

struct Call {
  ns_t start, dur;
};

// The start times of the logical launches among one thread's calls; `dropped` counts the calls
// merged into an enclosing call of the same launch.
std::vector<ns_t> fold_nested(std::vector<Call>& calls, int64_t& dropped) {
  // Enclosing call first when two start together (longer duration first).
  std::sort(calls.begin(), calls.end(), [](const Call& a, const Call& b) {
    return a.start != b.start ? a.start < b.start : a.dur > b.dur;
  });
  std::vector<ns_t> ts;
  ns_t kept_end = INT64_MIN;  // end of the last kept call; unknown duration covers only its start
  for (const Call& c : calls) {
    if (!ts.empty() && (c.start < kept_end || c.start == ts.back())) {
      ++dropped;
      continue;
    }
    ts.push_back(c.start);
    kept_end = c.dur > 0 ? c.start + c.dur : c.start;
  }
  return ts;
}

}  // namespace

std::vector<ThreadLaunches> logical_launches(const Trace& trace, int64_t* nested_dropped) {
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
    ThreadLaunches t;
    t.pid = entry.first;
    t.tid = tid;
    t.ts = fold_nested(entry.second, dropped);
    out.push_back(std::move(t));
  }
  if (nested_dropped) *nested_dropped = dropped;
  return out;
}

std::vector<LifeLaunches> logical_launches_by_life(const Trace& trace, const ThreadLives& lives) {
  std::map<std::tuple<int64_t, int64_t, uint32_t>, std::vector<Call>> by_life;  // (pid, tid, life) -> calls
  const ApiCallTable& api = trace.api;
  for (size_t i = 0; i < api.size(); ++i)
    if (is_launch(api.kind[i]))
      by_life[{api.pid[i], api.tid[i], lives.life(api.tid[i], api.start[i])}].push_back({api.start[i], api.dur[i]});
  int64_t dropped = 0;
  std::vector<LifeLaunches> out;
  out.reserve(by_life.size());
  for (auto& [key, calls] : by_life) {
    LifeLaunches l;
    std::tie(l.pid, l.tid, l.life) = key;
    l.ts = fold_nested(calls, dropped);
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace infertrace
