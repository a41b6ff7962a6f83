// The recorder's events: each sample read from the BPF ring (left out after a stop, its duration cut
// at the stop, counted, and the names of threads noted), the waits and drains of the ring (and of the
// CUPTI ring), the kernel side's counters, and the loss windows still open when the probes detach.
#if INFERTRACE_HAVE_BPF

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "record/cuda_apis.h"
#include "record/recorder_session.h"
#include "record/stop_signals.h"
#include "trace/api_kind.h"
#include "util/error.h"

namespace infertrace::recorder_impl {

int Recorder::on_sample(void* ctx, void* data, size_t size) {
  auto* self = static_cast<Recorder*>(ctx);
  if (size < sizeof(it_hdr)) return 0;
  it_hdr h;
  std::memcpy(&h, data, sizeof(h));
  // A loss window that starts before the stop is kept whole; one that starts after it lost events
  // the recording leaves out anyway: its counts come off META dropped.* (lost_after_stop_), so the
  // windows written and the dropped counts still add up (docs/recording-format.md, LOSS).
  if (self->stop_ns_ > 0 && h.ts > self->stop_ns_) {
    if (h.type == IT_EV_LOSS && size >= sizeof(it_loss)) {
      it_loss e;
      std::memcpy(&e, data, sizeof e);
      for (int i = 0; i < IT_LOSS_SLOTS; ++i) self->lost_after_stop_[i] += e.lost[i];
    } else {
      ++self->sum_.after_stop;
    }
    return 0;
  }
  const uint32_t type = h.type;
  // A call in progress at the stop (a syscall, a synchronize or an IRQ, stamped at entry and written
  // at its end) ends at the stop here: the recording spans nothing after it. A command slow to end
  // after SIGTERM made a --duration 1 recording 3 s long (review RX M7). Counted: META
  // events_cut_at_stop.
  alignas(8) unsigned char cut[256];
  if (self->stop_ns_ > 0 && size <= sizeof cut) {
    size_t dur_at = 0;
    if (type == IT_EV_SYSCALL && size >= sizeof(it_syscall)) dur_at = offsetof(it_syscall, dur);
    if (type == IT_EV_IRQ && size >= sizeof(it_irq)) dur_at = offsetof(it_irq, dur);
    if (type == IT_EV_API && size >= sizeof(it_api)) {
      uint32_t flags;
      std::memcpy(&flags, static_cast<const unsigned char*>(data) + offsetof(it_api, flags), sizeof flags);
      if (flags & IT_API_HAS_DUR) dur_at = offsetof(it_api, dur);
    }
    uint64_t dur = 0;
    if (dur_at) std::memcpy(&dur, static_cast<const unsigned char*>(data) + dur_at, sizeof dur);
    if (dur_at && h.ts + dur > self->stop_ns_) {
      std::memcpy(cut, data, size);
      const uint64_t kept = self->stop_ns_ - h.ts;
      std::memcpy(cut + dur_at, &kept, sizeof kept);
      data = cut;
      ++self->sum_.cut_at_stop;
    }
  }
  self->out_.record(type, data, static_cast<uint32_t>(size));
  self->counts_[type]++;
  if (type == IT_EV_API) {
    it_api e;
    std::memcpy(&e, data, std::min(size, sizeof(e)));
    const auto apis = cuda_apis();
    if (e.api < apis.size() && is_launch(classify_api(apis[e.api].symbol))) self->sum_.launches_per_thread[e.h.tid]++;
  } else if (type == IT_EV_TASK && size >= sizeof(it_task)) {
    it_task e;
    std::memcpy(&e, data, sizeof(e));
    self->note_task(e.h.ts, e.h.pid, e.h.tid, std::string_view(e.comm, strnlen(e.comm, IT_COMM_LEN)), e.kind == IT_TASK_EXIT);
    // The command's threads' exits in the kernel's stamps: its end, unlike the SIGCHLD handler's
    // stamp, is not moved by a recorder that runs late (command_end_ns(); review RL57 L2).
    if (e.kind == IT_TASK_EXIT && self->command_pid_ > 0 && e.h.pid == static_cast<uint32_t>(self->command_pid_)) {
      self->command_exit_task_ns_ = std::max(self->command_exit_task_ns_, static_cast<int64_t>(e.h.ts));
      if (e.h.tid == e.h.pid) self->command_leader_exit_seen_ = true;
    }
  } else if (type == IT_EV_SWITCH && size >= sizeof(it_switch)) {
    // A thread that renamed itself after its TASK record is named by its switches (review RC M1);
    // a side of a process without a TASK record is another process's thread.
    it_switch e;
    std::memcpy(&e, data, sizeof(e));
    self->note_seen(e.h.ts, e.h.pid, e.h.tid, std::string_view(e.prev_comm, strnlen(e.prev_comm, IT_COMM_LEN)));
    self->note_seen(e.h.ts, e.next_pid, e.next_tid, std::string_view(e.next_comm, strnlen(e.next_comm, IT_COMM_LEN)));
  } else if (type == IT_EV_WAKEUP && size >= sizeof(it_wakeup)) {
    it_wakeup e;
    std::memcpy(&e, data, sizeof(e));
    self->note_seen(e.h.ts, e.h.pid, e.h.tid, std::string_view(e.comm, strnlen(e.comm, IT_COMM_LEN)));
  } else if (type == IT_EV_UNTRACED) {
    self->sum_.untraced_pids.push_back(h.pid);
  }
  return 0;
}

int Recorder::wait_for_events(int ms) {
  const int wake = StopSignals::wake_fd();
  if (wake < 0) return ring_buffer__poll(s_.rb, ms);
  pollfd fds[2] = {{ring_buffer__epoll_fd(s_.rb), POLLIN, 0}, {wake, POLLIN, 0}};
  const int n = ::poll(fds, 2, ms);
  if (n < 0) return -errno;
  // Cleared before the loop looks at what the signals set: one arriving after this wakes the next wait.
  if (fds[1].revents & POLLIN) StopSignals::clear_wake();
  return n;
}

void Recorder::drain() {
  const int n = ring_buffer__consume(s_.rb);
  // The next fill past the threshold may wake the consumer again (record.bpf.c wake_sent). Data that
  // arrived meanwhile is not missed: a poll of a ring holding data returns at once.
  if (s_.skel && s_.skel->bss) s_.skel->bss->wake_sent = 0;
  if (n < 0 && n != -EINTR) throw Error("record: reading the ring buffer failed: " + std::string(std::strerror(-n)));
  if (merge_) {
    merge_->set_stop(stop_ns_);  // CUPTI's calls after the stop are left out as the probes' are
    cupti_ring_.drain([&](uint32_t t, const unsigned char* p, uint32_t len) { merge_->consume(t, p, len); });
  }
  out_.flush();
}

std::map<uint32_t, uint64_t> Recorder::read_stats() {
  std::map<uint32_t, uint64_t> r;
  const int fd = bpf_map__fd(s_.skel->maps.stats);
  const int ncpu = libbpf_num_possible_cpus();
  std::vector<uint64_t> vals(static_cast<size_t>(std::max(ncpu, 1)));
  for (uint32_t k = 0; k < IT_STAT_COUNT; ++k) {
    if (bpf_map_lookup_elem(fd, &k, vals.data()) != 0) continue;
    uint64_t total = 0;
    for (auto v : vals) total += v;
    if (total) r[k] = total;
  }
  return r;
}

// Loss the kernel side had no later successful reserve on that CPU to report (record.bpf.c,
// report_loss): written here, after the probes are detached, so that the LOSS records of a
// recording add up to its META dropped.* counts. The window is the kernel side's: first_ts the
// earliest stamp of a record lost in it, last_ts at or after the latest (note_loss), so the record
// spans the lost records' own stamps as one the kernel side writes does; first_ts is 0 with counts
// pending only when a program was cut between its count and its window (not once detached), when
// last_ts, at or after every lost stamp, is the best start left.
void Recorder::flush_loss_windows() {
  const int fd = bpf_map__fd(s_.skel->maps.loss_windows);
  const int ncpu = std::max(libbpf_num_possible_cpus(), 1);
  using Window = it_loss_window;  // the BPF side's own layout (record_events.h)
  // The per-CPU lookup copies the BPF side's value size for each CPU: an object built from another
  // revision of record_events.h would misread every CPU after the first (review DI). Said and
  // skipped, not thrown: the recording itself is whole; only the windows still open at stop go
  // unwritten.
  if (bpf_map__value_size(s_.skel->maps.loss_windows) != sizeof(Window)) {
    warn("the loss-window map's layout differs from the recorder's; windows still open at stop are not written (a "
         "build out of step: rebuild infertrace)");
    return;
  }
  std::vector<Window> vals(static_cast<size_t>(ncpu));
  uint32_t zero = 0;
  if (bpf_map_lookup_elem(fd, &zero, vals.data()) != 0) return;
  for (int cpu = 0; cpu < ncpu; ++cpu) {
    const Window& w = vals[static_cast<size_t>(cpu)];
    it_loss e{};
    uint64_t total = 0;
    for (int i = 0; i < IT_LOSS_SLOTS; ++i) e.lost[i] = w.lost[i], total += w.lost[i];
    if (total == 0) continue;
    e.h.type = IT_EV_LOSS;
    e.h.cpu = static_cast<uint32_t>(cpu);
    e.h.ts = w.first_ts ? w.first_ts : w.last_ts;
    e.last_ts = std::max<uint64_t>(w.last_ts, e.h.ts);
    if (stop_ns_ > 0 && e.h.ts > stop_ns_) {  // all after the stop: as in on_sample
      for (int i = 0; i < IT_LOSS_SLOTS; ++i) lost_after_stop_[i] += e.lost[i];
      continue;
    }
    out_.record(IT_EV_LOSS, &e, sizeof(e));
    counts_[IT_EV_LOSS]++;
  }
}

}  // namespace infertrace::recorder_impl

#endif  // INFERTRACE_HAVE_BPF
