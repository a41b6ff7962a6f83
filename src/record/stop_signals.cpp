#include "record/stop_signals.h"

#include <csignal>
#include <cstring>
#include <ctime>

#include <atomic>

namespace infertrace {

namespace {

constexpr int kStops[] = {SIGINT, SIGTERM, SIGHUP};
constexpr int kAll[] = {SIGINT, SIGTERM, SIGHUP, SIGCHLD};

// Written by the handlers: lock-free atomics are async-signal-safe.
std::atomic<unsigned> g_count{0};
std::atomic<int> g_signo{0};
std::atomic<int> g_sender{0};
std::atomic<bool> g_from_tty{false};
std::atomic<long long> g_child_exit_ns{0};
static_assert(std::atomic<long long>::is_always_lock_free && std::atomic<int>::is_always_lock_free &&
                  std::atomic<unsigned>::is_always_lock_free && std::atomic<bool>::is_always_lock_free,
              "used from a signal handler");

// What was there before StopSignals (index: position in kAll), and the mask before block_for_fork.
struct sigaction g_saved[4];
sigset_t g_mask_before_fork;

void on_stop(int signo, siginfo_t* info, void*) {
  const bool sent = info && (info->si_code == SI_USER || info->si_code == SI_QUEUE || info->si_code == SI_TKILL);
  g_sender.store(sent ? info->si_pid : 0);
  g_from_tty.store(info && info->si_code == SI_KERNEL);
  g_signo.store(signo);
  g_count.fetch_add(1);  // last: a reader that sees the new count sees its details
}

// The recorder's main loop sleeps in a poll without SA_RESTART: SIGCHLD interrupts it, so the
// recording ends the moment the command does, stamped here to the microsecond.
void on_child(int) {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);  // async-signal-safe
  g_child_exit_ns.store(static_cast<long long>(ts.tv_sec) * 1000000000 + ts.tv_nsec);
}

}  // namespace

std::string signal_named(int signo) {
  const char* abbrev = ::sigabbrev_np(signo);
  return "signal " + std::to_string(signo) + (abbrev ? std::string(" (SIG") + abbrev + ")" : std::string());
}

StopSignals::StopSignals() {
  g_count.store(0);
  g_signo.store(0);
  g_sender.store(0);
  g_child_exit_ns.store(0);
  for (int i = 0; i < 4; ++i) ::sigaction(kAll[i], nullptr, &g_saved[i]);
  for (int i = 0; i < 3; ++i) {
    // Ignored when record started: the caller meant its job to be left alone by that signal (POSIX
    // shells start background jobs with SIGINT ignored; nohup ignores SIGHUP). It stays ignored.
    if (g_saved[i].sa_handler == SIG_IGN && !(g_saved[i].sa_flags & SA_SIGINFO)) continue;
    struct sigaction sa{};
    sa.sa_sigaction = on_stop;
    sa.sa_flags = SA_SIGINFO;  // no SA_RESTART: a stop interrupts the poll
    ::sigaction(kStops[i], &sa, nullptr);
  }
  struct sigaction sc{};
  sc.sa_handler = on_child;
  sc.sa_flags = SA_NOCLDSTOP;
  ::sigaction(SIGCHLD, &sc, nullptr);
}

StopSignals::~StopSignals() {
  for (int i = 0; i < 4; ++i) ::sigaction(kAll[i], &g_saved[i], nullptr);
}

unsigned StopSignals::count() { return g_count.load(); }

StopSignal StopSignals::latest() {
  StopSignal s;
  s.signo = g_signo.load();
  s.sender = g_sender.load();
  s.from_tty = g_from_tty.load();
  return s;
}

long long StopSignals::child_exit_ns() { return g_child_exit_ns.load(); }

void StopSignals::block_for_fork() {
  sigset_t block;
  sigemptyset(&block);
  for (int s : kAll) sigaddset(&block, s);
  ::sigprocmask(SIG_BLOCK, &block, &g_mask_before_fork);
}

void StopSignals::unblock_after_fork() { ::sigprocmask(SIG_SETMASK, &g_mask_before_fork, nullptr); }

void StopSignals::restore_in_child() {
  for (int i = 0; i < 4; ++i) ::sigaction(kAll[i], &g_saved[i], nullptr);
  ::sigprocmask(SIG_SETMASK, &g_mask_before_fork, nullptr);
}

}  // namespace infertrace
