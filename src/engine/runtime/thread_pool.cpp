#include "engine/runtime/thread_pool.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <system_error>

#include "engine/runtime/pinnable_cpus.h"
#include "util/cpu_list.h"
#include "util/cpu_mask.h"
#include "util/error.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define IT_PAUSE() _mm_pause()
#else
#define IT_PAUSE() ((void)0)
#endif

namespace infertrace::engine {

namespace {
// Spin this many times before sleeping: long enough to cover the gap between two products of
// one layer (a few microseconds), short enough not to starve other processes on a busy host.
constexpr int kSpinIterations = 20000;

// The process's fork generation: a child of fork() bumps it (fork_child below), so that the
// ThreadLife of every thread it did not inherit running, all but the forking one, is of an older
// epoch there (review FG L2), and so is every pool made before the fork, whose workers did not
// come with it (ThreadPool::epoch_, review FN L8).
std::atomic<uint64_t> process_epoch{0};
}  // namespace

// Whether a thread still runs, for a pool destroyed on another thread than the one it pinned: a
// pthread_t may be used only until its thread ends (then glibc hands it to the next thread). Every
// thread that makes a pinned pool has one (thread_local, below); its owner's destructor runs as the
// thread ends, before its handle is released, and takes the mutex, so a pool that holds the mutex
// and sees `alive` may set that thread's mask.
// It also holds the thread's pins, one per pinned pool it made that has not ended, oldest first,
// each with the mask the thread had before that pool pinned it: pools that end out of order
// (review FG M2) give the mask back through the one above (see restore_caller_affinity).
// `epoch` is the process_epoch the thread runs in: in a child of fork() only the forking thread
// runs on (its life moves to the child's epoch); another thread's life is of the parent's, and its
// pthread_t is stale there: glibc clears its TID at the fork, so a call on it reads and sets the
// calling thread's mask (TID 0 is the caller to the kernel; another libc could name the parent's
// thread). Such a life counts as ended in the child, and its mutex, which a parent thread may have
// held at the fork, is never taken.
struct ThreadPool::ThreadLife {
  struct Pin {
    const ThreadPool* pool;
    CpuMask saved;
  };
  std::mutex m;
  bool alive = true;
  std::vector<Pin> pins;
  std::atomic<uint64_t> epoch{process_epoch.load()};
};

namespace {
// The calling thread's life while its owner lives, for the fork handlers (a plain pointer: it has
// no destructor whose order against the owner's would matter).
thread_local ThreadPool::ThreadLife* this_life = nullptr;

// The forking thread's own life goes on in the child: its mutex is held across fork() so that no
// other thread holds it then (a pool of this thread being destroyed elsewhere), and it is of the
// child's epoch there.
// Not for a fork() from a signal handler that interrupted this thread while it held its own
// mutex (a pinned pool's constructor or restore_caller_affinity, ~ThreadLifeOwner): the lock
// below then waits for the thread itself, for ever (review FN L7). A try_lock cannot tell that
// case from another thread holding the mutex for a moment (which must be waited for, or the
// child inherits it locked by a thread it does not have), nor from this thread waiting for it,
// and a flag set around the lock leaves the same gap; POSIX leaves such a fork() undefined anyway,
// as a handler that is not async-signal-safe runs in it (glibc's fork deadlocks likewise when the
// handler interrupted malloc). A signal handler forks with _Fork(), vfork() or posix_spawn(),
// which run no handlers, and execs at once (docs/engine.md).
void fork_prepare() {
  if (this_life) this_life->m.lock();
}
void fork_parent() {
  if (this_life) this_life->m.unlock();
}
void fork_child() {
  const uint64_t epoch = process_epoch.fetch_add(1) + 1;
  if (this_life) {
    this_life->epoch.store(epoch);
    this_life->m.unlock();
  }
}

// Once per process (a child inherits the handlers), before the first pool or life can be forked
// over: every pool's constructor and every life's calls it, so a child of a process that has one
// is of a newer epoch.
void register_fork_handlers() {
  static const bool registered = pthread_atfork(fork_prepare, fork_parent, fork_child) == 0;
  (void)registered;
}

struct ThreadLifeOwner {
  std::shared_ptr<ThreadPool::ThreadLife> life = std::make_shared<ThreadPool::ThreadLife>();
  ThreadLifeOwner() {
    register_fork_handlers();
    this_life = life.get();
  }
  ~ThreadLifeOwner() {
    std::lock_guard<std::mutex> lock(life->m);
    life->alive = false;
    this_life = nullptr;
  }
};
}  // namespace

std::shared_ptr<ThreadPool::ThreadLife> ThreadPool::this_thread_life() {
  thread_local ThreadLifeOwner owner;
  return owner.life;
}

int allowed_cpu_count() {
  CpuMask mask;
  if (read_process_cpu_mask(mask) != 0) return 1;
  return std::max(1, mask.count());
}

std::vector<int> parse_pinning_cpus(const std::string& text, const std::string& option_text) {
  const std::vector<int> cpus = parse_cpu_list(text, option_text);
  const std::optional<PinnableCpus> pinnable = pinnable_cpus();
  if (!pinnable) return cpus;  // unknown: pinning says what fails
  std::vector<int> outside;
  for (int c : cpus)
    if (!std::binary_search(pinnable->cpus.begin(), pinnable->cpus.end(), c)) outside.push_back(c);
  if (outside.empty()) return cpus;
  std::string listed;
  for (size_t i = 0; i < outside.size() && i < 8; ++i) listed += (i ? "," : "") + std::to_string(outside[i]);
  if (outside.size() > 8) listed += ",... (" + std::to_string(outside.size()) + " CPUs)";
  throw UsageError(option_text + " " + text + ": " + (outside.size() == 1 ? "CPU " : "CPUs ") + listed +
                   (outside.size() == 1 ? " is" : " are") + " not among the CPUs this process may be pinned to (" +
                   pinnable->source + ")");
}

int resolve_thread_count(int requested, const std::vector<int>& cpus) {
  if (requested > 0) return requested;
  return cpus.empty() ? allowed_cpu_count() : static_cast<int>(cpus.size());
}

int thread_cap_cpus(const std::vector<int>& pinned) {
  // The list's ids are distinct (parse_cpu_list refuses a repeat).
  return std::max(allowed_cpu_count(), static_cast<int>(pinned.size()));
}

int max_sweep_threads(int allowed_cpus) {
  const int allowed = std::max(allowed_cpus, 1);
  return std::max(allowed, std::min(4 * allowed, 1024));  // one per CPU is always accepted
}

void check_thread_cap(const std::vector<int>& counts, int allowed_cpus, const std::string& option_text) {
  const int cap = max_sweep_threads(allowed_cpus);
  for (int t : counts)
    if (t > cap)
      throw UsageError(option_text + ": " + std::to_string(t) + " threads is more than " + std::to_string(cap) +
                       " (4 per CPU the threads may use: " + std::to_string(allowed_cpus) +
                       ", the allowed CPUs or the --cpus list when longer; at most 1024 or one per CPU)");
}

void pin_current_thread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (cpu < 0 || cpu >= CPU_SETSIZE) throw Error("cannot pin a thread to CPU " + std::to_string(cpu));
  CPU_SET(cpu, &set);
  const int rc = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  if (rc != 0)
    throw Error("cannot pin a thread to CPU " + std::to_string(cpu) + ": " + std::strerror(rc) +
                " (is the CPU online and in this process's allowed set?)");
}

ThreadPool::ThreadPool(int n_threads, std::vector<int> cpus) : n_(n_threads), cpus_(std::move(cpus)) {
  if (n_ < 1) throw UsageError("thread count must be at least 1");
  register_fork_handlers();
  epoch_ = process_epoch.load();
  // Reserved before the pin: a throw between the pin and the try below would leave the thread
  // pinned, and its list with an entry for a pool that never was (review FK).
  threads_.reserve(n_ - 1);
  if (!cpus_.empty()) {
    caller_ = pthread_self();
    caller_life_ = this_thread_life();
    // Under the lock: a pool of this thread that ends on another thread meanwhile sees this pin.
    std::lock_guard<std::mutex> lock(caller_life_->m);
    CpuMask saved;
    if (const int rc = read_thread_cpu_mask(caller_, saved); rc != 0)
      throw Error(std::string("cannot read the calling thread's CPU mask: ") + std::strerror(rc));
    caller_life_->pins.reserve(caller_life_->pins.size() + 1);
    pin_current_thread(cpus_[0]);
    caller_life_->pins.push_back({this, std::move(saved)});
    caller_pinned_ = true;
  }
  try {
    for (int t = 1; t < n_; ++t) threads_.emplace_back([this, t] { worker(t); });
  } catch (...) {
    // The destructor does not run for a constructor that throws, and destroying a joinable
    // std::thread calls std::terminate: stop and join the workers already started first. Any
    // exception std::thread raises (bad_alloc too) gets here; a refused thread is said as Error.
    const size_t started = threads_.size() + 1;
    stop_and_join();
    restore_caller_affinity();
    try {
      throw;
    } catch (const std::system_error& e) {
      throw Error("cannot start " + std::to_string(n_) + " threads (thread " + std::to_string(started + 1) +
                  " failed: " + e.what() + "); use fewer");
    }
  }
}

ThreadPool::~ThreadPool() {
  stop_and_join();
  restore_caller_affinity();
}

void ThreadPool::restore_caller_affinity() {
  if (!caller_pinned_) return;
  caller_pinned_ = false;
  // Best effort: a CPU of the old mask may have gone offline since, and a destructor cannot throw.
  // The creator's mask is set only while the creator runs (its handle is valid; the lock holds its
  // end back meanwhile). Checked first: once it has ended, glibc may give its pthread_t to a new
  // thread, this one included, and pthread_equal would then take that thread for the creator
  // (review FG M1). A creator of the parent process, in a child of fork(), has ended for this one
  // (ThreadLife::epoch; its mutex is not taken: it may have been held at the fork).
  if (caller_life_->epoch.load() != process_epoch.load()) return;
  std::lock_guard<std::mutex> lock(caller_life_->m);
  if (!caller_life_->alive) return;
  std::vector<ThreadLife::Pin>& pins = caller_life_->pins;
  const auto mine = std::find_if(pins.begin(), pins.end(), [this](const ThreadLife::Pin& p) { return p.pool == this; });
  if (mine == pins.end()) return;
  // A pool the thread made after this one still pins it: the thread is that pool's until it ends,
  // and then gets back the mask it had before this one (review FG M2: this pool restored its mask
  // at once, unpinning the later pool's thread, and that pool then restored this one's pin).
  if (mine + 1 != pins.end()) {
    (mine + 1)->saved = std::move(mine->saved);
    pins.erase(mine);
    return;
  }
  const CpuMask saved = std::move(mine->saved);
  pins.erase(mine);
  // Destroyed on another thread: only when the creator is still pinned as this pool left it (to
  // cpus_[0]): a mask the thread set itself since is its own to keep. (Before, nothing was restored
  // here: the creator stayed pinned to one CPU.) Best effort: the creator may change its mask
  // between this read and the set below.
  if (!pthread_equal(caller_, pthread_self())) {
    try {  // the read allocates; a destructor must not throw (std::terminate)
      CpuMask now;
      if (read_thread_cpu_mask(caller_, now) != 0 || now.count() != 1 || !now.has(cpus_[0])) return;
    } catch (...) {
      return;
    }
  }
  (void)pthread_setaffinity_np(caller_, saved.bytes(), saved.set());
}

bool ThreadPool::workers_gone() const { return !threads_.empty() && epoch_ != process_epoch.load(); }

void ThreadPool::stop_and_join() {
  if (workers_gone()) {
    // A child of fork(): the workers did not come with it, and their handles are stale (glibc
    // caches their stacks and descriptors at the fork, and a thread the child starts may take one:
    // joining or detaching the handle would then reach that thread). Nothing here waits for them;
    // each std::thread is ended by building an empty one in its place, which neither joins nor
    // detaches (a joinable one's destructor would call std::terminate). The workers' small start-up
    // states (the library's, held on their stacks in the parent) stay allocated in the child, which
    // execs or exits (review FQ L5).
    for (auto& t : threads_) new (&t) std::thread();
    threads_.clear();
    return;
  }
  stop_.store(true);
  generation_.fetch_add(2);  // stays even: workers skip odd (half-written) rounds
  generation_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPool::check_workers_here() const {
  if (workers_gone())
    throw Error("a pool of " + std::to_string(n_) +
                " threads made before fork() cannot run in the child: its other threads do not exist there");
}

void ThreadPool::note_error() {
  std::lock_guard<std::mutex> lock(error_mutex_);
  if (!error_) error_ = std::current_exception();
}

void ThreadPool::worker(int tid) {
  if (!cpus_.empty()) {
    try {
      pin_current_thread(cpus_[tid % cpus_.size()]);
    } catch (...) {
      note_error();
    }
  }
  uint32_t seen = 0;
  for (;;) {
    uint32_t g = generation_.load(std::memory_order_acquire);
    for (int spin = 0; (g == seen || (g & 1)) && spin < kSpinIterations; ++spin) {
      IT_PAUSE();
      g = generation_.load(std::memory_order_acquire);
    }
    while (g == seen || (g & 1)) {
      generation_.wait(g, std::memory_order_acquire);
      g = generation_.load(std::memory_order_acquire);
    }
    if (stop_.load()) return;
    const auto* plain = job_.load(std::memory_order_acquire);
    const auto* chunked = chunk_job_.load(std::memory_order_acquire);
    const int64_t n_chunks = n_chunks_.load(std::memory_order_acquire);
    if (generation_.load(std::memory_order_acquire) != g) continue;  // a newer round is being written
    seen = g;
    if (plain) {
      // run() waits for every worker, so the job outlives this call.
      try {
        (*plain)(tid, n_);
      } catch (...) {
        note_error();
      }
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    } else {
      claim_chunks(tid, g, *chunked, n_chunks);
    }
  }
}

void ThreadPool::claim_chunks(int tid, uint32_t round, const std::function<void(int, int64_t)>& fn,
                              int64_t n_chunks) {
  const uint64_t tag = static_cast<uint64_t>(round) << 32;
  uint64_t c = claim_.load(std::memory_order_acquire);
  for (;;) {
    // A chunk can only be claimed while its round is unfinished, and run_chunks() does not
    // return before every claimed chunk is done, so fn is alive for every claimed chunk.
    if ((c & ~0xffffffffull) != tag || static_cast<int64_t>(c & 0xffffffffull) >= n_chunks) return;
    if (!claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    try {
      fn(tid, static_cast<int64_t>(c & 0xffffffffull));
    } catch (...) {
      note_error();
    }
    chunks_done_.fetch_add(1, std::memory_order_acq_rel);
    c = claim_.load(std::memory_order_acquire);
  }
}

void ThreadPool::publish(const std::function<void(int, int)>* plain,
                         const std::function<void(int, int64_t)>* chunked, int64_t n_chunks) {
  const uint32_t g = generation_.fetch_add(1, std::memory_order_acq_rel) + 1;  // odd: writing
  job_.store(plain, std::memory_order_release);
  chunk_job_.store(chunked, std::memory_order_release);
  n_chunks_.store(n_chunks, std::memory_order_release);
  if (chunked) {
    chunks_done_.store(0, std::memory_order_relaxed);
    claim_.store(static_cast<uint64_t>(g + 1) << 32, std::memory_order_release);
  }
  generation_.store(g + 1, std::memory_order_release);  // even: readable
  generation_.notify_all();
}

void ThreadPool::run(const std::function<void(int, int)>& fn) {
  if (n_ == 1) {
    fn(0, 1);
    return;
  }
  check_workers_here();
  pending_.store(n_ - 1, std::memory_order_relaxed);
  publish(&fn, nullptr, 0);
  std::exception_ptr mine;
  try {
    fn(0, n_);
  } catch (...) {
    mine = std::current_exception();
  }
  for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
    if (spin < kSpinIterations) IT_PAUSE();
    else std::this_thread::yield();
  }
  if (mine) std::rethrow_exception(mine);
  std::lock_guard<std::mutex> lock(error_mutex_);
  if (error_) {
    std::exception_ptr e = error_;
    error_ = nullptr;
    std::rethrow_exception(e);
  }
}

void ThreadPool::run_chunks(int64_t n_chunks, const std::function<void(int, int64_t)>& fn) {
  if (n_chunks <= 0) return;
  if (n_chunks > 0xffffffffll) throw Error("run_chunks: too many chunks");
  if (n_ == 1) {
    for (int64_t c = 0; c < n_chunks; ++c) fn(0, c);
    return;
  }
  check_workers_here();
  publish(nullptr, &fn, n_chunks);
  claim_chunks(0, generation_.load(std::memory_order_relaxed), fn, n_chunks);
  for (int spin = 0; chunks_done_.load(std::memory_order_acquire) != n_chunks; ++spin) {
    if (spin < kSpinIterations) IT_PAUSE();
    else std::this_thread::yield();
  }
  std::lock_guard<std::mutex> lock(error_mutex_);
  if (error_) {
    std::exception_ptr e = error_;
    error_ = nullptr;
    std::rethrow_exception(e);
  }
}

}  // namespace infertrace::engine
