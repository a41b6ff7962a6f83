// GGUF writer rules the round-trip tests pass by (tests/mutants/gguf_tokenizer.tsv): the
// alignment's own checks, a key set twice, and tensors produced by the fill callback in several
// chunks, the last one short.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <tuple>
#include <vector>

#include "engine/gguf/gguf.h"
#include "util/error.h"

using namespace infertrace;
using namespace infertrace::gguf;

// general.alignment must be a uint32 power of two (the reader refuses anything else), and be set
// before the first tensor, whose offset depends on it.
TEST(GgufWriterRules, AlignmentIsAPowerOfTwoSetBeforeTensors) {
  for (uint32_t bad : {0u, 3u, 48u, 96u}) {
    Writer w;
    EXPECT_THROW(w.set_alignment(bad), Error) << bad;
  }
  Writer w;
  EXPECT_THROW(w.set("general.alignment", Value::u64(64)), Error);  // right value, wrong type
  w.set_alignment(128);
  w.add_tensor("t", {4}, GgmlType::F32, std::vector<uint8_t>(16, 0));
  EXPECT_THROW(w.set_alignment(64), Error);
  const std::vector<uint8_t> bytes = w.to_bytes();
  const File f = File::from_memory(bytes);
  EXPECT_EQ(f.alignment(), 128u);
  EXPECT_EQ(f.data_offset() % 128, 0u);
}

// Setting a key again replaces its value in place: one entry (the reader refuses duplicates),
// the later value, the first position.
TEST(GgufWriterRules, KeySetTwiceKeepsTheLastValue) {
  Writer w;
  w.set_u32("a", 1);
  w.set_string("b", "x");
  w.set_u32("a", 2);
  const std::vector<uint8_t> bytes = w.to_bytes();
  const File f = File::from_memory(bytes);
  ASSERT_EQ(f.metadata().size(), 2u);
  EXPECT_EQ(f.metadata()[0].key, "a");
  EXPECT_EQ(f.get_int("a"), 2);
  EXPECT_EQ(f.get_string("b"), "x");
}

// write() asks the fill callback for whole rows, at most chunk_bytes of them at a time, in order:
// 5 rows of 16 bytes with room for 2 are the chunks [0, 2), [2, 4), [4, 5); the file equals the
// one written from the same bytes given up front.
TEST(GgufWriterRules, FillChunksCoverEveryRowOnceAndTheLastIsShort) {
  Writer w;
  w.add_tensor("m", {4, 5}, GgmlType::F32);
  w.add_tensor("v", {3}, GgmlType::F32);
  std::vector<std::tuple<size_t, int64_t, int64_t, size_t>> calls;
  auto value = [](size_t index, int64_t row, int64_t col) { return static_cast<float>(100 * index + 10 * row + col); };
  auto fill = [&](size_t index, int64_t first, int64_t n, std::span<uint8_t> out) {
    calls.emplace_back(index, first, n, out.size());
    const int64_t cols = index == 0 ? 4 : 3;
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        const float v = value(index, first + r, c);
        std::memcpy(out.data() + (r * cols + c) * 4, &v, 4);
      }
  };
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("infertrace_gguf_chunks_" + std::to_string(getpid()) + ".gguf")).string();
  w.write(path, fill, 32);
  EXPECT_EQ(calls, (std::vector<std::tuple<size_t, int64_t, int64_t, size_t>>{
                       {0, 0, 2, 32}, {0, 2, 2, 32}, {0, 4, 1, 16}, {1, 0, 1, 12}}));
  std::ifstream in(path, std::ios::binary);
  const std::vector<uint8_t> written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(path);
  EXPECT_EQ(written.size(), w.total_bytes());

  Writer given;
  for (size_t index : {size_t{0}, size_t{1}}) {
    const int64_t rows = index == 0 ? 5 : 1, cols = index == 0 ? 4 : 3;
    std::vector<uint8_t> data(static_cast<size_t>(rows * cols * 4));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        const float v = value(index, r, c);
        std::memcpy(data.data() + (r * cols + c) * 4, &v, 4);
      }
    given.add_tensor(index == 0 ? "m" : "v", index == 0 ? std::vector<int64_t>{4, 5} : std::vector<int64_t>{3},
                     GgmlType::F32, std::move(data));
  }
  EXPECT_EQ(written, given.to_bytes());
}
