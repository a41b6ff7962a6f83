// The 32-byte traits of the integer prefill kernels (simd_int8.inc.h), with or without AVX-VNNI.
// kernels_int8_avx2.cpp (no VNNI: vpmaddubsw + vpmaddwd + vpaddd) and kernels_int8_avx_vnni.cpp
// (the VEX-encoded vpdpbusd / vpdpwssd of AVX-VNNI on 32-byte vectors) include this inside their
// anonymous namespace. They are separate files for the reason the AVX-512 pair is
// (simd_int8_avx512.inc.h): a file compiled with -mavxvnni may get vpdpwssd where its source says
// vpmaddwd + vpaddd (clang fuses them), which a CPU without AVX-VNNI cannot run.

// The AVX-VNNI instructions, named through a type that depends on kVnni: a discarded
// `if constexpr` branch is not instantiated, but a non-dependent call in it is still looked up
// where the template is defined, so kernels_int8_avx2.cpp would need the intrinsics' declarations
// (gcc < 11 and clang < 12 have none). Defined only where -mavxvnni is on (__AVXVNNI__).
template <bool kVnni>
struct AvxVnniOps;
#if defined(__AVXVNNI__)
template <>
struct AvxVnniOps<true> {
  static __m256i dpbusd(__m256i acc, __m256i u, __m256i s) { return _mm256_dpbusd_avx_epi32(acc, u, s); }
  static __m256i dpwssd(__m256i acc, __m256i a, __m256i b) { return _mm256_dpwssd_avx_epi32(acc, a, b); }
};
#endif

template <bool kVnni>
struct Avx2Int8 {
  using vi = __m256i;
  using vf = __m256;
  static constexpr int kBytes = 32;
  static constexpr int kTokens = 3;  // 4 x 3 accumulators, as the F32 tile
  static constexpr const char* kName = kVnni ? "avx-vnni" : "avx2";
  // Without VNNI, prefill_tile_bench (1024 x 1024, one thread, medians of 3, 12:40 UTC, load
  // 1.6-2.2; G MAC/s, F32 tile -> int8): Q8_0 35.0 -> 43.0 (6 tokens) but 52.1 -> 45.3 (128),
  // Q4_K 34.8 -> 41.0 (6) but 53.1 -> 40.6 (128 tokens, a prompt's usual batch): both keep the
  // F32 tile on AVX2.
  // AVX-VNNI, the same bench on this VM's EPYC (which has AVX-VNNI; 2026-12-03 12:18-12:23 UTC,
  // load 4.2-7.6: medians of 5 alternating rounds, median per-round ratio to the F32 tile):
  // Q8_0 34.0 -> 54.0 (6 tokens), 48.2 -> 54.5 (128, x1.14, 0.85-1.24); Q4_K 30.5 -> 47.4 (6)
  // but 50.6 -> 46.6 (128, x0.91, 0.70-1.07): the int8 tile for Q8_0 only. vpdpbusd gave
  // x1.09-1.20 over vpmaddubsw + vpmaddwd for both; Q4_K's tile, 3 tokens a call, unpacks each
  // super-block again for every 3 tokens while the F32 tile converts a row once per call (the
  // likely reason it loses; not measured apart).
  static constexpr bool kFasterQ8_0 = kVnni, kFasterQ4K = false;
  // Without VNNI: Q5_K 28.5 -> 37.1 (6), 52.6 -> 38.8 (128); Q6_K 23.5 -> 35.0 (6), 50.6 -> 33.8
  // (128) (14:48 UTC, load 2.1-2.4): the F32 tile as well.
  // AVX-VNNI (the same rounds): Q5_K 26.1 -> 39.5 (6), 48.7 -> 36.8 (128, x0.75); Q6_K 19.0 ->
  // 33.6 (6), 44.8 -> 32.1 (128, x0.68): the F32 tile.
  static constexpr bool kFasterQ5K = false, kFasterQ6K = false;
  // Without VNNI: Q4_0, Q4_1, Q5_0, Q5_1, tile -> int8 tile, medians of 5 alternating rounds (20:08
  // UTC, load 4.5-6.5): 32.7 -> 38.0, 32.0 -> 38.6, 24.0 -> 28.4, 24.4 -> 28.3 (6 tokens) but
  // 49.8 -> 37.6, 47.1 -> 39.6, 46.6 -> 27.9, 45.9 -> 30.0 (128): the F32 tile.
  // AVX-VNNI (the same rounds): 33.1 -> 43.4, 32.5 -> 43.2, 24.6 -> 33.3, 25.7 -> 32.9 (6) but
  // 50.2 -> 42.8, 50.2 -> 43.6, 49.3 -> 32.8, 43.9 -> 32.7 (128): the F32 tile.
  static constexpr bool kFasterQ4_0 = false, kFasterQ4_1 = false, kFasterQ5_0 = false, kFasterQ5_1 = false;
  static vi load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
  static vi zero_i() { return _mm256_setzero_si256(); }
  static vf zero_f() { return _mm256_setzero_ps(); }
  static vf cvt(vi a) { return _mm256_cvtepi32_ps(a); }
  static vf set1(float f) { return _mm256_set1_ps(f); }
  static vf mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
  static vf fma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
  static float hsum(vf v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  // Quantization (kernel_table.h): max |x| of a block, q = cvtps2dq(x * id), sum of 32 q.
  // The max over |x|'s bits as int32: without the sign they order as the values do, with every
  // NaN above infinity above every finite value, so a NaN is never lost (vmaxps returns its
  // second operand when either is NaN: which NaN survived depended on its position).
  static float abs_max(const float* x, int n) {
    const __m256i mask = _mm256_set1_epi32(0x7fffffff);
    __m256i m = _mm256_setzero_si256();
    for (int i = 0; i < n; i += 8) m = _mm256_max_epi32(m, _mm256_and_si256(load(x + i), mask));
    __m128i h = _mm_max_epi32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
    h = _mm_max_epi32(h, _mm_unpackhi_epi64(h, h));
    h = _mm_max_epi32(h, _mm_shuffle_epi32(h, 1));
    return _mm_cvtss_f32(_mm_castsi128_ps(h));
  }
  static void quantize(const float* x, int n, float id, int8_t* q) {
    const __m256 v = _mm256_set1_ps(id);
    for (int i = 0; i < n; i += 32) {
      const __m256i a = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i), v));
      const __m256i b = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i + 8), v));
      const __m256i c = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i + 16), v));
      const __m256i d = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i + 24), v));
      // packs work per 128-bit lane: the permute puts the four quarters back in order
      const __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
      const __m256i abcd = _mm256_packs_epi16(ab, cd);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + i),
                          _mm256_permutevar8x32_epi32(abcd, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
    }
  }
  static int sum32(const int8_t* q) {
    const __m256i s16 = _mm256_maddubs_epi16(_mm256_set1_epi8(1), load(q));
    const __m256i s32 = _mm256_madd_epi16(s16, _mm256_set1_epi16(1));
    __m128i h = _mm_add_epi32(_mm256_castsi256_si128(s32), _mm256_extracti128_si256(s32, 1));
    h = _mm_add_epi32(h, _mm_unpackhi_epi64(h, h));
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 1));
    return _mm_cvtsi128_si32(h);
  }
  // Per 32-bit lane sum(u * s) over its 4 bytes (u unsigned, s signed; callers keep each pair sum
  // within int16, which vpmaddubsw needs): one vpdpbusd with VNNI.
  static vi dot4(vi u, vi s) {
    if constexpr (kVnni) return AvxVnniOps<kVnni>::dpbusd(_mm256_setzero_si256(), u, s);
    else return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
  }
  // Q4_K: vector k = the 32 quants of sub-block k (byte 32*(k/2) + l: low nibble for even k).
  static vi q4k_quants(const uint8_t* qs, int k) {
    const __m256i v = load(qs + 32 * (k / 2));
    return _mm256_and_si256(k % 2 ? _mm256_srli_epi16(v, 4) : v, _mm256_set1_epi8(15));
  }
  // Q5_K: the same with the fifth bit (bit k of qh[l]) added as 16 where set.
  static vi q5k_quants(const uint8_t* blk, int k) {
    const __m256i bit = _mm256_set1_epi8(static_cast<char>(1 << k));
    const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(load(blk + 16), bit), bit);
    return _mm256_or_si256(q4k_quants(blk + 48, k), _mm256_and_si256(set, _mm256_set1_epi8(16)));
  }
  // Q6_K: vector k = values 32k .. 32k+32 as int8 q - 32 (gguf/kquant.h: half h = k / 4, quarter
  // c = k % 4; low 4 bits from ql[64h + 32(c & 1) ..], high nibbles for c >= 2; high 2 bits are
  // bits 2c..2c+1 of qh[32h ..]).
  static vi q6k_quants(const uint8_t* blk, int k) {
    const int h = k / 4, c = k % 4;
    const __m256i ql = load(blk + 64 * h + 32 * (c & 1));
    const __m256i low = _mm256_and_si256(c >= 2 ? _mm256_srli_epi16(ql, 4) : ql, _mm256_set1_epi8(15));
    const __m256i qh = load(blk + 128 + 32 * h);
    // bits 2c..2c+1 moved to bits 4..5
    const __m256i at4 = c == 0   ? _mm256_slli_epi16(qh, 4)
                        : c == 1 ? _mm256_slli_epi16(qh, 2)
                        : c == 2 ? qh
                                 : _mm256_srli_epi16(qh, 2);
    return _mm256_sub_epi8(_mm256_or_si256(low, _mm256_and_si256(at4, _mm256_set1_epi8(0x30))), _mm256_set1_epi8(32));
  }
  // The sub-block scales lined up with the 16-bit lanes they multiply.
  // Without VNNI: vpmaddubsw's pair sums of vector k, all from sub-block k: sc[k] = its scale.
  // With VNNI: vpdpbusd gives int32 lanes of 4-product sums (|sum| <= 4 * 15 * 127 = 7620 for
  // Q4_K, 4 * 31 * 127 = 15748 for Q5_K, 4 * 32 * 127 = 16256 for Q6_K: int16); vectors k and k+1
  // are packed to 16-bit lanes (vpackssdw works per 128-bit half: four lanes of k, then four of
  // k+1, in each half) and one vpdpwssd applies the scales laid out the same way, sc[k] for even
  // k only. 4 vpdpbusd + 2 (vpackssdw + vpdpwssd) per pair of vectors instead of 8 + 4 + 2 adds.
  // a in 16-bit lanes 0..3, b in 4..7
  static __m128i two_scales(int a, int b) {
    return _mm_unpacklo_epi64(_mm_set1_epi16(static_cast<short>(a)), _mm_set1_epi16(static_cast<short>(b)));
  }
  static void q4k_row_scales(const uint8_t* sm, vi* sc) {
    if constexpr (kVnni) {
      for (int k = 0; k < 8; k += 2) sc[k] = _mm256_broadcastsi128_si256(two_scales(sm[k], sm[k + 1]));
    } else {
      for (int k = 0; k < 8; ++k) sc[k] = _mm256_set1_epi16(sm[k]);
    }
  }
  // VNNI: eight vectors' int32 lanes of 4-product sums (each within int16), packed in pairs and
  // multiplied with the scales (q4k_row_scales) and summed: int32 lanes again. Two chains of
  // vpdpwssd, not one: half the dependent latency per token. Eight arguments, not an array: GCC
  // kept such an array on the stack in the AVX-512 variant (simd_int8_avx512.inc.h).
  static vi scaled_pairs(vi p0, vi p1, vi p2, vi p3, vi p4, vi p5, vi p6, vi p7, const vi* sc) {
    const __m256i a = _mm256_madd_epi16(_mm256_packs_epi32(p0, p1), sc[0]);
    const __m256i b = _mm256_madd_epi16(_mm256_packs_epi32(p2, p3), sc[2]);
    return _mm256_add_epi32(AvxVnniOps<kVnni>::dpwssd(a, _mm256_packs_epi32(p4, p5), sc[4]),
                            AvxVnniOps<kVnni>::dpwssd(b, _mm256_packs_epi32(p6, p7), sc[6]));
  }
  static vi q4k_dot(const vi* wq, const int8_t* xq, const vi* sc) {
    if constexpr (kVnni) {
      const auto p = [&](int k) { return dot4(wq[k], load(xq + 32 * k)); };
      return scaled_pairs(p(0), p(1), p(2), p(3), p(4), p(5), p(6), p(7), sc);
    } else {
      __m256i acc = _mm256_madd_epi16(_mm256_maddubs_epi16(wq[0], load(xq)), sc[0]);
      for (int k = 1; k < 8; ++k)
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(wq[k], load(xq + 32 * k)), sc[k]));
      return acc;
    }
  }
  // Q6_K: vector k = groups 2k (bytes 0..15, the low 128-bit half) and 2k+1 (the high half).
  // Without VNNI vpmaddubsw's 16-bit lanes 0..7 come from the first, 8..15 from the second. With
  // VNNI the packed pair (k, k+1) holds, per half, four lanes of vector k and four of k+1: groups
  // 2k and 2k+2 in the low half, 2k+1 and 2k+3 in the high half.
  static void q6k_row_scales(const int8_t* scales, vi* sc) {
    if constexpr (kVnni) {
      for (int k = 0; k < 8; k += 2)
        sc[k] = _mm256_set_m128i(two_scales(scales[2 * k + 1], scales[2 * k + 3]),
                                 two_scales(scales[2 * k], scales[2 * k + 2]));
    } else {
      for (int k = 0; k < 8; ++k)
        sc[k] = _mm256_set_m128i(_mm_set1_epi16(scales[2 * k + 1]), _mm_set1_epi16(scales[2 * k]));
    }
  }
  static vi q6k_dot(const vi* aw, const vi* w, const int8_t* xq, const vi* sc) {
    if constexpr (kVnni) {
      const auto p = [&](int k) { return dot4(aw[k], _mm256_sign_epi8(load(xq + 32 * k), w[k])); };
      return scaled_pairs(p(0), p(1), p(2), p(3), p(4), p(5), p(6), p(7), sc);
    } else {
      __m256i acc = _mm256_madd_epi16(_mm256_maddubs_epi16(aw[0], _mm256_sign_epi8(load(xq), w[0])), sc[0]);
      for (int k = 1; k < 8; ++k)
        acc = _mm256_add_epi32(
            acc, _mm256_madd_epi16(_mm256_maddubs_epi16(aw[k], _mm256_sign_epi8(load(xq + 32 * k), w[k])), sc[k]));
      return acc;
    }
  }
  // Q8_0: one block per vector.
  static vi q8_weights(const uint8_t* blk, int) { return load(blk + 2); }
  static vi load_blocks(const int8_t* q, int) { return load(q); }
  static vi abs8(vi w) { return _mm256_sign_epi8(w, w); }
  // |w| * (x with w's sign).
  static vi dot_s8(vi aw, vi w, vi x) { return dot4(aw, _mm256_sign_epi8(x, w)); }
  static vf q8_scales(const uint8_t* blk, int) { return set1(half_at(blk)); }
  static vf block_scales(const float* d, int) { return _mm256_broadcast_ss(d); }
  // Q4_0..Q5_1 (simd_int8_legacy.inc.h), one block per vector: bytes 0..15 the low nibbles of
  // qs (values 0..15), 16..31 the high ones; a fifth bit v of qh (little-endian uint32) goes to
  // byte v: qh's byte v / 8 copied to every byte of its eight (vpshufb within each 128-bit half,
  // both holding all four bytes), bit v % 8 tested by compare, 16 where set.
  template <int Slot>
  static vi legacy_quants(const uint8_t* blk, int) {
    using L = LegacyLayout<Slot>;
    const __m128i qs = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + L::kQsAt));
    __m256i q = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(qs, 4), qs), _mm256_set1_epi8(15));
    if constexpr (L::kFifth) {
      uint32_t h;
      std::memcpy(&h, blk + L::kQhAt, 4);
      const __m256i spread = _mm256_shuffle_epi8(
          _mm256_set1_epi32(static_cast<int>(h)),
          _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
      const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ull));
      q = _mm256_or_si256(q, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit),
                                              _mm256_set1_epi8(16)));
    }
    if constexpr (L::kOffset != 0) q = _mm256_sub_epi8(q, _mm256_set1_epi8(L::kOffset));
    return q;
  }
  // The fp16 at blk (d; at blk + 2: m) in every lane.
  template <int Bytes>
  static vf legacy_half(const uint8_t* blk, int) { return set1(half_at(blk)); }
  // The block's scaled activation sum in lane 0, zeros elsewhere (one FMA adds m times it).
  static vf legacy_sums(const float* sums, int) { return _mm256_setr_ps(sums[0], 0, 0, 0, 0, 0, 0, 0); }
  // Unsigned q (Q4_1, Q5_1: 0..31) times signed x, int32 lanes of four products.
  static vi dot_u8(vi q, vi x) { return dot4(q, x); }
  static float half_at(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return _cvtsh_ss(h);
  }
};
