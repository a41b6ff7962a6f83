// The integer prefill kernels (int8 activations, kernel_table.h): every variant this CPU can run
// (scalar, AVX2 with and without AVX-VNNI, AVX-512 with and without VNNI) against computations
// written here from the definitions: the activation quantization bit for bit; the tiles against
// integer block dots and scales done in double; and matmul's int8 path, with each variant
// (matmul_rows_variant, not only cpuid's choice per level), against the exact F32 product within
// a bound derived from the quantization step.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "engine/cpu/isa.h"
#include "engine/cpu/kernel_table.h"
#include "engine/cpu/matmul.h"
#include "engine/gguf/dtype.h"
#include "engine/gguf/kquant.h"
#include "matmul_reference.h"
#include "util/error.h"

using namespace infertrace;
using namespace infertrace::engine;
using gguf::GgmlType;

namespace {

const cpu::Isa kIsas[] = {cpu::Isa::Scalar, cpu::Isa::Avx2, cpu::Isa::Avx512};

// Every variant this CPU and build can run, each once.
std::vector<const cpu::Int8Kernels*> variants() {
  std::vector<const cpu::Int8Kernels*> v;
  for (cpu::Isa isa : kIsas)
    for (const cpu::Int8Kernels* k : cpu::int8_variants(isa)) v.push_back(k);
  return v;
}

// The variants by name, with the level whose F32 kernels they run with: the matmul-level tests
// below are instantiated for each, so the maddubs variants (avx2, avx512) are checked through
// matmul on a CPU with VNNI too (where cpuid's table takes the VNNI ones: review EN L3).
struct Variant {
  const char* name;
  cpu::Isa isa;
};
void PrintTo(const Variant& v, std::ostream* os) { *os << v.name; }  // gtest's failure lines
const Variant kVariants[] = {{"scalar", cpu::Isa::Scalar},
                             {"avx2", cpu::Isa::Avx2},
                             {"avx_vnni", cpu::Isa::Avx2},
                             {"avx512", cpu::Isa::Avx512},
                             {"avx512_vnni", cpu::Isa::Avx512}};

// The variant's kernels, or null with why this CPU or build cannot run it (the test's skip reason).
const cpu::Int8Kernels* find_variant(const Variant& v, std::string* why) {
  std::string name = v.name;
  std::replace(name.begin(), name.end(), '_', '-');  // gtest names allow no '-'
  if (!cpu::isa_supported(v.isa)) {
    *why = std::string("this CPU has no ") + cpu::isa_name(v.isa) + " level (cpuid)";
    return nullptr;
  }
  for (const cpu::Int8Kernels* k : cpu::int8_variants(v.isa))
    if (name == k->name) return k;
  if (name == "avx-vnni" && cpu::cpu_has_avx_vnni())
    *why = "the CPU has AVX-VNNI but this build has none (built without -mavxvnni: src/engine/CMakeLists.txt)";
  else
    *why = "this CPU has no " + std::string(name == "avx-vnni" ? "AVX-VNNI" : "AVX512_VNNI") + " (cpuid)";
  return nullptr;
}

// The definition (kernel_table.h), written out: per block d = max|x| / 127, q = x * (127 / max)
// rounded to nearest, ties to even (std::nearbyint in the default rounding mode); zeros, and
// blocks whose 127 / max is not finite: d = q = 0; a block with a NaN or infinity: d = NaN, q = 0.
struct Quantized {
  std::vector<int8_t> q;
  std::vector<float> d, sums;
};
Quantized quantize_by_definition(const float* x, int64_t n, int block) {
  Quantized r;
  r.q.resize(n);
  r.d.resize(n / block);
  r.sums.resize(n / 32);
  for (int64_t b = 0; b < n / block; ++b) {
    const float* xb = x + b * block;
    if (std::any_of(xb, xb + block, [](float v) { return !std::isfinite(v); })) {
      r.d[b] = NAN;  // r.q stays 0
      continue;
    }
    float amax = 0;
    for (int i = 0; i < block; ++i) amax = std::max(amax, std::fabs(xb[i]));
    const float id = 127.0f / amax;
    if (std::isinf(id)) continue;  // zero or tiny: d = q = 0
    r.d[b] = amax / 127.0f;
    for (int i = 0; i < block; ++i) r.q[b * block + i] = static_cast<int8_t>(std::nearbyint(xb[i] * id));
  }
  for (int64_t s = 0; s < n / 32; ++s) {
    int sum = 0;
    for (int i = 0; i < 32; ++i) sum += r.q[s * 32 + i];
    r.sums[s] = r.d[s * 32 / block] * static_cast<float>(sum);
  }
  return r;
}

// Activations with the cases the kernels must get right: random values (a nonzero mean, so the
// K-quant mins matter), an all-zero 32-value block, a block of +-max magnitude (every q = +-127,
// the largest products the int16 steps see), and exact ties (x * 127 / max = k + 0.5).
std::vector<float> activations(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.3f, 1.0f);
  std::vector<float> x(n);
  for (float& v : x) v = nd(rng);
  if (n >= 64) std::fill(x.begin() + 32, x.begin() + 64, 0.0f);
  if (n >= 96)
    for (int i = 64; i < 96; ++i) x[i] = i % 3 ? 8.0f : -8.0f;
  if (n >= 128) {
    x[96] = 127.0f;  // max of its block: id = 1, so 2.5 and -0.5 are ties
    x[97] = 2.5f;
    x[98] = -0.5f;
  }
  return x;
}


// A weight tensor over `bytes`: `rows` rows of `cols` weights of `type` (the tests' quantized rows).
WeightTensor tensor_over(const std::vector<uint8_t>& bytes, GgmlType type, int64_t rows, int64_t cols, const char* name) {
  WeightTensor w;
  w.data = bytes.data(), w.type = type, w.cols = cols, w.rows = rows, w.row_bytes = bytes.size() / rows;
  w.name = name;
  return w;
}
TEST(EngineInt8Prefill, QuantizationIsTheDefinitionBitForBit) {
  for (int block : {32, 256})
    for (uint32_t seed : {1u, 2u}) {
      const int64_t n = 512;
      const std::vector<float> x = activations(n, seed);
      const Quantized want = quantize_by_definition(x.data(), n, block);
      for (const cpu::Int8Kernels* k : variants()) {
        std::vector<int8_t> q(n, 99);
        std::vector<float> d(n / block, -1), sums(n / 32, -1);
        k->quantize(x.data(), n, block, q.data(), d.data(), sums.data());
        const std::string what = std::string(k->name) + " block " + std::to_string(block);
        EXPECT_EQ(q, want.q) << what;
        EXPECT_EQ(d, want.d) << what;
        EXPECT_EQ(sums, want.sums) << what;
      }
    }
  // The special blocks came out as intended (the zero block, the +-127 block, the ties).
  const std::vector<float> x = activations(128, 1);
  const Quantized q = quantize_by_definition(x.data(), 128, 32);
  EXPECT_EQ(q.d[1], 0.0f);
  EXPECT_EQ(q.q[40], 0);
  EXPECT_EQ(q.q[66], -127);
  EXPECT_EQ(q.q[64], 127);
  EXPECT_EQ(q.q[97], 2);   // 2.5 -> 2 (even)
  EXPECT_EQ(q.q[98], 0);   // -0.5 -> -0
}

// The integer-kernel types (kernel_table.h slots 3..10).
const std::vector<GgmlType> kInt8Types = {GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K,
                                          GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1};
bool is_legacy(GgmlType t) {
  return t == GgmlType::Q4_0 || t == GgmlType::Q4_1 || t == GgmlType::Q5_0 || t == GgmlType::Q5_1;
}
// The types whose activations come in 32-value blocks (the others: 256).
bool blocks_of_32(GgmlType t) { return t == GgmlType::Q8_0 || is_legacy(t); }

// Weight rows of a type as random bytes with random fp16 scales (every nibble, every 6-bit scale
// and min up to 63, Q8_0 quants down to -128, Q6_K int8 scales down to -128, every fifth bit of
// Q5_0/Q5_1; Q4_1/Q5_1 mins of either sign), as a foreign file may hold them.
std::vector<uint8_t> random_rows(GgmlType type, int64_t rows, int64_t cols, std::mt19937& rng) {
  const int64_t rb = gguf::bytes_for(type, cols);
  std::vector<uint8_t> bytes(rb * rows);
  for (auto& c : bytes) c = static_cast<uint8_t>(rng());
  const int64_t bb = gguf::type_traits(type).block_bytes;
  for (int64_t b = 0; b < rows * cols / gguf::type_traits(type).block_size; ++b) {
    if (type == GgmlType::Q6_K) {  // d is the block's last two bytes
      test::put_random_half(bytes.data() + b * bb + bb - 2, rng);
      continue;
    }
    test::put_random_half(bytes.data() + b * bb, rng);
    if (type == GgmlType::Q4_K || type == GgmlType::Q5_K || type == GgmlType::Q4_1 || type == GgmlType::Q5_1)
      test::put_random_half(bytes.data() + b * bb + 2, rng);  // dmin / m
  }
  return bytes;
}

float half(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return gguf::half_to_float(h);
}

// Quant v (0..255) of a Q5_K super-block (0..31) and of a Q6_K one (0..63), from the layouts in
// gguf/kquant.h.
int q5k_quant(const uint8_t* blk, int v) {
  const int g = v / 64, l = v % 32, high = v % 64 / 32;
  const uint8_t byte = blk[48 + 32 * g + l];
  return (high ? byte >> 4 : byte & 15) | (((blk[16 + l] >> (2 * g + high)) & 1) << 4);
}
int q6k_quant(const uint8_t* blk, int v) {
  const int h = v / 128, k = v % 128 / 32, l = v % 32;
  const uint8_t low = blk[64 * h + 32 * (k % 2) + l];
  return (k < 2 ? low & 15 : low >> 4) | (((blk[128 + 32 * h + l] >> (2 * k)) & 3) << 4);
}

// Quant v (0..31) of a legacy block as gguf/legacy_quant.h lays it out, minus the _0 types'
// offset: the nibble from qs (low for v < 16), the fifth bit (Q5 types) bit v % 8 of qh[v / 8].
int legacy_weight(GgmlType type, const uint8_t* blk, int v) {
  const bool min = type == GgmlType::Q4_1 || type == GgmlType::Q5_1;
  const bool fifth = type == GgmlType::Q5_0 || type == GgmlType::Q5_1;
  const uint8_t* qh = blk + (min ? 4 : 2);
  const uint8_t* qs = qh + (fifth ? 4 : 0);
  int q = v < 16 ? qs[v] & 15 : qs[v - 16] >> 4;
  if (fifth) q += ((qh[v / 8] >> (v % 8)) & 1) * 16;
  if (type == GgmlType::Q4_0) q -= 8;
  if (type == GgmlType::Q5_0) q -= 16;
  return q;
}

// The plain computation: integer dots per block, scales applied in double. Returns the value and
// adds the sum of the magnitudes of its F32 terms to *mag (for the float rounding allowance).
double plain_dot(GgmlType type, const uint8_t* row, const Quantized& x, int64_t n, double* mag) {
  double acc = 0;
  if (is_legacy(type)) {
    // value d * (q - offset), or d * q + m: per block d * dx * dot, plus m * (dx * sum(xq))
    const int64_t bb = gguf::type_traits(type).block_bytes;
    const bool min = type == GgmlType::Q4_1 || type == GgmlType::Q5_1;
    for (int64_t b = 0; b < n / 32; ++b) {
      const uint8_t* blk = row + b * bb;
      int64_t dot = 0;
      for (int i = 0; i < 32; ++i) dot += legacy_weight(type, blk, i) * x.q[b * 32 + i];
      const double term = static_cast<double>(half(blk)) * x.d[b] * static_cast<double>(dot);
      const double mins = min ? static_cast<double>(half(blk + 2)) * x.sums[b] : 0.0;
      acc += term + mins, *mag += std::abs(term) + std::abs(mins);
    }
    return acc;
  }
  if (type == GgmlType::Q8_0) {
    for (int64_t b = 0; b < n / 32; ++b) {
      const uint8_t* blk = row + b * 34;
      int64_t dot = 0;
      for (int i = 0; i < 32; ++i) dot += static_cast<int8_t>(blk[2 + i]) * x.q[b * 32 + i];
      const double term = static_cast<double>(half(blk)) * x.d[b] * static_cast<double>(dot);
      acc += term, *mag += std::abs(term);
    }
    return acc;
  }
  if (type == GgmlType::Q6_K) {
    for (int64_t b = 0; b < n / 256; ++b) {
      const uint8_t* blk = row + b * 210;
      for (int g = 0; g < 16; ++g) {
        int64_t dot = 0;
        for (int i = 0; i < 16; ++i) dot += (q6k_quant(blk, 16 * g + i) - 32) * x.q[b * 256 + 16 * g + i];
        const double term = static_cast<double>(half(blk + 208)) * x.d[b] * static_cast<int8_t>(blk[192 + g]) *
                            static_cast<double>(dot);
        acc += term, *mag += std::abs(term);
      }
    }
    return acc;
  }
  const bool q5 = type == GgmlType::Q5_K;
  for (int64_t b = 0; b < n / 256; ++b) {  // Q4_K, Q5_K
    const uint8_t* blk = row + b * (q5 ? 176 : 144);
    for (int s = 0; s < 8; ++s) {
      int sc, m;
      gguf::kquant_scale_min(blk + 4, s, &sc, &m);
      int64_t dot = 0;
      for (int i = 0; i < 32; ++i) {
        const uint8_t byte = blk[16 + 32 * (s / 2) + i];
        const int q = q5 ? q5k_quant(blk, 32 * s + i) : s % 2 ? byte >> 4 : byte & 15;
        dot += q * x.q[b * 256 + 32 * s + i];
      }
      const double scaled = static_cast<double>(half(blk)) * x.d[b] * sc * static_cast<double>(dot);
      const double mins = static_cast<double>(half(blk + 2)) * m * x.sums[b * 8 + s];
      acc += scaled - mins, *mag += std::abs(scaled) + std::abs(mins);
    }
  }
  return acc;
}

// Every variant's tile, every row count 1..4 and token count 1..tokens, against plain_dot. The
// kernels sum in F32 (per block or super-block, then across them): allowed n/32 + 16 roundings
// of the magnitudes.
TEST(EngineInt8Prefill, TilesEqualIntegerBlockDots) {
  std::mt19937 rng(11);
  for (GgmlType type : kInt8Types) {
    const int slot = cpu::weight_slot(type);
    // Q8_0, Q4_0..Q5_1: 5 blocks (odd: the AVX-512 half-vector tail) and 16; K-quants: 1 and 3
    // super-blocks.
    for (int64_t n : blocks_of_32(type) ? std::vector<int64_t>{160, 512} : std::vector<int64_t>{256, 768}) {
      const int64_t rows = 4, rb = gguf::bytes_for(type, n);
      const std::vector<uint8_t> w = random_rows(type, rows, n, rng);
      // The tokens' blocks back to back, as matmul lays them out: a kernel reading past a row's
      // end (the AVX-512 Q8_0 tail) reads the next token's nonzero values, not zeros.
      const int block = cpu::int8_block_values(slot);
      std::vector<Quantized> xq;
      Quantized all;
      for (int t = 0; t < cpu::kMaxTokenBlock; ++t) {
        const std::vector<float> x = activations(n, 100 + t);
        xq.push_back(quantize_by_definition(x.data(), n, block));
        all.q.insert(all.q.end(), xq.back().q.begin(), xq.back().q.end());
        all.d.insert(all.d.end(), xq.back().d.begin(), xq.back().d.end());
        all.sums.insert(all.sums.end(), xq.back().sums.begin(), xq.back().sums.end());
      }
      std::vector<cpu::Int8Row> xr;
      for (int t = 0; t < cpu::kMaxTokenBlock; ++t)
        xr.push_back({all.q.data() + t * n, all.d.data() + t * (n / block), all.sums.data() + t * (n / 32)});
      for (const cpu::Int8Kernels* k : variants())
        for (int nr = 1; nr <= 4; ++nr)
          for (int nt = 1; nt <= k->tokens; ++nt) {
            const int64_t ldy = 7;
            std::vector<float> y(nt * ldy, -99.0f);
            k->tile[slot](w.data(), rb, nr, xr.data(), nt, n, y.data(), ldy);
            for (int t = 0; t < nt; ++t)
              for (int r = 0; r < ldy; ++r) {
                if (r >= nr) {
                  EXPECT_EQ(y[t * ldy + r], -99.0f) << "row past nrows written";
                  continue;
                }
                double mag = 0;
                const double want = plain_dot(type, w.data() + r * rb, xq[t], n, &mag);
                EXPECT_NEAR(y[t * ldy + r], want, (n / 32 + 16) * FLT_EPSILON * mag + 1e-30)
                    << gguf::type_name(static_cast<uint32_t>(type)) << " " << k->name << " n " << n << " rows " << nr
                    << " tokens " << nt << " row " << r << " token " << t;
              }
          }
    }
  }
}

// The largest values each integer step can see, deterministically (random rows reach them only by
// chance; review BP M3): Q4_K / Q5_K with every quant at its maximum (15 / 31) and every 6-bit scale
// and min 63, Q8_0 with every quant -128; Q6_K in rows 0 and 2 with every q - 32 = -32 and every
// scale -128 (the largest |product| and its sum over a super-block of +max activations,
// 256 * 32 * 127 * 128 = 133,169,152, near int32's limit but inside), in rows 1 and 3 every q - 32
// = 31 with scale 127; Q4_0 / Q5_0 in rows 0 and 2 with every q - offset = -8 / -16 (the largest
// |w|), in rows 1 and 3 7 / 15; Q4_1 / Q5_1 with every q = 15 / 31 and m = 1. Against activation
// super-blocks of all +max (every q = 127), alternating +-max, all zeros (d = 0) and mostly -max.
// Every variant's tile must equal plain_dot: an int16 saturation (maddubs, packssdw) or an int32
// overflow would be off by far more than rounding.
TEST(EngineInt8Prefill, ExtremeBlocksEqualIntegerBlockDots) {
  const int64_t n = 1024;  // four 256-value super-blocks, 32 Q8_0 blocks
  std::vector<float> x(n);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t sb = i / 256;
    x[i] = sb == 0 ? 3.0f : sb == 1 ? (i % 2 ? -3.0f : 3.0f) : sb == 2 ? 0.0f : -3.0f;
    if (sb == 3 && i % 4 == 0) x[i] = 2.0f;  // mostly -max, so the sum is not zero
  }
  for (GgmlType type : kInt8Types) {
    const int slot = cpu::weight_slot(type);
    const int64_t rb = gguf::bytes_for(type, n), bb = gguf::type_traits(type).block_bytes;
    const int64_t blocks_per_row = n / gguf::type_traits(type).block_size;
    std::vector<uint8_t> w(4 * rb);
    const uint16_t one = 0x3C00;  // fp16 1.0: d (and dmin)
    for (int64_t b = 0; b < 4 * blocks_per_row; ++b) {
      uint8_t* blk = w.data() + b * bb;
      if (type == GgmlType::Q6_K) {
        const bool low = b / blocks_per_row % 2 == 0;  // rows 0, 2
        std::memset(blk, low ? 0x00 : 0xFF, 192);       // ql and qh: q = 0 or 63
        std::memset(blk + 192, low ? 0x80 : 0x7F, 16);  // scales -128 or 127
        std::memcpy(blk + 208, &one, 2);
        continue;
      }
      std::memcpy(blk, &one, 2);
      if (is_legacy(type)) {
        const bool min = type == GgmlType::Q4_1 || type == GgmlType::Q5_1;
        const bool low = !min && b / blocks_per_row % 2 == 0;  // _0 types' rows 0, 2
        if (min) std::memcpy(blk + 2, &one, 2);
        std::memset(blk + (min ? 4 : 2), low ? 0x00 : 0xFF, bb - (min ? 4 : 2));  // qh and qs
      } else if (type == GgmlType::Q8_0) {
        std::memset(blk + 2, 0x80, 32);  // -128
      } else {
        std::memcpy(blk + 2, &one, 2);
        std::memset(blk + 4, 0xFF, bb - 4);  // scales and mins 63, nibbles 15 (Q5_K: fifth bits 1)
      }
    }
    const Quantized xq = quantize_by_definition(x.data(), n, cpu::int8_block_values(slot));
    ASSERT_EQ(xq.q[0], 127);
    ASSERT_EQ(xq.q[257], -127);
    const std::vector<cpu::Int8Row> xr(cpu::kMaxTokenBlock, cpu::Int8Row{xq.q.data(), xq.d.data(), xq.sums.data()});
    for (const cpu::Int8Kernels* k : variants())
      for (int nt = 1; nt <= k->tokens; ++nt) {  // every tile width (review EN M1: 3+ tokens)
        std::vector<float> y(nt * 4, -99.0f);
        k->tile[slot](w.data(), rb, 4, xr.data(), nt, n, y.data(), 4);
        for (int r = 0; r < 4; ++r) {
          double mag = 0;
          const double want = plain_dot(type, w.data() + r * rb, xq, n, &mag);
          ASSERT_NE(want, 0.0);
          for (int t = 0; t < nt; ++t)
            EXPECT_NEAR(y[t * 4 + r], want, (n / 32 + 16) * FLT_EPSILON * mag)
                << gguf::type_name(static_cast<uint32_t>(type)) << " " << k->name << " tokens " << nt << " row " << r;
        }
      }
  }
}

// Why the variants' end-to-end logits can differ (review EN M1; docs/engine.md "Int8 activations
// across ISAs"): not the kernels. Given the same activations every variant quantizes to the same
// bits and its products equal the integer block dots up to F32 summation order, but an activation
// within an ulp of a rounding midpoint (x * 127 / max = k + 0.5) changes its quant by one when F32
// ordering noise upstream (attention, the tiles' own epilogues) moves it by an ulp, and the
// product then moves by d_x * d_w * |w| (plus, for Q4_1 / Q5_1, m times the sum's change), far more
// than the ulp. Here x[5] lies one ulp either side of -78.5 in a block whose max is 127 (so
// 127 / max = 1 exactly): quants -78 and -79, the case of the Q8_0 reproducer. Every variant must
// round both like the definition and move each of 3 rows by the independently computed change
// (double, from plain_dot), which is at least 100 times the summation-order allowance.
TEST(EngineInt8Prefill, OneUlpAtARoundingMidpointMovesEveryVariantAlike) {
  std::mt19937 rng(31);
  const int64_t n = 256, rows = 3;
  for (GgmlType type : kInt8Types) {
    const int slot = cpu::weight_slot(type), block = cpu::int8_block_values(slot);
    const int64_t rb = gguf::bytes_for(type, n);
    const std::vector<uint8_t> w = random_rows(type, rows, n, rng);
    std::vector<float> lo = activations(n, 71);
    lo[0] = 127.0f;  // the block's max: 127 / max = 1
    lo[5] = std::nextafter(-78.5f, 0.0f);
    std::vector<float> hi = lo;
    hi[5] = std::nextafter(-78.5f, -1000.0f);
    const Quantized qlo = quantize_by_definition(lo.data(), n, block), qhi = quantize_by_definition(hi.data(), n, block);
    ASSERT_EQ(qlo.d[0], 1.0f);
    ASSERT_EQ(qlo.q[5], -78);
    ASSERT_EQ(qhi.q[5], -79);
    double lo_mag[rows] = {}, hi_mag[rows] = {}, want_lo[rows], want_hi[rows];
    bool amplified = false;
    for (int r = 0; r < rows; ++r) {
      want_lo[r] = plain_dot(type, w.data() + r * rb, qlo, n, &lo_mag[r]);
      want_hi[r] = plain_dot(type, w.data() + r * rb, qhi, n, &hi_mag[r]);
      const double allow = (n / 32 + 16) * FLT_EPSILON * (lo_mag[r] + hi_mag[r]);
      amplified = amplified || std::abs(want_hi[r] - want_lo[r]) > 100 * allow;
    }
    ASSERT_TRUE(amplified) << gguf::type_name(static_cast<uint32_t>(type)) << ": no row's product moved";
    for (const cpu::Int8Kernels* k : variants()) {
      // each variant's own quantization of both inputs, tokens alternating lo, hi, lo, ...
      std::vector<int8_t> q(2 * n);
      std::vector<float> d(2 * n / block), sums(2 * n / 32);
      k->quantize(lo.data(), n, block, q.data(), d.data(), sums.data());
      k->quantize(hi.data(), n, block, q.data() + n, d.data() + n / block, sums.data() + n / 32);
      ASSERT_EQ(q[5], -78) << k->name;
      ASSERT_EQ(q[n + 5], -79) << k->name;
      std::vector<cpu::Int8Row> xr;
      for (int t = 0; t < k->tokens; ++t) {
        const int64_t o = t % 2;
        xr.push_back({q.data() + o * n, d.data() + o * (n / block), sums.data() + o * (n / 32)});
      }
      ASSERT_GE(k->tokens, 2) << k->name;
      std::vector<float> y(k->tokens * rows);
      k->tile[slot](w.data(), rb, rows, xr.data(), k->tokens, n, y.data(), rows);
      for (int r = 0; r < rows; ++r) {
        const double allow = (n / 32 + 16) * FLT_EPSILON * (lo_mag[r] + hi_mag[r]);
        for (int t = 0; t + 1 < k->tokens; t += 2)
          EXPECT_NEAR(static_cast<double>(y[(t + 1) * rows + r]) - y[t * rows + r], want_hi[r] - want_lo[r], allow)
              << gguf::type_name(static_cast<uint32_t>(type)) << " " << k->name << " row " << r << " tokens " << t
              << ", " << t + 1;
      }
    }
  }
}

// matmul's int8 path (forced, and Auto) against the exact product of the dequantized weights with
// the unquantized activations. Each activation is within d/2 of its quantized value (round to
// nearest; the F32 product x * (127/max) adds at most one rounding of 127, far below d/2's
// 1e-6 allowance), so |int8 - exact| <= sum over blocks of (d_b / 2) * sum_b |w_i|, plus the F32
// rounding the F32 path is allowed (1e-6 * n * sum |w_i x_i|). 13 rows (a ragged row block), two
// calls splitting the rows like the thread pool, 1..kMaxTokenBlock+1 tokens.
class EngineInt8Matmul : public ::testing::TestWithParam<Variant> {
 protected:
  void SetUp() override {
    std::string why;
    k_ = find_variant(GetParam(), &why);
    if (k_ == nullptr) GTEST_SKIP() << GetParam().name << ": " << why;
  }
  // The product through matmul with this variant (matmul_rows_variant).
  void matmul(const WeightTensor& w, const float* x, int64_t ldx, int n_tok, float* y, int64_t ldy, int64_t r0,
              int64_t r1, cpu::PrefillPath path) const {
    cpu::matmul_rows_variant(static_cast<int>(GetParam().isa), *k_, w, x, ldx, n_tok, y, ldy, r0, r1, path);
  }
  const cpu::Int8Kernels* k_ = nullptr;
};

TEST_P(EngineInt8Matmul, MatmulWithinTheQuantizationBound) {
  std::mt19937 rng(21);
  for (GgmlType type : kInt8Types)
    for (bool foreign : {false, true}) {
      const int slot = cpu::weight_slot(type), block = cpu::int8_block_values(slot);
      // 32-value blocks: 15, an odd count (the AVX-512 kernels' half-vector tail)
      const int64_t n = blocks_of_32(type) ? 480 : 512, rows = 13;
      std::vector<uint8_t> bytes;
      if (foreign) {
        bytes = random_rows(type, rows, n, rng);
      } else {
        const int64_t rb = gguf::bytes_for(type, n);
        bytes.resize(rb * rows);
        std::normal_distribution<float> nd(0.2f, 1.0f);
        std::vector<float> row(n);
        for (int64_t r = 0; r < rows; ++r) {
          for (float& v : row) v = nd(rng);
          gguf::quantize_row(type, row.data(), bytes.data() + r * rb, n);
        }
      }
      const WeightTensor w = tensor_over(bytes, type, rows, n, "int8");
      std::vector<float> deq(rows * n);
      for (int64_t r = 0; r < rows; ++r) gguf::dequantize_row(type, w.row(r), deq.data() + r * n, n);
      for (int ntok = 1; ntok <= cpu::kMaxTokenBlock + 1; ++ntok) {
        std::vector<float> x;
        std::vector<Quantized> xq;
        for (int t = 0; t < ntok; ++t) {
          const std::vector<float> xt = activations(n, 300 + t);
          x.insert(x.end(), xt.begin(), xt.end());
          xq.push_back(quantize_by_definition(xt.data(), n, block));
        }
        for (cpu::PrefillPath path : {cpu::PrefillPath::Int8, cpu::PrefillPath::Auto}) {
          std::vector<float> y(ntok * rows, -99.0f);
          matmul(w, x.data(), n, ntok, y.data(), rows, 0, 5, path);
          matmul(w, x.data(), n, ntok, y.data(), rows, 5, rows, path);
          for (int t = 0; t < ntok; ++t)
            for (int64_t r = 0; r < rows; ++r) {
              double exact = 0, mag = 0, bound = 0;
              for (int64_t b = 0; b < n / block; ++b) {
                double wsum = 0;
                for (int i = 0; i < block; ++i) {
                  const int64_t j = b * block + i;
                  const double p = static_cast<double>(deq[r * n + j]) * x[t * n + j];
                  exact += p, mag += std::abs(p), wsum += std::abs(deq[r * n + j]);
                }
                bound += xq[t].d[b] / 2 * wsum;
              }
              EXPECT_NEAR(y[t * rows + r], exact, bound * (1 + 1e-6) + 1e-6 * n * mag + 1e-6)
                  << gguf::type_name(static_cast<uint32_t>(type)) << (foreign ? " foreign" : "") << " "
                  << k_->name << " path " << static_cast<int>(path) << " tokens " << ntok << " row " << r
                  << " token " << t;
            }
        }
      }
    }
}

// Auto is exactly the path the variant's measurement chose (Int8Kernels::faster): bit for bit the
// int8 result where set, the F32 tile's where not, on every variant.
TEST_P(EngineInt8Matmul, AutoTakesTheMeasuredPath) {
  std::mt19937 rng(9);
  for (GgmlType type : kInt8Types) {
    const int64_t n = 512, rows = 8, ntok = 7;
    const std::vector<uint8_t> bytes = random_rows(type, rows, n, rng);
    const WeightTensor w = tensor_over(bytes, type, rows, n, "auto");
    std::vector<float> x;
    for (int t = 0; t < ntok; ++t) {
      const std::vector<float> xt = activations(n, 40 + t);
      x.insert(x.end(), xt.begin(), xt.end());
    }
    const bool faster = k_->faster[cpu::weight_slot(type)];
    std::vector<float> ya(ntok * rows), ych(ntok * rows);
    matmul(w, x.data(), n, ntok, ya.data(), rows, 0, rows, cpu::PrefillPath::Auto);
    matmul(w, x.data(), n, ntok, ych.data(), rows, 0, rows, faster ? cpu::PrefillPath::Int8 : cpu::PrefillPath::F32);
    EXPECT_EQ(ya, ych) << gguf::type_name(static_cast<uint32_t>(type)) << " " << k_->name
                       << (faster ? " int8" : " f32");
  }
}

// A product's input quantized once (prepare_int8_input) gives exactly what each call quantizing
// for itself gives, split in chunks like the thread pool's; a prepared input for another x, or
// for a weight of another block size, is not used.
TEST(EngineInt8Prefill, PreparedInputEqualsQuantizingPerCall) {
  std::mt19937 rng(13);
  const int64_t n = 512, rows = 12, ntok = 7;
  const std::vector<uint8_t> q4 = random_rows(GgmlType::Q4_K, rows, n, rng), q8 = random_rows(GgmlType::Q8_0, rows, n, rng);
  const WeightTensor w4 = tensor_over(q4, GgmlType::Q4_K, rows, n, "prepared"),
                     w8 = tensor_over(q8, GgmlType::Q8_0, rows, n, "prepared");
  std::vector<float> x, other;
  for (int t = 0; t < ntok; ++t) {
    const std::vector<float> a = activations(n, 60 + t), b = activations(n, 90 + t);
    x.insert(x.end(), a.begin(), a.end());
    other.insert(other.end(), b.begin(), b.end());
  }
  for (const WeightTensor* w : {&w4, &w8}) {
    std::vector<float> own(ntok * rows), prepared(ntok * rows), wrong(ntok * rows);
    cpu::matmul_rows(*w, x.data(), n, ntok, own.data(), rows, 0, rows, cpu::PrefillPath::Int8);
    cpu::Int8Input in;
    cpu::prepare_int8_input(*w, x.data(), n, ntok, cpu::PrefillPath::Int8, &in);
    EXPECT_EQ(in.x, x.data());
    for (int64_t r0 = 0; r0 < rows; r0 += 4)
      cpu::matmul_rows(*w, x.data(), n, ntok, prepared.data(), rows, r0, r0 + 4, cpu::PrefillPath::Int8, &in);
    EXPECT_EQ(prepared, own) << gguf::type_name(static_cast<uint32_t>(w->type));
    // and it is really used: x changed after the prepare (which callers must not do) still gives
    // the prepared input's products
    std::vector<float> changed = x, used(ntok * rows);
    cpu::prepare_int8_input(*w, changed.data(), n, ntok, cpu::PrefillPath::Int8, &in);
    std::fill(changed.begin(), changed.end(), 0.5f);
    cpu::matmul_rows(*w, changed.data(), n, ntok, used.data(), rows, 0, rows, cpu::PrefillPath::Int8, &in);
    EXPECT_EQ(used, own) << gguf::type_name(static_cast<uint32_t>(w->type)) << " quantized again";
    // prepared for `other`: the call with x must not take it
    cpu::prepare_int8_input(*w, other.data(), n, ntok, cpu::PrefillPath::Int8, &in);
    cpu::matmul_rows(*w, x.data(), n, ntok, wrong.data(), rows, 0, rows, cpu::PrefillPath::Int8, &in);
    EXPECT_EQ(wrong, own) << gguf::type_name(static_cast<uint32_t>(w->type)) << " took another x's input";
  }
  // prepared for Q4_K (256-value blocks), used by the Q8_0 product (32): ignored
  cpu::Int8Input in;
  cpu::prepare_int8_input(w4, x.data(), n, ntok, cpu::PrefillPath::Int8, &in);
  std::vector<float> own(ntok * rows), mixed(ntok * rows);
  cpu::matmul_rows(w8, x.data(), n, ntok, own.data(), rows, 0, rows, cpu::PrefillPath::Int8);
  cpu::matmul_rows(w8, x.data(), n, ntok, mixed.data(), rows, 0, rows, cpu::PrefillPath::Int8, &in);
  EXPECT_EQ(mixed, own);
  // the F32 path prepares nothing
  cpu::prepare_int8_input(w4, x.data(), n, ntok, cpu::PrefillPath::F32, &in);
  EXPECT_EQ(in.x, nullptr);
}

// The bound above is not vacuous: the int8 result differs from the F32 path's (the quantization
// is really applied), and by no more than a small part of the bound's slack.
TEST_P(EngineInt8Matmul, Int8PathDiffersFromF32PathByQuantizationOnly) {
  std::mt19937 rng(5);
  const int64_t n = 256, rows = 4;
  const std::vector<uint8_t> bytes = random_rows(GgmlType::Q4_K, rows, n, rng);
  const WeightTensor w = tensor_over(bytes, GgmlType::Q4_K, rows, n, "int8");
  std::vector<float> x;
  for (int t = 0; t < 3; ++t) {
    const std::vector<float> xt = activations(n, 7 + t);
    x.insert(x.end(), xt.begin(), xt.begin() + n);
  }
  std::vector<float> yi(3 * rows), yf(3 * rows);
  matmul(w, x.data(), n, 3, yi.data(), rows, 0, rows, cpu::PrefillPath::Int8);
  matmul(w, x.data(), n, 3, yf.data(), rows, 0, rows, cpu::PrefillPath::F32);
  int differ = 0;
  for (int i = 0; i < 3 * rows; ++i) differ += yi[i] != yf[i];
  EXPECT_GT(differ, 0);
}

INSTANTIATE_TEST_SUITE_P(Variants, EngineInt8Matmul, ::testing::ValuesIn(kVariants),
                         [](const ::testing::TestParamInfo<Variant>& info) { return std::string(info.param.name); });

// matmul_rows_variant runs a variant only at its own level and only where the CPU and build have
// it (int8_variants): a VNNI variant elsewhere would be SIGILL, another level's variant would mix
// F32 kernels and int8 ones of different levels.
TEST(EngineInt8Prefill, MatmulVariantRefusesOthersVariants) {
  std::mt19937 rng(3);
  const int64_t n = 256, rows = 4;
  const std::vector<uint8_t> bytes = random_rows(GgmlType::Q8_0, rows, n, rng);
  const WeightTensor w = tensor_over(bytes, GgmlType::Q8_0, rows, n, "refused");
  const std::vector<float> x = activations(3 * n, 4);
  std::vector<float> y(3 * rows);
  for (cpu::Isa isa : kIsas)
    for (const cpu::Int8Kernels* k : variants()) {
      const std::vector<const cpu::Int8Kernels*> own = cpu::int8_variants(isa);
      const auto call = [&] {
        cpu::matmul_rows_variant(static_cast<int>(isa), *k, w, x.data(), n, 3, y.data(), rows, 0, rows,
                                 cpu::PrefillPath::Int8);
      };
      if (std::find(own.begin(), own.end(), k) != own.end()) {
        EXPECT_NO_THROW(call()) << k->name << " at " << cpu::isa_name(isa);
      } else {
        EXPECT_THROW(call(), Error) << k->name << " at " << cpu::isa_name(isa);
      }
    }
  // The AVX-VNNI variant where the CPU lacks AVX-VNNI (built or not): never listed.
  if (!cpu::cpu_has_avx_vnni()) {
    for (cpu::Isa isa : kIsas)
      for (const cpu::Int8Kernels* k : cpu::int8_variants(isa)) EXPECT_STRNE(k->name, "avx-vnni");
  }
}

// NaN, infinity and blocks too small for 127 / max quantize to the same bits on every variant
// (review BP L4: the SIMD quantizers gave q = -128 where the scalar one gave 0, and the vector max
// kept or dropped a NaN by its position). A NaN first in its block, one last, one in each vector
// position of a block, +inf, -inf, a block of 1e-37 (127 / max overflows), one of subnormals.
TEST(EngineInt8Prefill, NonFiniteAndTinyBlocksQuantizeAlikeOnEveryVariant) {
  for (int block : {32, 256}) {
    const int64_t blocks = 8, n = blocks * block;
    std::vector<float> x = activations(n, 3);
    const auto at = [&](int b, int i) -> float& { return x[b * block + i]; };
    at(1, 0) = NAN;
    at(2, block - 1) = NAN;
    for (int i = 0; i < block; i += 9) at(3, i) = -NAN;
    at(4, block / 2) = INFINITY;
    at(5, 7) = -INFINITY;
    for (int i = 0; i < block; ++i) at(6, i) = i % 2 ? 1e-37f : -0.5e-37f;
    for (int i = 0; i < block; ++i) at(7, i) = std::ldexp(static_cast<float>(i % 5), -140);
    const Quantized want = quantize_by_definition(x.data(), n, block);
    for (int b = 1; b <= 5; ++b) ASSERT_TRUE(std::isnan(want.d[b])) << b;
    ASSERT_EQ(want.d[6], 0.0f);
    ASSERT_EQ(want.d[7], 0.0f);
    ASSERT_GT(want.d[0], 0.0f);
    for (const cpu::Int8Kernels* k : variants()) {
      std::vector<int8_t> q(n, 99);
      std::vector<float> d(n / block, -1), sums(n / 32, -1);
      k->quantize(x.data(), n, block, q.data(), d.data(), sums.data());
      const std::string what = std::string(k->name) + " block " + std::to_string(block);
      EXPECT_EQ(q, want.q) << what;
      for (int64_t b = 0; b < blocks; ++b)
        EXPECT_TRUE(std::isnan(want.d[b]) ? std::isnan(d[b]) : d[b] == want.d[b]) << what << " block " << b;
      for (int64_t s = 0; s < n / 32; ++s)
        EXPECT_TRUE(std::isnan(want.sums[s]) ? std::isnan(sums[s]) : sums[s] == want.sums[s]) << what << " sums " << s;
    }
  }
}

// A NaN activation gives NaN in every product of its token, as F32 arithmetic does, on every
// variant and type; the other tokens of the tile stay finite.
TEST(EngineInt8Prefill, NaNActivationGivesNaNOnEveryVariant) {
  std::mt19937 rng(17);
  for (GgmlType type : kInt8Types) {
    const int slot = cpu::weight_slot(type), block = cpu::int8_block_values(slot);
    const int64_t n = 512, rows = 4, rb = gguf::bytes_for(type, n);
    const std::vector<uint8_t> w = random_rows(type, rows, n, rng);
    for (const cpu::Int8Kernels* k : variants()) {
      const int ntok = k->tokens, bad = ntok - 1;  // the last token has one NaN
      std::vector<float> x;
      for (int t = 0; t < ntok; ++t) {
        std::vector<float> xt = activations(n, 500 + t);
        if (t == bad) xt[300] = NAN;
        x.insert(x.end(), xt.begin(), xt.end());
      }
      std::vector<int8_t> q(ntok * n);
      std::vector<float> d(ntok * n / block), sums(ntok * n / 32);
      std::vector<cpu::Int8Row> xr;
      for (int t = 0; t < ntok; ++t) {
        k->quantize(x.data() + t * n, n, block, q.data() + t * n, d.data() + t * n / block, sums.data() + t * n / 32);
        xr.push_back({q.data() + t * n, d.data() + t * n / block, sums.data() + t * n / 32});
      }
      std::vector<float> y(ntok * rows);
      k->tile[slot](w.data(), rb, rows, xr.data(), ntok, n, y.data(), rows);
      for (int t = 0; t < ntok; ++t)
        for (int64_t r = 0; r < rows; ++r)
          EXPECT_EQ(std::isnan(y[t * rows + r]), t == bad)
              << gguf::type_name(static_cast<uint32_t>(type)) << " " << k->name << " token " << t << " row " << r;
    }
  }
  // the F32 path, for comparison: NaN too
  const std::vector<uint8_t> bytes = random_rows(GgmlType::Q4_0, 4, 64, rng);
  const WeightTensor w = tensor_over(bytes, GgmlType::Q4_0, 4, 64, "nan");
  std::vector<float> x = activations(3 * 64, 8), y(3 * 4);
  x[64 + 5] = NAN;
  cpu::matmul_rows_isa(static_cast<int>(cpu::best_isa()), w, x.data(), 64, 3, y.data(), 4, 0, 4, cpu::PrefillPath::F32);
  for (int r = 0; r < 4; ++r) EXPECT_TRUE(std::isnan(y[4 + r]) && !std::isnan(y[r]) && !std::isnan(y[8 + r])) << r;
}

// The AVX2 table (what a CPU without AVX-512 runs, or `--isa avx2`) takes the AVX-VNNI variant
// exactly where cpuid reports AVX-VNNI and the compiler built it; and that cpuid check agrees with
// the kernel's own reading of the CPU where the kernel lists it (Linux 5.12+ names it avx_vnni in
// /proc/cpuinfo's flags; an older kernel omits it, so only that direction is checked). Every
// level's table takes the first of int8_variants, and int8_variant_name (the JSON's int8_kernels)
// names it.
TEST(EngineInt8Prefill, Avx2TableTakesAvxVnniWhereTheCpuHasIt) {
  if (!cpu::isa_supported(cpu::Isa::Avx2)) GTEST_SKIP() << "no AVX2";
  const bool vnni = cpu::cpu_has_avx_vnni() && cpu::avx_vnni_int8_kernels() != nullptr;
  EXPECT_STREQ(cpu::kernels_for(cpu::Isa::Avx2).int8->name, vnni ? "avx-vnni" : "avx2");
  for (cpu::Isa isa : kIsas) {
    if (!cpu::isa_supported(isa)) continue;
    EXPECT_EQ(cpu::kernels_for(isa).int8, cpu::int8_variants(isa).front()) << cpu::isa_name(isa);
    EXPECT_STREQ(cpu::int8_variant_name(static_cast<int>(isa)), cpu::kernels_for(isa).int8->name);
  }
  if (cpu::isa_supported(cpu::Isa::Avx512)) {
    EXPECT_STREQ(cpu::kernels_for(cpu::Isa::Avx512).int8->name, cpu::cpu_has_avx512_vnni() ? "avx512-vnni" : "avx512");
  }
  std::ifstream info("/proc/cpuinfo");
  std::string line;
  bool listed = false;
  while (std::getline(info, line))
    if (line.rfind("flags", 0) == 0) {
      listed = (line + " ").find(" avx_vnni ") != std::string::npos;
      break;
    }
  if (listed) {
    EXPECT_TRUE(cpu::cpu_has_avx_vnni());
  }
}

// PrefillPath::Auto's choices as docs/benchmarks.md's "Int8 activations" sections measured them:
// the integer tiles with AVX512_VNNI for Q8_0, Q4_K, Q5_K and Q6_K (slots 3-6) and with AVX-VNNI
// for Q8_0 only (slot 3; its K-quant tiles lost at 128 tokens); the legacy types (7-10) were not
// faster at 128 tokens on any variant, AVX2 and AVX-512 without VNNI on none; the scalar variant
// is a reference only. A new measurement changes this test with the
// document. Every slot from Q8_0 on has a tile, F32/F16/BF16 none.
TEST(EngineInt8Prefill, AutoChoicesAreTheDocumentedMeasurements) {
  for (const cpu::Int8Kernels* k : variants())
    for (int slot = 0; slot < cpu::kWeightSlots; ++slot) {
      const bool vnni = std::string(k->name) == "avx512-vnni", avx_vnni = std::string(k->name) == "avx-vnni";
      EXPECT_EQ(k->faster[slot], (vnni && slot >= 3 && slot <= 6) || (avx_vnni && slot == 3))
          << k->name << " slot " << slot;
      EXPECT_EQ(k->tile[slot] != nullptr, slot >= 3) << k->name << " slot " << slot;
    }
}

}  // namespace
