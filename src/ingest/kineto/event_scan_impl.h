// A reader for the usual shape of Kineto's trace events that scans the JSON text directly, without
// simdjson's structural index and on-demand iteration (docs/ingest.md, "Direct event scan").
//
// It takes a middle piece of the traceEvents array ("[" event "," event ... "]", see
// kineto_reader.h) and reads events into the sink for as long as each one is in the shape it
// knows: an object whose keys and strings have no escapes, whose values are strings, JSON numbers,
// literals, or arrays and objects of those (nested at most a few levels). It checks the JSON grammar
// of everything it takes (UTF-8 by simdjson::validate_utf8, for strings with non-ASCII bytes) and fills
// exactly the RawEvent that the on-demand reader (piece_reader_impl.h) fills for the same text.
// At the first event it does not take (an escape, a control character, an element that is not an
// object, malformed JSON, anything else) it stops and says where; the on-demand reader reads that
// event (or, when it fails there, the rest of the piece) and the scan goes on after it: that reader
// alone decides on unusual input, so its results and error messages are what they were. An event
// is passed to the sink only after the separator behind it ("," or the final "]") was checked, so
// the rest always starts at a separator.
//
// Included by piece_reader_impl.h, so compiled once per parser kernel (inside the AVX2 target
// region for the haswell kernel: strings are then scanned 32 bytes at a time). No include guard.
#ifndef INFERTRACE_KINETO_KERNEL_NS
#error "included by piece_reader_impl.h only"
#endif

#include <simdjson.h>

#include <array>
#include <bit>
#include <cstring>
#include <string_view>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "ingest/kineto/event_sink.h"
#include "ingest/kineto/json_number.h"
#include "ingest/kineto/key_cache.h"
#include "ingest/kineto/string_id.h"

namespace infertrace::kineto::INFERTRACE_KINETO_KERNEL_NS {

namespace {

#define INFERTRACE_SCAN_INLINE inline __attribute__((always_inline))

// Objects and arrays inside an event deeper than this are left to the on-demand reader (Kineto
// nests two levels: args, then "Input Dims": [[...]]).
constexpr int kMaxNesting = 8;

bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
// What may follow a number or a literal: whitespace or the structural character after a value.
bool ends_value(char c) { return is_ws(c) || c == ',' || c == '}' || c == ']'; }

// A run of whitespace, a block at a time: Kineto indents its events (",\n    \"ts\"", six spaces
// between args), and byte by byte those runs cost a compare chain and a mispredicted loop exit
// each. Stops at the first byte that is not whitespace; the piece ends with ']', and at least 64
// readable bytes follow it, so a block never reads past what the scan may read.
#if defined(__AVX2__) || defined(INFERTRACE_KINETO_SCAN_AVX2)
inline const char* skip_ws_run(const char* p) {
  // A byte is whitespace when it equals the table entry at its low nibble (' ' 0x20, '\t' 0x09,
  // '\n' 0x0A, '\r' 0x0D; every other entry is 0, which no byte with that low nibble equals but
  // 0x00 itself, whose entry is ' '). Bytes >= 0x80 look up 0 (the shuffle's high-bit rule).
  const __m256i table = _mm256_setr_epi8(' ', 0, 0, 0, 0, 0, 0, 0, 0, '\t', '\n', 0, 0, '\r', 0, 0,
                                         ' ', 0, 0, 0, 0, 0, 0, 0, 0, '\t', '\n', 0, 0, '\r', 0, 0);
  for (;;) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const unsigned ws = static_cast<unsigned>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_shuffle_epi8(table, v), v)));
    if (ws != 0xFFFFFFFFu) return p + __builtin_ctz(~ws);
    p += 32;
  }
}
#elif defined(__SSE2__)
inline const char* skip_ws_run(const char* p) {
  for (;;) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i ws_bytes = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))),
                                          _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\t'))));
    const unsigned ws = static_cast<unsigned>(_mm_movemask_epi8(ws_bytes));
    if (ws != 0xFFFFu) return p + __builtin_ctz(~ws & 0xFFFFu);
    p += 16;
  }
}
#else
inline const char* skip_ws_run(const char* p) {
  while (is_ws(*p)) ++p;
  return p;
}
#endif

// Every whitespace byte is <= ' ', so the usual cases (none, or one space as Kineto writes after
// ':' and ',') take one or two compares; longer runs go a block at a time.
INFERTRACE_SCAN_INLINE const char* skip_ws(const char* p) {
  if (static_cast<unsigned char>(*p) > ' ') return p;
  if (*p == ' ' && static_cast<unsigned char>(p[1]) > ' ') return p + 1;
  return skip_ws_run(p);
}

INFERTRACE_SCAN_INLINE uint64_t load8(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// A key as the 8-byte words the input holds when it is that key and its closing quote (up to 32
// bytes: Kineto's longest usual args key is "est. achieved occupancy %"), made at compile time
// (building them at run time cost a store-forwarding stall per compare).
template <size_t N>
struct KeyWords {
  static_assert(N >= 2 && N <= 32, "key too long for four 8-byte compares");
  static constexpr size_t kWords = (N + 7) / 8;
  uint64_t w[4] = {0, 0, 0, 0}, mask[4] = {0, 0, 0, 0};
  size_t length = N;  // the key's bytes and its closing quote
  consteval KeyWords(const char (&lit)[N]) {
    std::array<char, 32> text{};
    for (size_t i = 0; i + 1 < N; ++i) text[i] = lit[i];
    text[N - 1] = '"';
    for (size_t j = 0; j < 4; ++j) {
      std::array<char, 8> word{}, on{};
      for (size_t i = 0; i < 8; ++i) {
        word[i] = text[8 * j + i];
        on[i] = 8 * j + i < N ? char(0xFF) : 0;
      }
      w[j] = std::bit_cast<uint64_t>(word);
      mask[j] = std::bit_cast<uint64_t>(on);
    }
  }
};

INFERTRACE_SCAN_INLINE uint32_t load4(const char* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}

// The bytes `a` `b` `c` as load4() reads them from the input (the low three bytes).
constexpr uint32_t three_bytes(char a, char b, char c) {
  return std::bit_cast<uint32_t>(std::array<char, 4>{a, b, c, 0});
}

// After a key's closing quote: the first byte of its value, past ':' and whitespace, or nullptr.
// Kineto writes ": " and then the value, which is one compare.
INFERTRACE_SCAN_INLINE const char* after_colon(const char* p) {
  if ((load4(p) & 0xFFFF) == (three_bytes(':', ' ', 0) & 0xFFFF) && static_cast<unsigned char>(p[2]) > ' ')
    return p + 2;
  p = skip_ws(p);
  if (*p != ':') return nullptr;
  return skip_ws(p + 1);
}

// `p` right after a member's value: true with `p` at the next member's opening quote when Kineto's
// usual ", \"" follows (one compare; anything else goes the general way).
INFERTRACE_SCAN_INLINE bool comma_then_key(const char*& p) {
  if ((load4(p) & 0xFFFFFF) != three_bytes(',', ' ', '"')) return false;
  p += 2;
  return true;
}

// The raw key at `k` (after its opening quote) is exactly `K` (same test as the on-demand reader:
// the text, then the closing quote), as one to four 8-byte compares. Keys are followed by more of
// the piece or its padding (at least 64 bytes), so 32 bytes are always readable.
template <KeyWords K>
INFERTRACE_SCAN_INLINE bool key_is(const char* k) {
  uint64_t diff = (load8(k) ^ K.w[0]) & K.mask[0];
  if constexpr (K.kWords > 1) diff |= (load8(k + 8) ^ K.w[1]) & K.mask[1];
  if constexpr (K.kWords > 2) diff |= (load8(k + 16) ^ K.w[2]) & K.mask[2];
  if constexpr (K.kWords > 3) diff |= (load8(k + 24) ^ K.w[3]) & K.mask[3];
  return diff == 0;
}

// Up to 32 bytes of text as the 8-byte words the input holds where it starts with that text, and
// the masks of its first `length` and `key_length` bytes, made at compile time.
struct TextWords {
  uint64_t w[4] = {0, 0, 0, 0}, mask[4] = {0, 0, 0, 0}, key_mask[4] = {0, 0, 0, 0};
  uint32_t bits = 0, key_bits = 0;  // bit i set for each byte i of the text / of the key
  consteval TextWords(const std::array<char, 32>& text, size_t length, size_t key_length) {
    for (size_t i = 0; i < 32; ++i) {
      if (i < length) bits |= uint32_t(1) << i;
      if (i < key_length) key_bits |= uint32_t(1) << i;
    }
    for (size_t j = 0; j < 4; ++j) {
      std::array<char, 8> word{}, on{}, key_on{};
      for (size_t i = 0; i < 8; ++i) {
        word[i] = text[8 * j + i];
        on[i] = 8 * j + i < length ? char(0xFF) : 0;
        key_on[i] = 8 * j + i < key_length ? char(0xFF) : 0;
      }
      w[j] = std::bit_cast<uint64_t>(word);
      mask[j] = std::bit_cast<uint64_t>(on);
      key_mask[j] = std::bit_cast<uint64_t>(key_on);
    }
  }
};

// Which text bytes differ at `p`: in the haswell kernel one 32-byte compare gives a bit per byte
// (test with `bits` / `key_bits`); elsewhere the XOR of 8-byte words (test with `mask` / `key_mask`).
#if defined(__AVX2__) || defined(INFERTRACE_KINETO_SCAN_AVX2)
INFERTRACE_SCAN_INLINE uint32_t differing_bytes(const char* p, const TextWords& t) {
  const __m256i text = _mm256_setr_epi64x(static_cast<long long>(t.w[0]), static_cast<long long>(t.w[1]),
                                          static_cast<long long>(t.w[2]), static_cast<long long>(t.w[3]));
  return ~static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)), text)));
}
#endif

// A member as Kineto writes it: `"KEY": ` (quotes, colon and one space) from its opening quote,
// with a mask covering `"KEY"` alone, so that one masked compare tells a member of that key with
// Kineto's spacing from one with other spacing and from any other member; and `, "KEY": `, the
// same member right after the previous member's value.
template <size_t N>
struct MemberWords {
  static constexpr size_t kLength = N + 3;  // '"', the key, '"', ':', ' '
  static constexpr size_t kKeyLength = N + 1;  // '"', the key, '"'
  static constexpr size_t kAfterValueLength = N + 5;  // ',', ' ', then as above
  static_assert(kAfterValueLength <= 32, "member too long for four 8-byte compares");
  // The same without spaces, as compact JSON writes it (json.dump with separators=(",", ":")):
  // `"KEY":` and `,"KEY":`.
  static constexpr size_t kCompactLength = N + 2;
  static constexpr size_t kCompactAfterValueLength = N + 3;
  TextWords member, after_value, compact_member, compact_after_value;
  consteval MemberWords(const char (&lit)[N])
      : member(text(lit, false, true), kLength, kKeyLength),
        after_value(text(lit, true, true), kAfterValueLength, 0),
        compact_member(text(lit, false, false), kCompactLength, kKeyLength),
        compact_after_value(text(lit, true, false), kCompactAfterValueLength, 0) {}
  static consteval std::array<char, 32> text(const char (&lit)[N], bool comma, bool spaced) {
    std::array<char, 32> t{};
    size_t at = 0;
    if (comma) {
      t[at++] = ',';
      if (spaced) t[at++] = ' ';
    }
    t[at++] = '"';
    for (size_t i = 0; i + 1 < N; ++i) t[at++] = lit[i];
    t[at++] = '"';
    t[at++] = ':';
    if (spaced) t[at++] = ' ';
    return t;
  }
};

// One block of a string at `p`: `hit` has a bit per byte that ends the scan (a quote, a backslash,
// or a control character: a byte <= 0x1F unsigned is its own minimum with 0x1F, or DEL, 0x7F,
// which JSON allows raw but a name must not keep), `high` one per byte >= 0x80. 32 bytes with AVX2
// (the haswell kernel), else 16 with SSE2.
#if defined(__AVX2__) || defined(INFERTRACE_KINETO_SCAN_AVX2)
constexpr size_t kStringBlock = 32;
INFERTRACE_SCAN_INLINE void string_block(const char* p, unsigned& hit, unsigned& high) {
  const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i quote = _mm256_set1_epi8('"'), backslash = _mm256_set1_epi8('\\'), c1f = _mm256_set1_epi8(0x1F);
  const __m256i del = _mm256_set1_epi8(0x7F);
  hit = static_cast<unsigned>(_mm256_movemask_epi8(_mm256_or_si256(
      _mm256_or_si256(_mm256_cmpeq_epi8(v, quote), _mm256_cmpeq_epi8(v, backslash)),
      _mm256_or_si256(_mm256_cmpeq_epi8(_mm256_min_epu8(v, c1f), v), _mm256_cmpeq_epi8(v, del)))));
  high = static_cast<unsigned>(_mm256_movemask_epi8(v));
}
#elif defined(__SSE2__)
constexpr size_t kStringBlock = 16;
INFERTRACE_SCAN_INLINE void string_block(const char* p, unsigned& hit, unsigned& high) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), c1f = _mm_set1_epi8(0x1F);
  const __m128i del = _mm_set1_epi8(0x7F);
  hit = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(
      _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
      _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, c1f), v), _mm_cmpeq_epi8(v, del)))));
  high = static_cast<unsigned>(_mm_movemask_epi8(v));
}
#endif

// `p` is just after an opening quote. Returns the closing quote, or nullptr when the string holds
// an escape or a control character, DEL included (the on-demand reader handles those), is not valid UTF-8, or
// does not close before the piece's last byte. Reads up to 31 bytes past `end`, which the caller
// guarantees readable. UTF-8 is checked here, string by string and only for strings with a byte
// >= 0x80: everything outside strings that the scan accepts is ASCII grammar.
INFERTRACE_SCAN_INLINE const char* string_end(const char* p, const char* end) {
  const char* const start = p;
  unsigned non_ascii = 0;
#if defined(__AVX2__) || defined(INFERTRACE_KINETO_SCAN_AVX2) || defined(__SSE2__)
  for (;;) {
    unsigned mask, high;
    string_block(p, mask, high);
    if (mask != 0) {
      non_ascii |= high & ((mask & (0u - mask)) - 1);  // only the bytes before the hit
      p += __builtin_ctz(mask);
      break;
    }
    non_ascii |= high;
    p += kStringBlock;
    if (p >= end) return nullptr;
  }
#else
  while (p < end && *p != '"' && *p != '\\' && static_cast<unsigned char>(*p) >= 0x20 && *p != 0x7F) non_ascii |= static_cast<unsigned char>(*p++) & 0x80;
#endif
  if (p >= end - 1 || *p != '"') return nullptr;
  if (non_ascii != 0 && !simdjson::validate_utf8(start, static_cast<size_t>(p - start))) return nullptr;
  return p;
}

// A JSON number at `p`: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, followed by whitespace or a
// structural character. Returns its end or nullptr. Byte by byte; number_end() below is the same
// test for the usual lengths.
const char* number_end_bytewise(const char* p) {
  if (*p == '-') ++p;
  if (*p == '0') {
    ++p;
  } else if (is_digit(*p)) {
    while (is_digit(*p)) ++p;
  } else {
    return nullptr;
  }
  if (*p == '.') {
    ++p;
    if (!is_digit(*p)) return nullptr;
    while (is_digit(*p)) ++p;
  }
  if (*p == 'e' || *p == 'E') {
    ++p;
    if (*p == '+' || *p == '-') ++p;
    if (!is_digit(*p)) return nullptr;
    while (is_digit(*p)) ++p;
  }
  return ends_value(*p) ? p : nullptr;
}



// Index (0..8) of the first byte of `w` (loaded little-endian) that is not an ASCII digit. A byte
// >= 0xFA carries into the next byte in the second test, which can only spoil bytes after it.
INFERTRACE_SCAN_INLINE unsigned first_non_digit(uint64_t w) {
  const uint64_t high = (w & 0xF0F0F0F0F0F0F0F0) ^ 0x3030303030303030;
  const uint64_t over9 = ((w + 0x0606060606060606) & 0xF0F0F0F0F0F0F0F0) ^ 0x3030303030303030;
  const uint64_t bad = high | over9;
  return bad == 0 ? 8 : static_cast<unsigned>(__builtin_ctzll(bad)) / 8;
}

// The value of 8 ASCII digits loaded little-endian (first digit in the low byte).
INFERTRACE_SCAN_INLINE uint64_t eight_digit_value(uint64_t w) {
  w -= 0x3030303030303030;
  w = (w * 10) + (w >> 8);
  return (((w & 0x000000FF000000FF) * 0x000F424000000064) + (((w >> 16) & 0x000000FF000000FF) * 0x0000271000000001)) >> 32;
}

// The value of the first `n` (1..8) digits of `w`: they are moved to the high end and '0's fill in.
INFERTRACE_SCAN_INLINE uint64_t digits_value(uint64_t w, unsigned n) {
  if (n < 8) w = (w << (64 - 8 * n)) | (0x3030303030303030ull >> (8 * n));
  return eight_digit_value(w);
}

constexpr uint64_t kPow10[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

// digit_run(p): how many ASCII digits start at `p`, exactly up to kExactDigitRun (a longer run
// reads as more than that). digits_at(p, n): the value of the `n` (1..16) digits at `p`. Numbers
// are followed by more of the piece or its padding, so 32 bytes are always readable.
#if defined(__AVX2__) || defined(INFERTRACE_KINETO_SCAN_AVX2)
// Runs up to this long are counted exactly (longer ones read as 32).
constexpr unsigned kExactDigitRun = 31;
// One 32-byte compare counts the run (a digit minus '0' is its own minimum with 9, unsigned);
// 16 digits convert as in simdjson-style SIMD parsing: each byte's digit, right-aligned by a
// shuffle, then pairs, fours and eights summed with multiply-adds.
INFERTRACE_SCAN_INLINE unsigned digit_run(const char* p) {
  const __m256i d = _mm256_sub_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)), _mm256_set1_epi8('0'));
  const unsigned digits = static_cast<unsigned>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(d, _mm256_set1_epi8(9)), d)));
  return static_cast<unsigned>(__builtin_ctzll(~static_cast<uint64_t>(digits)));
}

// Shuffle masks that move the first n bytes of a 16-byte block to its end and zero the rest.
struct RightAlign {
  alignas(16) uint8_t m[17][16];
  consteval RightAlign() : m{} {
    for (unsigned n = 0; n <= 16; ++n)
      for (unsigned j = 0; j < 16; ++j) m[n][j] = j >= 16 - n ? static_cast<uint8_t>(j - (16 - n)) : 0x80;
  }
};
inline constexpr RightAlign kRightAlign{};

INFERTRACE_SCAN_INLINE uint64_t digits_at(const char* p, unsigned n) {
  __m128i v = _mm_sub_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), _mm_set1_epi8('0'));
  v = _mm_shuffle_epi8(v, _mm_load_si128(reinterpret_cast<const __m128i*>(kRightAlign.m[n])));
  const __m128i pairs = _mm_maddubs_epi16(v, _mm_setr_epi8(10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1));
  const __m128i fours = _mm_madd_epi16(pairs, _mm_setr_epi16(100, 1, 100, 1, 100, 1, 100, 1));
  const __m128i packed = _mm_packus_epi32(fours, fours);
  const __m128i eights = _mm_madd_epi16(packed, _mm_setr_epi16(10000, 1, 10000, 1, 10000, 1, 10000, 1));
  const uint64_t both = static_cast<uint64_t>(_mm_cvtsi128_si64(eights));
  return (both & 0xFFFFFFFF) * 100000000 + (both >> 32);
}
#else
constexpr unsigned kExactDigitRun = 15;
INFERTRACE_SCAN_INLINE unsigned digit_run(const char* p) {
  const unsigned n = first_non_digit(load8(p));
  return n < 8 ? n : 8 + first_non_digit(load8(p + 8));
}

INFERTRACE_SCAN_INLINE uint64_t digits_at(const char* p, unsigned n) {
  if (n <= 8) return digits_value(load8(p), n);
  return eight_digit_value(load8(p)) * kPow10[n - 8] + digits_value(load8(p + 8), n - 8);
}
#endif

// The usual number shapes in one pass: '-'? then 1 to 15 integer digits (no leading zero unless
// alone) and, when `max_decimals` > 0, '.' and 1 to `max_decimals` digits, then no exponent.
// `scaled` = value * 10^max_decimals, what fast_decimal() in json_number.cpp computes for the same
// text. Returns the end of the number, or nullptr when the text is of another shape (then the
// caller checks it with number_end() and converts it with json_number.h).
INFERTRACE_SCAN_INLINE const char* common_number(const char* p, int max_decimals, int64_t& scaled) {
  const bool neg = *p == '-';
  p += neg;
  const unsigned n = digit_run(p);
  if (n - 1 >= 15) return nullptr;  // none, or 16 digits or more
  uint64_t v = digits_at(p, n);
  if (n > 1 && *p == '0') return nullptr;
  p += n;
  if (max_decimals > 0) {
    unsigned nf = 0;
    if (*p == '.') {
      nf = digit_run(p + 1);
      if (nf == 0 || nf > static_cast<unsigned>(max_decimals)) return nullptr;
      v = v * kPow10[nf] + digits_at(p + 1, nf);
      p += 1 + nf;
    }
    v *= kPow10[max_decimals - nf];
  }
  if (!ends_value(*p)) return nullptr;  // '.', an exponent, or junk
  scaled = neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  return p;
}

bool starts_number(char c) { return c == '-' || is_digit(c); }
// The JSON literal null at p (the buffer's padding makes four bytes readable at any value).
bool is_null_literal(const char* p) { return std::memcmp(p, "null", 4) == 0; }

// ',', '}' or ']' (']' is '}' but for the 0x20 bit, and no other byte is either once it is set).
INFERTRACE_SCAN_INLINE bool closes_number(char c) { return c == ',' || (c | 0x20) == '}'; }

// number_end_bytewise() 8 digits at a time, for numbers whose integer and fraction parts have at
// most 7 digits each and no exponent (ids, counts, durations); others go to the bytewise test.
INFERTRACE_SCAN_INLINE const char* number_end(const char* p) {
  const char* const start = p;
  p += *p == '-';
  const unsigned n = digit_run(p);
  if (n > kExactDigitRun) return number_end_bytewise(start);
  if (n == 0 || (n > 1 && *p == '0')) return nullptr;
  p += n;
  if (*p == '.') {
    const unsigned f = digit_run(p + 1);
    if (f == 0) return nullptr;
    if (f > kExactDigitRun) return number_end_bytewise(start);
    p += 1 + f;
  }
  if (*p == 'e' || *p == 'E') return number_end_bytewise(start);
  return ends_value(*p) ? p : nullptr;
}

// `kCompact`: the members are written without spaces (`"KEY":value,"KEY":...`); the members
// read in order are then compared in that spelling (scan_event_piece() picks per piece).
template <bool kCompact>
class EventScanner {
 public:
  EventScanner(const char* piece, size_t len, int64_t origin) : piece_(piece), end_(piece + len), origin_(origin) {}

  // `p` at '{'. Fills `e` as PieceParser::read_event does; returns the byte after the closing '}'.
  const char* event(const char* p, RawEvent& e) {
    p = skip_ws(p + 1);
    if (*p == '}') {
      e.offset = -1;
      return p + 1;
    }
    e.offset = origin_ + (p + 1 - piece_);
    // Kineto writes the members of its complete events in one order ("ph", "cat", "name", "pid",
    // "tid", "ts", "dur", "args"). Members in that order are read here with direct calls; at the
    // first member that is not the expected one, the general loop reads the rest. Both do the
    // same per member, so only the speed depends on the order (a branch that is nearly always
    // taken instead of a dispatch per key).
    const char* v;
    InOrder c{p};
// The member `KEY` when it comes next: its value read by READ (at `v`); else on to the next KEY,
// unless the object ended or was malformed.
#define INFERTRACE_IN_ORDER(KEY, READ)         \
  if ((v = next_in_order<KEY>(c))) {           \
    if (!(c.p = READ)) return nullptr;         \
    c.at_quote = false;                        \
  } else if (!c.p || c.done) {                 \
    return c.p;                                \
  }
    if ((v = next_in_order<"ph">(c))) {
      if (!(c.p = str(v, e.ph))) return nullptr;
      c.at_quote = false;
      if (!(e.ph.size() == 1 && (e.ph[0] == 'X' || e.ph[0] == 'M'))) {
        // The sink passes over this event: its values are only checked. Kineto's flow events
        // ("s", "f") in their usual order first, then the general loop.
        INFERTRACE_IN_ORDER("id", skip_scalar(v, 1))
        INFERTRACE_IN_ORDER("pid", skip_scalar(v, 1))
        INFERTRACE_IN_ORDER("tid", skip_scalar(v, 1))
        INFERTRACE_IN_ORDER("ts", skip_scalar(v, 1))
        INFERTRACE_IN_ORDER("cat", skip_scalar(v, 1))
        INFERTRACE_IN_ORDER("name", skip_scalar(v, 1))
        INFERTRACE_IN_ORDER("bp", skip_scalar(v, 1))
        if (!rest_at_quote(c) || c.done) return c.p;
        return members(c.p, e, true);
      }
    } else if (!c.p || c.done) {
      return c.p;
    }
    INFERTRACE_IN_ORDER("cat", str(v, e.cat))
    INFERTRACE_IN_ORDER("name", str(v, e.name, &e.has_name))
    INFERTRACE_IN_ORDER("pid", int_value(v, e.pid, true))
    INFERTRACE_IN_ORDER("tid", int_value(v, e.tid, true))
    INFERTRACE_IN_ORDER("ts", time_value(v, e.ts))
    INFERTRACE_IN_ORDER("dur", time_value(v, e.dur))
    INFERTRACE_IN_ORDER("args", args(v, e))
    if (!rest_at_quote(c) || c.done) return c.p;
    return members(c.p, e, false);
  }

 private:
  // What members() does with the value of an event's key.
  enum class F : uint8_t { Other, Ph, Pid, Cat, Name, Ts, Tid, Dur, Args };
  using MemberKeys = KeyCache<F>;

  // The event key at `k` (its closing quote is known to follow within the piece).
  static F member_kind(const char* k) {
    switch (k[0]) {
      case 'p': return key_is<"ph">(k) ? F::Ph : key_is<"pid">(k) ? F::Pid : F::Other;
      case 'c': return key_is<"cat">(k) ? F::Cat : F::Other;
      case 'n': return key_is<"name">(k) ? F::Name : F::Other;
      case 't': return key_is<"ts">(k) ? F::Ts : key_is<"tid">(k) ? F::Tid : F::Other;
      case 'd': return key_is<"dur">(k) ? F::Dur : F::Other;
      case 'a': return key_is<"args">(k) ? F::Args : F::Other;
      default: return F::Other;
    }
  }

  // What args() does with the value of an args key.
  enum class A : uint8_t { Other, ExternalId, Correlation, Stream, Device, Grid, Block, Name, Duration, ZeroTs, Cbid };
  using ArgKeys = KeyCache<A>;

  // The args key at `k` (its closing quote is known to follow within the piece).
  static A arg_kind(const char* k) {
    switch (k[0]) {
      case 'E': return key_is<"External id">(k) ? A::ExternalId : A::Other;
      case 'e': return key_is<"external id">(k) ? A::ExternalId : A::Other;
      case 'c': return key_is<"correlation">(k) ? A::Correlation : key_is<"cbid">(k) ? A::Cbid : A::Other;
      case 's': return key_is<"stream">(k) ? A::Stream : A::Other;
      case 'd': return key_is<"device">(k) ? A::Device : key_is<"duration">(k) ? A::Duration : A::Other;
      case 'g': return key_is<"grid">(k) ? A::Grid : A::Other;
      case 'b': return key_is<"block">(k) ? A::Block : A::Other;
      case 'n': return key_is<"name">(k) ? A::Name : A::Other;
      case 'z': return key_is<"zero_ts">(k) ? A::ZeroTs : A::Other;
      default: return A::Other;
    }
  }

  // `p` at a member's opening quote: the first byte of its value when its key is `M` (followed by
  // ':' as after_colon() accepts it), else nullptr. Kineto's `"KEY": value` is one compare of up
  // to four words; the same key with other spacing goes on through after_colon().
  template <MemberWords M>
  INFERTRACE_SCAN_INLINE const char* expect_member(const char* p) {
    constexpr const TextWords& member = kCompact ? M.compact_member : M.member;
    constexpr size_t length = kCompact ? M.kCompactLength : M.kLength;
#if defined(__AVX2__) || defined(INFERTRACE_KINETO_SCAN_AVX2)
    const uint32_t differ = differing_bytes(p, member);
    // Past the space, the value itself: more whitespace goes the general way (skip_ws()).
    if ((differ & member.bits) == 0 && static_cast<unsigned char>(p[length]) > ' ') return p + length;
    if ((differ & member.key_bits) != 0) return nullptr;
    return after_colon(p + M.kKeyLength);
#else
    constexpr size_t words = (length + 7) / 8;
    uint64_t d[words];
    for (size_t j = 0; j < words; ++j) d[j] = load8(p + 8 * j) ^ member.w[j];
    uint64_t all = 0;
    for (size_t j = 0; j < words; ++j) all |= d[j] & member.mask[j];
    // Past the space, the value itself: more whitespace goes the general way (skip_ws()).
    if (all == 0 && static_cast<unsigned char>(p[length]) > ' ') return p + length;
    uint64_t key = 0;
    for (size_t j = 0; j < words; ++j) key |= d[j] & member.key_mask[j];
    if (key != 0) return nullptr;
    return after_colon(p + M.kKeyLength);
#endif
  }

  // Members read in an expected order (event(), args()): `p` is at a member's opening quote
  // (`at_quote`) or right after a member's value; `done` once the object's closing '}' was passed
  // (`p` is then the byte after it); `p` is nullptr after an error.
  struct InOrder {
    const char* p;
    bool at_quote = true;
    bool done = false;
  };

  // The first byte of the value of the member at `c` when its key is `M`, else nullptr (then see
  // `c`: an error, the object's end, or another member at `c.p`). After a value, Kineto's
  // `, "KEY": ` is one compare; anything else first goes to the next member's quote.
  template <MemberWords M>
  INFERTRACE_SCAN_INLINE const char* next_in_order(InOrder& c) {
    if (!c.at_quote) {
      constexpr const TextWords& after_value = kCompact ? M.compact_after_value : M.after_value;
      constexpr size_t length = kCompact ? M.kCompactAfterValueLength : M.kAfterValueLength;
#if defined(__AVX2__) || defined(INFERTRACE_KINETO_SCAN_AVX2)
      const bool same = (differing_bytes(c.p, after_value) & after_value.bits) == 0;
#else
      uint64_t all = 0;
      for (size_t j = 0; j < (length + 7) / 8; ++j) all |= (load8(c.p + 8 * j) ^ after_value.w[j]) & after_value.mask[j];
      const bool same = all == 0;
#endif
      if (same && static_cast<unsigned char>(c.p[length]) > ' ') return c.p + length;
      c.p = next_member(c.p, c.done);
      c.at_quote = true;
      if (!c.p || c.done) return nullptr;
    }
    return expect_member<M>(c.p);
  }

  // After the members read in order: the general loop for the rest (`members` or `arg_members`),
  // or the byte after the object's '}', or nullptr.
  INFERTRACE_SCAN_INLINE const char* rest_at_quote(InOrder& c) {
    if (!c.at_quote) {
      c.p = next_member(c.p, c.done);
      c.at_quote = true;
    }
    return c.p;
  }

  // After a member's value: the next member's first byte after a ',', or the byte after the
  // event's closing '}' (then `done`); nullptr for anything else.
  INFERTRACE_SCAN_INLINE const char* next_member(const char* p, bool& done) {
    if (comma_then_key(p)) return p;
    p = skip_ws(p);
    if (*p == ',') return skip_ws(p + 1);
    if (*p != '}') return nullptr;
    done = true;
    return p + 1;
  }

  // The members of an event from `p` (a member's opening quote) to its closing '}', in any order;
  // returns the byte after the '}'. `ignored`: "ph" already said the sink will not use the event
  // (flows, instants, counters, a malformed ph): its other values are then only checked, not
  // converted.
  const char* members(const char* p, RawEvent& e, bool ignored) {
    unsigned previous = MemberKeys::kObjectStart;
    for (;;) {
      if (*p != '"') return nullptr;
      const char* k = p + 1;
      typename MemberKeys::Hit key;
      unsigned slot = member_keys_.guess_after(0, previous);
      if (!member_keys_.find(k, slot, key)) {
        const char* q = string_end(k, end_);
        if (!q) return nullptr;
        key = {member_kind(k), static_cast<size_t>(q + 1 - k)};
        member_keys_.remember(k, key.length, key.kind, slot);
      }
      member_keys_.follow(0, previous, slot);
      previous = slot;
      p = after_colon(k + key.length);
      if (!p) return nullptr;
      F f = key.kind;
      if (ignored) {
        // The sink passes over this event whatever its other fields hold, unless a second "ph"
        // changes that: then the on-demand reader decides.
        if (f == F::Ph) return nullptr;
        f = F::Other;
      }
      switch (f) {
        case F::Ph:
          p = str(p, e.ph);
          ignored = !(e.ph.size() == 1 && (e.ph[0] == 'X' || e.ph[0] == 'M'));
          break;
        case F::Pid: p = int_value(p, e.pid, true); break;
        case F::Cat: p = str(p, e.cat); break;
        case F::Name: p = str(p, e.name, &e.has_name); break;
        case F::Ts: p = time_value(p, e.ts); break;
        case F::Tid: p = int_value(p, e.tid, true); break;
        case F::Dur: p = time_value(p, e.dur); break;
        case F::Args: p = args(p, e); break;
        case F::Other: p = skip_scalar(p, 1); break;
      }
      if (!p) return nullptr;
      if (comma_then_key(p)) continue;
      p = skip_ws(p);
      if (*p == '}') return p + 1;
      if (*p != ',') return nullptr;
      p = skip_ws(p + 1);
    }
  }

  // A string value without escapes is taken as it stands; any other value leaves the field as it
  // was (the on-demand reader's str()).
  const char* str(const char* p, std::string_view& out, bool* present = nullptr) {
    if (*p != '"') return skip_value(p, 1);
    const char* q = string_end(p + 1, end_);
    if (!q) return nullptr;
    out = std::string_view(p + 1, static_cast<size_t>(q - p - 1));
    if (present) *present = true;
    return q + 1;
  }

  // The on-demand reader's int_field(). Inline for the usual shape (1 to 15 digits, no sign, then a
  // ',', '}' or ']'), int_value_full() for everything else. `named` (pids, tids): a string is
  // accepted, as its integer or else as a name (IntField::set_name).
  INFERTRACE_SCAN_INLINE const char* int_value(const char* p, IntField& out, bool named = false) {
    const unsigned n = digit_run(p);
    if (n - 1 < 15 && (*p != '0' || n == 1) && closes_number(p[n])) {
      out.state = FieldState::Ok;
      out.v = static_cast<int64_t>(digits_at(p, n));
      return p + n;
    }
    return int_value_full(p, out, named);
  }

  const char* int_value_full(const char* p, IntField& out, bool named) {
    if (*p == '"') {
      // A string id (string_id.h: a digit string is that integer, as a checker reading the JSON
      // links it: audit CI D4). string_end() stops at any escape, so the text is raw and
      // escape-free here; an escaped one is the on-demand reader's, which applies the same rule.
      const char* q = string_end(p + 1, end_);
      if (!q) return nullptr;
      read_string_id(std::string_view(p + 1, static_cast<size_t>(q - p - 1)), out, named);
      return q + 1;
    }
    return number_field(p, out, 0, parse_int64, true);
  }

  // The on-demand reader's time_field(). Inline for Kineto's own shape (1 to 15 integer digits, no
  // sign, then no fraction or '.' and exactly 3 decimals, then a ',' or '}'), time_value_full() for
  // everything else; both give value * 1000 (microseconds to nanoseconds).
  INFERTRACE_SCAN_INLINE const char* time_value(const char* p, IntField& out) {
    const unsigned n = digit_run(p);
    if (n - 1 >= 15) return time_value_full(p, out);
    uint64_t v = digits_at(p, n);
    const char* q = p + n;
    if (n > 1 && *p == '0') return time_value_full(p, out);
    if (*q == '.') {
      // Exactly 3 decimals: three digits here, and the ',' or '}' checked below after them.
      const uint32_t w = load4(q + 1);
      const uint32_t high = (w & 0xF0F0F0) ^ 0x303030, over9 = ((w + 0x060606) & 0xF0F0F0) ^ 0x303030;
      if ((high | over9) != 0) return time_value_full(p, out);
      const uint32_t d = w - 0x303030;
      v = v * 1000 + ((d & 0xFF) * 10 + ((d >> 8) & 0xFF)) * 10 + ((d >> 16) & 0xFF);
      q += 4;
    } else {
      v *= 1000;
    }
    if (*q != ',' && *q != '}') return time_value_full(p, out);
    out.state = FieldState::Ok;
    out.v = static_cast<int64_t>(v);
    return q;
  }

  const char* time_value_full(const char* p, IntField& out) { return number_field(p, out, 3, parse_us_to_ns, false); }

  // A number field off the inline paths, as the on-demand reader's int_field() / time_field() read
  // it: not a number is a wrong type (the value still checked); the usual shapes by common_number()
  // (value * 10^`decimals`), anything else by the exact `parse` of json_number.h. `reset`: a number
  // that is out of range or not an integer leaves -1 (int_field() does, time_field() does not).
  const char* number_field(const char* p, IntField& out, int decimals, NumStatus (*parse)(std::string_view, int64_t&),
                           bool reset) {
    if (!starts_number(*p)) {
      // null is an absent value ("correlation": null is an activity with no launch call, an
      // orphan that still counts as GPU work; skipped as a wrong type, it vanished: audit CI D5).
      out.state = is_null_literal(p) ? FieldState::Missing : FieldState::BadType;
      if (reset) out.v = -1;
      return skip_value(p, 1);
    }
    if (const char* q = common_number(p, decimals, out.v)) {
      out.state = FieldState::Ok;
      return q;
    }
    const char* q = number_end(p);
    if (!q) return nullptr;
    switch (parse(std::string_view(p, static_cast<size_t>(q - p)), out.v)) {
      case NumStatus::Ok: out.state = FieldState::Ok; break;
      case NumStatus::OutOfRange: out.state = FieldState::OutOfRange; break;
      case NumStatus::NotInteger: out.state = FieldState::BadType; break;
      case NumStatus::Invalid: return nullptr;
    }
    if (reset && out.state != FieldState::Ok) out.v = -1;
    return q;
  }

  // grid / block (the on-demand reader's dims()).
  const char* dims(const char* p, uint32_t (&out)[3]) {
    if (*p != '[') return skip_value(p, 1);
    p = skip_ws(p + 1);
    if (*p == ']') return p + 1;
    for (int i = 0;; ++i) {
      // Kineto's "[512, 1, 1]": up to 9 digits (so the value fits), then ", " or ']'.
      const unsigned n = digit_run(p);
      if (n - 1 < 9 && (*p != '0' || n == 1)) {
        const char* q = p + n;
        if (*q == ']' || (*q == ',' && q[1] == ' ' && static_cast<unsigned char>(q[2]) > ' ')) {
          if (i < 3) out[i] = static_cast<uint32_t>(digits_at(p, n));
          if (*q == ']') return q + 1;
          p = q + 2;
          continue;
        }
      }
      if (starts_number(*p)) {
        IntField x;
        p = int_value(p, x);
        if (!p) return nullptr;
        if (i < 3 && x.ok() && x.v >= 0 && x.v <= 0xFFFFFFFFll) out[i] = static_cast<uint32_t>(x.v);
      } else {
        p = skip_value(p, 2);
        if (!p) return nullptr;
      }
      p = skip_ws(p);
      if (*p == ']') return p + 1;
      if (*p != ',') return nullptr;
      p = skip_ws(p + 1);
    }
  }

  // The on-demand reader's read_args().
  const char* args(const char* p, RawEvent& e) {
    if (*p != '{') return skip_value(p, 1);
    p = skip_ws(p + 1);
    if (*p == '}') return p + 1;
    // The args of Kineto's operators, runtime calls and kernels in the order PyTorch writes them,
    // as straight code (as the event's members are read in event()): each expected key that is
    // there is read by a direct call, one that is not costs a compare with constants. At the first
    // key out of these orders the general loop below reads the rest, doing the same per key.
    const char* v;
    InOrder c{p};
#define INFERTRACE_ARG_IN_ORDER(KEY, READ) INFERTRACE_IN_ORDER(KEY, READ)
    INFERTRACE_ARG_IN_ORDER("External id", int_value(v, e.external_id))
    // operators
    INFERTRACE_ARG_IN_ORDER("Record function id", skip_scalar(v, 2))
    INFERTRACE_ARG_IN_ORDER("Ev Idx", skip_scalar(v, 2))
    // runtime and driver calls
    INFERTRACE_ARG_IN_ORDER("cbid", int_value(v, e.cbid))
    INFERTRACE_ARG_IN_ORDER("correlation", int_value(v, e.correlation))
    // kernels (memcpy and memset share the first five)
    INFERTRACE_ARG_IN_ORDER("queued", skip_scalar(v, 2))
    INFERTRACE_ARG_IN_ORDER("device", int_value(v, e.device))
    INFERTRACE_ARG_IN_ORDER("context", skip_scalar(v, 2))
    INFERTRACE_ARG_IN_ORDER("stream", int_value(v, e.stream))
    INFERTRACE_ARG_IN_ORDER("correlation", int_value(v, e.correlation))
    INFERTRACE_ARG_IN_ORDER("registers per thread", skip_scalar(v, 2))
    INFERTRACE_ARG_IN_ORDER("shared memory", skip_scalar(v, 2))
    INFERTRACE_ARG_IN_ORDER("blocks per SM", skip_scalar(v, 2))
    INFERTRACE_ARG_IN_ORDER("warps per SM", skip_scalar(v, 2))
    INFERTRACE_ARG_IN_ORDER("grid", dims(v, e.grid))
    INFERTRACE_ARG_IN_ORDER("block", dims(v, e.block))
    INFERTRACE_ARG_IN_ORDER("est. achieved occupancy %", skip_scalar(v, 2))
#undef INFERTRACE_ARG_IN_ORDER
#undef INFERTRACE_IN_ORDER
    if (!rest_at_quote(c) || c.done) return c.p;
    return arg_members(c.p, e);
  }

  // The args keys from `p` (a key's opening quote) to the closing '}', in any order; returns the
  // byte after the '}'.
  const char* arg_members(const char* p, RawEvent& e) {
    unsigned previous = ArgKeys::kObjectStart;
    // The category tells which keys to expect (kernels, runtime calls and operators each have
    // their own); a category read after the args, or two that collide here, only guess worse.
    const unsigned context = static_cast<unsigned>(e.cat.size() * 5 + (e.cat.empty() ? 0 : e.cat[0]));
    for (;;) {
      if (*p != '"') return nullptr;
      const char* k = p + 1;
      typename ArgKeys::Hit key;
      unsigned slot = arg_keys_.guess_after(context, previous);
      if (!arg_keys_.find(k, slot, key)) {
        const char* q = string_end(k, end_);
        if (!q) return nullptr;
        key = {arg_kind(k), static_cast<size_t>(q + 1 - k)};
        arg_keys_.remember(k, key.length, key.kind, slot);
      }
      arg_keys_.follow(context, previous, slot);
      previous = slot;
      p = after_colon(k + key.length);
      if (!p) return nullptr;
      const A a = key.kind;
      if (a == A::Other) {
        p = skip_scalar(p, 2);
      } else {
        switch (a) {
          case A::ExternalId: p = int_value(p, e.external_id); break;
          case A::Correlation: p = int_value(p, e.correlation); break;
          case A::Cbid: p = int_value(p, e.cbid); break;
          case A::Stream: p = int_value(p, e.stream); break;
          case A::Device: p = int_value(p, e.device); break;
          case A::Grid: p = dims(p, e.grid); break;
          case A::Block: p = dims(p, e.block); break;
          case A::Name: p = str(p, e.arg_name, &e.has_arg_name); break;
          case A::Duration: {
            std::string_view d;
            p = str(p, d);
            e.dur_not_measured = d == "not measured";
            break;
          }
          case A::ZeroTs: {
            std::string_view z;
            p = str(p, z);
            e.zero_ts_real = z == "real";
            break;
          }
          case A::Other: break;
        }
      }
      if (!p) return nullptr;
      if (comma_then_key(p)) continue;
      p = skip_ws(p);
      if (*p == '}') return p + 1;
      if (*p != ',') return nullptr;
      p = skip_ws(p + 1);
    }
  }

  // skip_value() with strings and the usual numbers of Kineto inline (1 to 15 integer digits, maybe
  // '.' and 1 to 7 decimals, then ',' or '}'), and the rest through skip_value().
  INFERTRACE_SCAN_INLINE const char* skip_scalar(const char* p, int depth) {
    if (*p == '"') {
      const char* q = string_end(p + 1, end_);
      return q ? q + 1 : nullptr;
    }
    const unsigned n = digit_run(p);
    if (n - 1 < 15 && (*p != '0' || n == 1)) {
      const char* q = p + n;
      if (*q == '.') {
        const unsigned f = digit_run(q + 1);
        if (f - 1 < kExactDigitRun) q += 1 + f;
        else return skip_value(p, depth);
      }
      if (*q == ',' || *q == '}') return q;
    }
    return skip_value(p, depth);
  }

  // Any JSON value this scanner accepts, checked and passed over; `depth` counts the objects and
  // arrays around it inside the event.
  const char* skip_value(const char* p, int depth) {
    // Numbers and strings first, without a jump table: nearly every skipped value is one of them.
    if (starts_number(*p)) return number_end(p);
    if (*p == '"') {
      const char* q = string_end(p + 1, end_);
      return q ? q + 1 : nullptr;
    }
    switch (*p) {
      case 't': return literal(p, "true");
      case 'f': return literal(p, "false");
      case 'n': return literal(p, "null");
      case '[': {
        if (depth >= kMaxNesting) return nullptr;
        p = skip_ws(p + 1);
        if (*p == ']') return p + 1;
        for (;;) {
          p = skip_value(p, depth + 1);
          if (!p) return nullptr;
          p = skip_ws(p);
          if (*p == ']') return p + 1;
          if (*p != ',') return nullptr;
          p = skip_ws(p + 1);
        }
      }
      case '{': {
        if (depth >= kMaxNesting) return nullptr;
        p = skip_ws(p + 1);
        if (*p == '}') return p + 1;
        for (;;) {
          if (*p != '"') return nullptr;
          const char* q = string_end(p + 1, end_);
          if (!q) return nullptr;
          p = skip_ws(q + 1);
          if (*p != ':') return nullptr;
          p = skip_value(skip_ws(p + 1), depth + 1);
          if (!p) return nullptr;
          p = skip_ws(p);
          if (*p == '}') return p + 1;
          if (*p != ',') return nullptr;
          p = skip_ws(p + 1);
        }
      }
      default:
        return nullptr;
    }
  }

  // "true", "false" or "null" at p, compared as one 8-byte word.
  template <size_t N>
  static const char* literal(const char* p, const char (&lit)[N]) {
    uint64_t want = 0;
    std::memcpy(&want, lit, N - 1);
    const uint64_t mask = (uint64_t(1) << (8 * (N - 1))) - 1;
    return ((load8(p) ^ want) & mask) == 0 && ends_value(p[N - 1]) ? p + N - 1 : nullptr;
  }

  const char* piece_;
  const char* end_;
  int64_t origin_;
  MemberKeys member_keys_;
  ArgKeys arg_keys_;
};

// `piece[0, len)` is "[" ... "]" followed by at least 64 readable bytes; `origin` is the offset
// of piece[0] in the input (for RawEvent::offset). Reads the events after the separator at offset
// `from` ('[' at 0, or a ','). Returns `len` when every event to the piece's end went to the sink,
// else the offset in the piece of the separator ('[' or ',') before the first event left to the
// on-demand reader.
template <bool kCompact>
size_t scan_events(const char* piece, size_t len, size_t from, int64_t origin, EventSink& sink) {
  EventScanner<kCompact> scan(piece, len, origin);
  const char* const last = piece + len - 1;
  const char* sep = piece + from;  // the separator before the event being read
  const char* p = skip_ws(sep + 1);
  for (;;) {
    if (*p != '{') return static_cast<size_t>(sep - piece);
    RawEvent e;
    p = scan.event(p, e);
    if (!p) return static_cast<size_t>(sep - piece);
    p = skip_ws(p);
    if (*p == ',') {
      sink.add(e);
      sep = p;
      p = skip_ws(p + 1);
      continue;
    }
    if (p != last) return static_cast<size_t>(sep - piece);  // a ']' too early, or something else
    sink.add(e);
    return len;
  }
}

// Whether the piece's first member is written without a space after its ':' (compact JSON), by
// the first `":` in its first 256 bytes. Only the speed depends on the answer.
bool compact_members(const char* p, size_t n) {
  const char* const end = p + std::min<size_t>(n, 256);
  for (; p + 2 < end; ++p)
    if (p[0] == '"' && p[1] == ':') return !is_ws(p[2]);
  return false;
}

size_t scan_event_piece(const char* piece, size_t len, size_t from, int64_t origin, EventSink& sink) {
  if (len < 2 || piece[0] != '[' || piece[len - 1] != ']' || from >= len - 1) return from;
  return compact_members(piece + from, len - from) ? scan_events<true>(piece, len, from, origin, sink)
                                                   : scan_events<false>(piece, len, from, origin, sink);
}

// The offset of the ',' after the element that follows the separator at `sep`, found by matching
// brackets outside strings (no other check: the on-demand reader parses the element), or 0 when
// that element is not an object followed by a ',' inside the piece (the last element, unbalanced
// brackets, an unclosed string). Lets the reader hand a single unusual event to the on-demand
// reader and go on scanning after it.
size_t next_separator(const char* piece, size_t len, size_t sep) {
  if (len < 2 || sep >= len - 1) return 0;
  const char* const last = piece + len - 1;
  const char* p = skip_ws(piece + sep + 1);
  if (*p != '{') return 0;
  // Brackets outside strings, with a backslash taking the byte after it; the piece's closing ']'
  // is never part of the element.
  int64_t depth = 0;
  for (; p < last; ++p) {
    const char c = *p;
    if (c == '"') {
      for (++p; p < last && *p != '"'; ++p)
        if (*p == '\\') ++p;
      if (p >= last) return 0;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) break;
      if (depth < 0) return 0;
    }
  }
  if (p >= last) return 0;
  p = skip_ws(p + 1);
  return *p == ',' && p < last ? static_cast<size_t>(p - piece) : 0;
}

}  // namespace

}  // namespace infertrace::kineto::INFERTRACE_KINETO_KERNEL_NS
