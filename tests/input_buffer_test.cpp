// InputBuffer::open on plain files: the bytes, the zero padding behind them, and where a big
// file's mapping starts (a 2 MiB boundary, so the kernel can map large page-cache folios whole).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "ingest/input_buffer.h"
#include "kineto_test_util.h"

namespace infertrace {
namespace {

using testing_kineto::TempFile;

constexpr size_t kTwoMiB = size_t{2} << 20;

// Bytes that differ at every offset (a repeated pattern could hide a shifted mapping).
std::string numbered_bytes(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 2463534242u;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s[i] = static_cast<char>('a' + x % 26);
  }
  return s;
}

void expect_bytes_then_zero_padding(const InputBuffer& b, const std::string& bytes) {
  ASSERT_EQ(b.size(), bytes.size());
  ASSERT_GE(b.capacity(), bytes.size() + InputBuffer::kPadding);
  EXPECT_EQ(std::memcmp(b.data(), bytes.data(), bytes.size()), 0);
  for (size_t i = bytes.size(); i < bytes.size() + InputBuffer::kPadding; ++i) ASSERT_EQ(b.data()[i], '\0') << "padding byte " << i;
  EXPECT_TRUE(b.file_backed());
  EXPECT_FALSE(b.was_gzip());
}

TEST(InputBuffer, BigFileIsMappedFromATwoMiBBoundaryWithItsBytesAndPadding) {
  // Just over, exactly at, and well past the size from which the mapping is aligned.
  for (const size_t n : {kTwoMiB, kTwoMiB + 1, 5 * kTwoMiB + 12345}) {
    const std::string bytes = numbered_bytes(n);
    TempFile f(bytes);
    for (const bool prefault : {true, false}) {
      const InputBuffer b = InputBuffer::open(f.path(), prefault);
      EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % kTwoMiB, 0u) << n << " bytes, prefault " << prefault;
      expect_bytes_then_zero_padding(b, bytes);
    }
  }
}

TEST(InputBuffer, SmallFilesKeepTheirBytesAndPadding) {
  // Below 2 MiB the start is a page, nothing more; ends on, just after and just before a page.
  for (const size_t n : {size_t{1}, size_t{4095}, size_t{4096}, size_t{4097}, kTwoMiB - 1}) {
    const std::string bytes = numbered_bytes(n);
    TempFile f(bytes);
    const InputBuffer b = InputBuffer::open(f.path());
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % 4096, 0u) << n;
    expect_bytes_then_zero_padding(b, bytes);
  }
}

TEST(InputBuffer, WritingABytePutsItInTheBufferNotTheFile) {
  const std::string bytes = numbered_bytes(kTwoMiB + 100);
  TempFile f(bytes);
  {
    const InputBuffer b = InputBuffer::open(f.path());
    b.mutable_data()[kTwoMiB + 7] = '#';
    EXPECT_EQ(b.data()[kTwoMiB + 7], '#');
  }
  const InputBuffer again = InputBuffer::open(f.path());
  expect_bytes_then_zero_padding(again, bytes);
}

// Lines that name their own offset: every byte of the inflated output is checkable, yet deflate
// packs them tightly (fast to make, small to hold).
std::string offset_lines(size_t n) {
  std::string s;
  s.reserve(n + 32);
  char line[32];
  while (s.size() < n) {
    std::snprintf(line, sizeof line, "at %020zu\n", s.size());
    s += line;
  }
  s.resize(n);
  return s;
}

// Two gzip members (the streaming zlib path, not the one-call one) whose output, 100 MiB, spans
// two of the 64 MiB steps zlib is given and faulted in at a time, and the output block's growth
// (the first guess, 4x the ~11.5 MB input, is ~46 MiB: it grows twice): every byte lands where it
// belongs. A guard of correctness only: the pre-faulting itself is invisible here (the 1 GiB steps
// before it passed too); docs/benchmarks.md "Gzip input" measures it.
TEST(InputBuffer, TwoGzipMembersOverSeveralOutputStepsInflateWhole) {
  const std::string text = offset_lines(size_t{100} << 20);
  const size_t cut = size_t{70} << 20;
  const std::string gz = testing_kineto::gzip_member(text.substr(0, cut)) + testing_kineto::gzip_member(text.substr(cut));
  const InputBuffer b = InputBuffer::from_memory(gz.data(), gz.size(), "two-members.gz");
  EXPECT_TRUE(b.was_gzip());
  ASSERT_EQ(b.size(), text.size());
  EXPECT_EQ(std::memcmp(b.data(), text.data(), text.size()), 0);
  for (size_t i = text.size(); i < text.size() + InputBuffer::kPadding; ++i) ASSERT_EQ(b.data()[i], '\0') << "padding byte " << i;
}

}  // namespace
}  // namespace infertrace
