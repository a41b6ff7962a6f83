// Matrix products with a model weight: y = W x for one or many activation vectors, on the rows
// [r0, r1) of W only, so that callers split the rows of one product across threads.
// Activations are F32 rows of w.cols values (token t at x + t * ldx); the result for token t
// and row r goes to y[t * ldy + r]. Weights stay in their stored type (F32/F16/BF16/Q8_0,
// Q4_0/Q4_1/Q5_0/Q5_1, the K-quants Q4_K/Q5_K/Q6_K) and are converted to F32 in registers; the
// kernels of active_isa() are used.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/model/weights.h"

namespace infertrace::engine::cpu {

struct Int8Kernels;  // kernel_table.h

// How prefill (3 or more tokens) multiplies: Auto takes the integer kernels (int8 activations,
// kernel_table.h) for the types and ISAs where they were measured faster, F32 the F32 tile
// always, Int8 the integer kernels wherever the type has them (tests). Int8 changes results by
// the activations' quantization (about 1/254 of each 32/256-value block's largest value), so
// batched decode, which must equal one-token decode, passes F32. Prompt: Auto's choice for every
// token count, 1 and 2 included: a prompt's tokens then get the same arithmetic however the prompt
// is cut into pieces (--ubatch, the server's shared prefill budget); with Auto a piece of 1-2
// tokens took the F32 decode kernels and the others int8, and greedy tokens depended on the cut
// (review BP H1).
enum class PrefillPath { Auto, F32, Int8, Prompt };

// The process-wide choice that PrefillPath::Auto in matmul_rows stands for (default Auto: the
// measured choice); tests that compare with F32 arithmetic set F32.
void set_prefill_path(PrefillPath path);
PrefillPath prefill_path();

// Decode (n_tok small): each row is read once per token with the matrix-vector kernels, the
// range [r0, r1) as four contiguous parts read side by side (four long sequential streams).
// Prefill: rows are converted to F32 four at a time and multiplied with tiles of tokens, so
// each weight is read from memory once for the whole batch; for Q8_0, the K-quants Q4_K, Q5_K,
// Q6_K and the legacy Q4_0, Q4_1, Q5_0, Q5_1 the activations can be quantized to int8 instead and
// the weights stay packed (integer dot products; PrefillPath above says where).
// The activations of one product quantized once for all its calls (the chunks of a thread-pool
// round) instead of once per call: prepare_int8_input before the round (it does nothing unless
// the product takes the int8 path), then pass it to every matmul_rows of the round with the same
// x, and with other weights of the same type (or block size). A call whose x, token count, row
// length or block differ from the prepared ones quantizes for itself; the caller must not
// change x between the prepare and the calls.
struct Int8Input {
  const float* x = nullptr;  // what was prepared (nullptr: nothing)
  int block = 0, n_tok = 0;
  int64_t n = 0, ldx = 0;
  std::vector<int8_t> q;
  std::vector<float> d, sums;
};
void prepare_int8_input(const WeightTensor& w, const float* x, int64_t ldx, int n_tok, PrefillPath path,
                        Int8Input* in);

void matmul_rows(const WeightTensor& w, const float* x, int64_t ldx, int n_tok, float* y, int64_t ldy,
                 int64_t r0, int64_t r1, PrefillPath path = PrefillPath::Auto, const Int8Input* in = nullptr);

// Same, with the kernels of a given ISA (tests compare ISAs with this).
void matmul_rows_isa(int isa, const WeightTensor& w, const float* x, int64_t ldx, int n_tok, float* y,
                     int64_t ldy, int64_t r0, int64_t r1, PrefillPath path = PrefillPath::Auto);

// Same, with the ISA's kernels but the integer prefill variant `int8` in place of the one cpuid
// chose for the level (kernel_table.h int8_variants): on a CPU with VNNI, the maddubs variant
// that CPUs without it run is reached here only. PrefillPath::Auto follows that variant's
// measured choice. Throws Error when `int8` is not one of int8_variants(isa) on this CPU.
void matmul_rows_variant(int isa, const Int8Kernels& int8, const WeightTensor& w, const float* x, int64_t ldx,
                         int n_tok, float* y, int64_t ldy, int64_t r0, int64_t r1,
                         PrefillPath path = PrefillPath::Auto);

// The integer prefill variant a product at this ISA takes when it takes the int8 path (Int8Kernels::
// name: "avx512-vnni", "avx512", "avx-vnni", "avx2" or "scalar"): what `--isa` alone does not say.
const char* int8_variant_name(int isa);

// out[i] = dot(rows + i * stride, x) for i < nrows (1..4), F32: attention scores against
// keys in the KV cache (stride = the cache row length).
void dot_f32_rows(const float* rows, int64_t stride, int nrows, const float* x, int64_t n, float* out);

// The [r0, r1) share of part `tid` of `nth` (a thread's share, or a chunk of
// ThreadPool::run_chunks) in a product with `rows` rows, in whole blocks of four rows.
void split_rows(int64_t rows, int tid, int nth, int64_t* r0, int64_t* r1);

}  // namespace infertrace::engine::cpu
