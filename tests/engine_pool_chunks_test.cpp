// ThreadPool::run_chunks: every chunk runs exactly once per round and its writes are visible when
// the call returns, with chunked and whole-pool rounds interleaved (a thread that wakes late for
// a chunked round must neither claim a chunk of a later round nor run a whole-pool round twice),
// tids in range, 1-3 threads, chunk counts below and above the thread count; exceptions from any
// chunk reach the caller and leave the pool usable.
#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "engine/runtime/thread_pool.h"
#include "util/error.h"

using namespace infertrace;
using namespace infertrace::engine;

namespace {

TEST(EnginePoolChunks, EveryChunkOnceAndRoundsInterleave) {
  for (int n : {1, 2, 3}) {
    ThreadPool pool(n);
    std::vector<std::atomic<int>> plain_hits(n);
    std::atomic<int> bad_tid{0};
    const int rounds = 400;
    for (int r = 0; r < rounds; ++r) {
      const int64_t chunks = 1 + r % 13;  // 1..13: fewer and more chunks than threads
      std::vector<int> hits(chunks, 0);   // plain ints: run_chunks must publish them on return
      pool.run_chunks(chunks, [&](int tid, int64_t c) {
        if (tid < 0 || tid >= n) bad_tid++;
        hits[c]++;
      });
      for (int64_t c = 0; c < chunks; ++c) ASSERT_EQ(hits[c], 1) << "round " << r << " chunk " << c << " threads " << n;
      if (r % 3 == 0) pool.run([&](int tid, int) { plain_hits[tid]++; });
    }
    for (int t = 0; t < n; ++t) EXPECT_EQ(plain_hits[t].load(), (rounds + 2) / 3) << "thread " << t << " of " << n;
    EXPECT_EQ(bad_tid.load(), 0);
    pool.run_chunks(0, [&](int, int64_t) { bad_tid++; });  // no chunks: nothing runs
    EXPECT_EQ(bad_tid.load(), 0);
  }
}

TEST(EnginePoolChunks, ChunkExceptionReachesCallerAndPoolStaysUsable) {
  for (int n : {1, 3}) {
    ThreadPool pool(n);
    std::atomic<int> ran{0};
    EXPECT_THROW(pool.run_chunks(9, [&](int, int64_t c) {
      ran++;
      if (c == 5) throw Error("boom");
    }),
                 Error);
    EXPECT_EQ(ran.load(), n == 1 ? 6 : 9);  // one thread stops at the throw; a pool finishes the round
    std::atomic<int> after{0};
    pool.run_chunks(4, [&](int, int64_t) { after++; });
    EXPECT_EQ(after.load(), 4);
  }
}

}  // namespace
