// chrome_ids.h: the ids of the Chrome export.
#include "report/chrome_ids.h"

namespace infertrace {

std::vector<int64_t> chrome_named_ids_in_order(const std::set<int64_t>& used) {
  std::vector<int64_t> order;
  int64_t next = -2;
  for (auto it = used.rbegin(); it != used.rend(); ++it) {
    if (*it >= -1) continue;
    for (; next > *it; --next) order.push_back(next);
    order.push_back(*it);
    if (*it == INT64_MIN) break;  // (the smallest id: nothing follows, and *it - 1 would overflow)
    next = *it - 1;
  }
  return order;
}

ChromeHostIds::ChromeHostIds(const Trace& t) {
  // Only the rows with a -1 in their key: an id other than -1 is always written.
  for (size_t i = 0; i < t.threads.size(); ++i)
    if (t.threads.pid[i] == -1 || t.threads.tid[i] == -1)
      rows_with_none_.emplace(std::pair{t.threads.pid[i], t.threads.tid[i]},
                              std::pair{t.threads.first_ts[i], t.threads.last_ts[i]});
}

std::string ChromeHostIds::fields(int64_t pid, int64_t tid, int64_t start, int64_t dur) const {
  bool both = pid != -1 && tid != -1;
  if (!both) {
    int64_t end;  // (an end past INT64_MAX is past every row's last)
    if (__builtin_add_overflow(start, dur < 0 ? 0 : dur, &end)) end = INT64_MAX;
    auto it = rows_with_none_.find({pid, tid});
    both = it != rows_with_none_.end() && it->second.first <= start && end <= it->second.second;
  }
  // A field not written as a number is null, not left out: chrome://tracing (catapult) refuses a
  // whole file with one event without a pid (review EP); the Kineto reader and ui.perfetto.dev take
  // null as absent, as they took the missing field.
  const auto field = [&](int64_t v) { return both || v != -1 ? std::to_string(v) : std::string("null"); };
  return "\"pid\":" + field(pid) + ",\"tid\":" + field(tid);
}

}  // namespace infertrace
