// The recorder's summary META, written once the probes are detached: the machine, the window
// recorded, the events per type, what was dropped (less what was lost after the stop), the kernel
// side's counted totals and full maps, and the in-kernel syscall counts (--events syscall-counts).
#if INFERTRACE_HAVE_BPF

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/utsname.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "record/recorder_session.h"

namespace infertrace::recorder_impl {

void Recorder::write_summary_meta() {
  utsname u{};
  ::uname(&u);
  out_.meta("kernel", std::string(u.sysname) + " " + u.release + " " + u.machine);
  out_.meta("cpus", std::to_string(libbpf_num_possible_cpus()));
  out_.meta("clock", "CLOCK_MONOTONIC");
  out_.meta("duration_s", std::to_string(sum_.seconds));
  out_.meta("recorded_from_ns", std::to_string(recorded_from_ns_));
  out_.meta("recorded_to_ns", std::to_string(recorded_to_ns_));
  for (auto& [type, n] : counts_) out_.meta(std::string("events.") + event_name(type), std::to_string(n));
  if (sum_.after_stop) out_.meta("events_after_stop", std::to_string(sum_.after_stop));
  if (sum_.cut_at_stop) out_.meta("events_cut_at_stop", std::to_string(sum_.cut_at_stop));
  if (sum_.command_wall_ns >= 0) out_.meta("command.wall_ns", std::to_string(sum_.command_wall_ns));
  if (sum_.command_wall_ns >= 0) {  // the command ended by itself: what of its tree it left running
    out_.meta("command.left_running", std::to_string(sum_.left_running.size()));
    if (!sum_.left_running.empty()) out_.meta("command.left_running_pids", itrace::untraced_pids_meta(sum_.left_running));
  }
  const auto stats = read_stats();
  uint64_t lost_after_stop_total = 0;
  for (uint32_t t : {IT_EV_API, IT_EV_SWITCH, IT_EV_WAKEUP, IT_EV_IRQ, IT_EV_SYSCALL, IT_EV_TASK, IT_EV_FDNAME}) {
    auto it = stats.find(IT_STAT_LOST_BASE + t);
    const uint64_t all = it == stats.end() ? 0 : it->second, after = t < IT_LOSS_SLOTS ? lost_after_stop_[t] : 0;
    const uint64_t lost = all > after ? all - after : 0;
    lost_after_stop_total += all - lost;
    out_.meta(std::string("dropped.") + event_name(t), std::to_string(lost));
    sum_.dropped[event_name(t)] = lost;
  }
  // Lost after the stop: events the recording leaves out anyway (a command still running while it
  // ends fills the ring, review RX2 H1), not a loss of the recording.
  if (lost_after_stop_total) out_.meta("lost_after_stop", std::to_string(lost_after_stop_total));
  // Read once, after the detach: the kernel side stopped these totals at the stop itself
  // (count_until_ns, review RP L4: read without it, they went on counting what the processes did
  // during the teardown: 1,485,211 syscalls counted against 1,483,368 made up to the stop). A call
  // in progress at the stop is counted when it returns, its time cut at the stop.
  auto get = [&](uint32_t k) { auto it = stats.find(k); return it == stats.end() ? 0 : it->second; };
  sum_.folded_driver_calls = get(IT_STAT_NESTED_DRIVER);
  sum_.nested_runtime_calls = get(IT_STAT_NESTED_RUNTIME);
  out_.meta("folded_driver_calls", std::to_string(sum_.folded_driver_calls));
  out_.meta("nested_runtime_calls", std::to_string(sum_.nested_runtime_calls));
  // The kernel side's maps that were full (record.bpf.c): counted over the whole recording, the
  // teardown included (a child forked then was not traced either way). Zeros written too, so a
  // reader tells "none" from a recorder that did not count (docs/recording-format.md).
  sum_.max_processes = max_processes(o_);
  sum_.max_threads = max_threads(o_);
  out_.meta("max_processes", std::to_string(sum_.max_processes));
  out_.meta("max_threads", std::to_string(sum_.max_threads));
  sum_.untraced_processes = get(IT_STAT_UNTRACED_PROCESS);
  out_.meta("untraced.processes", std::to_string(sum_.untraced_processes));
  if (!sum_.untraced_pids.empty()) {
    // Those whose UNTRACED record reached the ring (a full ring can lose some: the count above is
    // exact), the first itrace::kUntracedPidsListed of them.
    out_.meta("untraced.pids", itrace::untraced_pids_meta(sum_.untraced_pids));
  }
  for (auto [name, stat] : {std::pair{"syscall", IT_STAT_PENDING_SYSCALL}, {"api", IT_STAT_PENDING_API},
                            {"fold", IT_STAT_PENDING_FOLD}}) {
    sum_.pending_full[name] = get(stat);
    out_.meta(std::string("pending_full.") + name, std::to_string(sum_.pending_full[name]));
  }
  if (o_.syscall && o_.syscall_counts_only)
    for (const it_syscall_count& c : read_syscall_counts())
      out_.record(IT_EV_SYSCALL_COUNT, &c, sizeof(c)), sum_.events["syscall (counted)"] += c.count;
}

// --events syscall-counts: the in-kernel totals per syscall number (those with a call).
std::vector<it_syscall_count> Recorder::read_syscall_counts() {
  std::vector<it_syscall_count> out;
  const int fd = bpf_map__fd(s_.skel->maps.sys_counts);
  const int ncpu = std::max(libbpf_num_possible_cpus(), 1);
  struct Total { uint64_t count, dur; };
  std::vector<Total> vals(static_cast<size_t>(ncpu));
  for (uint32_t nr = 0; nr < 512; ++nr) {
    if (bpf_map_lookup_elem(fd, &nr, vals.data()) != 0) continue;
    it_syscall_count c{};
    c.nr = nr;
    for (auto& v : vals) c.count += v.count, c.total_dur += v.dur;
    if (c.count) out.push_back(c);
  }
  return out;
}

}  // namespace infertrace::recorder_impl

#endif  // INFERTRACE_HAVE_BPF
