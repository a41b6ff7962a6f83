// The AVX-512 traits of the integer prefill kernels (simd_int8.inc.h): 64-byte vectors, with or
// without AVX512_VNNI. kernels_int8_avx512.cpp (no VNNI: vpmaddubsw + vpmaddwd + vpaddd) and
// kernels_int8_avx512_vnni.cpp (vpdpbusd, vpdpwssd) include this inside their anonymous namespace;
// they are separate files because clang fuses vpmaddwd + vpaddd into vpdpwssd wherever the file
// is compiled with -mavx512vnni, which a CPU without VNNI cannot run.

template <bool kVnni>
struct Avx512Int8 {
  using vi = __m512i;
  using vf = __m512;
  static constexpr int kBytes = 64;
  static constexpr int kTokens = 6;  // 4 x 6 accumulators, as the F32 tile
  static constexpr const char* kName = kVnni ? "avx512-vnni" : "avx512";
  // prefill_tile_bench (1024 x 1024, one thread, medians of 3, 12:40 UTC, load 1.6-2.2; G MAC/s,
  // F32 tile -> int8 with VNNI / without): Q8_0 51.5 -> 84.8 / 70.9 (6 tokens), 79.1 -> 78.1-87.0
  // / 62.3 (128); Q4_K 40.6 -> 98.8 / 70.0 (6), 72.6 -> 99.1-108.3 / 59.3 (128). Without VNNI the
  // int8 kernels lose at a prompt's usual batch, so only the VNNI variant is taken by default.
  static constexpr bool kFasterQ8_0 = kVnni, kFasterQ4K = kVnni;
  // Q5_K and Q6_K, the same bench at 14:48 UTC (load 2.1-2.4): Q5_K 47.7 -> 119.2 / 76.2 (6),
  // 80.8 -> 110.9 / 74.7 (128); Q6_K 37.4 -> 111.2 / 63.8 (6), 78.2 -> 107.7 / 70.1 (128): again
  // only with VNNI.
  static constexpr bool kFasterQ5K = kVnni, kFasterQ6K = kVnni;
  // Q4_0, Q4_1, Q5_0, Q5_1, the same bench at 20:08 UTC (load 4.5-6.5, medians of 5 alternating
  // rounds; median per-round ratio to the F32 tile with VNNI / without): x1.25-1.33 / x1.11-1.17
  // at 6 tokens, x1.00, 0.95, 0.92, 0.91 / x0.82-0.91 at 128. A 32-value block's F32 epilogue
  // (convert, scale product, FMA per row and token) is most of the work, as for Q8_0, and the
  // F32 tile of these types is fast: the F32 tile for all four, on both.
  static constexpr bool kFasterQ4_0 = false, kFasterQ4_1 = false, kFasterQ5_0 = false, kFasterQ5_1 = false;
  static vi load(const void* p) { return _mm512_loadu_si512(p); }
  // x negated where w < 0 (Q8_0, Q6_K: their signed weights go to vpmaddubsw / vpdpbusd as |w|; no
  // vpsignb on 64-byte vectors, so by byte mask).
  static vi sign_of(vi w, vi x) { return _mm512_mask_sub_epi8(x, _mm512_movepi8_mask(w), _mm512_setzero_si512(), x); }
  static vi zero_i() { return _mm512_setzero_si512(); }
  static vf zero_f() { return _mm512_setzero_ps(); }
  static vf cvt(vi a) { return _mm512_cvtepi32_ps(a); }
  static vf set1(float f) { return _mm512_set1_ps(f); }
  static vf mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
  static vf fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
  static float hsum(vf v) { return _mm512_reduce_add_ps(v); }
  // Quantization (kernel_table.h); blocks are 32 or 256 values.
  // The max over |x|'s bits as int32, as AVX2's (a NaN is never lost).
  static float abs_max(const float* x, int n) {
    __m512i m = _mm512_setzero_si512();
    for (int i = 0; i < n; i += 16) m = _mm512_max_epi32(m, _mm512_and_si512(load(x + i), _mm512_set1_epi32(0x7fffffff)));
    const int bits = _mm512_reduce_max_epi32(m);
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  static void quantize(const float* x, int n, float id, int8_t* q) {
    const __m512 v = _mm512_set1_ps(id);
    for (int i = 0; i < n; i += 16)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i),
                       _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + i), v))));
  }
  static int sum32(const int8_t* q) {
    return _mm512_reduce_add_epi32(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q)))) +
           _mm512_reduce_add_epi32(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 16))));
  }
  // acc + per 32-bit lane sum(u * s) over its 4 bytes (u unsigned, s signed; callers keep each
  // pair sum within int16, which vpmaddubsw needs).
  static vi dot_u8s8(vi acc, vi u, vi s) {
    if constexpr (kVnni) return _mm512_dpbusd_epi32(acc, u, s);
    else return _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(u, s), _mm512_set1_epi16(1)));
  }
  // Q4_K: vector k (k < 4) = sub-blocks 2k and 2k+1 in value order: the low nibbles of
  // qs[32k .. 32k+32) and then their high nibbles.
  static vi q4k_quants(const uint8_t* qs, int k) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 32 * k));
    const __m512i both = _mm512_inserti64x4(_mm512_castsi256_si512(v), _mm256_srli_epi16(v, 4), 1);
    return _mm512_and_si512(both, _mm512_set1_epi8(15));
  }
  // Q5_K: the same vectors with the fifth bits (bit 2k of qh[l] for the low half, 2k+1 for the
  // high half) added as 16 where set: a byte mask from vptestmb, one masked add.
  static vi q5k_quants(const uint8_t* blk, int k) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 16));
    const __m512i hh = _mm512_inserti64x4(_mm512_castsi256_si512(h), h, 1);
    const __m512i bit = _mm512_inserti64x4(_mm512_set1_epi8(static_cast<char>(1 << (2 * k))),
                                           _mm256_set1_epi8(static_cast<char>(2 << (2 * k))), 1);
    const __m512i q = q4k_quants(blk + 48, k);
    return _mm512_mask_add_epi8(q, _mm512_test_epi8_mask(hh, bit), q, _mm512_set1_epi8(16));
  }
  // Q6_K: vector k = values 64k .. 64k+64 as int8 q - 32, straight from the block into registers
  // (a 256-byte buffer written 32 bytes at a time and read 64 at a time stalls on store
  // forwarding: the first version, 39 against the F32 tile's 80 G MAC/s). Half h = k / 2 of the
  // super-block; its ql[64h .. 64h+64) give the low 4 bits (low nibbles for even k, high for odd),
  // qh[32h .. 32h+32) the high 2: bits 0-1 (even k) or 4-5 (odd) for the first 32 values, bits 2-3
  // or 6-7 for the next 32 (gguf/kquant.h).
  static vi q6k_quants(const uint8_t* blk, int k) {
    const __m512i ql = load(blk + 64 * (k / 2));
    const __m512i low = _mm512_and_si512(k % 2 ? _mm512_srli_epi16(ql, 4) : ql, _mm512_set1_epi8(15));
    const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 128 + 32 * (k / 2)));
    const __m512i hh = _mm512_inserti64x4(_mm512_castsi256_si512(qh), _mm256_srli_epi16(qh, 2), 1);
    const __m512i high = _mm512_and_si512(k % 2 ? hh : _mm512_slli_epi16(hh, 4), _mm512_set1_epi8(0x30));
    return _mm512_sub_epi8(_mm512_or_si512(low, high), _mm512_set1_epi8(32));
  }
  // Without VNNI: vpmaddubsw gives 16-bit pair sums, lanes 0..15 from sub-block 2k and 16..31
  // from 2k+1 of vector k; vpmaddwd with [sc(2k) x 16, sc(2k+1) x 16] scales and widens them.
  // With VNNI: vpdpbusd gives int32 lanes of 4-product sums (|sum| <= 4 * 15 * 127 = 7620 for Q4_K, 4 * 31 * 127 = 15748 for Q5_K,
  // 4 * 32 * 127 = 16256 for Q6_K: int16),
  // lanes 0..7 sub-block 2k, 8..15 2k+1; two such vectors are packed to 16-bit lanes (vpackssdw,
  // per 128-bit lane: 4 lanes of the first, 4 of the second) and one vpdpwssd applies the scales
  // laid out the same way. 6 multiply instructions per 256 values and token instead of 8.
  // vpermw indices into 16 scale words (Q4_K/Q5_K: the 8 scales then the 8 mins; Q6_K: its 16
  // scales), for groups of G values (32 or 16): entry k is the scale layout of vector k's 16-bit
  // lanes (VNNI: only entries 0 and 2 are used, one per pair of vectors). Without VNNI lane i
  // holds values 64k + 2i, 2i + 1; with VNNI lane i of the pair (k, k+1) holds a 4-value sum
  // from 128-bit chunk j = i / 8 of vector k + (i % 8) / 4, int32 lane 4j + i % 4 there.
  struct ScaleIndex {
    alignas(64) int16_t idx[4][32];
  };
  template <int G>
  static constexpr ScaleIndex scale_index() {
    ScaleIndex s{};
    for (int k = 0; k < 4; ++k)
      for (int i = 0; i < 32; ++i) {
        const int j = i / 8, second = (i % 8) / 4;
        const int value = kVnni ? 64 * (k + second) + 16 * j + 4 * (i % 4) : 64 * k + 2 * i;
        s.idx[k][i] = static_cast<int16_t>(value / G);
      }
    return s;
  }
  static void q4k_row_scales(const uint8_t* sm, vi* sc) {
    static constexpr ScaleIndex kIndex = scale_index<32>();
    const __m512i s16 =
        _mm512_castsi256_si512(_mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sm))));
    for (int k = 0; k < 4; k += kVnni ? 2 : 1) sc[k] = _mm512_permutexvar_epi16(_mm512_load_si512(kIndex.idx[k]), s16);
  }
  // VNNI: the four vectors' int32 lanes of 4-product sums (each within int16) packed in pairs
  // and multiplied with the scales (scale_index) and summed: int32 lanes again.
  static vi scaled_pairs(vi p0, vi p1, vi p2, vi p3, const vi* sc) {
    return _mm512_dpwssd_epi32(_mm512_madd_epi16(_mm512_packs_epi32(p0, p1), sc[0]), _mm512_packs_epi32(p2, p3),
                               sc[2]);
  }
  static vi q4k_dot(const vi* wq, const int8_t* xq, const vi* sc) {
    if constexpr (kVnni) {
      const __m512i z = _mm512_setzero_si512();
      const __m512i p0 = _mm512_dpbusd_epi32(z, wq[0], load(xq)), p1 = _mm512_dpbusd_epi32(z, wq[1], load(xq + 64));
      const __m512i p2 = _mm512_dpbusd_epi32(z, wq[2], load(xq + 128)), p3 = _mm512_dpbusd_epi32(z, wq[3], load(xq + 192));
      return scaled_pairs(p0, p1, p2, p3, sc);
    } else {
      __m512i acc = _mm512_madd_epi16(_mm512_maddubs_epi16(wq[0], load(xq)), sc[0]);
      for (int k = 1; k < 4; ++k)
        acc = _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(wq[k], load(xq + 64 * k)), sc[k]));
      return acc;
    }
  }
  // Q6_K: vector k = values 64k .. 64k+64 (groups 4k .. 4k+3); the 16 int8 scales sign-extended
  // and laid out as for Q4_K, with 16-value groups.
  static void q6k_row_scales(const int8_t* scales, vi* sc) {
    static constexpr ScaleIndex kIndex = scale_index<16>();
    const __m512i s16 =
        _mm512_castsi256_si512(_mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales))));
    for (int k = 0; k < 4; k += kVnni ? 2 : 1) sc[k] = _mm512_permutexvar_epi16(_mm512_load_si512(kIndex.idx[k]), s16);
  }
  // |w| * (xq with w's sign) per vector (sign_of), then the scales as for Q4_K.
  static vi signed_x(vi w, const int8_t* xq) { return sign_of(w, load(xq)); }
  static vi q6k_dot(const vi* aw, const vi* w, const int8_t* xq, const vi* sc) {
    if constexpr (kVnni) {
      // written out, not a loop over an array: GCC kept such an array on the stack (objdump)
      const __m512i z = _mm512_setzero_si512();
      const __m512i p0 = _mm512_dpbusd_epi32(z, aw[0], signed_x(w[0], xq));
      const __m512i p1 = _mm512_dpbusd_epi32(z, aw[1], signed_x(w[1], xq + 64));
      const __m512i p2 = _mm512_dpbusd_epi32(z, aw[2], signed_x(w[2], xq + 128));
      const __m512i p3 = _mm512_dpbusd_epi32(z, aw[3], signed_x(w[3], xq + 192));
      return scaled_pairs(p0, p1, p2, p3, sc);
    } else {
      __m512i acc = _mm512_madd_epi16(_mm512_maddubs_epi16(aw[0], signed_x(w[0], xq)), sc[0]);
      for (int k = 1; k < 4; ++k)
        acc = _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(aw[k], signed_x(w[k], xq + 64 * k)), sc[k]));
      return acc;
    }
  }
  // Q8_0: two blocks per vector (blocks == 1: the last, odd block; upper half zero).
  static vi q8_weights(const uint8_t* blk, int blocks) {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 2));
    if (blocks == 1) return _mm512_zextsi256_si512(lo);
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 36)), 1);
  }
  static vi load_blocks(const int8_t* q, int blocks) {
    if (blocks == 1) return _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q)));
    return load(q);
  }
  static vi abs8(vi w) { return _mm512_abs_epi8(w); }
  // |w| * (x with w's sign).
  static vi dot_s8(vi aw, vi w, vi x) { return dot_u8s8(_mm512_setzero_si512(), aw, sign_of(w, x)); }
  // Lanes 0..7 block 0's scale, 8..15 block 1's.
  static vf pair(float a, float b) {
    // (vinsertf64x4: AVX-512F; the 32x8 form needs AVX512DQ)
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_set1_ps(a)),
                                               _mm256_castps_pd(_mm256_set1_ps(b)), 1));
  }
  static vf q8_scales(const uint8_t* blk, int blocks) {
    return pair(half_at(blk), blocks == 2 ? half_at(blk + 34) : 0.0f);
  }
  static vf block_scales(const float* d, int blocks) { return pair(d[0], blocks == 2 ? d[1] : 0.0f); }
  // Q4_0..Q5_1 (simd_int8_legacy.inc.h), two blocks per vector (blocks == 1: the second is not
  // read, its half zero): 128-bit quarters [low nibbles of block 0, its high nibbles, block 1's
  // low, high] = values 0..31 of each block in order. The fifth bits of both blocks, qh0 | qh1 <<
  // 32, are exactly the byte mask of the values they belong to: one masked add of 16.
  template <int Slot>
  static vi legacy_quants(const uint8_t* blk, int blocks) {
    using L = LegacyLayout<Slot>;
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + L::kQsAt));
    const __m128i b = blocks == 2 ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + L::kBytes + L::kQsAt))
                                  : _mm_setzero_si128();
    const __m256i ab = _mm256_set_m128i(b, a);
    // [a, b, a >> 4, b >> 4] with the middle quarters swapped
    const __m512i v = _mm512_inserti64x4(_mm512_castsi256_si512(ab), _mm256_srli_epi16(ab, 4), 1);
    __m512i q = _mm512_and_si512(_mm512_shuffle_i64x2(v, v, _MM_SHUFFLE(3, 1, 2, 0)), _mm512_set1_epi8(15));
    if constexpr (L::kFifth) {
      uint32_t h0, h1 = 0;
      std::memcpy(&h0, blk + L::kQhAt, 4);
      if (blocks == 2) std::memcpy(&h1, blk + L::kBytes + L::kQhAt, 4);
      const __mmask64 fifth = static_cast<__mmask64>(h0) | static_cast<__mmask64>(h1) << 32;
      q = _mm512_mask_add_epi8(q, fifth, q, _mm512_set1_epi8(16));
    }
    if constexpr (L::kOffset != 0) q = _mm512_sub_epi8(q, _mm512_set1_epi8(L::kOffset));
    return q;
  }
  // The fp16 at blk (d; at blk + 2: m) in lanes 0..7 and the next block's in 8..15.
  template <int Bytes>
  static vf legacy_half(const uint8_t* blk, int blocks) {
    return pair(half_at(blk), blocks == 2 ? half_at(blk + Bytes) : 0.0f);
  }
  // Each block's scaled activation sum in its first lane (0 and 8), zeros elsewhere.
  static vf legacy_sums(const float* sums, int blocks) {
    return _mm512_maskz_mov_ps(0x0101, pair(sums[0], blocks == 2 ? sums[1] : 0.0f));
  }
  // Unsigned q (Q4_1, Q5_1: 0..31) times signed x, int32 lanes of four products.
  static vi dot_u8(vi q, vi x) { return dot_u8s8(_mm512_setzero_si512(), q, x); }
};
