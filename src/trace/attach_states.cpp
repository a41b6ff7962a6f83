#include "trace/attach_states.h"

#include <algorithm>

namespace infertrace {

void set_attach_states(Trace& t, const std::vector<ThreadAtAttach>& threads) {
  std::vector<TaskEvent> rows;
  rows.reserve(t.tasks.size() + threads.size());
  for (size_t i = 0; i < t.tasks.size(); ++i)
    if (t.tasks.kind[i] != TaskKind::Existing) rows.push_back(t.tasks.row(i));
  for (const ThreadAtAttach& a : threads) {
    TaskEvent e;
    e.ts = a.ts, e.pid = a.pid, e.tid = a.tid, e.kind = TaskKind::Existing, e.state = a.state;
    rows.push_back(e);
  }
  std::stable_sort(rows.begin(), rows.end(), [](const TaskEvent& a, const TaskEvent& b) { return a.ts < b.ts; });
  t.tasks = TaskTable{};
  for (const TaskEvent& e : rows) t.tasks.push(e);
}

std::vector<ThreadAtAttach> attach_states(const Trace& t) {
  std::vector<ThreadAtAttach> out;
  for (size_t i = 0; i < t.tasks.size(); ++i)
    if (t.tasks.kind[i] == TaskKind::Existing)
      out.push_back({t.tasks.ts[i], t.tasks.pid[i], t.tasks.tid[i], t.tasks.state[i]});
  return out;
}

}  // namespace infertrace
