// The check that tells a damaged record length from a cut-off tail (ingest/recording/
// cut_record_check.h): it must stay linear in the bytes it scans (review BD M3: a crafted 1 MiB
// tail took 18 s when every start offset walked its chain to the end), and it must find the same
// first offset as walking each start's chain, which is what the rule says.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <random>
#include <vector>

#include "ingest/recording/cut_record_check.h"
#include "ingest/recording/itrace_format.h"
#include "thread_cpu_time.h"

namespace infertrace::itrace {
namespace {

using Bytes = std::vector<unsigned char>;

void put32(Bytes& b, uint32_t v) {
  const size_t at = b.size();
  b.resize(at + 4);
  std::memcpy(&b[at], &v, 4);
}

void end_record(Bytes& b) { put32(b, 9), put32(b, 0); }

// A syscall record as the writer makes it: type 6, 48 payload bytes that start with the type again.
void syscall_record(Bytes& b, uint32_t seed) {
  put32(b, 6), put32(b, 48), put32(b, 6);
  for (int i = 0; i < 11; ++i) put32(b, seed * 31 + static_cast<uint32_t>(i));
}

void meta_record(Bytes& b, const std::string& key, const std::string& value) {
  put32(b, 1), put32(b, static_cast<uint32_t>(4 + key.size() + value.size())), put32(b, static_cast<uint32_t>(key.size()));
  b.insert(b.end(), key.begin(), key.end());
  b.insert(b.end(), value.begin(), value.end());
}

// The work of one scan over the n bytes after `from`: at most two header reads per offset (a whole
// record, else a cut one) and each META key byte checked about once, so 3n bounds it. Walking each
// start's chain instead reads every record after that start again: on these tails that is 5e8
// (META) to 8e9 (END) reads, far past the bound; the META tail's walk still ends within the 5 s of CPU time.
void expect_linear(const Bytes& b, size_t from, const char* what) {
  size_t reads = 0;
  // This thread's CPU time, not wall time: ctest -j and the ASan stage's load are not the scan's.
  const auto t0 = infertrace::test::thread_cpu_now();
  const std::optional<size_t> found = whole_records_up_to_end(b.data(), from, b.size(), &reads);
  const double seconds = std::chrono::duration<double>(infertrace::test::thread_cpu_now() - t0).count();
  const size_t n = b.size() - from;
  EXPECT_GE(reads, n) << what;      // every offset's header is read: the count is the work done
  EXPECT_LE(reads, 3 * n) << what;  // and linear
  EXPECT_LT(seconds, 5.0) << what;  // generous: the old scan took 18 s on the END tail
  (void)found;
}

TEST(CutRecordCheck, CraftedMebibyteOfEndRecordsIsOnePass) {
  // One record claiming 1 MiB, then END records (valid, not telling) up to 1 MiB in all: every
  // eighth start offset has a chain to the end, so walking each one was ~8e9 record reads.
  Bytes b;
  put32(b, 1), put32(b, 1u << 20);
  while (b.size() + 8 <= (1u << 20)) end_record(b);
  EXPECT_FALSE(whole_records_up_to_end(b.data(), 8, b.size()).has_value());  // only END records: nothing telling
  expect_linear(b, 8, "END records");
}

TEST(CutRecordCheck, CraftedMebibyteOfLongMetaKeysIsOnePass) {
  // META records with 1000-byte printable keys: each key is checked when its record's header is
  // read, and the offsets inside a key read as no header at all (their type is four letters).
  Bytes b;
  put32(b, 1), put32(b, 1u << 20);
  const std::string key(1000, 'k');
  while (b.size() + 12 + key.size() + 1 <= (1u << 20)) meta_record(b, key, "v");
  EXPECT_EQ(whole_records_up_to_end(b.data(), 8, b.size()), std::optional<size_t>(8));
  expect_linear(b, 8, "META records");
}

uint32_t u32(const Bytes& b, size_t at) {
  uint32_t v;
  std::memcpy(&v, &b[at], 4);
  return v;
}

// A record header the writer makes at `at`, ending by the end of `b` (docs/recording-format.md),
// written out plainly here: its size, or 0; `telling` for an event or META record.
size_t plain_record(const Bytes& b, size_t at, bool& telling) {
  telling = false;
  if (b.size() - at < 8) return 0;
  const uint32_t type = u32(b, at), len = u32(b, at + 4);
  if (type == 0 || type >= IT_EV_NTYPES || len > kMaxRecordBytes || len < min_payload(type) || len > b.size() - at - 8)
    return 0;
  const bool event = type == IT_EV_API || type == IT_EV_SWITCH || type == IT_EV_WAKEUP || type == IT_EV_IRQ ||
                     type == IT_EV_SYSCALL || type == IT_EV_TASK || type == IT_EV_GPU || type == IT_EV_FDNAME ||
                     type == IT_EV_LOSS || type == IT_EV_UNTRACED;
  if (event) {
    if (u32(b, at + 8) != type) return 0;
    telling = true;
  } else if (type == IT_EV_META) {
    const uint32_t klen = u32(b, at + 8);
    if (klen == 0 || klen > len - 4) return 0;
    for (uint32_t i = 0; i < klen; ++i)
      if (b[at + 12 + i] < 0x21 || b[at + 12 + i] > 0x7e) return 0;
    telling = true;
  } else if (type == IT_EV_END && len != 0) {
    return 0;
  }
  return 8 + len;
}

// A record cut off at the end of `b` whose header is valid (its event payload repeating the type
// when 4 bytes of it are there).
bool plain_cut_record(const Bytes& b, size_t at) {
  if (b.size() - at < 8) return false;
  const uint32_t type = u32(b, at), len = u32(b, at + 4);
  if (type == 0 || type >= IT_EV_NTYPES || len > kMaxRecordBytes || len < min_payload(type) || len <= b.size() - at - 8)
    return false;
  const bool event = type == IT_EV_API || type == IT_EV_SWITCH || type == IT_EV_WAKEUP || type == IT_EV_IRQ ||
                     type == IT_EV_SYSCALL || type == IT_EV_TASK || type == IT_EV_GPU || type == IT_EV_FDNAME ||
                     type == IT_EV_LOSS || type == IT_EV_UNTRACED;
  return !event || b.size() - at - 8 < 4 || u32(b, at + 8) == type;
}

// The rule as written: try each start, walk its chain; the reference for the one-pass version.
std::optional<size_t> walk_each_start(const Bytes& b, size_t from) {
  for (size_t start = from; start + 8 <= b.size(); ++start) {
    size_t at = start, records = 0;
    bool any_telling = false, telling = false;
    for (size_t bytes; at < b.size() && (bytes = plain_record(b, at, telling)) != 0; at += bytes, ++records)
      any_telling = any_telling || telling;
    if ((at == b.size() || plain_cut_record(b, at)) && records >= 2 && any_telling) return start;
  }
  return std::nullopt;
}

TEST(CutRecordCheck, SameFirstOffsetAsWalkingEachStart) {
  std::mt19937 rng(7);
  int found = 0;  // both outcomes must be exercised
  for (int round = 0; round < 2000; ++round) {
    Bytes b;
    const int n = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < n; ++i) {
      switch (rng() % 3) {
        case 0: end_record(b); break;
        case 1: syscall_record(b, static_cast<uint32_t>(rng())); break;
        default: meta_record(b, "k" + std::to_string(rng() % 100), "v"); break;
      }
    }
    // Damage: cut the tail, or overwrite a few bytes, so some offsets have chains and some do not.
    if (rng() % 2 && b.size() > 4) b.resize(b.size() - 1 - rng() % 4);
    if (rng() % 2 && !b.empty()) b[rng() % b.size()] = static_cast<unsigned char>(rng());
    const size_t from = b.empty() ? 0 : rng() % b.size();
    const std::optional<size_t> want = walk_each_start(b, from);
    EXPECT_EQ(whole_records_up_to_end(b.data(), from, b.size()), want) << "round " << round;
    found += want.has_value();
  }
  EXPECT_GT(found, 100);
  EXPECT_LT(found, 1900);
}

// Review BD L4a: a damaged length, whole records, then a recorder killed in the middle of the last
// one. The chain ends in a record cut off with a valid header; it is found, from the first whole
// record. Without the cut record's valid header (type 0) it is not.
TEST(CutRecordCheck, ChainEndingInACutRecordIsFound) {
  Bytes b;
  put32(b, 1), put32(b, 60000);  // the damaged length: payload starts at 8
  meta_record(b, "api.0", "cudaLaunchKernel");
  syscall_record(b, 1);
  const size_t last = b.size();
  syscall_record(b, 2);
  b.resize(b.size() - 20);  // killed while writing the last syscall
  EXPECT_EQ(whole_records_up_to_end(b.data(), 8, b.size()), std::optional<size_t>(8));
  Bytes broken = b;
  broken[last] = 0;  // its type 6 -> 0: no record the writer makes
  EXPECT_EQ(whole_records_up_to_end(broken.data(), 8, broken.size()), std::nullopt);
}

// Review S43 L3: an UNTRACED record is an event record (its payload repeats the type), so a chain
// of two of them is a telling one that is found; with a payload that does not repeat the type it is
// no record the writer makes.
TEST(CutRecordCheck, UntracedRecordsAreEventRecords) {
  auto untraced = [](Bytes& b, uint32_t repeated) {
    put32(b, IT_EV_UNTRACED), put32(b, 48), put32(b, repeated);
    for (int i = 0; i < 11; ++i) put32(b, 1000u + static_cast<uint32_t>(i));
  };
  Bytes b;
  put32(b, 1), put32(b, 60000);  // a damaged length: payload starts at 8
  untraced(b, IT_EV_UNTRACED);
  untraced(b, IT_EV_UNTRACED);
  EXPECT_EQ(whole_records_up_to_end(b.data(), 8, b.size()), std::optional<size_t>(8));
  Bytes wrong;
  put32(wrong, 1), put32(wrong, 60000);
  untraced(wrong, IT_EV_UNTRACED);
  untraced(wrong, 7);
  EXPECT_EQ(whole_records_up_to_end(wrong.data(), 8, wrong.size()), std::nullopt);
}

}  // namespace
}  // namespace infertrace::itrace
