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
  // prefill_tile_bench (1024 x 1024, one thread, load ~6, MAC/s F32 tile -> int8, VNNI): Q8_0
  // 37.4 -> 68.8 G (3 tokens), 78.7 -> 90.2 G (128); Q4_K 34.7 -> 81.4 G (3), 82.0 -> 112.6 G (128).
  static constexpr bool kFasterQ8_0 = true, kFasterQ4K = true;
  static vi load(const void* p) { return _mm512_loadu_si512(p); }
  static vi zero_i() { return _mm512_setzero_si512(); }
  static vf zero_f() { return _mm512_setzero_ps(); }
  static vf cvt(vi a) { return _mm512_cvtepi32_ps(a); }
  static vf set1(float f) { return _mm512_set1_ps(f); }
  static vf mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
  static vf fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
  static float hsum(vf v) { return _mm512_reduce_add_ps(v); }
  // Quantization (kernel_table.h); blocks are 32 or 256 values.
  static float abs_max(const float* x, int n) {
    __m512 m = _mm512_setzero_ps();
    for (int i = 0; i < n; i += 16) m = _mm512_max_ps(m, _mm512_abs_ps(_mm512_loadu_ps(x + i)));
    return _mm512_reduce_max_ps(m);
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
  // The 16 scales-then-mins bytes as 16-bit lanes (lanes 0..7 the scales); q4k_scales picks
  // [sc(2k) x 16, sc(2k+1) x 16], vpmaddubsw's 32 output lanes for vector k.
  static vi scales16(const uint8_t* sm) {
    return _mm512_castsi256_si512(_mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sm))));
  }
  static vi q4k_scales(const uint8_t*, vi sc16, int k) {
    const __m512i idx = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi16(static_cast<int16_t>(2 * k))),
                                           _mm256_set1_epi16(static_cast<int16_t>(2 * k + 1)), 1);
    return _mm512_permutexvar_epi16(idx, sc16);
  }
  static vi madd_scaled(vi acc, vi u, vi s, vi sc) {
    if constexpr (kVnni) return _mm512_dpwssd_epi32(acc, _mm512_maddubs_epi16(u, s), sc);
    else return _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(u, s), sc));
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
  // |w| * (x with w's sign): no vpsignb on 64-byte vectors, so x is negated where w < 0 by mask.
  static vi dot_s8(vi aw, vi w, vi x) {
    const __m512i sx = _mm512_mask_sub_epi8(x, _mm512_movepi8_mask(w), _mm512_setzero_si512(), x);
    return dot_u8s8(_mm512_setzero_si512(), aw, sx);
  }
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
};
