// Per-event cost of `infertrace record`: the same operations timed without and then with the
// recorder attached to this process (in-process, through record/recorder.h, all event types on).
//   launch   cudaLaunchKernel of the fake runtime, which calls cuLaunchKernel (3 probe hits:
//            runtime entry, folded driver entry, runtime return)
//   driver   cuLaunchKernel called directly (1 probe hit)
//   syscall  getppid (sys_enter + sys_exit)
//   switch   a round trip between two threads pinned to one CPU over pipes (2 context switches,
//            2 wake-ups, 4 syscalls)
//   loopback a UDP datagram sent to this process's own socket on 127.0.0.1 and read back (2
//            syscalls; the send raises NET_RX in task context and runs it at its local_bh_enable:
//            the softirq_raise program marks it, softirq entry/exit write one IRQ record)
// Needs root; the fake CUDA libraries come from the build tree (tests/support/fakecuda).
// usage: record_overhead_bench [FAKECUDA_DIR]
#include <dlfcn.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <thread>
#include <vector>

#include "record/recorder.h"
#include "util/error.h"

namespace {

struct Dim3 {
  unsigned x, y, z;
};
using RtLaunch = int (*)(const void*, Dim3, Dim3, void**, size_t, void*);
using DrvLaunch = int (*)(void*, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, void*, void**,
                          void**);

double ns_per_op(const std::function<void()>& op, int iters) {
  std::vector<double> runs;
  for (int r = 0; r < 5; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iters; ++i) op();
    const auto t1 = std::chrono::steady_clock::now();
    runs.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / iters);
  }
  std::sort(runs.begin(), runs.end());
  return runs[2];  // median of 5
}

// Ping-pong between this thread and a partner over two pipes, both pinned to CPU 0, so every
// hand-off is a context switch.
struct PingPong {
  int a[2], b[2];
  std::thread partner;
  PingPong() {
    if (pipe(a) != 0 || pipe(b) != 0) throw infertrace::Error("pipe failed");
    pin();
    partner = std::thread([this] {
      pin();
      char c;
      while (read(a[0], &c, 1) == 1 && c == 'p') (void)!write(b[1], "q", 1);
    });
  }
  static void pin() {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  }
  void round_trip() {
    char c;
    (void)!write(a[1], "p", 1);
    (void)!read(b[0], &c, 1);
  }
  ~PingPong() {
    (void)!write(a[1], "x", 1);
    partner.join();
    for (int fd : {a[0], a[1], b[0], b[1]}) close(fd);
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c = 0; c < CPU_SETSIZE; ++c) CPU_SET(c, &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  }
};

// A UDP socket on 127.0.0.1 that sends to itself: each datagram is delivered by the NET_RX
// softirq the sending thread raises and runs inside its own sendto().
struct Loopback {
  int fd = -1;
  sockaddr_in self{};
  Loopback() {
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    self.sin_family = AF_INET;
    self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(self);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&self), sizeof(self)) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&self), &len) != 0)
      throw infertrace::Error("loopback UDP socket failed");
  }
  void round_trip() {
    char c = 'p';
    (void)!sendto(fd, &c, 1, 0, reinterpret_cast<sockaddr*>(&self), sizeof(self));
    (void)!recv(fd, &c, 1, 0);
  }
  ~Loopback() { close(fd); }
};

struct Results {
  double launch, driver, syscall, sw, loopback;
};

Results measure(RtLaunch rt, DrvLaunch drv) {
  Results r{};
  void* stream = reinterpret_cast<void*>(0x1000);
  r.launch = ns_per_op([&] { rt(reinterpret_cast<void*>(&measure), {1, 1, 1}, {32, 1, 1}, nullptr, 0, stream); }, 5000);
  r.driver = ns_per_op([&] { drv(reinterpret_cast<void*>(&measure), 1, 1, 1, 32, 1, 1, 0, stream, nullptr, nullptr); }, 5000);
  r.syscall = ns_per_op([] { syscall(SYS_getppid); }, 200000);
  PingPong pp;
  r.sw = ns_per_op([&] { pp.round_trip(); }, 20000);
  Loopback lo;
  r.loopback = ns_per_op([&] { lo.round_trip(); }, 20000);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  const fs::path dir = argc > 1 ? fs::path(argv[1])
                                : fs::read_symlink("/proc/self/exe").parent_path().parent_path() / "tests" / "support" / "fakecuda";
  const std::string rt_lib = (dir / "libfakecudart.so").string(), drv_lib = (dir / "libfakecuda.so").string();
  void* h = dlopen(rt_lib.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!h) {
    std::fprintf(stderr, "record_overhead_bench: %s (build the fakecuda targets or pass their directory)\n", dlerror());
    return 1;
  }
  auto rt = reinterpret_cast<RtLaunch>(dlsym(h, "cudaLaunchKernel"));
  auto drv = reinterpret_cast<DrvLaunch>(dlsym(h, "cuLaunchKernel"));
  if (!rt || !drv) {
    std::fprintf(stderr, "record_overhead_bench: fake CUDA symbols missing in %s\n", rt_lib.c_str());
    return 1;
  }
  const Results base = measure(rt, drv);
  // Two recordings in one run, so that the two launch-probe layouts compare as a ratio: the default
  // (runtime and driver entry probes, 2 hits per runtime launch) and --launch-durations (plus a
  // return probe on the runtime call, 3 hits).
  struct Mode {
    const char* name;
    bool launch_durations;
    Results rec;
    infertrace::RecordSummary summary;
  } modes[] = {{"default", false, {}, {}}, {"--launch-durations", true, {}, {}}};
  for (Mode& m : modes) {
    infertrace::RecordOptions o;
    o.output = (fs::temp_directory_path() / "record_overhead_bench.itrace").string();
    o.pids = {static_cast<int>(getpid())};
    o.libs = {rt_lib, drv_lib};
    o.duration_s = 0;  // until the SIGINT below
    o.launch_durations = m.launch_durations;
    std::string error;
    std::thread recorder([&] {
      try {
        m.summary = infertrace::record(o);
      } catch (const std::exception& e) {
        error = e.what();
      }
    });
    // The recorder prints nothing when attached; give it time to load and attach its probes.
    std::this_thread::sleep_for(std::chrono::seconds(8));
    if (!error.empty()) {
      recorder.join();
      std::fprintf(stderr, "record_overhead_bench: %s\n", error.c_str());
      return 1;
    }
    m.rec = measure(rt, drv);
    kill(getpid(), SIGINT);  // ends the recording (the recorder's handler)
    recorder.join();
    if (!error.empty()) {
      std::fprintf(stderr, "record_overhead_bench: %s\n", error.c_str());
      return 1;
    }
    std::filesystem::remove(o.output);
  }
  for (const Mode& m : modes) {
    std::printf("\nrecord %s\n", m.name);
    std::printf("%-44s %12s %12s %12s\n", "operation (median of 5 runs)", "base ns", "recorded ns", "added ns");
    auto row = [](const char* name, double b, double r) { std::printf("%-44s %12.1f %12.1f %12.1f\n", name, b, r, r - b); };
    row("cudaLaunchKernel->cuLaunchKernel (1 launch)", base.launch, m.rec.launch);
    row("cuLaunchKernel direct (1 launch)", base.driver, m.rec.driver);
    row("getppid syscall", base.syscall, m.rec.syscall);
    row("pipe round trip, 1 CPU (2 switches)", base.sw, m.rec.sw);
    row("loopback UDP send+recv (1 own softirq)", base.loopback, m.rec.loopback);
    uint64_t dropped = 0, events = 0;
    for (auto& [k, n] : m.summary.dropped) dropped += n;
    for (auto& [k, n] : m.summary.events) events += n;
    std::printf("recorded %llu events, dropped %llu, folded driver calls %llu\n", static_cast<unsigned long long>(events),
                static_cast<unsigned long long>(dropped), static_cast<unsigned long long>(m.summary.folded_driver_calls));
  }
  return 0;
}
