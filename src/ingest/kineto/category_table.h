// Kineto event categories (docs/metrics.md section 1, new and old spellings) recognised by one
// table probe instead of a switch on the first letter and string compares.
//
// Why: the sink classifies every complete event, and consecutive events alternate between
// "cpu_op", "cuda_runtime", "kernel", ... in no fixed pattern, so the switch's jump was an
// indirect branch mispredicted on about every third event. Every known category is 4 to 16 bytes
// long; four 4-byte loads at offsets 0, min(4, n-4), max(n-8, 0) and n-4 cover all of such a
// string (consecutive offsets differ by at most 4), so the length and those four words are the
// exact string. A small table indexed by a hash of them, checked by a compare of the words, answers
// without a data-dependent branch; the build fails if two known categories would share a slot.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "trace/trace.h"

namespace infertrace::kineto {

enum class Cat : uint8_t { Other, Gpu, Api, Op };

// What a category means for the sink.
struct CatInfo {
  Cat cat = Cat::Other;
  GpuKind kind = GpuKind::Kernel;  // for Cat::Gpu
  bool user_annotation = false;    // for Cat::Op
};

namespace cat_detail {

// The exact content of a 4- to 16-byte string as length and two words (see above).
struct Key {
  uint64_t lo = 0, hi = 0;
  uint32_t n = 0;
};

constexpr uint32_t kMinLen = 4, kMaxLen = 16;
constexpr int kSlotBits = 5;

// Little-endian 4-byte word of a string literal, for the table built at compile time.
constexpr uint64_t word_at(std::string_view s, size_t at) {
  uint64_t w = 0;
  for (size_t i = 0; i < 4; ++i) w |= static_cast<uint64_t>(static_cast<unsigned char>(s[at + i])) << (8 * i);
  return w;
}

// Offsets of the second and third words: min(4, n - 4) and max(n - 8, 0). With 0 and n - 4 they
// cover all of an n-byte string for 4 <= n <= 16, each word starting at most 4 bytes past the
// one before (for n = 16: 0, 4, 8, 12). A compare and a conditional move each, where dividing the
// length by three took a multiply and two shifts.
constexpr uint32_t second_at(uint32_t n) { return n < 8 ? n - 4 : 4; }
constexpr uint32_t third_at(uint32_t n) { return n > 8 ? n - 8 : 0; }

constexpr Key key_of_literal(std::string_view s) {
  const uint32_t n = static_cast<uint32_t>(s.size());
  return Key{word_at(s, 0) | word_at(s, second_at(n)) << 32, word_at(s, third_at(n)) | word_at(s, n - 4) << 32, n};
}

inline uint32_t load32(const char* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}

// Same key as key_of_literal, for a string of kMinLen..kMaxLen bytes from the input.
inline Key key_of(const char* p, uint32_t n) {
  return Key{load32(p) | static_cast<uint64_t>(load32(p + second_at(n))) << 32,
             load32(p + third_at(n)) | static_cast<uint64_t>(load32(p + n - 4)) << 32, n};
}

// The multiplier was picked (by trying random odd constants) so that the known categories land in
// distinct slots; slots_distinct() below checks it when the table is built.
constexpr uint32_t slot_of(const Key& k) {
  const uint64_t h = (k.lo ^ (k.hi * 0x9E3779B97F4A7C15ull)) + k.n;
  return static_cast<uint32_t>((h * 0x6513270E269E0D37ull) >> (64 - kSlotBits));
}

struct Entry {
  Key key;  // n == 0: empty slot (matches nothing: no input key has n == 0)
  CatInfo info;
};

struct Known {
  std::string_view name;
  CatInfo info;
};

inline constexpr Known kKnown[] = {
    {"kernel", {Cat::Gpu, GpuKind::Kernel, false}},
    {"Kernel", {Cat::Gpu, GpuKind::Kernel, false}},
    {"gpu_memcpy", {Cat::Gpu, GpuKind::Memcpy, false}},
    {"gpu_memset", {Cat::Gpu, GpuKind::Memset, false}},
    {"Memcpy", {Cat::Gpu, GpuKind::Memcpy, false}},
    {"Memset", {Cat::Gpu, GpuKind::Memset, false}},
    {"cuda_runtime", {Cat::Api, GpuKind::Kernel, false}},
    {"cuda_driver", {Cat::Api, GpuKind::Kernel, false}},
    {"Runtime", {Cat::Api, GpuKind::Kernel, false}},
    {"cpu_op", {Cat::Op, GpuKind::Kernel, false}},
    {"Operator", {Cat::Op, GpuKind::Kernel, false}},
    {"user_annotation", {Cat::Op, GpuKind::Kernel, true}},
};

constexpr std::array<Entry, size_t(1) << kSlotBits> build_table() {
  std::array<Entry, size_t(1) << kSlotBits> t{};
  for (const Known& k : kKnown) {
    const Key key = key_of_literal(k.name);
    t[slot_of(key)] = Entry{key, k.info};
  }
  return t;
}

constexpr bool slots_distinct() {
  for (size_t i = 0; i < std::size(kKnown); ++i)
    for (size_t j = i + 1; j < std::size(kKnown); ++j)
      if (slot_of(key_of_literal(kKnown[i].name)) == slot_of(key_of_literal(kKnown[j].name))) return false;
  return true;
}
static_assert(slots_distinct(), "two known categories share a slot: pick another multiplier in slot_of");

inline constexpr auto kTable = build_table();

}  // namespace cat_detail

// Meaning of an event's category; Cat::Other for anything the sink does not use.
//
// No category at all (absent or empty) is an operator: the legacy autograd profiler's export (what
// torch.profiler writes when PyTorch is built without Kineto, e.g. Debian's python3-torch 1.13)
// gives every operator and record_function range as a bare complete event (`"pid": "CPU
// functions"`, no `cat`); Kineto always writes one. Tested inside the length check, which such a
// string fails anyway, so the usual categories pay nothing for it.
inline CatInfo classify_category(std::string_view cat) {
  using namespace cat_detail;
  // (Unsigned: a size under kMinLen wraps around.)
  if (cat.size() - kMinLen > kMaxLen - kMinLen) return cat.empty() ? CatInfo{Cat::Op, GpuKind::Kernel, false} : CatInfo{};
  const Key k = key_of(cat.data(), static_cast<uint32_t>(cat.size()));
  const Entry& e = kTable[slot_of(k)];
  const bool match = ((e.key.lo ^ k.lo) | (e.key.hi ^ k.hi) | (e.key.n ^ k.n)) == 0;
  return match ? e.info : CatInfo{};
}

}  // namespace infertrace::kineto
