// Thread pool (every thread runs each round exactly once, many rounds, errors propagate, pinning),
// CPU lists, sampler, synthetic prompts, bandwidth measurement sanity.
#include <gtest/gtest.h>

#include <pthread.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "engine/runtime/generate.h"
#include "engine/runtime/membw.h"
#include "engine/runtime/sampler.h"
#include "engine/runtime/thread_pool.h"
#include "util/cpu_list.h"
#include "util/cpu_mask.h"
#include "util/error.h"

using namespace infertrace;
using namespace infertrace::engine;

namespace {

// Two threads taking turns in order: go(s) marks step s done, wait_for(s) blocks until it is.
class Steps {
 public:
  void go(int s) {
    {
      std::lock_guard<std::mutex> l(m_);
      step_ = s;
    }
    cv_.notify_all();
  }
  void wait_for(int s) {
    std::unique_lock<std::mutex> l(m_);
    cv_.wait(l, [&] { return step_ >= s; });
  }
  void reset() { go(0); }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int step_ = 0;
};

TEST(EngineThreadPool, EveryThreadRunsEveryRoundOnce) {
  for (int n : {1, 2, 3}) {
    ThreadPool pool(n);
    std::vector<std::atomic<int>> hits(n);
    std::atomic<int> wrong_n{0};
    const int rounds = 500;
    for (int r = 0; r < rounds; ++r)
      pool.run([&](int tid, int nth) {
        if (nth != n) wrong_n++;
        hits[tid]++;
      });
    for (int t = 0; t < n; ++t) EXPECT_EQ(hits[t].load(), rounds) << "thread " << t << " of " << n;
    EXPECT_EQ(wrong_n.load(), 0);
  }
}

TEST(EngineThreadPool, RunWaitsForAllThreads) {
  ThreadPool pool(3);
  std::vector<int> out(3, 0);
  for (int r = 1; r <= 100; ++r) {
    pool.run([&](int tid, int) { out[tid] = r; });
    EXPECT_EQ(out, std::vector<int>(3, r));  // every write visible when run() returns
  }
}

TEST(EngineThreadPool, WorkerExceptionReachesCaller) {
  ThreadPool pool(3);
  EXPECT_THROW(pool.run([](int tid, int) {
    if (tid == 2) throw Error("boom");
  }),
               Error);
  int ran = 0;
  pool.run([&](int tid, int) {
    if (tid == 0) ran = 1;
  });  // still usable afterwards
  EXPECT_EQ(ran, 1);
}

TEST(EngineThreadPool, PinsToCpuList) {
  ThreadPool pool(2, {0});
  std::set<int> seen;
  std::mutex m;
  pool.run([&](int, int) {
    std::lock_guard<std::mutex> l(m);
    seen.insert(sched_getcpu());
  });
  EXPECT_EQ(seen, std::set<int>{0});
  EXPECT_THROW(ThreadPool(1, {100000}), Error);
}

// A pinned pool gives its creator's CPU mask back when it goes: left pinned, the calling thread
// (gtest's main thread here) ran every later test on one CPU.
TEST(EngineThreadPool, RestoresTheCallersCpuMask) {
  cpu_set_t before;
  ASSERT_EQ(pthread_getaffinity_np(pthread_self(), sizeof before, &before), 0);
  if (CPU_COUNT(&before) < 2) GTEST_SKIP() << "one allowed CPU: pinning to it changes no mask";
  int last = -1;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &before)) last = c;
  {
    ThreadPool pool(2, {last});
    cpu_set_t inside;
    ASSERT_EQ(pthread_getaffinity_np(pthread_self(), sizeof inside, &inside), 0);
    EXPECT_EQ(CPU_COUNT(&inside), 1);
    EXPECT_TRUE(CPU_ISSET(last, &inside));
  }
  cpu_set_t after;
  ASSERT_EQ(pthread_getaffinity_np(pthread_self(), sizeof after, &after), 0);
  EXPECT_TRUE(CPU_EQUAL(&before, &after)) << CPU_COUNT(&after) << " CPUs after, " << CPU_COUNT(&before) << " before";
  // A pool of the calling thread alone (no workers) is pinned and restored the same way.
  { ThreadPool single(1, {last}); }
  ASSERT_EQ(pthread_getaffinity_np(pthread_self(), sizeof after, &after), 0);
  EXPECT_TRUE(CPU_EQUAL(&before, &after));
}

// The calling thread's mask, with the CPUs it holds.
std::vector<int> own_cpus() {
  CpuMask m;
  EXPECT_EQ(read_thread_cpu_mask(pthread_self(), m), 0);
  return m.cpus();
}

// A pool made on one thread and destroyed on another (review FB: the mask was then never given
// back, its creator stayed pinned to one CPU): restored while the creator runs and is pinned as
// the pool left it; left alone when the creator set a mask of its own since, or has ended.
TEST(EngineThreadPool, RestoresTheCreatorsMaskWhenDestroyedOnAnotherThread) {
  const std::vector<int> before = own_cpus();
  if (before.size() < 2) GTEST_SKIP() << "one allowed CPU: pinning to it changes no mask";
  const int first = before.front(), last = before.back();
  Steps steps;  // 1: the creator made the pool; 2: this thread destroyed it
  for (const bool own_mask_since : {false, true}) {
    steps.reset();
    std::unique_ptr<ThreadPool> pool;
    std::vector<int> inside, after;
    std::thread creator([&] {
      pool = std::make_unique<ThreadPool>(2, std::vector<int>{last});
      inside = own_cpus();
      if (own_mask_since) pin_current_thread(first);  // the creator's own choice, after the pool's
      steps.go(1);
      steps.wait_for(2);
      after = own_cpus();
    });
    steps.wait_for(1);
    pool.reset();  // on this thread
    steps.go(2);
    creator.join();
    EXPECT_EQ(inside, std::vector<int>{last});
    if (own_mask_since)
      EXPECT_EQ(after, std::vector<int>{first}) << "a mask the creator set itself is kept";
    else
      EXPECT_EQ(after, before) << "the creator's mask from before the pool";
  }
  // The creator has ended before the pool goes: nothing is set (its handle may be another
  // thread's by then), and this thread's own mask is not touched.
  std::unique_ptr<ThreadPool> orphan;
  std::thread([&] { orphan = std::make_unique<ThreadPool>(2, std::vector<int>{last}); }).join();
  orphan.reset();
  EXPECT_EQ(own_cpus(), before);
}

// Pinned pools of one thread that end out of order (review FG M2): an earlier pool that ends while
// a later one lives leaves the thread pinned by the later one, and the thread gets back its mask
// from before both once both have ended, whichever thread destroys the earlier one. In order, each
// gives back the mask it found. On a thread of its own, so a failure leaves the test thread's mask.
TEST(EngineThreadPool, PoolsOfOneThreadMayEndInAnyOrder) {
  const std::vector<int> before = own_cpus();
  if (before.size() < 2) GTEST_SKIP() << "one allowed CPU: pinning to it changes no mask";
  const int first = before.front(), last = before.back();
  std::thread([&] {
    for (const bool earlier_ends_elsewhere : {false, true}) {
      // The first pool pins to `first` on the same thread, to `last` (as the later one) on another:
      // the case where the earlier pool cannot tell its pin from the later pool's.
      const int first_pin = earlier_ends_elsewhere ? last : first;
      auto p1 = std::make_unique<ThreadPool>(2, std::vector<int>{first_pin});
      auto p2 = std::make_unique<ThreadPool>(2, std::vector<int>{last});
      if (earlier_ends_elsewhere)
        std::thread([&] { p1.reset(); }).join();
      else
        p1.reset();
      EXPECT_EQ(own_cpus(), std::vector<int>{last}) << "the later pool still pins its thread; elsewhere "
                                                   << earlier_ends_elsewhere;
      p2.reset();
      EXPECT_EQ(own_cpus(), before) << "the mask from before both pools; elsewhere " << earlier_ends_elsewhere;
    }
    auto p1 = std::make_unique<ThreadPool>(2, std::vector<int>{first});
    auto p2 = std::make_unique<ThreadPool>(2, std::vector<int>{last});
    p2.reset();
    EXPECT_EQ(own_cpus(), std::vector<int>{first}) << "in order: the mask the later pool found";
    p1.reset();
    EXPECT_EQ(own_cpus(), before) << "in order: the mask from before both";
  }).join();
  EXPECT_EQ(own_cpus(), before);
}

// The creator has ended and a new thread destroys its pool (review FG M1): glibc hands an ended
// thread's pthread_t to the next thread it starts (a cached stack), so the destroying thread often
// has the creator's handle. It must keep its own mask all the same. The creator pins itself to one
// CPU first, so that the mask a wrong restore would set differs from the new thread's.
TEST(EngineThreadPool, AThreadWithTheEndedCreatorsHandleKeepsItsOwnMask) {
  const std::vector<int> before = own_cpus();
  if (before.size() < 2) GTEST_SKIP() << "one allowed CPU: pinning to it changes no mask";
  const int first = before.front(), last = before.back();
  int reused = 0;
  for (int round = 0; round < 4; ++round) {
    std::unique_ptr<ThreadPool> orphan;
    pthread_t creator_handle{};
    std::thread([&] {
      pin_current_thread(first);
      orphan = std::make_unique<ThreadPool>(2, std::vector<int>{last});
      creator_handle = pthread_self();
    }).join();
    std::vector<int> b, a;
    bool same_handle = false;
    std::thread([&] {
      same_handle = pthread_equal(creator_handle, pthread_self()) != 0;
      b = own_cpus();
      orphan.reset();
      a = own_cpus();
    }).join();
    reused += same_handle;
    EXPECT_EQ(b, before) << "a new thread starts with its creator's mask (this thread's, unpinned)";
    EXPECT_EQ(a, b) << "round " << round << (same_handle ? " (the creator's handle)" : " (another handle)");
  }
  // A run where no handle was reused checks less: say so.
  std::printf("[          ] the destroying thread had the ended creator's handle in %d of 4 rounds\n", reused);
}

// A child of fork() destroys a pool that another thread of the parent made (review FG L2). That
// thread does not run in the child, and its pthread_t is stale there: glibc clears its TID at the
// fork, so a call on it reads and sets the CALLING thread's mask (TID 0 is the caller to the
// kernel), and a libc that kept the TID would reach the parent's thread. Both are checked: the
// forking thread is pinned as the other pool left its creator (to `last`), which a restore in the
// child would undo, and the parent reads the creator's mask after the child has exited. The forking
// thread's own pool is still its own in the child: destroyed there, it restores the child's mask.
// The child reports by its exit status (no gtest in a forked child).
TEST(EngineThreadPool, AChildOfForkSetsNoMaskOfTheParentsOtherThreads) {
  const std::vector<int> before = own_cpus();
  if (before.size() < 2) GTEST_SKIP() << "one allowed CPU: pinning to it changes no mask";
  const int last = before.back();
  Steps steps;  // 1: the creator made its pool; 2: the parent checked its mask and destroyed the pool
  std::unique_ptr<ThreadPool> theirs;  // one thread: no worker, which a child could not join
  std::vector<int> creator_after;
  std::thread creator([&] {
    theirs = std::make_unique<ThreadPool>(1, std::vector<int>{last});
    steps.go(1);
    steps.wait_for(2);
    creator_after = own_cpus();
  });
  steps.wait_for(1);
  auto mine = std::make_unique<ThreadPool>(1, std::vector<int>{last});
  const pid_t child = fork();
  if (child == 0) {
    const auto cpus = [] {
      CpuMask mask;
      return read_thread_cpu_mask(pthread_self(), mask) == 0 ? mask.cpus() : std::vector<int>{};
    };
    theirs.reset();  // the creator's: nothing read or set
    const bool pinned_still = cpus() == std::vector<int>{last};
    mine.reset();  // this thread's: its mask from before
    const bool restored = cpus() == before;
    _exit((pinned_still ? 0 : 1) | (restored ? 0 : 2));
  }
  int status = -1;
  const bool reaped = child > 0 && waitpid(child, &status, 0) == child;
  CpuMask creator_mask;
  const int read_rc = read_thread_cpu_mask(creator.native_handle(), creator_mask);
  theirs.reset();  // here, while the creator runs: restored
  mine.reset();
  steps.go(2);
  creator.join();
  ASSERT_TRUE(reaped) << "fork " << child;
  ASSERT_TRUE(WIFEXITED(status)) << "child status " << status;
  EXPECT_EQ(WEXITSTATUS(status) & 1, 0) << "the child's own pin changed when the other thread's pool went";
  EXPECT_EQ(WEXITSTATUS(status) & 2, 0) << "the forking thread's own pool did not restore its mask in the child";
  ASSERT_EQ(read_rc, 0);
  EXPECT_EQ(creator_mask.cpus(), std::vector<int>{last}) << "the child set the parent's creator thread's mask";
  EXPECT_EQ(creator_after, before);
  EXPECT_EQ(own_cpus(), before);
}

// A child of fork() destroys a pool with workers that the parent made (review FN L8). The workers
// do not run in the child, and their handles are stale there: glibc puts their stacks, descriptors
// and so pthread_t values in its cache at the fork, and a thread the child starts may take one.
// Joining such a handle would wait for that thread, here one that waits until the pool has gone:
// the child starts more of them than the cache can hold (so they take every cached stack, the
// workers' among them), destroys the pool, lets them end and exits. A pool with workers does not
// run in the child (its workers are not there to share the round): run() and run_chunks() throw.
// The parent allows the child 10 s, and its own pool still runs afterwards.
TEST(EngineThreadPool, AChildOfForkDestroysAPoolWithWorkersWithoutJoiningThem) {
  auto pool = std::make_unique<ThreadPool>(4);
  std::atomic<int> ran{0};
  pool->run([&](int, int) { ran++; });  // every worker has started
  ASSERT_EQ(ran.load(), 4);
  const pid_t child = fork();
  if (child == 0) {
    std::atomic<bool> gone{false};
    std::vector<std::thread> later;
    try {
      for (int i = 0; i < 32; ++i)
        later.emplace_back([&] {
          while (!gone.load()) gone.wait(false);
        });
    } catch (...) {
      _exit(3);
    }
    int refused = 0;
    try {
      pool->run([](int, int) {});
    } catch (const Error&) {
      refused |= 1;
    }
    try {
      pool->run_chunks(8, [](int, int64_t) {});
    } catch (const Error&) {
      refused |= 2;
    }
    pool.reset();
    gone.store(true);
    gone.notify_all();
    for (auto& t : later) t.join();
    _exit(refused == 3 ? 0 : 4);
  }
  ASSERT_GT(child, 0) << "fork";
  int status = -1;
  bool ended = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!ended && std::chrono::steady_clock::now() < deadline) {
    ended = waitpid(child, &status, WNOHANG) == child;
    if (!ended) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!ended) {
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
  }
  EXPECT_TRUE(ended) << "the child did not end within 10 s (killed): destroying the pool waited for a thread";
  if (ended) {
    ASSERT_TRUE(WIFEXITED(status)) << "child status " << status;
    EXPECT_NE(WEXITSTATUS(status), 3) << "the child could not start its threads";
    EXPECT_NE(WEXITSTATUS(status), 4) << "the pool ran in the child, where its workers do not exist";
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  ran = 0;
  pool->run([&](int, int) { ran++; });
  EXPECT_EQ(ran.load(), 4);
}

TEST(CpuList, ParsesTheKernelSyntaxAndNamesTheOptionOnErrors) {
  EXPECT_EQ(parse_cpu_list("0-3,6,8-9"), (std::vector<int>{0, 1, 2, 3, 6, 8, 9}));
  EXPECT_EQ(parse_cpu_list("5"), std::vector<int>{5});
  EXPECT_EQ(parse_cpu_list("1023").size(), 1u);
  for (const char* bad : {"", "a", "3-1", "1,", "1--2", "-1", ",1", "1 ", "99999999999", "1024", "0-1,1", "2,0-3"})
    EXPECT_THROW(parse_cpu_list(bad), UsageError) << bad;
  try {
    parse_cpu_list("2-x", "--pin-cpus");
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--pin-cpus 2-x"), std::string::npos) << e.what();
  }
}

TEST(EngineSampler, GreedyTopKAndSeeds) {
  const std::vector<float> logits = {0.1f, 3.0f, 2.9f, -1.0f};
  Sampler greedy;
  EXPECT_EQ(greedy.sample(logits), 1);
  SamplerOptions o;
  o.temperature = 1.0f;
  o.top_k = 1;
  Sampler k1(o);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(k1.sample(logits), 1);
  o.top_k = 2;
  o.top_p = 1.0f;
  Sampler a(o), b(o);
  std::set<int32_t> seen;
  for (int i = 0; i < 200; ++i) {
    const int32_t x = a.sample(logits);
    EXPECT_EQ(x, b.sample(logits));  // same seed, same draws
    seen.insert(x);
  }
  EXPECT_EQ(seen, (std::set<int32_t>{1, 2}));  // top-2 only, both drawn (p ~ 0.52 / 0.48)
}

TEST(EngineSampler, SyntheticPromptSkipsAndStartsWithBos) {
  const auto ids = synthetic_prompt(50, 100, 1, 9, [](int32_t id) { return id < 10; });
  ASSERT_EQ(ids.size(), 50u);
  EXPECT_EQ(ids[0], 1);
  for (size_t i = 1; i < ids.size(); ++i) EXPECT_GE(ids[i], 10);
  EXPECT_EQ(ids, synthetic_prompt(50, 100, 1, 9, [](int32_t id) { return id < 10; }));
}

TEST(EngineMembw, MeasuresPlausibleBandwidth) {
  ThreadPool pool(1);
  const BandwidthResult r = measure_bandwidth(pool, 16u << 20, 2);
  EXPECT_EQ(r.read_samples.size(), 2u);
  EXPECT_GT(r.read_gbs, 0.1);   // any machine reads 16 MiB faster than 160 ms
  EXPECT_LT(r.read_gbs, 5000);  // and slower than 5 TB/s: the reads were not optimised away
  EXPECT_GT(r.triad_gbs, 0.1);
  EXPECT_THROW(measure_bandwidth(pool, 1000, 1), UsageError);
}

// Three threads split 2^21 doubles into shares of 699050 and 699051: not whole vectors of four
// streams, so each share ends in a tail the read must add too (the sum check throws otherwise).
// The reported bandwidths are the best of the repetitions.
TEST(EngineMembw, UnevenSharesAreReadToTheEndAndTheBestSampleIsReported) {
  ThreadPool pool(3);
  const BandwidthResult r = measure_bandwidth(pool, 16u << 20, 6);
  ASSERT_EQ(r.read_samples.size(), 6u);
  ASSERT_EQ(r.triad_samples.size(), 6u);
  for (double s : r.read_samples) EXPECT_LE(s, r.read_gbs);
  for (double s : r.triad_samples) EXPECT_LE(s, r.triad_gbs);
  EXPECT_NE(std::find(r.read_samples.begin(), r.read_samples.end(), r.read_gbs), r.read_samples.end());
  EXPECT_NE(std::find(r.triad_samples.begin(), r.triad_samples.end(), r.triad_gbs), r.triad_samples.end());
}

// bench threads' roofline needs the read figure only: no triad pass and none of its arrays (review
// DX M1). Three threads again, so the read's tails and its sum check are exercised on this path too.
TEST(EngineMembw, ReadOnlyPassesSkipTheTriad) {
  ThreadPool pool(3);
  const BandwidthResult r = measure_bandwidth(pool, 16u << 20, 3, BandwidthPasses::kReadOnly);
  ASSERT_EQ(r.read_samples.size(), 3u);
  EXPECT_EQ(r.read_seconds.size(), 3u);
  EXPECT_TRUE(r.triad_samples.empty());
  EXPECT_TRUE(r.triad_seconds.empty());
  EXPECT_EQ(r.triad_gbs, 0);
  EXPECT_GT(r.read_gbs, 0.1);
  EXPECT_LT(r.read_gbs, 5000);
}

// The reported figure is the fastest repetition wherever it falls (first, middle, last), not the last
// or the mean: samples made by hand, so the check does not depend on which run happened to be fastest.
TEST(EngineMembw, BestSampleIsTheFastestWhereverItFalls) {
  EXPECT_EQ(best_sample({9.5, 7.0, 8.25}), 9.5);
  EXPECT_EQ(best_sample({7.0, 12.0, 8.25}), 12.0);
  EXPECT_EQ(best_sample({7.0, 8.25, 11.0}), 11.0);
  EXPECT_EQ(best_sample({3.0}), 3.0);
  EXPECT_THROW(best_sample({}), Error);
}

}  // namespace
