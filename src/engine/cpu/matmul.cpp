#include "engine/cpu/matmul.h"

#include <algorithm>
#include <atomic>
#include <vector>

#include "engine/cpu/isa.h"
#include "engine/cpu/kernel_table.h"
#include "util/error.h"

namespace infertrace::engine::cpu {

namespace {

// Below this many tokens the weights are read once per token (the matrix-vector kernels are
// faster than converting rows to F32 for a tile that is mostly empty).
constexpr int kGemmMinTokens = 3;

std::atomic<PrefillPath>& chosen_path() {
  static std::atomic<PrefillPath> p{PrefillPath::Auto};
  return p;
}

bool use_int8(const KernelTable& k, int slot, PrefillPath path) {
  if (path == PrefillPath::Auto || path == PrefillPath::Prompt) path = chosen_path().load(std::memory_order_relaxed);
  if (path == PrefillPath::F32 || k.int8 == nullptr || k.int8->tile[slot] == nullptr) return false;
  return path == PrefillPath::Int8 || k.int8->faster[slot];
}

// q, d, sums of n_tok rows of n values (token t's at t * n, t * n / block, t * n / 32).
void quantize_rows(const Int8Kernels& k, int block, const float* x, int64_t ldx, int n_tok, int64_t n,
                   std::vector<int8_t>& q, std::vector<float>& d, std::vector<float>& sums) {
  const int64_t nd = n / block, ns = n / 32;
  if (static_cast<int64_t>(q.size()) < n_tok * n) q.resize(n_tok * n);
  if (static_cast<int64_t>(d.size()) < n_tok * nd) d.resize(n_tok * nd);
  if (static_cast<int64_t>(sums.size()) < n_tok * ns) sums.resize(n_tok * ns);
  for (int t = 0; t < n_tok; ++t) k.quantize(x + t * ldx, n, block, q.data() + t * n, d.data() + t * nd, sums.data() + t * ns);
}

// Prefill with int8 activations (kernel_table.h): every token's row quantized once per product
// (by prepare_int8_input, or here once per call), then tiles of kRowBlock rows x int8.tokens
// tokens, so each weight block is unpacked once per tile.
void matmul_int8(const Int8Kernels& k, int slot, const WeightTensor& w, const float* x, int64_t ldx, int n_tok,
                 float* y, int64_t ldy, int64_t r0, int64_t r1, const Int8Input* in) {
  const int64_t n = w.cols;
  const int block = int8_block_values(slot);
  if (n % block) throw Error("tensor " + std::string(w.name) + ": row length not a multiple of its block");
  const int64_t nd = n / block, ns = n / 32;
  thread_local std::vector<int8_t> own_q;
  thread_local std::vector<float> own_d, own_sums;
  thread_local std::vector<Int8Row> rows;
  const bool prepared = in && in->x == x && in->ldx == ldx && in->block == block && in->n_tok == n_tok && in->n == n;
  if (!prepared) quantize_rows(k, block, x, ldx, n_tok, n, own_q, own_d, own_sums);
  const int8_t* q = prepared ? in->q.data() : own_q.data();
  const float* d = prepared ? in->d.data() : own_d.data();
  const float* sums = prepared ? in->sums.data() : own_sums.data();
  rows.resize(n_tok);
  for (int t = 0; t < n_tok; ++t) rows[t] = {q + t * n, d + t * nd, sums + t * ns};
  for (int64_t r = r0; r < r1; r += kRowBlock) {
    const int nr = static_cast<int>(std::min<int64_t>(kRowBlock, r1 - r));
    for (int t = 0; t < n_tok; t += k.tokens) {
      const int nt = std::min(k.tokens, n_tok - t);
      k.tile[slot](w.row(r), w.row_bytes, nr, rows.data() + t, nt, n, y + t * ldy + r, ldy);
    }
  }
}

void matmul_with(const KernelTable& k, const WeightTensor& w, const float* x, int64_t ldx, int n_tok, float* y,
                 int64_t ldy, int64_t r0, int64_t r1, PrefillPath path, const Int8Input* in) {
  const int slot = weight_slot(w.type);
  if (slot < 0) throw Error("tensor " + std::string(w.name) + ": weight type not supported by the CPU kernels");
  const int64_t n = w.cols;
  // A prompt's pieces of 1-2 tokens take the int8 kernels too when the product does (matmul.h);
  // decode (Auto, one token) does not ask.
  const bool int8 = (n_tok >= kGemmMinTokens || path == PrefillPath::Prompt) && use_int8(k, slot, path);
  if (n_tok < kGemmMinTokens && !(int8 && path == PrefillPath::Prompt)) {
    // The range is cut into kRowBlock contiguous parts and each kernel call takes the next row
    // of every part (row stride = one part), so the weights are read as kRowBlock long
    // sequential streams. Taking four adjacent rows instead makes four short streams per call
    // (2 KiB each for a 1024-column F16 matrix) that the hardware prefetcher keeps losing at
    // their ends: measured 11.4 against 22 GB/s for this order, one thread, 2 KiB rows.
    float out[kRowBlock];
    // x's sub-block sums for the Q4_K/Q5_K mins, once per token for all rows (kernel_table.h).
    thread_local std::vector<float> xs;
    const bool sums = (slot == 4 || slot == 5) && n % 256 == 0;
    const int64_t xs_len = n / 256 * kSubblockSumsPer256;
    if (sums) {
      if (static_cast<int64_t>(xs.size()) < n_tok * xs_len) xs.resize(n_tok * xs_len);
      for (int t = 0; t < n_tok; ++t) x_subblock_sums(x + t * ldx, n, xs.data() + t * xs_len);
    }
    const auto xs_of = [&](int t) { return sums ? xs.data() + t * xs_len : nullptr; };
    const int64_t part = (r1 - r0) / kRowBlock;
    const uint64_t part_bytes = static_cast<uint64_t>(part) * w.row_bytes;
    for (int64_t j = 0; j < part; ++j)
      for (int t = 0; t < n_tok; ++t) {
        k.dot_rows[slot](w.row(r0 + j), part_bytes, kRowBlock, x + t * ldx, n, xs_of(t), out);
        for (int i = 0; i < kRowBlock; ++i) y[t * ldy + r0 + i * part + j] = out[i];
      }
    const int64_t rest = r0 + kRowBlock * part;  // fewer than kRowBlock rows left
    if (rest < r1)
      for (int t = 0; t < n_tok; ++t) {
        const int nr = static_cast<int>(r1 - rest);
        k.dot_rows[slot](w.row(rest), w.row_bytes, nr, x + t * ldx, n, xs_of(t), out);
        for (int i = 0; i < nr; ++i) y[t * ldy + rest + i] = out[i];
      }
    return;
  }
  if (int8) return matmul_int8(*k.int8, slot, w, x, ldx, n_tok, y, ldy, r0, r1, in);
  // Per-thread F32 copy of four rows (kept between calls: prefill calls this per layer).
  thread_local std::vector<float> rows_f32;
  if (slot != 0 && static_cast<int64_t>(rows_f32.size()) < kRowBlock * n) rows_f32.resize(kRowBlock * n);
  const float* wp[kRowBlock];
  const float* xp[kMaxTokenBlock];
  for (int64_t r = r0; r < r1; r += kRowBlock) {
    const int nr = static_cast<int>(std::min<int64_t>(kRowBlock, r1 - r));
    for (int i = 0; i < nr; ++i) {
      if (slot == 0) {
        wp[i] = reinterpret_cast<const float*>(w.row(r + i));
      } else {
        k.row_to_f32[slot](w.row(r + i), rows_f32.data() + i * n, n);
        wp[i] = rows_f32.data() + i * n;
      }
    }
    for (int t = 0; t < n_tok; t += k.gemm_tokens) {
      const int nt = std::min(k.gemm_tokens, n_tok - t);
      for (int j = 0; j < nt; ++j) xp[j] = x + (t + j) * ldx;
      k.gemm_tile(wp, nr, xp, nt, n, y + t * ldy + r, ldy);
    }
  }
}

}  // namespace

void set_prefill_path(PrefillPath path) { chosen_path().store(path, std::memory_order_relaxed); }
PrefillPath prefill_path() { return chosen_path().load(std::memory_order_relaxed); }

void prepare_int8_input(const WeightTensor& w, const float* x, int64_t ldx, int n_tok, PrefillPath path,
                        Int8Input* in) {
  const KernelTable& k = kernels_for(active_isa());
  const int slot = weight_slot(w.type);
  in->x = nullptr;  // not prepared unless the product takes the int8 path
  if (slot < 0 || (n_tok < kGemmMinTokens && path != PrefillPath::Prompt) || !use_int8(k, slot, path)) return;
  in->block = int8_block_values(slot);
  if (w.cols % in->block) return;
  in->n_tok = n_tok;
  in->n = w.cols;
  in->ldx = ldx;
  quantize_rows(*k.int8, in->block, x, ldx, n_tok, w.cols, in->q, in->d, in->sums);
  in->x = x;
}

void matmul_rows(const WeightTensor& w, const float* x, int64_t ldx, int n_tok, float* y, int64_t ldy, int64_t r0,
                 int64_t r1, PrefillPath path, const Int8Input* in) {
  matmul_with(kernels_for(active_isa()), w, x, ldx, n_tok, y, ldy, r0, r1, path, in);
}

void matmul_rows_isa(int isa, const WeightTensor& w, const float* x, int64_t ldx, int n_tok, float* y, int64_t ldy,
                     int64_t r0, int64_t r1, PrefillPath path) {
  const Isa i = static_cast<Isa>(isa);
  if (!isa_supported(i)) throw Error(std::string("this CPU does not support the ") + isa_name(i) + " kernels");
  matmul_with(kernels_for(i), w, x, ldx, n_tok, y, ldy, r0, r1, path, nullptr);
}

void matmul_rows_variant(int isa, const Int8Kernels& int8, const WeightTensor& w, const float* x, int64_t ldx,
                         int n_tok, float* y, int64_t ldy, int64_t r0, int64_t r1, PrefillPath path) {
  const Isa i = static_cast<Isa>(isa);
  const std::vector<const Int8Kernels*> runnable = int8_variants(i);
  // The check keeps a VNNI variant off a CPU without VNNI (SIGILL), and a variant off the level
  // whose F32 kernels it does not belong with.
  if (std::find(runnable.begin(), runnable.end(), &int8) == runnable.end())
    throw Error(std::string("the ") + int8.name + " integer kernels do not run at the " + isa_name(i) +
                " level on this CPU and build");
  KernelTable k = kernels_for(i);
  k.int8 = &int8;
  matmul_with(k, w, x, ldx, n_tok, y, ldy, r0, r1, path, nullptr);
}

const char* int8_variant_name(int isa) { return kernels_for(static_cast<Isa>(isa)).int8->name; }

void dot_f32_rows(const float* rows, int64_t stride, int nrows, const float* x, int64_t n, float* out) {
  kernels_for(active_isa()).dot_rows[0](reinterpret_cast<const uint8_t*>(rows), stride * sizeof(float), nrows, x, n, nullptr,
                                        out);
}

void split_rows(int64_t rows, int tid, int nth, int64_t* r0, int64_t* r1) {
  const int64_t blocks = (rows + kRowBlock - 1) / kRowBlock;
  const int64_t b0 = blocks * tid / nth, b1 = blocks * (tid + 1) / nth;
  *r0 = std::min(rows, b0 * kRowBlock);
  *r1 = std::min(rows, b1 * kRowBlock);
}

}  // namespace infertrace::engine::cpu
