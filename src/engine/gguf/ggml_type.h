// ggml tensor types as GGUF stores them: the numeric ids are part of the file format (ggml.h's
// enum ggml_type), so they never change. A type has a block size (values per block) and the bytes
// one block takes; every row length must be a whole number of blocks.
#pragma once

#include <cstdint>
#include <string>

namespace infertrace::gguf {

enum class GgmlType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  BF16 = 30,
};

struct TypeTraits {
  const char* name;     // "f32", "q8_0", ... (llama.cpp's spelling)
  int64_t block_size;   // values per block (1 for plain types)
  int64_t block_bytes;  // bytes per block
};

// Layout of a type id read from a file; nullptr for ids this build does not know (the reader
// reports them as an error naming the id, since it cannot compute the tensor's size).
const TypeTraits* type_traits(uint32_t type_id);
const TypeTraits& type_traits(GgmlType type);
std::string type_name(uint32_t type_id);  // "q4_K" or "type 99"

// Types the reference engine computes with (weights are converted to F32 inside the kernels).
bool is_engine_weight_type(GgmlType type);

// Bytes of `n_values` values of `type`; n_values must be a multiple of the block size.
inline int64_t bytes_for(GgmlType type, int64_t n_values) {
  const TypeTraits& t = type_traits(type);
  return n_values / t.block_size * t.block_bytes;
}

}  // namespace infertrace::gguf
