// The CUPTI shared-memory ring (record/cupti_ring.h): many producer threads and a forked producer
// process against one consumer, exact counts and per-producer order, records that wrap around the
// end of the slot array, and drops (never blocking) when the ring is full.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <vector>

#include "record/cupti_ring.h"

namespace infertrace::cupti {
namespace {

// A test record: producer id, sequence number within that producer, and a variable-length tail
// whose bytes are derived from both, so a torn or misplaced copy is detected.
struct Msg {
  uint32_t producer, seq;
};

std::vector<unsigned char> make(uint32_t producer, uint32_t seq) {
  const uint32_t tail = (seq * 37 + producer * 11) % 150;  // 0..149 bytes: 1 to 3 slots
  std::vector<unsigned char> b(sizeof(Msg) + tail);
  Msg m{producer, seq};
  std::memcpy(b.data(), &m, sizeof(m));
  for (uint32_t i = 0; i < tail; ++i) b[sizeof(Msg) + i] = static_cast<unsigned char>(producer * 31 + seq + i);
  return b;
}

bool check(const unsigned char* p, uint32_t len, Msg& m) {
  if (len < sizeof(Msg)) return false;
  std::memcpy(&m, p, sizeof(m));
  const auto want = make(m.producer, m.seq);
  return want.size() == len && std::memcmp(want.data(), p, len) == 0;
}

// Drains until every producer is done and the ring is empty; checks order per producer.
struct Consumer {
  std::map<uint32_t, uint32_t> next;  // producer -> next expected seq
  uint64_t records = 0, bad = 0, out_of_order = 0;
  void take(Ring& r) {
    r.drain([&](uint32_t type, const unsigned char* p, uint32_t len) {
      Msg m;
      if (type != 7 || !check(p, len, m)) {
        ++bad;
        return;
      }
      if (m.seq != next[m.producer]) ++out_of_order;
      next[m.producer] = m.seq + 1;
      ++records;
    });
  }
};

TEST(CuptiRing, ThreadsAndAForkedProcessDeliverEverythingInOrder) {
  Ring ring = Ring::create_anonymous(1 << 12);  // small: producers lap the ring many times
  ASSERT_TRUE(ring.valid());
  constexpr uint32_t kThreads = 4, kPerProducer = 50000, kForked = 100;
  // Producers retry a full ring; a drain that never frees slots would make them retry forever, so
  // every loop gives up at a deadline (taken before the fork, so the child has it too) and the
  // counts below then fail the test instead of the test hanging until ctest's timeout.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  const auto past_deadline = [deadline] { return std::chrono::steady_clock::now() > deadline; };
  // Fork before any thread exists: a child forked from a multi-threaded parent may inherit a lock
  // (the sanitizer allocator's, malloc's) held by a thread that does not exist in the child, and
  // hang at its first allocation. The child still produces concurrently with the threads below.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // the forked producer shares the mapping (MAP_SHARED)
    for (uint32_t i = 0; i < kPerProducer; ++i) {
      const auto b = make(kForked, i);
      while (!ring.push(7, b.data(), static_cast<uint32_t>(b.size())))
        if (past_deadline()) ::_exit(3);
        else ::sched_yield();
    }
    ::_exit(0);
  }
  std::atomic<int> running{kThreads};
  std::atomic<bool> gave_up{false};
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (uint32_t i = 0; i < kPerProducer; ++i) {
        const auto b = make(t, i);
        // Retry on a full ring so the count is exact; the real producer never retries.
        while (!ring.push(7, b.data(), static_cast<uint32_t>(b.size()))) {
          if (past_deadline()) {
            gave_up = true;
            running--;
            return;
          }
          std::this_thread::yield();
        }
      }
      running--;
    });
  Consumer c;
  int status = 0;
  bool child_done = false;
  while (running > 0 || !child_done || ring.pending() > 0) {
    if (past_deadline()) {
      gave_up = true;
      break;
    }
    c.take(ring);
    if (!child_done && ::waitpid(child, &status, WNOHANG) == child) child_done = true;
  }
  for (auto& th : threads) th.join();
  if (!child_done) ::waitpid(child, &status, 0);  // past the deadline: the child gives up too
  c.take(ring);
  // Set only where a loop stopped waiting (the child's giving up shows in its exit status): a run
  // that delivered everything just before the deadline passes.
  EXPECT_FALSE(gave_up) << "the producers could not deliver everything within 120 s";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(c.bad, 0u);
  EXPECT_EQ(c.out_of_order, 0u);
  EXPECT_EQ(c.records, uint64_t{kThreads + 1} * kPerProducer);
  for (uint32_t t = 0; t < kThreads; ++t) EXPECT_EQ(c.next[t], kPerProducer) << "producer " << t;
  EXPECT_EQ(c.next[kForked], kPerProducer);
  // Retried pushes were counted as drops; every one of them was retried, so all arrived anyway.
  EXPECT_EQ(ring.pending(), 0u);
}

TEST(CuptiRing, FullRingDropsAndCountsWithoutBlocking) {
  Ring ring = Ring::create_anonymous(64);  // 64 slots of 64 bytes
  const unsigned char payload[56] = {};    // 8 + 56 = one slot
  uint32_t accepted = 0, refused = 0;
  for (int i = 0; i < 100; ++i) (ring.push(1, payload, sizeof(payload)) ? accepted : refused)++;
  EXPECT_EQ(accepted, 64u);
  EXPECT_EQ(refused, 36u);
  EXPECT_EQ(ring.header()->dropped_records.load(), 36u);
  EXPECT_EQ(ring.header()->dropped_bytes.load(), 36u * 56);
  uint64_t n = ring.drain([](uint32_t, const unsigned char*, uint32_t) {});
  EXPECT_EQ(n, 64u);
  // Space is back after the drain.
  EXPECT_TRUE(ring.push(1, payload, sizeof(payload)));
  // A record larger than a quarter of the ring is refused and counted, not truncated.
  std::vector<unsigned char> big(ring.max_payload() + 1);
  EXPECT_FALSE(ring.push(1, big.data(), static_cast<uint32_t>(big.size())));
  EXPECT_EQ(ring.header()->dropped_records.load(), 37u);
}

TEST(CuptiRing, RecordsWrappingTheEndArriveIntact) {
  Ring ring = Ring::create_anonymous(64);
  uint64_t got = 0, bad = 0;
  // 3-slot records against a 64-slot ring: every lap ends with a record split across the end.
  for (uint32_t i = 0; i < 1000; ++i) {
    std::vector<unsigned char> b(150);
    for (size_t k = 0; k < b.size(); ++k) b[k] = static_cast<unsigned char>(i + k);
    ASSERT_TRUE(ring.push(3, b.data(), 150));
    ring.drain([&](uint32_t type, const unsigned char* p, uint32_t len) {
      bool ok = type == 3 && len == 150;
      for (size_t k = 0; ok && k < len; ++k) ok = p[k] == static_cast<unsigned char>(i + k);
      (ok ? got : bad)++;
    });
  }
  EXPECT_EQ(got, 1000u);
  EXPECT_EQ(bad, 0u);
}

TEST(CuptiRing, AttachByPathChecksTheHeader) {
  const auto path = std::filesystem::temp_directory_path() / ("it_ring_" + std::to_string(::getpid()));
  std::filesystem::remove(path);
  {
    Ring owner = Ring::create(path.string(), 100);
    EXPECT_EQ(owner.capacity(), 128u);
    std::string why;
    Ring producer = Ring::attach(path.string(), &why);
    ASSERT_TRUE(producer.valid()) << why;
    EXPECT_EQ(owner.header()->producers.load(), 1u);
    const uint32_t v = 42;
    ASSERT_TRUE(producer.push(5, &v, 4));
    uint32_t seen = 0;
    owner.drain([&](uint32_t, const unsigned char* p, uint32_t) { std::memcpy(&seen, p, 4); });
    EXPECT_EQ(seen, 42u);
  }
  std::filesystem::remove(path);
  std::string why;
  EXPECT_FALSE(Ring::attach(path.string(), &why).valid());
  EXPECT_NE(why.find(path.string()), std::string::npos);
  // A file that is not a ring is refused, not mapped as one.
  { std::ofstream(path) << std::string(8192, 'x'); }
  EXPECT_FALSE(Ring::attach(path.string(), &why).valid());
  EXPECT_NE(why.find("not an infertrace CUPTI ring"), std::string::npos);
  std::filesystem::remove(path);
}

// A record may take a quarter of the ring: 64 slots of 64 bytes take one of 16 slots, header included.
TEST(CuptiRing, TheLargestRecordIsAQuarterOfTheRing) {
  Ring ring = Ring::create_anonymous(64);
  // 16 slots of 64 bytes = 1024 bytes, less the 8-byte record header (u32 type, u32 length).
  EXPECT_EQ(ring.max_payload(), 1016u);
  std::vector<unsigned char> too_big(1017, 7);
  EXPECT_FALSE(ring.push(2, too_big.data(), static_cast<uint32_t>(too_big.size())));
  std::vector<unsigned char> b(1016, 7);
  EXPECT_TRUE(ring.push(2, b.data(), static_cast<uint32_t>(b.size())));
  uint32_t got = 0;
  ring.drain([&](uint32_t, const unsigned char*, uint32_t len) { got = len; });
  EXPECT_EQ(got, b.size());
}

// A header whose capacity is no power of two (slot positions are taken modulo it by a mask) or
// under 64 is refused, even when the file is large enough.
TEST(CuptiRing, AttachRefusesACapacityThatIsNoPowerOfTwo) {
  const auto path = std::filesystem::temp_directory_path() / ("it_ring_cap_" + std::to_string(::getpid()));
  std::filesystem::remove(path);
  {
    Ring owner = Ring::create(path.string(), 128);
    for (const uint64_t cap : {uint64_t{96}, uint64_t{32}, uint64_t{128}}) {
      owner.header()->capacity = cap;
      std::string why;
      EXPECT_EQ(Ring::attach(path.string(), &why).valid(), cap == 128) << cap << ": " << why;
    }
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace infertrace::cupti
