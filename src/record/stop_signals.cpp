#include "record/stop_signals.h"

#include <linux/bpf.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <ctime>

#include <atomic>

namespace infertrace {

namespace {

// Stop the recording (docs/record.md "Signals and the command"): a terminal's Ctrl-C, Ctrl-\ and
// hang-up, a `kill`, and SIGXCPU (record's own CPU limit: better a complete file than a core).
constexpr int kStops[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGXCPU};
// Meant for the command, ignored by record (review SG M3: each one killed record, which shares the
// command's process group, with no END record, and the command ran on untraced): a job scheduler's
// or launcher's SIGUSR1/SIGUSR2 to the group (SLURM's --signal, `kill -USR1 0`), timers (SIGALRM,
// SIGVTALRM, SIGPROF), SIGIO, SIGPWR, SIGSTKFLT, the real-time signals (added at run time: SIGRTMIN
// is a function), and two that record's own writes raise and that it handles as a failed write
// (EPIPE, EFBIG): SIGPIPE (review SG L1) and SIGXFSZ.
constexpr int kForCommand[] = {SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGIO,
                               SIGPWR,  SIGSTKFLT, SIGPIPE, SIGXFSZ};

// Written by the handlers: lock-free atomics are async-signal-safe. One set for the signals from
// outside the command's tree (the stops) and one for the tree's own (review SG M2: one set for both
// let a `kill 0` of the command replace a Ctrl-C before the recorder's loop saw it).
struct Arrivals {
  std::atomic<unsigned> count{0};
  std::atomic<int> signo{0};
  std::atomic<int> sender{0};
  std::atomic<bool> from_tty{false};
  void clear() {
    count.store(0);
    signo.store(0);
    sender.store(0);
    from_tty.store(false);
  }
  StopSignal latest() const {
    StopSignal s;
    s.signo = signo.load();
    s.sender = sender.load();
    s.from_tty = from_tty.load();
    return s;
  }
};
Arrivals g_outside, g_tree;
std::atomic<int> g_command{0};
std::atomic<int> g_traced_fd{-1};
std::atomic<long long> g_child_exit_ns{0};
// An eventfd each handled stop signal and SIGCHLD write to: the recorder's loop polls it with its
// ring, so a signal that arrives just before the poll starts (when the poll's EINTR cannot come)
// still wakes it at once (review SG L3: the poll then slept its full 100 ms).
std::atomic<int> g_wake_fd{-1};
static_assert(std::atomic<long long>::is_always_lock_free && std::atomic<int>::is_always_lock_free &&
                  std::atomic<unsigned>::is_always_lock_free && std::atomic<bool>::is_always_lock_free,
              "used from a signal handler");
constexpr unsigned kMaxValueSize = 256;

// The signals StopSignals sets (the stops, the command's, SIGCHLD), what was there before it (for its
// destructor) and what the command gets back between fork and exec (the same, but SIGPIPE's from
// before ignore_sigpipe()); and the mask before block_for_fork.
int g_handled[_NSIG];
int g_n_handled = 0;
struct sigaction g_saved[_NSIG];
struct sigaction g_for_child[_NSIG];
struct sigaction g_caller_sigpipe;
bool g_caller_sigpipe_saved = false;
sigset_t g_mask_before_fork;

// write(2) is async-signal-safe; a full counter (never, in practice) fails with EAGAIN, still readable.
void wake() {
  const int fd = g_wake_fd.load();
  if (fd < 0) return;
  const uint64_t one = 1;
  (void)!::write(fd, &one, sizeof one);
}

// Whether a process in the command's tree sent it (see set_tree). bpf(2) is a system call:
// async-signal-safe.
bool sent_by_tree(pid_t sender) {
  if (sender <= 0) return false;
  if (sender == g_command.load()) return true;
  const int fd = g_traced_fd.load();
  if (fd < 0) return false;
  auto key = static_cast<uint32_t>(sender);
  alignas(8) unsigned char value[kMaxValueSize];
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.map_fd = static_cast<uint32_t>(fd);
  attr.key = reinterpret_cast<uintptr_t>(&key);
  attr.value = reinterpret_cast<uintptr_t>(value);
  return ::syscall(__NR_bpf, BPF_MAP_LOOKUP_ELEM, &attr, sizeof attr) == 0;
}

// Runs with every stop signal blocked (sa_mask), so one arrival's fields are never mixed with another's.
void on_stop(int signo, siginfo_t* info, void*) {
  const int saved_errno = errno;
  const bool sent = info && (info->si_code == SI_USER || info->si_code == SI_QUEUE || info->si_code == SI_TKILL);
  const pid_t sender = sent ? info->si_pid : 0;
  Arrivals& a = sent_by_tree(sender) ? g_tree : g_outside;
  a.sender.store(sender);
  // Only a terminal makes the kernel itself send these (the others, SIGXCPU, come from a limit).
  a.from_tty.store(info && info->si_code == SI_KERNEL && (signo == SIGINT || signo == SIGQUIT || signo == SIGHUP));
  a.signo.store(signo);
  a.count.fetch_add(1);  // last: a reader that sees the new count sees its details
  wake();
  errno = saved_errno;
}

// The recorder's main loop sleeps in a poll without SA_RESTART: SIGCHLD interrupts it, so the
// recording ends the moment the command does, stamped here to the microsecond.
void on_child(int) {
  const int saved_errno = errno;
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);  // async-signal-safe
  g_child_exit_ns.store(static_cast<long long>(ts.tv_sec) * 1000000000 + ts.tv_nsec);
  wake();
  errno = saved_errno;
}

bool ignored(const struct sigaction& sa) { return sa.sa_handler == SIG_IGN && !(sa.sa_flags & SA_SIGINFO); }

}  // namespace

std::string signal_named(int signo) {
  const char* abbrev = ::sigabbrev_np(signo);
  return "signal " + std::to_string(signo) + (abbrev ? std::string(" (SIG") + abbrev + ")" : std::string());
}

StopSignals::StopSignals() {
  g_outside.clear();
  g_tree.clear();
  g_command.store(0);
  g_traced_fd.store(-1);
  g_child_exit_ns.store(0);
  g_wake_fd.store(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));  // -1 if refused: the loop's 100 ms poll bounds the wait
  g_n_handled = 0;
  for (int s : kStops) g_handled[g_n_handled++] = s;
  for (int s : kForCommand) g_handled[g_n_handled++] = s;
  for (int s = SIGRTMIN; s <= SIGRTMAX && g_n_handled < _NSIG - 1; ++s) g_handled[g_n_handled++] = s;
  g_handled[g_n_handled++] = SIGCHLD;
  for (int i = 0; i < g_n_handled; ++i) {
    const int s = g_handled[i];
    ::sigaction(s, nullptr, &g_saved[s]);
    g_for_child[s] = s == SIGPIPE && g_caller_sigpipe_saved ? g_caller_sigpipe : g_saved[s];
  }
  sigset_t stops;
  sigemptyset(&stops);
  for (int s : kStops) sigaddset(&stops, s);
  for (int s : kStops) {
    // Ignored when record started: the caller meant its job to be left alone by that signal (POSIX
    // shells start background jobs with SIGINT ignored; nohup ignores SIGHUP). It stays ignored.
    if (ignored(g_saved[s])) continue;
    struct sigaction sa{};
    sa.sa_sigaction = on_stop;
    sa.sa_mask = stops;
    sa.sa_flags = SA_SIGINFO;  // no SA_RESTART: a stop interrupts the poll
    ::sigaction(s, &sa, nullptr);
  }
  for (int i = 0; i < g_n_handled; ++i) {
    const int s = g_handled[i];
    if (s == SIGCHLD || sigismember(&stops, s)) continue;
    struct sigaction sa{};
    sa.sa_handler = SIG_IGN;
    ::sigaction(s, &sa, nullptr);
  }
  struct sigaction sc{};
  sc.sa_handler = on_child;
  sc.sa_flags = SA_NOCLDSTOP;
  ::sigaction(SIGCHLD, &sc, nullptr);
}

StopSignals::~StopSignals() {
  g_traced_fd.store(-1);
  g_command.store(0);
  for (int i = 0; i < g_n_handled; ++i) ::sigaction(g_handled[i], &g_saved[g_handled[i]], nullptr);
  if (const int fd = g_wake_fd.exchange(-1); fd >= 0) ::close(fd);
}

unsigned StopSignals::count() { return g_outside.count.load(); }
StopSignal StopSignals::latest() { return g_outside.latest(); }
unsigned StopSignals::tree_count() { return g_tree.count.load(); }
StopSignal StopSignals::latest_from_tree() { return g_tree.latest(); }

void StopSignals::set_tree(pid_t command, int traced_map_fd, unsigned value_size) {
  g_traced_fd.store(value_size <= kMaxValueSize ? traced_map_fd : -1);
  g_command.store(command);
}

long long StopSignals::child_exit_ns() { return g_child_exit_ns.load(); }

int StopSignals::wake_fd() { return g_wake_fd.load(); }

void StopSignals::clear_wake() {
  uint64_t n;
  if (const int fd = g_wake_fd.load(); fd >= 0) (void)!::read(fd, &n, sizeof n);
}

void StopSignals::ignore_sigpipe() {
  if (!g_caller_sigpipe_saved) {
    ::sigaction(SIGPIPE, nullptr, &g_caller_sigpipe);
    g_caller_sigpipe_saved = true;
  }
  std::signal(SIGPIPE, SIG_IGN);
}

void StopSignals::block_for_fork() {
  sigset_t block;
  sigemptyset(&block);
  for (int i = 0; i < g_n_handled; ++i) sigaddset(&block, g_handled[i]);
  ::sigprocmask(SIG_BLOCK, &block, &g_mask_before_fork);
}

void StopSignals::unblock_after_fork() { ::sigprocmask(SIG_SETMASK, &g_mask_before_fork, nullptr); }

void StopSignals::restore_in_child() {
  // A signal record ignores and the command's caller did not (SIGUSR1, SIGPIPE) gets its default
  // back here; one that arrived since the fork was held pending by the mask (a blocked signal is
  // never discarded, even while ignored) and is delivered by the unblock.
  for (int i = 0; i < g_n_handled; ++i) ::sigaction(g_handled[i], &g_for_child[g_handled[i]], nullptr);
  ::sigprocmask(SIG_SETMASK, &g_mask_before_fork, nullptr);
}

}  // namespace infertrace
