// SequentialPages (input_pages.h): a reader walking a mapped file from start to end keeps about
// one window of it mapped, not the whole file, and reads every byte as the file holds it, also
// when it goes back over pages already dropped.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "ingest/input_buffer.h"
#include "ingest/input_pages.h"
#include "kineto_test_util.h"
#include "mapped_kb.h"

namespace infertrace {
namespace {

constexpr size_t kKiB = 1024, kMiB = 1024 * kKiB;

// Byte `i` of the test file: a pattern with no period of a page or a block.
char pattern(size_t i) { return static_cast<char>('a' + (i / 4093 + i) % 26); }

std::string pattern_file(size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = pattern(i);
  return s;
}

TEST(SequentialPages, KeepsAboutOneWindowMappedAndReadsTheFile) {
  const size_t size = 40 * kMiB + 777, window = 4 * kMiB;
  testing_kineto::TempFile f(pattern_file(size), ".bin");
  const InputBuffer in = InputBuffer::open(f.path(), /*prefault=*/false);
  ASSERT_TRUE(in.file_backed());
  const long before = mapped_kb(in.data());
  ASSERT_GE(before, 0) << "no /proc/self/smaps entry for the mapping";

  long most = 0;
  size_t wrong = 0;
  {
    SequentialPages pages(in.data(), in.size(), /*active=*/true, window);
    for (size_t off = 0; off < size; off += 1000) {
      pages.at(off);
      wrong += in.data()[off] != pattern(off);
      if (off % (kMiB / 2) < 1000) most = std::max(most, mapped_kb(in.data()) - before);
    }
    // Mapped: the window being read, the 2 MiB block it began in, and a large folio past its end.
    EXPECT_LE(most, static_cast<long>((window + 3 * 2 * kMiB) / kKiB)) << "KB mapped at most while reading";
    EXPECT_GT(most, 0);
    // Going back reads the file again (a dropped page of a private file mapping faults in anew).
    for (size_t off = 0; off < size; off += 4096 * 7) wrong += in.data()[off] != pattern(off);
    pages.finish();
    EXPECT_LE(mapped_kb(in.data()) - before, 4) << "KB still mapped after finish()";
  }
  EXPECT_EQ(wrong, 0u);
  EXPECT_EQ(in.data()[size - 1], pattern(size - 1));
}

TEST(SequentialPages, InactiveChangesNothing) {
  // A heap buffer (a piped or inflated input): dropping its pages would zero them, so an inactive
  // walker must not touch them.
  const std::string bytes = pattern_file(3 * kMiB + 5);
  const InputBuffer in = InputBuffer::from_memory(bytes.data(), bytes.size(), "mem");
  ASSERT_FALSE(in.file_backed());
  {
    SequentialPages pages(in.data(), in.size(), in.file_backed(), 64 * kKiB);
    for (size_t off = 0; off < bytes.size(); off += 512) pages.at(off);
  }
  EXPECT_EQ(std::string(in.data(), in.size()), bytes);
}

}  // namespace
}  // namespace infertrace
