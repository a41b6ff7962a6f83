// F16 / BF16 / Q8_0 conversions against independent double-precision references.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <utility>

#include "engine/gguf/dtype.h"
#include "util/error.h"

using namespace infertrace::gguf;

namespace {

// Value of a binary16 bit pattern, computed from the definition in double precision.
double half_value(uint16_t h) {
  const int sign = h >> 15, exp = (h >> 10) & 31, mant = h & 1023;
  double v;
  if (exp == 31) return mant ? std::numeric_limits<double>::quiet_NaN() : (sign ? -INFINITY : INFINITY);
  if (exp == 0) v = std::ldexp(mant, -24);
  else v = std::ldexp(1024 + mant, exp - 25);
  return sign ? -v : v;
}

// Round-to-nearest-even to binary16 by search over the finite halves of the right sign.
uint16_t half_reference(float f) {
  const double x = f;
  const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  const double ax = std::fabs(x);
  if (ax >= 65520.0) return sign | 0x7c00;  // halfway to 65536 and beyond: infinity
  uint16_t best = 0;
  double best_err = INFINITY;
  // Binary search would do; a scan over 31744 finite magnitudes is fast enough for a test.
  for (uint32_t m = 0; m < 0x7c00; ++m) {
    const double err = std::fabs(half_value(static_cast<uint16_t>(m)) - ax);
    if (err < best_err || (err == best_err && (m & 1) == 0 && (best & 1) == 1)) {
      best = static_cast<uint16_t>(m);
      best_err = err;
    }
    if (half_value(static_cast<uint16_t>(m)) > ax && err > best_err) break;
  }
  return sign | best;
}

}  // namespace

TEST(Half, KnownValues) {
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(float_to_half(-2.0f), 0xc000);
  EXPECT_EQ(float_to_half(65504.0f), 0x7bff);
  EXPECT_EQ(float_to_half(65519.0f), 0x7bff);
  EXPECT_EQ(float_to_half(65520.0f), 0x7c00);  // the tie rounds to even: infinity
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -25)), 0x0000);  // tie to even (zero)
  EXPECT_EQ(float_to_half(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(float_to_half(-0.0f), 0x8000);
  EXPECT_EQ(float_to_half(INFINITY), 0x7c00);
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(NAN))));
  EXPECT_EQ(half_to_float(0x3555), static_cast<float>(half_value(0x3555)));
}

TEST(Half, EveryHalfRoundTripsAndDecodesExactly) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = half_to_float(static_cast<uint16_t>(h));
    const double ref = half_value(static_cast<uint16_t>(h));
    if (std::isnan(ref)) {
      EXPECT_TRUE(std::isnan(f));
      continue;
    }
    ASSERT_EQ(static_cast<double>(f), ref) << h;
    ASSERT_EQ(float_to_half(f), h) << h;
  }
}

TEST(Half, RoundsToNearestEvenLikeTheReference) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> e(-30, 16);
  std::uniform_real_distribution<float> m(1.0f, 2.0f);
  for (int i = 0; i < 2000; ++i) {
    const float f = std::ldexp(m(rng), e(rng)) * (i % 2 ? -1.0f : 1.0f);
    ASSERT_EQ(float_to_half(f), half_reference(f)) << f;
  }
  // Exact midpoints between neighbouring halves.
  for (uint16_t h : {0x3c00, 0x3c01, 0x0001, 0x0002, 0x03ff, 0x7bfe}) {
    const float mid = static_cast<float>((half_value(h) + half_value(static_cast<uint16_t>(h + 1))) / 2);
    ASSERT_EQ(float_to_half(mid), half_reference(mid)) << h;
  }
}

TEST(Half, BatchConversionMatchesScalar) {
  // The batch path uses F16C where the CPU has it; it must round exactly like the scalar code.
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 100.0f);
  std::vector<float> x(1003);
  for (float& v : x) v = nd(rng);
  x[5] = 65520.0f;
  x[6] = std::ldexp(1.0f, -25);
  x[7] = 1e-6f;
  std::vector<uint16_t> h(x.size());
  floats_to_half(x.data(), h.data(), static_cast<int64_t>(x.size()));
  std::vector<float> back(x.size());
  half_to_floats(h.data(), back.data(), static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(h[i], float_to_half(x[i])) << i;
    ASSERT_EQ(back[i], half_to_float(h[i])) << i;
  }
}

TEST(Bf16, RoundsToNearestEven) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(bf16_to_float(0x3f80), 1.0f);
  // 1 + 2^-8 is halfway between bf16 1.0 and 1.0078125: ties to even (1.0).
  EXPECT_EQ(float_to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3f80);
  EXPECT_EQ(float_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);  // tie, rounds up to even
  EXPECT_EQ(float_to_bf16(1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20)), 0x3f81);
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(NAN))));
  std::mt19937 rng(5);
  std::normal_distribution<float> nd;
  for (int i = 0; i < 1000; ++i) {
    const float f = nd(rng);
    const float back = bf16_to_float(float_to_bf16(f));
    ASSERT_LE(std::fabs(back - f), std::fabs(f) * std::ldexp(1.0f, -8)) << f;  // half an ulp of 8 bits
  }
}

TEST(Q8_0, BlockLayoutMatchesGgml) {
  float x[32];
  for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j) - 8.0f;  // amax = 23
  BlockQ8_0 b;
  quantize_q8_0(x, &b, 32);
  const float d = 23.0f / 127.0f;
  EXPECT_EQ(b.d, float_to_half(d));
  for (int j = 0; j < 32; ++j) EXPECT_EQ(b.qs[j], static_cast<int8_t>(std::lround(x[j] / d))) << j;
  EXPECT_EQ(b.qs[31], 127);
  // The raw bytes: fp16 scale first, then the 32 quants.
  const auto* raw = reinterpret_cast<const uint8_t*>(&b);
  EXPECT_EQ(raw[0] | (raw[1] << 8), float_to_half(d));
  EXPECT_EQ(static_cast<int8_t>(raw[2]), b.qs[0]);
}

TEST(Q8_0, ErrorBound) {
  // |x - deq(x)| <= d/2 from rounding q, plus |q| * |d - fp16(d)| <= 127 * d * 2^-11 from storing d
  // as fp16: at most 0.5625 * d per value, d = max|x| / 127 per block.
  std::mt19937 rng(11);
  std::normal_distribution<float> nd(0.0f, 3.0f);
  std::vector<float> x(32 * 200), y(x.size());
  for (float& v : x) v = nd(rng);
  for (int j = 0; j < 32; ++j) x[j] = 0.0f;  // an all-zero block stays exactly zero
  std::vector<BlockQ8_0> q(x.size() / 32);
  quantize_q8_0(x.data(), q.data(), static_cast<int64_t>(x.size()));
  dequantize_q8_0(q.data(), y.data(), static_cast<int64_t>(x.size()));
  for (size_t b = 0; b < q.size(); ++b) {
    float amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b * 32 + j]));
    const double d = amax / 127.0;
    for (int j = 0; j < 32; ++j) {
      const size_t i = b * 32 + j;
      ASSERT_LE(std::fabs(static_cast<double>(y[i]) - x[i]), 0.5625 * d + 1e-12) << i;
    }
  }
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], 0.0f);
}

TEST(DequantizeRow, DispatchesEveryEngineType) {
  const std::vector<float> x = {0.5f, -1.25f, 3.0f, 0.0f};
  for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::BF16}) {
    std::vector<uint8_t> buf(static_cast<size_t>(bytes_for(t, 4)));
    quantize_row(t, x.data(), buf.data(), 4);
    std::vector<float> y(4);
    dequantize_row(t, buf.data(), y.data(), 4);
    EXPECT_EQ(y, x);  // exactly representable in every format
  }
  EXPECT_THROW(dequantize_row(GgmlType::Q8_1, nullptr, nullptr, 32), infertrace::Error);  // no converter
}

// A NaN whose payload lies only in the low 16 bits would truncate to the infinity's bits: the
// conversion sets the quiet bit, so it stays a NaN (of either sign).
TEST(Bf16, NanWithALowPayloadStaysNan) {
  for (uint32_t bits : {0x7f800001u, 0xff800001u, 0x7f80ffffu, 0x7fc00000u}) {
    float f;
    std::memcpy(&f, &bits, 4);
    const uint16_t b = float_to_bf16(f);
    EXPECT_TRUE(std::isnan(bf16_to_float(b))) << std::hex << bits << " -> " << b;
    EXPECT_EQ(b & 0x8000u, (bits >> 16) & 0x8000u) << std::hex << bits;
  }
  EXPECT_EQ(float_to_bf16(INFINITY), 0x7f80);
  EXPECT_EQ(float_to_bf16(-INFINITY), 0xff80);
}

// dequantize_row and quantize_row convert whole blocks only: the values past the last whole block
// would be left unwritten (or unread), so a count that is not a multiple of the block size is an
// Error, on the way in and out; F32 and F16 have no blocks.
TEST(DequantizeRow, RefusesPartialBlocks) {
  std::vector<uint8_t> bytes(4 * 210, 0);
  std::vector<float> y(1024, 0.0f);
  const std::pair<GgmlType, int64_t> types[] = {{GgmlType::Q8_0, 32}, {GgmlType::Q4_0, 32}, {GgmlType::Q5_1, 32},
                                                {GgmlType::Q4_K, 256}, {GgmlType::Q6_K, 256}};
  for (const auto& [t, block] : types) {
    EXPECT_THROW(dequantize_row(t, bytes.data(), y.data(), block + 1), infertrace::Error) << type_name(static_cast<uint32_t>(t));
    EXPECT_THROW(quantize_row(t, y.data(), bytes.data(), block - 1), infertrace::Error) << type_name(static_cast<uint32_t>(t));
    EXPECT_NO_THROW(dequantize_row(t, bytes.data(), y.data(), 2 * block));
    EXPECT_NO_THROW(quantize_row(t, y.data(), bytes.data(), 2 * block));
  }
  EXPECT_NO_THROW(dequantize_row(GgmlType::F32, bytes.data(), y.data(), 33));
  EXPECT_NO_THROW(dequantize_row(GgmlType::F16, bytes.data(), y.data(), 33));
}
