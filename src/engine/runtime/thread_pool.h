// A persistent pool for the forward pass: `run(fn)` calls fn(tid, n) on n threads at once (the
// caller is thread 0) and returns when all are done. A decode step needs ~150 such rounds, so the
// threads stay alive and wait by spinning briefly, then sleeping on a futex (std::atomic::wait):
// a round costs microseconds, and idle threads do not burn a core on a shared machine.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace infertrace::engine {

// Parses "0-3,6,8-9" into CPU ids; throws UsageError naming the text on bad syntax.
std::vector<int> parse_cpu_list(const std::string& text);

class ThreadPool {
 public:
  // `cpus` non-empty: thread i (the caller included) is pinned to cpus[i % cpus.size()];
  // throws Error when the kernel refuses (a CPU outside the allowed set).
  explicit ThreadPool(int n_threads, std::vector<int> cpus = {});
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_; }
  const std::vector<int>& cpus() const { return cpus_; }

  // Runs fn on every thread; rethrows the first exception a thread raised.
  void run(const std::function<void(int tid, int n)>& fn);

 private:
  void worker(int tid);

  int n_;
  std::vector<int> cpus_;
  std::vector<std::thread> threads_;
  const std::function<void(int, int)>* job_ = nullptr;
  std::atomic<uint32_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  std::mutex error_mutex_;
  std::exception_ptr error_;
};

// Pins the calling thread to one CPU; throws Error naming the CPU when refused.
void pin_current_thread(int cpu);

}  // namespace infertrace::engine
