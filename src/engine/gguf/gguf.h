// GGUF v3 (v2 also read): llama.cpp's model file. Layout, all little-endian:
//   "GGUF" u32 version, u64 n_tensors, u64 n_kv,
//   n_kv x (string key, u32 value type, value),          string = u64 length + bytes (no NUL)
//   n_tensors x (string name, u32 n_dims, u64 ne[n_dims], u32 ggml type, u64 offset),
//   padding to `general.alignment` (default 32), then the tensor data; each tensor's offset is
//   relative to the data section and a multiple of the alignment.
// ne[0] is the contiguous dimension (a row), as in ggml: a [rows x cols] matrix has ne = {cols, rows}.
//
// File maps a file read-only and checks everything before handing out pointers: every string,
// array and tensor lies inside the file, counts fit the bytes left, types are known and row lengths
// are whole blocks. Failures are InputError with the file name and the byte offset of the field.
// Writer builds a file: metadata, then tensor infos, then tensor data streamed in row chunks, so a
// multi-GB model never needs to be held in memory.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/gguf/ggml_type.h"

namespace infertrace::gguf {

constexpr uint32_t kVersion = 3;
constexpr uint64_t kDefaultAlignment = 32;
constexpr int kMaxDims = 4;  // GGML_MAX_DIMS
// Arrays longer than this are rejected (the largest real one, a vocabulary, has ~256k entries);
// it bounds the memory a hostile file can make the reader allocate.
constexpr uint64_t kMaxArrayLength = uint64_t{1} << 24;

// Metadata value types (gguf_type). The numeric ids are part of the file format.
enum class ValueType : uint32_t {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
};
const char* value_type_name(ValueType t);

// One metadata value. Scalars are widened (integers to u64/i64, floats to double; the declared
// type is kept and written back exactly). Strings are views: into the mapping for a File, into the
// Writer's own storage for a Writer. Arrays hold their elements (arrays of arrays allowed).
struct Value {
  ValueType type = ValueType::UINT32;
  union {
    uint64_t u;  // UINT8/16/32/64, BOOL
    int64_t i;   // INT8/16/32/64
    double f;    // FLOAT32/64
  } num{0};
  std::string_view str;                        // STRING
  ValueType elem_type = ValueType::UINT8;      // ARRAY: element type
  std::vector<Value> items;                    // ARRAY: elements

  static Value u8(uint8_t v) { return uint_of(ValueType::UINT8, v); }
  static Value u16(uint16_t v) { return uint_of(ValueType::UINT16, v); }
  static Value u32(uint32_t v) { return uint_of(ValueType::UINT32, v); }
  static Value u64(uint64_t v) { return uint_of(ValueType::UINT64, v); }
  static Value i8(int8_t v) { return int_of(ValueType::INT8, v); }
  static Value i16(int16_t v) { return int_of(ValueType::INT16, v); }
  static Value i32(int32_t v) { return int_of(ValueType::INT32, v); }
  static Value i64(int64_t v) { return int_of(ValueType::INT64, v); }
  static Value f32(float v) { return float_of(ValueType::FLOAT32, v); }
  static Value f64(double v) { return float_of(ValueType::FLOAT64, v); }
  static Value boolean(bool v) { return uint_of(ValueType::BOOL, v ? 1 : 0); }
  static Value string(std::string_view s) {
    Value v;
    v.type = ValueType::STRING;
    v.str = s;
    return v;
  }
  static Value array(ValueType elem, std::vector<Value> items) {
    Value v;
    v.type = ValueType::ARRAY;
    v.elem_type = elem;
    v.items = std::move(items);
    return v;
  }

  bool is_integer() const;  // any of the 8 integer types (not BOOL)
  bool is_float() const { return type == ValueType::FLOAT32 || type == ValueType::FLOAT64; }
  // Checked accessors: throw Error naming the actual type when the value is not convertible
  // (integers convert between each other when the value fits; floats accept integers).
  int64_t as_int() const;
  uint64_t as_uint() const;
  double as_float() const;
  bool as_bool() const;
  std::string_view as_string() const;

 private:
  static Value uint_of(ValueType t, uint64_t x) {
    Value v;
    v.type = t;
    v.num.u = x;
    return v;
  }
  static Value int_of(ValueType t, int64_t x) {
    Value v;
    v.type = t;
    v.num.i = x;
    return v;
  }
  static Value float_of(ValueType t, double x) {
    Value v;
    v.type = t;
    v.num.f = x;
    return v;
  }
};

struct KeyValue {
  std::string_view key;
  Value value;
  uint64_t offset = 0;  // where the key's record starts in the file (for error messages)
};

struct TensorInfo {
  std::string_view name;
  int n_dims = 0;
  int64_t ne[kMaxDims] = {1, 1, 1, 1};  // unused dims are 1
  GgmlType type = GgmlType::F32;
  uint64_t offset = 0;           // relative to the data section, as stored
  uint64_t file_offset = 0;      // absolute position of the data in the file
  uint64_t n_bytes = 0;
  const uint8_t* data = nullptr; // into the mapping
  int64_t info_offset = 0;       // where this tensor's info record starts (for error messages)

  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
  int64_t n_rows() const { return ne[1] * ne[2] * ne[3]; }
  uint64_t row_bytes() const { return static_cast<uint64_t>(bytes_for(type, ne[0])); }
  std::string shape_string() const;  // "[1024, 151936]" (ggml order)
};

class File {
 public:
  // Maps `path` read-only and validates it. Throws InputError (file, byte offset, what).
  static File open(const std::string& path);
  // Parses bytes already in memory (tests, fuzzing); the caller keeps `bytes` alive. `name` is used
  // in error messages.
  static File from_memory(std::span<const uint8_t> bytes, std::string name = "<memory>");

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }  // start of the tensor data section
  uint64_t file_size() const { return size_; }
  const uint8_t* bytes() const { return base_; }
  // Maps every page of the file into this process now (madvise WILLNEED, then one read per page),
  // reading from disk what the page cache lacks, so later reads of the weights take no page fault.
  // A no-op for from_memory. Model::load calls it: timed evaluation must not pay first-touch
  // faults (llama.cpp's loader maps with MAP_POPULATE for the same reason).
  void prefault() const;

  const std::vector<KeyValue>& metadata() const { return kv_; }
  const Value* find(std::string_view key) const;  // nullptr when absent
  // Required keys: throw InputError "missing metadata key K" / "key K: expected ..., found TYPE".
  const Value& get(std::string_view key) const;
  int64_t get_int(std::string_view key) const;
  int64_t get_int(std::string_view key, int64_t fallback) const;
  double get_float(std::string_view key) const;
  double get_float(std::string_view key, double fallback) const;
  bool get_bool(std::string_view key, bool fallback) const;
  std::string_view get_string(std::string_view key) const;
  std::string_view get_string(std::string_view key, std::string_view fallback) const;
  // An ARRAY value (any element type); throws when absent or not an array.
  const Value& get_array(std::string_view key) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find_tensor(std::string_view name) const;  // nullptr when absent

 private:
  File() = default;
  void parse();

  std::string path_;
  std::shared_ptr<void> mapping_;  // keeps the mmap alive; views point into it
  const uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  uint32_t version_ = 0;
  uint64_t alignment_ = kDefaultAlignment;
  uint64_t data_offset_ = 0;
  std::vector<KeyValue> kv_;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string_view, size_t> tensor_index_;
};

// Tensors whose data bytes overlap another tensor's (every range is inside the file, File::open
// checks that; a writer gives each tensor its own range, so an overlap means a damaged or edited
// file whose weights would alias). Zero-byte tensors overlap nothing. O(n log n) in the count.
struct DataOverlaps {
  size_t n_tensors = 0;            // tensors that share at least one byte with another
  size_t first = 0, second = 0;    // indices into tensors(): the pair met first in offset order
  uint64_t shared_bytes = 0;       // bytes that pair shares
};
DataOverlaps find_data_overlaps(const std::vector<TensorInfo>& tensors);
// "'A' (bytes X-Y of the file) and 'B' (bytes ...) share N bytes" plus ", M tensors overlap
// another" when more than the pair do; names escaped (util/text_clean.h). Empty when none overlap.
std::string describe_data_overlaps(const std::vector<TensorInfo>& tensors, const DataOverlaps& o);

// Builds a GGUF file. Metadata keys keep insertion order (setting a key again replaces it);
// tensors are written in the order they are added.
class Writer {
 public:
  Writer();

  // Every string is copied into the writer, so callers may pass temporaries.
  void set(std::string_view key, const Value& value);
  void set_u32(std::string_view key, uint32_t v) { set(key, Value::u32(v)); }
  void set_i32(std::string_view key, int32_t v) { set(key, Value::i32(v)); }
  void set_u64(std::string_view key, uint64_t v) { set(key, Value::u64(v)); }
  void set_f32(std::string_view key, float v) { set(key, Value::f32(v)); }
  void set_bool(std::string_view key, bool v) { set(key, Value::boolean(v)); }
  void set_string(std::string_view key, std::string_view v) { set(key, Value::string(v)); }
  void set_string_array(std::string_view key, const std::vector<std::string>& v);
  void set_f32_array(std::string_view key, const std::vector<float>& v);
  void set_i32_array(std::string_view key, const std::vector<int32_t>& v);
  // Also records general.alignment (a power of two).
  void set_alignment(uint32_t alignment);

  // Declares a tensor; `ne` in ggml order (ne[0] = row length, a whole number of blocks).
  // With `data`, its bytes (exactly bytes_for(type, n_elements)) are written as given; without,
  // the fill callback of write() produces them. Returns the tensor's index.
  size_t add_tensor(std::string_view name, std::vector<int64_t> ne, GgmlType type,
                    std::vector<uint8_t> data = {});

  // Produces rows [first_row, first_row + n_rows) of tensor `index` into `out`
  // (n_rows * row_bytes bytes). Called in order, in chunks of whole rows.
  using FillFn = std::function<void(size_t index, int64_t first_row, int64_t n_rows,
                                    std::span<uint8_t> out)>;
  // Writes the file (to `path` + ".partial", renamed into place when complete, so a crash never
  // leaves a truncated model; the output rules of util/write_whole.h). Throws Error on I/O
  // failure. `chunk_bytes` bounds the fill buffer.
  void write(const std::string& path, const FillFn& fill = {}, size_t chunk_bytes = 32u << 20) const;
  // The whole file in memory (tests; small models only).
  std::vector<uint8_t> to_bytes(const FillFn& fill = {}) const;

  size_t n_tensors() const { return tensors_.size(); }
  uint64_t total_bytes() const;  // size of the file write() produces

 private:
  struct PendingTensor {
    std::string name;
    std::vector<int64_t> ne;
    GgmlType type;
    std::vector<uint8_t> data;
    uint64_t offset = 0;  // in the data section
    uint64_t n_bytes = 0;
  };
  std::vector<uint8_t> header_bytes() const;
  template <class Sink>
  void emit(Sink& sink, const FillFn& fill, size_t chunk_bytes) const;
  const std::string& own(std::string_view s);
  Value own_value(const Value& v);

  std::vector<std::pair<std::string, Value>> kv_;
  std::vector<std::unique_ptr<std::string>> strings_;  // owned storage behind string views
  std::vector<PendingTensor> tensors_;
  uint64_t alignment_ = kDefaultAlignment;
  uint64_t data_size_ = 0;
};

}  // namespace infertrace::gguf
