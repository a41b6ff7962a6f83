// A persistent pool for the forward pass: `run(fn)` calls fn(tid, n) on n threads at once (the
// caller is thread 0) and returns when all are done. A decode step needs ~150 such rounds, so the
// threads stay alive and wait by spinning briefly, then sleeping on a futex (std::atomic::wait):
// a round costs microseconds, and idle threads do not burn a core on a shared machine.
// `run_chunks(n, fn)` splits a round into n chunks that threads claim one at a time and returns
// when every chunk is done, without waiting for every thread: on a shared machine a descheduled
// thread then delays a product by at most the one chunk it holds, not by its whole share (with
// run(), the others wait a full time slice for it at every barrier).
#pragma once

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "util/cpu_mask.h"

namespace infertrace::engine {

// CPUs this process may run on (sched_getaffinity): the default thread count of the engine's verbs.
int allowed_cpu_count();

// The thread count `engine run` and `serve` use: `requested` when > 0, else one per CPU of the
// pinning list `cpus` when given, else allowed_cpu_count().
int resolve_thread_count(int requested, const std::vector<int>& cpus);

// The largest thread count `engine run`, `serve` and the `bench` sweeps accept: 4 threads per
// CPU the threads may use, `allowed_cpus` (thread_cap_cpus: the allowed CPUs, or a longer --cpus
// list; oversubscription is a legitimate point, thousands of threads are a typo), not more than
// 1024 unless there are more CPUs than that (one per CPU is always accepted: the default's end).
// Here, not in the CLI, because infertrace-serve uses it too.
int max_sweep_threads(int allowed_cpus);
// The CPU count the thread cap is based on: the CPUs this process may run on, or the CPUs of a
// --cpus list when more (a pool pinned by --cpus runs there even when an inherited affinity,
// `taskset -c 0`, is narrower: review BO L3).
int thread_cap_cpus(const std::vector<int>& pinned);
// UsageError naming `option_text` when a count is over max_sweep_threads(allowed_cpus).
void check_thread_cap(const std::vector<int>& counts, int allowed_cpus, const std::string& option_text);
// A --cpus list for a pool's pinning (util/cpu_list.h syntax): UsageError naming `option_text`
// when a CPU of it is not one this process may be pinned to (its cgroup's cpuset, else the online
// CPUs: engine/runtime/pinnable_cpus.h; not the current affinity mask, which taskset narrows and
// a pool may leave), checked when the option is read rather than when a thread is pinned: `engine run --cpus 0-1000` failed only
// after the model had loaded, and with `-t 2` (threads pinned to the first two) was accepted.
std::vector<int> parse_pinning_cpus(const std::string& text, const std::string& option_text);

class ThreadPool {
 public:
  struct ThreadLife;  // whether a thread still runs (thread_pool.cpp)

  // `cpus` non-empty: thread i (the caller included) is pinned to cpus[i % cpus.size()];
  // throws Error when the kernel refuses (a CPU outside the allowed set).
  explicit ThreadPool(int n_threads, std::vector<int> cpus = {});
  // Gives the calling thread back the CPU mask it had before the constructor pinned it: a pool is
  // a scope's, and the thread goes on after it, e.g. gtest's main thread into later tests. When
  // destroyed on another thread, only while the creator still runs and is still pinned as the pool
  // left it (to cpus[0]: a mask it set itself since stays; best effort, as the creator may set one
  // between that check and the restore). Pinned pools of one thread may end in any order: while a
  // later one lives, an earlier one that ends sets nothing and hands its saved mask to the next,
  // so the thread gets back its mask from before the first once the last has ended. In a child of
  // fork(), a pool made on another thread of the parent reads and sets no mask (that thread does
  // not run there, and its stale handle would reach the calling thread, or the parent's thread);
  // the forking thread's own pools still restore its mask. A pool with workers (n_threads > 1)
  // made before a fork() ends in the child without joining them: they do not exist there.
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_; }
  const std::vector<int>& cpus() const { return cpus_; }

  // Runs fn on every thread; rethrows the first exception a thread raised. Throws Error in a
  // child of fork() when the pool has workers and was made before the fork (as run_chunks).
  void run(const std::function<void(int tid, int n)>& fn);

  // Calls fn(tid, chunk) once for every chunk in [0, n_chunks), on whichever thread claims it
  // (tid says which, for per-thread scratch); rethrows the first exception a chunk raised.
  void run_chunks(int64_t n_chunks, const std::function<void(int tid, int64_t chunk)>& fn);

 private:
  void worker(int tid);
  void claim_chunks(int tid, uint32_t round, const std::function<void(int, int64_t)>& fn, int64_t n_chunks);
  void note_error();
  // Tells every worker to return and joins them (the destructor, and a constructor that failed);
  // in a child of fork(), where the workers do not exist, releases their handles untouched.
  void stop_and_join();
  // Whether this pool has workers and was made before a fork() of which this is the child.
  bool workers_gone() const;
  // Throws Error when workers_gone(): a round would wait for threads that are not there.
  void check_workers_here() const;
  // Makes a new round visible: generation_ is odd while the job fields are being written
  // (a seqlock), so a worker that reads them between two equal even values has a consistent set.
  void publish(const std::function<void(int, int)>* plain, const std::function<void(int, int64_t)>* chunked,
               int64_t n_chunks);

  // Restores caller_mask_ on the constructing thread (the destructor, and a constructor that failed).
  void restore_caller_affinity();
  // The calling thread's ThreadLife (thread_pool.cpp), made on its first call.
  static std::shared_ptr<ThreadLife> this_thread_life();

  int n_;
  std::vector<int> cpus_;
  pthread_t caller_{};  // the constructing thread, pinned when cpus_ is not empty
  bool caller_pinned_ = false;
  // The process's fork epoch when the pool was made (thread_pool.cpp): a child of fork() is of a
  // newer one, and has none of the workers.
  uint64_t epoch_ = 0;
  // Whether it still runs, and its pins: this pool's holds the thread's mask before this pool pinned
  // it (sized as the kernel's: util/cpu_mask.h).
  std::shared_ptr<ThreadLife> caller_life_;
  std::vector<std::thread> threads_;
  std::atomic<const std::function<void(int, int)>*> job_{nullptr};
  std::atomic<const std::function<void(int, int64_t)>*> chunk_job_{nullptr};
  std::atomic<int64_t> n_chunks_{0};
  // run_chunks: the round (low 32 bits of its generation) in the high half, the next unclaimed
  // chunk in the low half, so a late thread cannot claim a chunk of a round that has ended.
  std::atomic<uint64_t> claim_{0};
  std::atomic<int64_t> chunks_done_{0};
  std::atomic<uint32_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  std::mutex error_mutex_;
  std::exception_ptr error_;
};

// Pins the calling thread to one CPU; throws Error naming the CPU when refused.
void pin_current_thread(int cpu);

}  // namespace infertrace::engine
