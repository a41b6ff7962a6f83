// GGUF reader/writer: every metadata type and tensor type round-trips; the writer's bytes match a
// file encoded by hand in the test; alignment and padding follow the format.
#include <gtest/gtest.h>
#include <unistd.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include "engine/gguf/dtype.h"
#include "engine/gguf/gguf.h"
#include "util/error.h"

using namespace infertrace;
using namespace infertrace::gguf;

namespace {

// A plain little-endian encoder, written independently of the Writer, for byte-exact comparison.
struct Enc {
  std::vector<uint8_t> b;
  void u32(uint32_t v) { raw(&v, 4); }
  void u64(uint64_t v) { raw(&v, 8); }
  void str(const std::string& s) {
    u64(s.size());
    raw(s.data(), s.size());
  }
  void raw(const void* p, size_t n) {
    const auto* c = static_cast<const uint8_t*>(p);
    b.insert(b.end(), c, c + n);
  }
  void pad_to(size_t a) {
    while (b.size() % a) b.push_back(0);
  }
};

std::vector<uint8_t> bytes_of(const std::vector<float>& v) {
  std::vector<uint8_t> out(v.size() * 4);
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

}  // namespace

TEST(GgufWriter, BytesMatchAHandEncodedFile) {
  Writer w;
  w.set_u32("n", 7);
  w.set_string("s", "hi");
  w.add_tensor("t", {3}, GgmlType::F32, bytes_of({1.0f, 2.0f, 3.0f}));
  w.add_tensor("u", {2}, GgmlType::F32, bytes_of({4.0f, 5.0f}));
  const std::vector<uint8_t> got = w.to_bytes();

  Enc e;
  e.raw("GGUF", 4);
  e.u32(3);  // version
  e.u64(2);  // tensors
  e.u64(2);  // kv
  e.str("n");
  e.u32(4);  // UINT32
  e.u32(7);
  e.str("s");
  e.u32(8);  // STRING
  e.str("hi");
  e.str("t");
  e.u32(1);
  e.u64(3);
  e.u32(0);  // F32
  e.u64(0);  // offset
  e.str("u");
  e.u32(1);
  e.u64(2);
  e.u32(0);
  e.u64(32);  // 12 bytes of t padded to the default alignment 32
  e.pad_to(32);
  const float t[3] = {1, 2, 3}, u[2] = {4, 5};
  e.raw(t, 12);
  e.pad_to(32);
  e.raw(u, 8);
  e.pad_to(32);
  EXPECT_EQ(got, e.b);
  EXPECT_EQ(w.total_bytes(), e.b.size());
}

TEST(GgufRoundTrip, EveryMetadataTypeAndEveryTensorType) {
  Writer w;
  w.set_alignment(64);
  w.set("u8", Value::u8(250));
  w.set("i8", Value::i8(-120));
  w.set("u16", Value::u16(65000));
  w.set("i16", Value::i16(-32000));
  w.set("u32", Value::u32(4000000000u));
  w.set("i32", Value::i32(-2000000000));
  w.set("f32", Value::f32(0.1f));
  w.set("bool_t", Value::boolean(true));
  w.set("bool_f", Value::boolean(false));
  w.set("str", Value::string("héllo \xe2\x96\x81 world"));
  w.set("empty_str", Value::string(""));
  w.set("u64", Value::u64(0xfedcba9876543210ull));
  w.set("i64", Value::i64(-0x123456789abcdefll));
  w.set("f64", Value::f64(3.141592653589793));
  w.set_string_array("arr_str", {"a", "", "ccc"});
  w.set_f32_array("arr_f32", {1.5f, -2.25f});
  w.set_i32_array("arr_i32", {-1, 0, 7});
  w.set("arr_u8", Value::array(ValueType::UINT8, {Value::u8(1), Value::u8(255)}));
  w.set("arr_bool", Value::array(ValueType::BOOL, {Value::boolean(true), Value::boolean(false)}));
  w.set("arr_empty", Value::array(ValueType::INT64, {}));
  w.set("arr_nested", Value::array(ValueType::ARRAY, {Value::array(ValueType::UINT16, {Value::u16(9)}),
                                                       Value::array(ValueType::STRING, {Value::string("x")})}));

  // One tensor per type; values chosen so each type's stored bytes are known independently.
  std::mt19937 rng(1);
  std::normal_distribution<float> nd;
  std::vector<float> vals(2 * 64);
  for (float& v : vals) v = nd(rng);
  std::vector<uint8_t> f32 = bytes_of(vals);
  std::vector<uint8_t> f16(vals.size() * 2), bf16(vals.size() * 2), q8(2 * 2 * 34);
  floats_to_half(vals.data(), reinterpret_cast<uint16_t*>(f16.data()), static_cast<int64_t>(vals.size()));
  floats_to_bf16(vals.data(), reinterpret_cast<uint16_t*>(bf16.data()), static_cast<int64_t>(vals.size()));
  quantize_q8_0(vals.data(), reinterpret_cast<BlockQ8_0*>(q8.data()), static_cast<int64_t>(vals.size()));
  std::vector<uint8_t> q4(18 * 4, 0xab);  // a type the engine does not compute with still round-trips
  w.add_tensor("w.f32", {64, 2}, GgmlType::F32, f32);
  w.add_tensor("w.f16", {64, 2}, GgmlType::F16, f16);
  w.add_tensor("w.bf16", {64, 2}, GgmlType::BF16, bf16);
  w.add_tensor("w.q8_0", {64, 2}, GgmlType::Q8_0, q8);
  w.add_tensor("w.q4_0", {32, 2, 2}, GgmlType::Q4_0, q4);
  // A streamed tensor: rows produced by the fill callback.
  w.add_tensor("w.streamed", {5, 7}, GgmlType::F32);
  auto fill = [](size_t, int64_t first, int64_t n, std::span<uint8_t> out) {
    ASSERT_EQ(out.size(), static_cast<size_t>(n) * 20);
    auto* f = reinterpret_cast<float*>(out.data());
    for (int64_t r = 0; r < n; ++r)
      for (int c = 0; c < 5; ++c) f[r * 5 + c] = static_cast<float>((first + r) * 10 + c);
  };

  const std::string path = (std::filesystem::temp_directory_path() / ("infertrace_gguf_roundtrip_" + std::to_string(getpid()) + ".gguf")).string();
  w.write(path, fill, 40);  // 2 rows per chunk: exercises chunking
  const File file = File::open(path);
  const std::vector<uint8_t> mem = w.to_bytes(fill);
  ASSERT_EQ(file.file_size(), mem.size());
  EXPECT_EQ(std::memcmp(file.bytes(), mem.data(), mem.size()), 0);

  for (const File* fp : {&file}) {
    const File& f = *fp;
    EXPECT_EQ(f.version(), 3u);
    EXPECT_EQ(f.alignment(), 64u);
    EXPECT_EQ(f.get("u8").type, ValueType::UINT8);
    EXPECT_EQ(f.get_int("u8"), 250);
    EXPECT_EQ(f.get_int("i8"), -120);
    EXPECT_EQ(f.get_int("u16"), 65000);
    EXPECT_EQ(f.get_int("i16"), -32000);
    EXPECT_EQ(f.get_int("u32"), 4000000000ll);
    EXPECT_EQ(f.get_int("i32"), -2000000000);
    EXPECT_EQ(f.get("f32").type, ValueType::FLOAT32);
    EXPECT_EQ(static_cast<float>(f.get_float("f32")), 0.1f);
    EXPECT_TRUE(f.get_bool("bool_t", false));
    EXPECT_FALSE(f.get_bool("bool_f", true));
    EXPECT_EQ(f.get_string("str"), "héllo \xe2\x96\x81 world");
    EXPECT_EQ(f.get_string("empty_str"), "");
    EXPECT_EQ(f.get("u64").as_uint(), 0xfedcba9876543210ull);
    EXPECT_THROW(f.get_int("u64"), InputError);  // does not fit int64
    EXPECT_EQ(f.get_int("i64"), -0x123456789abcdefll);
    EXPECT_EQ(f.get_float("f64"), 3.141592653589793);
    const Value& as = f.get_array("arr_str");
    ASSERT_EQ(as.items.size(), 3u);
    EXPECT_EQ(as.items[0].as_string(), "a");
    EXPECT_EQ(as.items[1].as_string(), "");
    EXPECT_EQ(as.items[2].as_string(), "ccc");
    EXPECT_EQ(f.get_array("arr_f32").items[1].as_float(), -2.25);
    EXPECT_EQ(f.get_array("arr_i32").items[0].as_int(), -1);
    EXPECT_EQ(f.get_array("arr_u8").items[1].as_uint(), 255u);
    EXPECT_TRUE(f.get_array("arr_bool").items[0].as_bool());
    EXPECT_EQ(f.get_array("arr_empty").elem_type, ValueType::INT64);
    EXPECT_TRUE(f.get_array("arr_empty").items.empty());
    const Value& nested = f.get_array("arr_nested");
    ASSERT_EQ(nested.items.size(), 2u);
    EXPECT_EQ(nested.items[0].items[0].as_uint(), 9u);
    EXPECT_EQ(nested.items[1].items[0].as_string(), "x");
    EXPECT_EQ(f.find("absent"), nullptr);
    EXPECT_THROW(f.get_int("absent"), InputError);
    EXPECT_THROW(f.get_string("u8"), InputError);  // wrong type

    ASSERT_EQ(f.tensors().size(), 6u);
    const std::vector<std::pair<const char*, const std::vector<uint8_t>*>> expect = {
        {"w.f32", &f32}, {"w.f16", &f16}, {"w.bf16", &bf16}, {"w.q8_0", &q8}, {"w.q4_0", &q4}};
    for (auto [name, bytes] : expect) {
      const TensorInfo* t = f.find_tensor(name);
      ASSERT_NE(t, nullptr) << name;
      EXPECT_EQ(t->n_bytes, bytes->size()) << name;
      EXPECT_EQ(std::memcmp(t->data, bytes->data(), bytes->size()), 0) << name;
      EXPECT_EQ(t->file_offset % 64, 0u) << name;
      EXPECT_EQ((t->data - f.bytes()) % 64, 0) << name;
    }
    const TensorInfo* q4t = f.find_tensor("w.q4_0");
    EXPECT_EQ(q4t->n_dims, 3);
    EXPECT_EQ(q4t->n_rows(), 4);
    EXPECT_EQ(q4t->shape_string(), "[32, 2, 2]");
    const TensorInfo* st = f.find_tensor("w.streamed");
    const auto* sv = reinterpret_cast<const float*>(st->data);
    for (int r = 0; r < 7; ++r)
      for (int c = 0; c < 5; ++c) EXPECT_EQ(sv[r * 5 + c], static_cast<float>(r * 10 + c));
    // Dequantised values agree with the source within each type's precision.
    std::vector<float> back(vals.size());
    for (auto [name, tol] : std::vector<std::pair<const char*, float>>{{"w.f32", 0.0f}, {"w.f16", 1e-3f}, {"w.bf16", 8e-3f}, {"w.q8_0", 0.02f}}) {
      const TensorInfo* t = f.find_tensor(name);
      dequantize_row(t->type, t->data, back.data(), static_cast<int64_t>(vals.size()));
      for (size_t i = 0; i < vals.size(); ++i)
        EXPECT_LE(std::fabs(back[i] - vals[i]), tol * std::max(1.0f, std::fabs(vals[i]))) << name << " " << i;
    }
  }
  std::filesystem::remove(path);
}

TEST(GgufWriter, RejectsInconsistentTensors) {
  Writer w;
  EXPECT_THROW(w.add_tensor("q", {33}, GgmlType::Q8_0), Error);           // not whole blocks
  EXPECT_THROW(w.add_tensor("z", {0, 4}, GgmlType::F32), Error);          // empty dimension
  EXPECT_THROW(w.add_tensor("d", {4}, GgmlType::F32, {1, 2, 3}), Error);  // wrong byte count
  w.add_tensor("a", {4}, GgmlType::F32);
  EXPECT_THROW(w.add_tensor("a", {4}, GgmlType::F32), Error);  // duplicate
  EXPECT_THROW(w.set_alignment(48), Error);
  EXPECT_THROW(w.to_bytes(), Error);  // "a" has no data and no fill function
}

TEST(GgufWriter, WriteIsAtomicAndReportsUnwritablePaths) {
  Writer w;
  w.set_u32("k", 1);
  EXPECT_THROW(w.write("/nonexistent-dir/x.gguf"), Error);
  const std::string path = (std::filesystem::temp_directory_path() / ("infertrace_gguf_atomic_" + std::to_string(getpid()) + ".gguf")).string();
  // While the data is produced the bytes go to PATH.partial (so "no .partial left" below checks the
  // writer's own name), and PATH does not exist yet.
  w.add_tensor("t", {4}, GgmlType::F32);
  bool partial_while_writing = false, target_while_writing = true;
  w.write(path, [&](size_t, int64_t, int64_t, std::span<uint8_t> out) {
    partial_while_writing = std::filesystem::exists(path + ".partial");
    target_while_writing = std::filesystem::exists(path);
    std::fill(out.begin(), out.end(), uint8_t{0});
  });
  EXPECT_TRUE(partial_while_writing);
  EXPECT_FALSE(target_while_writing);
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
  EXPECT_EQ(File::open(path).get_int("k"), 1);
  std::filesystem::remove(path);
  // A write that fails part-way (the fill throws) leaves neither the model nor its .partial.
  EXPECT_THROW(w.write(path, [](size_t, int64_t, int64_t, std::span<uint8_t>) { throw Error("fill failed"); }), Error);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
}
