// `infertrace sched` on a large recording: writes a synthetic .itrace through the recorder's own
// writer (record/itrace_writer.h, the record structs of record/bpf/record_events.h), then times,
// separately, reading it (load_trace, what the verb calls), the scheduler analysis (analyze_sched)
// and rendering the text report and the --json document. Prints the median of --repeat runs of
// each stage, events/s and the peak RSS, and the `infertrace sched FILE` command line that gives
// the same figure end to end.
//
// The recording (--events N records in all, about; deterministic for a given N):
//   - traced process 4000 (attached: TASK kind 0 with /proc states), its launching thread 4000
//     (cudaLaunchKernel with a nested cuLaunchKernel half the time, cudaMemcpyAsync every 16th,
//     cudaStreamSynchronize every 64th, blocking in a futex until a wake-up), a driver thread, four
//     pool workers, and short-lived threads (TASK new ... final switch-out with prev_state 0x80,
//     TASK exit) whose ids come from a pool of 8, so that ids are reused by later traced threads
//     and, now and then, by an outsider (process 9500) seen only as a traced thread's switch partner;
//   - a second traced process 4200 (forked by 4000 while recording: TASK new) with two threads;
//   - untraced neighbours (process 9000) that preempt the traced threads on 4 CPUs (a switch is
//     written only when one side is traced, as the recorder does);
//   - hard IRQs (a device IRQ and the LOC timer vector), softirqs, and hard IRQs nested inside
//     softirqs; syscalls (ioctl with its fd, futex, read, epoll_wait);
//   - CUPTI-mode API records (correlation ids) and GPU kernel and memcpy records, kernel names as
//     STRING records, written in batches as CUPTI's buffers are, so that GPU starvation runs.
//
//   build/dev/bench/sched_bench --events 1000000 [--repeat 3] [--file PATH] [--keep]
//   build/dev/bench/sched_bench --events 10000000 --repeat 3 --keep --file /tmp/sched10m.itrace
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/sched.h"
#include "ingest/load.h"
#include "record/bpf/record_events.h"
#include "record/itrace_writer.h"
#include "report/sched_render.h"
#include "util/error.h"

using namespace infertrace;

namespace {

// splitmix64: a fixed stream for a given --events, so two runs write the same file.
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return next() % n; }
  bool one_in(uint64_t n) { return below(n) == 0; }
};

enum Api : uint32_t { kLaunch = 0, kDriverLaunch = 1, kSync = 2, kMemcpy = 3, kApiCount = 4 };
const char* const kApiNames[kApiCount] = {"cudaLaunchKernel", "cuLaunchKernel", "cudaStreamSynchronize", "cudaMemcpyAsync"};
constexpr uint32_t kTracedPid = 4000, kLoaderPid = 4200, kNeighbourPid = 9000, kOutsiderPid = 9500;
constexpr int kCpus = 4;
constexpr uint32_t kNrRead = 0, kNrFutex = 202, kNrEpollWait = 232;

struct Thread {
  uint32_t pid = 0, tid = 0;
  const char* comm = "";
  bool traced = false;
  bool alive = true;
  bool blocked = false;   // switched out blocking: needs a wake-up before it runs again
  int cpu = -1;           // the CPU it runs on, -1 off the CPU
  int64_t dies_at = -1;   // iteration after which its next switch-out is its last (short-lived threads)
};

class Generator {
 public:
  Generator(const std::string& path, int64_t target) : w_(path), target_(target), rng_{0x5eedull + static_cast<uint64_t>(target)} {}

  int64_t run() {
    header_meta();
    const uint64_t from = t_;
    // The traced process at the attach: its threads with their /proc states.
    main_ = add({kTracedPid, kTracedPid, "python3", true});
    driver_ = add({kTracedPid, kTracedPid + 1, "cuda-EvtHandlr", true});
    for (uint32_t k = 0; k < 4; ++k) workers_.push_back(add({kTracedPid, kTracedPid + 2 + k, "pt_worker", true}));
    for (size_t i : {main_, driver_}) existing(i, i == main_ ? 'R' : 'S');
    for (size_t i : workers_) existing(i, 'S');
    threads_[driver_].blocked = true;
    for (size_t i : workers_) threads_[i].blocked = true;
    for (uint32_t k = 0; k < 6; ++k) neighbours_.push_back(add({kNeighbourPid, kNeighbourPid + 1 + k, "stress-ng-cpu", false}));
    for (int c = 0; c < kCpus; ++c) idle_[static_cast<size_t>(c)] = add({0, 0, "swapper", false});
    // Each CPU starts with someone on it: the main thread on CPU 0, neighbours elsewhere.
    run_on(main_, 0);
    for (int c = 1; c < kCpus; ++c) run_on(neighbours_[static_cast<size_t>(c - 1)], c);
    int64_t it = 0;
    while (records_ < target_) {
      step(it++);
      if ((it & 1023) == 0) flush_gpu(), w_.flush();
    }
    flush_gpu();
    t_ += 1000;
    footer_meta(from, t_);
    w_.finish();
    return records_;
  }

 private:
  ItraceWriter w_;
  int64_t target_;
  Rng rng_;
  uint64_t t_ = 1'000'000'000'000ull;  // CLOCK_MONOTONIC ns, ~17 min after boot
  int64_t records_ = 0;
  std::array<int64_t, IT_EV_NTYPES> counts_{};
  std::vector<Thread> threads_;
  size_t main_ = 0, driver_ = 0;
  std::vector<size_t> workers_, neighbours_, loaders_, transient_;
  std::array<size_t, kCpus> on_cpu_{};
  std::vector<uint32_t> free_tids_ = {4107, 4106, 4105, 4104, 4103, 4102, 4101, 4100};
  uint64_t gpu_end_ = 0;
  uint32_t corr_ = 0;
  std::vector<it_gpu> gpu_pending_;
  std::vector<bool> name_written_ = std::vector<bool>(32, false);
  std::array<size_t, kCpus> idle_{};  // the idle task of each CPU (pid 0, tid 0)

  size_t add(Thread th) {
    threads_.push_back(th);
    return threads_.size() - 1;
  }

  void put(uint32_t type, const void* p, uint32_t len) {
    w_.record(type, p, len);
    ++records_;
    if (type < IT_EV_NTYPES) ++counts_[type];
  }

  it_hdr hdr(uint32_t type, int cpu, uint64_t ts, uint32_t pid, uint32_t tid) const {
    it_hdr h{};
    h.type = type, h.cpu = static_cast<uint32_t>(cpu), h.ts = ts, h.pid = pid, h.tid = tid;
    return h;
  }

  // NUL-padded, not NUL-terminated when it fills the field (as the kernel's comm fields).
  static void copy_name(char* dst, size_t n, const char* src) { std::memcpy(dst, src, std::min(n, std::strlen(src))); }

  void header_meta() {
    w_.meta("tracepoint_mode", "tp_btf");
    w_.meta("ring_buffer_bytes", "67108864");
    w_.meta("cuda.mode", "cupti");
    for (uint32_t i = 0; i < kApiCount; ++i) w_.meta("api." + std::to_string(i), kApiNames[i]);
    w_.meta("start_ns", std::to_string(t_ - 400'000'000));
    w_.meta("events", "launch,sched,wakeup,irq,syscall");
    w_.meta("traced.pid", std::to_string(kTracedPid));
    w_.meta("irq.system_vectors", "LOC,SPU,IWI,PLT,RES,CAL,TRM,ERR");
    w_.meta("irq.system_vectors_missing", "");
  }

  void footer_meta(uint64_t from, uint64_t to) {
    w_.meta("kernel", "Linux 6.1.0-synthetic x86_64");
    w_.meta("cpus", std::to_string(kCpus));
    w_.meta("clock", "CLOCK_MONOTONIC");
    w_.meta("duration_s", std::to_string(static_cast<double>(to - from) / 1e9));
    w_.meta("recorded_from_ns", std::to_string(from));
    w_.meta("recorded_to_ns", std::to_string(to));
    const std::pair<uint32_t, const char*> types[] = {{IT_EV_API, "api"}, {IT_EV_SWITCH, "switch"}, {IT_EV_WAKEUP, "wakeup"},
                                                      {IT_EV_IRQ, "irq"}, {IT_EV_SYSCALL, "syscall"}, {IT_EV_TASK, "task"}};
    for (const auto& [type, name] : types)
      if (counts_[type] > 0) w_.meta(std::string("events.") + name, std::to_string(counts_[type]));
#define IT_BENCH_DROPPED(type, name) w_.meta(std::string("dropped.") + name, "0");
    IT_LOSSABLE_EVENTS(IT_BENCH_DROPPED)
#undef IT_BENCH_DROPPED
    w_.meta("folded_driver_calls", "0");
    w_.meta("nested_runtime_calls", "0");
  }

  void existing(size_t i, char state) {
    it_task_state s{};
    s.t.h = hdr(IT_EV_TASK, 0, t_, threads_[i].pid, threads_[i].tid);
    s.t.kind = IT_TASK_EXISTING;
    copy_name(s.t.comm, IT_COMM_LEN, threads_[i].comm);
    s.state = static_cast<uint32_t>(state);
    put(IT_EV_TASK, &s, sizeof(s));
    t_ += 200;
  }

  void task(size_t i, uint32_t kind, uint32_t parent, int cpu) {
    it_task e{};
    e.h = hdr(IT_EV_TASK, cpu, t_, threads_[i].pid, threads_[i].tid);
    e.kind = kind, e.parent_tid = parent;
    copy_name(e.comm, IT_COMM_LEN, threads_[i].comm);
    put(IT_EV_TASK, &e, sizeof(e));
  }

  void run_on(size_t i, int cpu) {
    threads_[i].cpu = cpu;
    on_cpu_[static_cast<size_t>(cpu)] = i;
  }

  // A context switch on `cpu` from whoever runs there to `next`, written when either side is
  // traced. `state`: the outgoing thread's prev_state (0 preempted, 1 interruptible, 0x80 dead).
  void switch_to(int cpu, size_t next, uint64_t state) {
    const size_t prev = on_cpu_[static_cast<size_t>(cpu)];
    Thread& p = threads_[prev];
    Thread& n = threads_[next];
    if (p.traced || n.traced) {
      it_switch s{};
      s.h = hdr(IT_EV_SWITCH, cpu, t_, p.pid, p.tid);
      s.next_pid = n.pid, s.next_tid = n.tid, s.prev_state = state, s.preempt = state == 0 ? 1 : 0;
      copy_name(s.prev_comm, IT_COMM_LEN, p.comm);
      copy_name(s.next_comm, IT_COMM_LEN, n.comm);
      put(IT_EV_SWITCH, &s, sizeof(s));
    }
    p.cpu = -1;
    p.blocked = state != 0 && (state & 0x80) == 0;
    if (state & 0x80) p.alive = false;
    run_on(next, cpu);
    t_ += 300 + rng_.below(400);
  }

  void wakeup(size_t i, size_t waker, int cpu, bool is_new = false) {
    Thread& th = threads_[i];
    if (th.traced) {
      it_wakeup e{};
      e.h = hdr(IT_EV_WAKEUP, cpu, t_, th.pid, th.tid);
      e.waker_pid = threads_[waker].pid, e.waker_tid = threads_[waker].tid;
      e.target_cpu = static_cast<uint32_t>(cpu), e.is_new = is_new ? 1 : 0;
      copy_name(e.comm, IT_COMM_LEN, th.comm);
      put(IT_EV_WAKEUP, &e, sizeof(e));
    }
    th.blocked = false;
    t_ += 100 + rng_.below(200);
  }

  void api(size_t i, int cpu, uint32_t which, uint64_t ts, uint64_t dur, uint32_t corr) {
    it_api_corr e{};
    e.a.h = hdr(IT_EV_API, cpu, ts, threads_[i].pid, threads_[i].tid);
    e.a.api = which, e.a.flags = IT_API_HAS_DUR | IT_API_HAS_STREAM | IT_API_HAS_CORRELATION;
    e.a.dur = dur, e.a.stream = 0x7f00'0000'1000ull;
    if (which == kLaunch || which == kDriverLaunch) {
      e.a.flags |= IT_API_HAS_GEOMETRY;
      e.a.grid[0] = 128, e.a.grid[1] = e.a.grid[2] = 1, e.a.block[0] = 256, e.a.block[1] = e.a.block[2] = 1;
    }
    e.correlation = (static_cast<uint64_t>(threads_[i].pid) << 32) | corr;
    put(IT_EV_API, &e, sizeof(e));
  }

  void gpu(uint32_t kind, uint64_t after, uint64_t dur, uint32_t corr, uint32_t name) {
    it_gpu g{};
    const uint64_t start = std::max(gpu_end_ + 500, after);
    g.h = hdr(IT_EV_GPU, 0, start, kTracedPid, 0);
    g.dur = dur, g.kind = kind, g.device = 0, g.stream = 7;
    g.correlation = (static_cast<uint64_t>(kTracedPid) << 32) | corr;
    g.name = kind == IT_GPU_KERNEL ? name : 0;
    g.copy_kind = kind == IT_GPU_MEMCPY ? 1 : 0;
    if (kind == IT_GPU_KERNEL) g.grid[0] = 128, g.grid[1] = g.grid[2] = 1, g.block[0] = 256, g.block[1] = g.block[2] = 1;
    else g.bytes = 1 << 20;
    gpu_end_ = start + dur;
    gpu_pending_.push_back(g);
  }

  void flush_gpu() {
    for (const it_gpu& g : gpu_pending_) {
      if (g.name != 0 && !name_written_[g.name]) {
        name_written_[g.name] = true;
        const std::string text = "void at::native::elementwise_kernel_" + std::to_string(g.name) + "<128, 4>(int, float*)";
        std::vector<unsigned char> b(4 + text.size());
        std::memcpy(b.data(), &g.name, 4);
        std::memcpy(b.data() + 4, text.data(), text.size());
        w_.record(IT_EV_STRING, b.data(), static_cast<uint32_t>(b.size()));
        ++records_;
      }
      put(IT_EV_GPU, &g, sizeof(g));
    }
    gpu_pending_.clear();
  }

  void irq(size_t i, int cpu, uint64_t ts, uint64_t dur, uint32_t kind, uint32_t number, const char* name) {
    if (!threads_[i].traced) return;
    it_irq e{};
    e.h = hdr(IT_EV_IRQ, cpu, ts, threads_[i].pid, threads_[i].tid);
    e.dur = dur, e.kind = kind, e.irq = number;
    copy_name(e.name, IT_IRQ_NAME_LEN, name);
    put(IT_EV_IRQ, &e, sizeof(e));
  }

  // IRQs that hit whoever runs on `cpu` now: the LOC timer, a device IRQ, a softirq with, now and
  // then, a hard IRQ nested inside it.
  void interrupts(int cpu) {
    const size_t cur = on_cpu_[static_cast<size_t>(cpu)];
    if (rng_.one_in(20)) irq(cur, cpu, t_, 1500 + rng_.below(1000), IT_IRQ_VECTOR, 236, "LOC"), t_ += 3000;
    if (rng_.one_in(50)) irq(cur, cpu, t_, 4000 + rng_.below(3000), IT_IRQ_HARD, 33, "nvme0q1"), t_ += 8000;
    if (rng_.one_in(25)) {
      const uint64_t start = t_, dur = 8000 + rng_.below(12000);
      irq(cur, cpu, start, dur, IT_IRQ_SOFT, rng_.one_in(2) ? 1 : 3, "");
      if (rng_.one_in(4)) irq(cur, cpu, start + 2000, 1500, IT_IRQ_HARD, 34, "eth0-TxRx-0");
      t_ += dur + 500;
    }
  }

  void syscall(size_t i, int cpu, uint64_t ts, uint64_t dur, uint32_t nr, int64_t ret, uint32_t fd_plus1 = 0) {
    if (!threads_[i].traced) return;
    it_syscall e{};
    e.h = hdr(IT_EV_SYSCALL, cpu, ts, threads_[i].pid, threads_[i].tid);
    e.dur = dur, e.ret = ret, e.nr = nr, e.fd_plus1 = fd_plus1;
    put(IT_EV_SYSCALL, &e, sizeof(e));
  }

  void fdname(size_t i, int cpu, uint64_t ts, uint32_t fd, const char* dir, const char* name) {
    it_fdname e{};
    e.h = hdr(IT_EV_FDNAME, cpu, ts, threads_[i].pid, threads_[i].tid);
    e.fd = fd;
    copy_name(e.dir, IT_FDNAME_LEN, dir);
    copy_name(e.name, IT_FDNAME_LEN, name);
    put(IT_EV_FDNAME, &e, sizeof(e));
  }

  // One launch of the main thread on CPU 0 (with the GPU work it queues), and whatever else happens
  // meanwhile: preemptions, syncs, IRQs, and the other CPUs' switches.
  void step(int64_t it) {
    const uint64_t ts = t_, dur = 4000 + rng_.below(4000);
    const uint32_t corr = ++corr_;
    if (it % 16 == 15) {
      api(main_, 0, kMemcpy, ts, dur, corr);
      gpu(IT_GPU_MEMCPY, ts + 2000, 30'000, corr, 0);
    } else {
      api(main_, 0, kLaunch, ts, dur, corr);
      if (rng_.one_in(2)) api(main_, 0, kDriverLaunch, ts + 800, dur - 1600, ++corr_);
      gpu(IT_GPU_KERNEL, ts + 3000, 5000 + rng_.below(35'000), corr, 1 + static_cast<uint32_t>(it % 31));
    }
    if (it % 4 == 0) {  // the driver's ioctl on /dev/nvidia0, its file named the first time
      if (it == 0) fdname(main_, 0, ts + 1500, 5, "dev", "nvidia0");
      syscall(main_, 0, ts + 1500, 1200, 16, 0, 6);
    }
    t_ = ts + dur + 500 + rng_.below(3000);
    interrupts(0);
    if (const size_t n = neighbours_[rng_.below(neighbours_.size())]; rng_.one_in(30) && threads_[n].cpu < 0) {
      switch_to(0, n, 0);  // a neighbour preempts the launching thread
      t_ += 20'000 + rng_.below(280'000);
      switch_to(0, main_, 0);
    }
    if (it % 64 == 63) {  // a sync: blocks in a futex until the GPU is done, woken by the driver thread
      const uint64_t s = t_;
      const uint64_t done = std::max(gpu_end_, s + 5000);
      api(main_, 0, kSync, s, done + 3000 - s, ++corr_);
      t_ = s + 1000;
      switch_to(0, idle_[0], 1);
      t_ = std::max(t_, done);
      wakeup(main_, driver_, 0);
      switch_to(0, main_, 0);
      syscall(main_, 0, s + 500, t_ - s - 500, kNrFutex, 0);
      t_ += 1000;
    }
    for (int c = 1; c < kCpus; ++c) other_cpu(c, it);
    if (it % 1000 == 100) spawn(it);
    if (it == 2000) fork_loader();
  }

  // Every thread that may run on CPUs 1-3: the pool workers, the driver thread, the loader
  // process's threads, the short-lived threads, and the neighbours.
  size_t pick(int cpu) {
    std::vector<size_t> c;
    for (size_t i : workers_) c.push_back(i);
    c.push_back(driver_);
    for (size_t i : loaders_) c.push_back(i);
    for (size_t i : transient_) c.push_back(i);
    for (size_t i : neighbours_) c.push_back(i);
    for (int tries = 0; tries < 8; ++tries) {
      const size_t i = c[rng_.below(c.size())];
      const Thread& th = threads_[i];
      if (th.alive && th.cpu < 0 && i != on_cpu_[static_cast<size_t>(cpu)]) return i;
    }
    return on_cpu_[static_cast<size_t>(cpu)];
  }

  void other_cpu(int cpu, int64_t it) {
    const size_t cur = on_cpu_[static_cast<size_t>(cpu)];
    Thread& th = threads_[cur];
    if (th.traced) {
      if (rng_.one_in(3)) syscall(cur, cpu, t_, 2000 + rng_.below(6000), rng_.one_in(2) ? kNrRead : kNrEpollWait, 4096);
      interrupts(cpu);
    }
    if (!rng_.one_in(3)) return;
    const size_t next = pick(cpu);
    if (next == cur) return;
    uint64_t state = th.traced && rng_.one_in(2) ? (rng_.one_in(4) ? 8193 : 1) : 0;
    if (th.dies_at >= 0 && it >= th.dies_at) {
      task(cur, IT_TASK_EXIT, 0, cpu);
      t_ += 200;
      state = 0x80;
    }
    if (state == 1 || state == 8193) syscall(cur, cpu, t_ - 200, 150, kNrFutex, 0);
    if (threads_[next].blocked) wakeup(next, driver_ == next ? main_ : driver_, cpu);
    switch_to(cpu, next, state);
    if (state == 0x80) retire(cur, cpu);
  }

  // A short-lived thread of the traced process, its id from the pool (ids come back: reuse).
  void spawn(int64_t it) {
    if (free_tids_.empty()) return;
    const uint32_t tid = free_tids_.back();
    free_tids_.pop_back();
    const size_t i = add({kTracedPid, tid, "pt_autograd", true});
    threads_[i].dies_at = it + 300 + static_cast<int64_t>(rng_.below(500));
    threads_[i].blocked = true;
    task(i, IT_TASK_NEW, threads_[main_].tid, 0);
    t_ += 300;
    wakeup(i, main_, 0, true);
    transient_.push_back(i);
  }

  // After a short-lived thread's final switch-out: its id goes back to the pool; one time in three
  // an outsider gets it first and runs once against a traced partner before it exits too.
  void retire(size_t i, int cpu) {
    transient_.erase(std::find(transient_.begin(), transient_.end(), i));
    const uint32_t tid = threads_[i].tid;
    if (rng_.one_in(3)) {
      const size_t o = add({kOutsiderPid, tid, "sh", false});
      const size_t back = on_cpu_[static_cast<size_t>(cpu)];
      if (threads_[back].traced) {
        switch_to(cpu, o, 0);
        t_ += 5000;
        switch_to(cpu, back, 0x80);
      } else {
        threads_[o].alive = false;
      }
    }
    free_tids_.insert(free_tids_.begin(), tid);
  }

  void fork_loader() {
    const size_t leader = add({kLoaderPid, kLoaderPid, "pt_data_worker", true});
    task(leader, IT_TASK_NEW, threads_[main_].tid, 0);
    threads_[leader].blocked = true;
    loaders_.push_back(leader);
    t_ += 500;
    const size_t second = add({kLoaderPid, kLoaderPid + 1, "pt_data_worker", true});
    task(second, IT_TASK_NEW, kLoaderPid, 1);
    threads_[second].blocked = true;
    loaders_.push_back(second);
  }
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU seconds of this process: on a shared, loaded machine (this VM's 2 cores), where the wall time
// of a stage swings by 2x from run to run, the CPU time is the steadier figure to compare builds by.
double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Wall and CPU seconds of one stage.
struct Stage {
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  double c0 = cpu_now();
  void done(std::vector<double>& wall, std::vector<double>& cpu) const {
    wall.push_back(seconds_since(t0));
    cpu.push_back(cpu_now() - c0);
  }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

long peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;  // KiB on Linux
}

}  // namespace

int main(int argc, char** argv) try {
  int64_t events = 1'000'000;
  int repeat = 3;
  std::string file;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw UsageError(a + " needs a value");
      return argv[++i];
    };
    if (a == "--events") events = std::max<int64_t>(1000, std::atoll(value().c_str()));
    else if (a == "--repeat") repeat = std::max(1, std::atoi(value().c_str()));
    else if (a == "--file") file = value();
    else if (a == "--keep") keep = true;
    else {
      std::fprintf(stderr, "usage: sched_bench [--events N] [--repeat N] [--file PATH] [--keep]\n");
      return 2;
    }
  }
  if (file.empty()) file = (std::filesystem::temp_directory_path() / ("infertrace_sched_bench_" + std::to_string(events) + ".itrace")).string();

  auto t0 = std::chrono::steady_clock::now();
  const int64_t written = Generator(file, events).run();
  const double write_s = seconds_since(t0);
  const double mb = static_cast<double>(std::filesystem::file_size(file)) / 1e6;
  std::printf("recording %s: %lld records, %.1f MB, written in %.2f s\n", file.c_str(), static_cast<long long>(written), mb, write_s);

  std::vector<double> read_s, analyze_s, text_s, json_s, read_c, analyze_c, text_c, json_c;
  size_t text_bytes = 0, json_bytes = 0;
  int64_t switches = 0, launches = 0, pairs = 0;
  for (int r = 0; r < repeat; ++r) {
    Stage st;
    const Trace trace = load_trace(file);
    st.done(read_s, read_c);
    st = Stage{};
    const SchedAnalysis s = analyze_sched(trace, {});
    st.done(analyze_s, analyze_c);
    st = Stage{};
    std::ostringstream text;
    print_sched_report(text, trace, s, {});
    st.done(text_s, text_c);
    st = Stage{};
    const std::string json = sched_analysis_json(trace, s).dump(2);
    st.done(json_s, json_c);
    text_bytes = text.str().size(), json_bytes = json.size();
    switches = static_cast<int64_t>(trace.switches.size()), launches = s.launches;
    pairs = static_cast<int64_t>(s.pair_interval.size());
  }
  const double n = static_cast<double>(written);
  std::printf("%lld switches, %lld logical launches, %lld launch pairs; text %zu bytes, json %zu bytes\n",
              static_cast<long long>(switches), static_cast<long long>(launches), static_cast<long long>(pairs), text_bytes,
              json_bytes);
  std::printf("median of %d (wall s / CPU s):\n", repeat);
  // Events/s for the stages that read every event; the rendering reads the analysis only.
  const auto row = [&](const char* name, const std::vector<double>& wall, const std::vector<double>& cpu, bool rate) {
    std::printf("  %-8s %8.4f / %8.4f", name, median(wall), median(cpu));
    if (rate) std::printf("   %.2f M events/s (wall), %.2f M events/s (CPU)", n / median(wall) / 1e6, n / median(cpu) / 1e6);
    std::printf("\n");
  };
  row("read", read_s, read_c, true);
  row("analyze", analyze_s, analyze_c, true);
  row("text", text_s, text_c, false);
  row("json", json_s, json_c, false);
  std::printf("  read+analyze+text %.3f s wall\n", median(read_s) + median(analyze_s) + median(text_s));
  std::printf("peak RSS %ld MB\n", peak_rss_mb());
  std::printf("end to end%s: /usr/bin/time -v build/dev/src/infertrace sched %s > /dev/null   (and --json)\n",
              keep ? "" : " (run with --keep to leave the file)", file.c_str());
  if (!keep) std::filesystem::remove(file);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "sched_bench: %s\n", e.what());
  return 1;
}
