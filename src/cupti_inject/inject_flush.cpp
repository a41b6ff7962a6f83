// The periodic flush of libinfertrace_cupti.so. CUPTI hands an activity buffer over when it fills
// (8 MiB: tens of thousands of kernel records) or when asked. Never asked before exit, a program
// stopped by a signal (`record --duration` ends a started command with SIGTERM, and Python's default
// action then runs no atexit handler) would lose every GPU record since its last full buffer, and
// the recorder would see GPU work only in bursts. A thread of ours asks every 100 ms (the recorder
// drains its ring as often) with the default flag, which returns the buffers whose records are all
// complete: what CUPTI's documentation of cuptiActivityFlushAll suggests doing from a thread of its
// own. at_exit stops and joins it before its forced flush.
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "cupti_inject/inject_state.h"

namespace infertrace::inject {
namespace {

constexpr std::chrono::milliseconds kFlushPeriod{100};

std::mutex g_mu;
std::condition_variable g_cv;
bool g_stop = false;
// Touched only by the thread that loaded the library, at_exit and the fork handler, never by the
// flusher itself.
std::thread* g_flusher = nullptr;

void flush_loop() {
  // The program's signal handlers must never run here: one that calls exit() would make at_exit
  // join this very thread.
  sigset_t all;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
  // The name the recorder's thread tables show for it (at most 15 characters).
  ::pthread_setname_np(::pthread_self(), "infertrace-cupti");
  std::unique_lock lk(g_mu);
  while (!g_cv.wait_for(lk, kFlushPeriod, [] { return g_stop; })) {
    lk.unlock();
    flush_completed_activity();
    lk.lock();
  }
}

}  // namespace

void start_periodic_flush() {
  try {
    g_flusher = new std::thread(flush_loop);
  } catch (...) {
    // No thread to spare: records still come when a buffer fills and at exit.
    g_flusher = nullptr;
  }
}

void stop_periodic_flush() {
  if (!g_flusher) return;
  {
    std::lock_guard lk(g_mu);
    g_stop = true;
  }
  g_cv.notify_all();
  // exit() called on the flusher itself (from a CUPTI buffer callback's code path) cannot join it.
  if (g_flusher->get_id() == std::this_thread::get_id()) g_flusher->detach();
  else g_flusher->join();
  delete g_flusher;
  g_flusher = nullptr;
}

void forget_periodic_flush_in_child() {
  // The flusher is the parent's thread: a forked child has none, and joining or destroying the
  // object here would be undefined, so it is left as it is (its mutex may even be held).
  g_flusher = nullptr;
}

}  // namespace infertrace::inject
