#include "analysis/syscall.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <map>
#include <string_view>

namespace infertrace {

namespace {

// Syscalls are keyed by name when the recording names them, else by number.
using Key = std::pair<StrId, int32_t>;

Key key_of(const SyscallTable& t, size_t i) { return t.name[i] != kNoString ? Key{t.name[i], -1} : Key{kNoString, t.nr[i]}; }

void add(SyscallStat& st, const SyscallTable& t, size_t i) {
  if (st.count == 0) st.name = t.name[i], st.nr = t.nr[i];
  ++st.count;
  st.errors += is_syscall_error(t.ret[i]) ? 1 : 0;
  st.total += t.dur[i];
  st.max = std::max(st.max, t.dur[i]);
}

std::vector<SyscallStat> sorted_by_total(const std::map<Key, SyscallStat>& m) {
  std::vector<SyscallStat> v;
  v.reserve(m.size());
  for (auto& [k, st] : m) v.push_back(st);
  std::stable_sort(v.begin(), v.end(), [](const SyscallStat& a, const SyscallStat& b) { return a.total > b.total; });
  return v;
}

// A recording made with `--events syscall-counts` has per-syscall counts and total times from
// the kernel (META syscall_count.<name>, syscall_total_ns.<name>, syscall_nr.<name>) and no rows.
void add_kernel_counts(const Trace& trace, SyscallProfile& p) {
  const std::string prefix = "syscall_count.";
  const auto num = [&](const std::string& key) {
    const auto it = trace.meta.find(key);
    return it == trace.meta.end() ? int64_t{-1} : std::strtoll(it->second.c_str(), nullptr, 10);
  };
  for (auto it = trace.meta.lower_bound(prefix); it != trace.meta.end() && it->first.rfind(prefix, 0) == 0; ++it) {
    const std::string name = it->first.substr(prefix.size());
    SyscallStat st;
    st.name = trace.strings.find(name);
    st.nr = static_cast<int32_t>(num("syscall_nr." + name));
    st.count = num(it->first);
    st.total = std::max<int64_t>(0, num("syscall_total_ns." + name));
    st.errors = -1, st.max = -1;
    if (st.count <= 0) continue;
    p.counted_in_kernel = true;
    p.count += st.count, p.total += st.total;
    p.by_name.push_back(st);
  }
  if (p.counted_in_kernel) p.errors = -1;
  std::stable_sort(p.by_name.begin(), p.by_name.end(),
                   [](const SyscallStat& a, const SyscallStat& b) { return a.total > b.total; });
}

}  // namespace

SyscallProfile profile_syscalls(const Trace& trace, bool per_thread) {
  const SyscallTable& t = trace.syscalls;
  SyscallProfile p;
  std::map<Key, SyscallStat> all;
  std::map<int64_t, std::pair<int64_t, std::map<Key, SyscallStat>>> threads;  // tid -> (pid, stats)
  std::map<StrId, IoctlTargetStat> ioctl;
  const StrId ioctl_name = trace.strings.find("ioctl");
  constexpr int32_t kIoctlNr = 16;  // x86-64; used only when the row has no name
  for (size_t i = 0; i < t.size(); ++i) {
    ++p.count;
    p.errors += is_syscall_error(t.ret[i]) ? 1 : 0;
    p.total += t.dur[i];
    add(all[key_of(t, i)], t, i);
    if (per_thread) {
      auto& th = threads[t.tid[i]];
      th.first = t.pid[i];
      add(th.second[key_of(t, i)], t, i);
    }
    const bool is_ioctl = t.name[i] != kNoString ? (ioctl_name != kNoString && t.name[i] == ioctl_name) : t.nr[i] == kIoctlNr;
    if (is_ioctl) {
      const StrId target = t.fd_target[i] > 0 && static_cast<size_t>(t.fd_target[i]) < trace.strings.size()
                               ? static_cast<StrId>(t.fd_target[i])
                               : kNoString;
      IoctlTargetStat& st = ioctl[target];
      st.target = target;
      ++st.count;
      st.errors += is_syscall_error(t.ret[i]) ? 1 : 0;
      st.total += t.dur[i];
    }
  }
  p.by_name = sorted_by_total(all);
  for (auto& [target, st] : ioctl) p.ioctl_targets.push_back(st);
  std::stable_sort(p.ioctl_targets.begin(), p.ioctl_targets.end(),
                   [](const IoctlTargetStat& a, const IoctlTargetStat& b) { return a.total > b.total; });
  for (auto& [tid, th] : threads) p.by_thread.push_back({th.first, tid, sorted_by_total(th.second)});
  if (t.size() == 0) add_kernel_counts(trace, p);
  return p;
}

}  // namespace infertrace
