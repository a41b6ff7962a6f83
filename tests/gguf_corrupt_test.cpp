// Corrupt and truncated GGUF input: always an InputError naming the byte offset of the bad field,
// never a crash (the fuzz target fuzz/fuzz_gguf.cpp searches for the cases these do not list).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "engine/gguf/gguf.h"
#include "util/error.h"

using namespace infertrace;
using namespace infertrace::gguf;

namespace {

// A small valid file and the positions of its fields, computed from the format by hand.
struct Sample {
  std::vector<uint8_t> bytes;
  size_t kv_type_at;      // value type of the first key ("a", uint32)
  size_t tensor_info_at;  // first tensor info ("w")
  size_t data_end;        // end of the last tensor's data (before padding)
};

Sample make_sample() {
  Writer w;
  w.set_u32("a", 5);                              // 8+1 key, 4 type, 4 value
  w.set_string_array("toks", {"x", "yy"});        // array
  std::vector<uint8_t> data(64 * 2 / 32 * 34);    // Q8_0 [64, 2]
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i);
  w.add_tensor("w", {64, 2}, GgmlType::Q8_0, data);
  Sample s;
  s.bytes = w.to_bytes();
  s.kv_type_at = 24 + 8 + 1;
  const size_t kv1 = 24 + 9 + 4 + 4;
  const size_t kv2 = kv1 + 8 + 4 + 4 + 4 + 8 + (8 + 1) + (8 + 2);  // "toks" STRING-array of "x","yy"
  s.tensor_info_at = kv2;
  const size_t header_end = kv2 + 8 + 1 + 4 + 2 * 8 + 4 + 8;
  const size_t data_start = (header_end + 31) / 32 * 32;
  s.data_end = data_start + data.size();
  return s;
}

void put_u32(std::vector<uint8_t>& b, size_t at, uint32_t v) { std::memcpy(b.data() + at, &v, 4); }
void put_u64(std::vector<uint8_t>& b, size_t at, uint64_t v) { std::memcpy(b.data() + at, &v, 8); }

// Parses and returns the InputError's offset; fails the test when parsing succeeds.
int64_t error_offset(const std::vector<uint8_t>& b, std::string* msg = nullptr) {
  try {
    File::from_memory(b, "bad.gguf");
  } catch (const InputError& e) {
    if (msg) *msg = e.what();
    EXPECT_EQ(e.file(), "bad.gguf");
    EXPECT_EQ(e.exit_code(), 1);
    return e.offset();
  }
  ADD_FAILURE() << "corrupt file was accepted";
  return -2;
}

}  // namespace

TEST(GgufCorrupt, SampleIsValidAndFieldPositionsAreRight) {
  const Sample s = make_sample();
  const File f = File::from_memory(s.bytes);
  EXPECT_EQ(f.get_int("a"), 5);
  ASSERT_EQ(f.tensors().size(), 1u);
  EXPECT_EQ(f.tensors()[0].info_offset, static_cast<int64_t>(s.tensor_info_at));
  EXPECT_EQ(f.tensors()[0].file_offset + f.tensors()[0].n_bytes, s.data_end);
  uint32_t t;
  std::memcpy(&t, s.bytes.data() + s.kv_type_at, 4);
  EXPECT_EQ(t, static_cast<uint32_t>(ValueType::UINT32));
}

TEST(GgufCorrupt, EveryTruncationIsAnErrorInsideTheFile) {
  const Sample s = make_sample();
  for (size_t len = 0; len < s.data_end; ++len) {
    std::vector<uint8_t> b(s.bytes.begin(), s.bytes.begin() + static_cast<long>(len));
    std::string msg;
    const int64_t off = error_offset(b, &msg);
    ASSERT_GE(off, 0) << len;
    ASSERT_LE(off, static_cast<int64_t>(len)) << len << ": " << msg;
  }
}

TEST(GgufCorrupt, BadFieldsNameTheirOffset) {
  const Sample s = make_sample();
  std::string msg;
  {
    auto b = s.bytes;
    b[0] = 'X';
    EXPECT_EQ(error_offset(b, &msg), 0);
    EXPECT_NE(msg.find("not a GGUF file"), std::string::npos) << msg;
  }
  for (uint32_t v : {1u, 4u, 0xffffffffu}) {
    auto b = s.bytes;
    put_u32(b, 4, v);
    EXPECT_EQ(error_offset(b, &msg), 4);
    EXPECT_NE(msg.find("version"), std::string::npos) << msg;
  }
  {
    auto b = s.bytes;
    put_u64(b, 8, 1ull << 60);  // tensor count
    EXPECT_EQ(error_offset(b, &msg), 8);
  }
  {
    auto b = s.bytes;
    put_u64(b, 16, 1ull << 62);  // metadata count
    EXPECT_EQ(error_offset(b, &msg), 16);
  }
  {
    auto b = s.bytes;
    put_u64(b, 24, 1ull << 40);  // first key's length
    EXPECT_EQ(error_offset(b, &msg), 24);
    EXPECT_NE(msg.find("string length"), std::string::npos) << msg;
  }
  {
    auto b = s.bytes;
    put_u32(b, s.kv_type_at, 13);  // unknown value type
    EXPECT_EQ(error_offset(b, &msg), static_cast<int64_t>(s.kv_type_at));
    EXPECT_NE(msg.find("unknown value type 13"), std::string::npos) << msg;
  }
  {
    auto b = s.bytes;
    const size_t arr_len_at = s.kv_type_at + 4 + 4 + 8 + 4 + 4 + 4;  // "toks": key, type, elem type, then count
    put_u64(b, arr_len_at, 1ull << 50);
    EXPECT_EQ(error_offset(b, &msg), static_cast<int64_t>(arr_len_at));
    EXPECT_NE(msg.find("toks"), std::string::npos) << msg;
  }
  const size_t ndims_at = s.tensor_info_at + 8 + 1;
  const size_t ne0_at = ndims_at + 4;
  const size_t type_at = ne0_at + 16;
  const size_t offset_at = type_at + 4;
  {
    auto b = s.bytes;
    put_u32(b, ndims_at, 5);
    EXPECT_EQ(error_offset(b, &msg), static_cast<int64_t>(ndims_at));
    EXPECT_NE(msg.find("tensor w"), std::string::npos) << msg;
  }
  {
    auto b = s.bytes;
    put_u64(b, ne0_at, 0);
    EXPECT_EQ(error_offset(b, &msg), static_cast<int64_t>(ne0_at));
  }
  {
    auto b = s.bytes;
    put_u64(b, ne0_at, 48);  // not a whole number of Q8_0 blocks
    EXPECT_EQ(error_offset(b, &msg), static_cast<int64_t>(ndims_at));
    EXPECT_NE(msg.find("block size 32"), std::string::npos) << msg;
  }
  {
    auto b = s.bytes;
    put_u64(b, ne0_at + 8, 1ll << 40);  // rows far beyond the file
    EXPECT_EQ(error_offset(b, &msg), static_cast<int64_t>(ndims_at));
  }
  {
    auto b = s.bytes;
    put_u32(b, type_at, 99);
    EXPECT_EQ(error_offset(b, &msg), static_cast<int64_t>(type_at));
    EXPECT_NE(msg.find("unknown ggml type 99"), std::string::npos) << msg;
  }
  {
    auto b = s.bytes;
    put_u64(b, offset_at, 16);  // not aligned
    EXPECT_EQ(error_offset(b, &msg), static_cast<int64_t>(offset_at));
    EXPECT_NE(msg.find("alignment"), std::string::npos) << msg;
  }
  {
    auto b = s.bytes;
    put_u64(b, offset_at, 1ull << 40);  // aligned but past the end
    EXPECT_EQ(error_offset(b, &msg), static_cast<int64_t>(offset_at));
    EXPECT_NE(msg.find("past the end"), std::string::npos) << msg;
  }
}

TEST(GgufCorrupt, DuplicatesBadAlignmentAndBoolsAreRejected) {
  {
    Writer w;
    w.set_u32("general.alignment", 64);
    auto b = w.to_bytes();
    put_u32(b, 24 + 8 + 17 + 4, 48);  // the alignment value
    std::string msg;
    EXPECT_EQ(error_offset(b, &msg), 24);
    EXPECT_NE(msg.find("power of two"), std::string::npos) << msg;
  }
  {
    Writer w;
    w.set_u32("k1", 1);
    w.set_u32("k2", 2);
    auto b = w.to_bytes();
    b[24 + 8 + 1] = '2';  // rename k1 -> k2
    std::string msg;
    EXPECT_EQ(error_offset(b, &msg), 24 + 8 + 2 + 4 + 4);
    EXPECT_NE(msg.find("duplicate metadata key k2"), std::string::npos) << msg;
  }
  {
    Writer w;
    w.set_bool("b", true);
    auto b = w.to_bytes();
    b[24 + 8 + 1 + 4] = 7;
    EXPECT_EQ(error_offset(b), 24 + 8 + 1 + 4);
  }
  {
    Writer w;
    w.add_tensor("t1", {4}, GgmlType::F32, std::vector<uint8_t>(16));
    w.add_tensor("t2", {4}, GgmlType::F32, std::vector<uint8_t>(16));
    auto b = w.to_bytes();
    // No metadata, so t1's info starts at 24 and t2's right after it; rename t2 -> t1.
    const size_t second = 24 + 8 + 2 + 4 + 8 + 4 + 8;
    b[second + 8 + 1] = '1';
    std::string msg;
    EXPECT_EQ(error_offset(b, &msg), static_cast<int64_t>(second));
    EXPECT_NE(msg.find("duplicate tensor name t1"), std::string::npos) << msg;
  }
}

TEST(GgufCorrupt, FilesThatAreNotGgufOrMissing) {
  EXPECT_THROW(File::open("/nonexistent/model.gguf"), InputError);
  EXPECT_THROW(File::open("/tmp"), InputError);  // a directory
  const std::string path = (std::filesystem::temp_directory_path() / ("infertrace_empty_" + std::to_string(getpid()) + ".gguf")).string();
  { std::ofstream(path, std::ios::binary); }
  try {
    File::open(path);
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(e.offset(), 0);
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
  std::filesystem::remove(path);
}

// general.alignment must be a uint32 (the GGUF spec's type for it): a power of two stored as an
// int32, same width and value, is still rejected, at the key's offset.
TEST(GgufCorrupt, AlignmentOfAnotherIntegerTypeIsRejected) {
  Writer w;
  w.set_u32("general.alignment", 64);
  auto b = w.to_bytes();
  put_u32(b, 24 + 8 + 17, 5);  // the value type: UINT32 (4) -> INT32 (5); the 4 value bytes stay 64
  std::string msg;
  EXPECT_EQ(error_offset(b, &msg), 24);
  EXPECT_NE(msg.find("must be a uint32 power of two, found int32 64"), std::string::npos) << msg;
}

// A tensor needs 1 to 4 dimensions: zero is refused at its dimension count (read as zero
// dimensions the parser would take the first dimension's bytes for the type).
TEST(GgufCorrupt, ZeroDimensionsAreRejectedAtTheCount) {
  Writer w;
  w.add_tensor("t", {4}, GgmlType::F32, std::vector<uint8_t>(16));
  auto b = w.to_bytes();
  const size_t dims_at = 24 + 8 + 1;  // no metadata: the info starts at 24; name length, "t"
  put_u32(b, dims_at, 0);
  std::string msg;
  EXPECT_EQ(error_offset(b, &msg), static_cast<int64_t>(dims_at));
  EXPECT_NE(msg.find("tensor t: 0 dimensions (1 to 4 allowed)"), std::string::npos) << msg;
}

// find_data_overlaps against a brute-force O(n^2) count of the tensors that share a byte with
// another, on random layouts (some touching, some nested, some zero-byte, some equal starts).
TEST(GgufDataOverlaps, MatchesPairwiseCheck) {
  uint64_t seed = 12345;
  auto next = [&](uint64_t n) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return (seed >> 33) % n;
  };
  for (int round = 0; round < 500; ++round) {
    std::vector<TensorInfo> ts(1 + next(12));
    for (auto& t : ts) {
      t.file_offset = next(4) == 0 ? 0 : next(200);
      t.n_bytes = next(6) == 0 ? 0 : 1 + next(40);
    }
    size_t want = 0;
    for (size_t i = 0; i < ts.size(); ++i) {
      bool any = false;
      for (size_t j = 0; j < ts.size(); ++j) {
        if (i == j || ts[i].n_bytes == 0 || ts[j].n_bytes == 0) continue;
        const uint64_t lo = std::max(ts[i].file_offset, ts[j].file_offset);
        const uint64_t hi = std::min(ts[i].file_offset + ts[i].n_bytes, ts[j].file_offset + ts[j].n_bytes);
        any |= lo < hi;
      }
      want += any;
    }
    const DataOverlaps o = find_data_overlaps(ts);
    ASSERT_EQ(o.n_tensors, want) << "round " << round;
    if (want == 0) {
      EXPECT_EQ(describe_data_overlaps(ts, o), "");
      continue;
    }
    // The reported pair really shares the reported bytes.
    const TensorInfo& a = ts[o.first];
    const TensorInfo& b = ts[o.second];
    const uint64_t lo = std::max(a.file_offset, b.file_offset);
    const uint64_t hi = std::min(a.file_offset + a.n_bytes, b.file_offset + b.n_bytes);
    ASSERT_NE(o.first, o.second);
    ASSERT_LT(lo, hi);
    EXPECT_EQ(o.shared_bytes, hi - lo);
  }
}

TEST(GgufDataOverlaps, NamesThePair) {
  std::vector<TensorInfo> ts(3);
  ts[0].name = "a", ts[0].file_offset = 100, ts[0].n_bytes = 50;   // 100-149
  ts[1].name = "b", ts[1].file_offset = 150, ts[1].n_bytes = 10;   // 150-159: touches a, no overlap
  ts[2].name = std::string_view("c\0d", 3), ts[2].file_offset = 140, ts[2].n_bytes = 5;  // inside a
  const DataOverlaps o = find_data_overlaps(ts);
  EXPECT_EQ(o.n_tensors, 2u);
  EXPECT_EQ(describe_data_overlaps(ts, o),
            "'a' (bytes 100-149 of the file) and 'c\\x00d' (bytes 140-144 of the file) share 5 bytes");
  ts[1].file_offset = 149;  // now b shares byte 149 with a
  EXPECT_EQ(find_data_overlaps(ts).n_tensors, 3u);
  EXPECT_NE(describe_data_overlaps(ts, find_data_overlaps(ts)).find("; 3 tensors overlap another"), std::string::npos);
}
