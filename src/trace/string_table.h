// Interned strings: every name in a Trace (kernel, API, operator, thread, IRQ handler) is stored
// once and referred to by a 32-bit id, so tables stay small and comparisons are integer compares.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace infertrace {

using StrId = uint32_t;
inline constexpr StrId kNoString = 0;  // id 0 is always the empty string

class StringTable {
 public:
  StringTable();
  StringTable(const StringTable&) = delete;
  StringTable& operator=(const StringTable&) = delete;
  StringTable(StringTable&&) noexcept;
  StringTable& operator=(StringTable&&) noexcept;

  // Returns the id of `s`, adding it if new. Views returned by view() stay valid for the life of
  // the table (storage is a deque of strings, never reallocated).
  [[gnu::always_inline]] StrId intern(std::string_view s) {
    // Inline: the sink calls this for every event, and a repeat is answered by the cache alone.
    // (Forced: with the word compare below GCC 12 stopped inlining it, and the call cost more than
    // the compare saved.)
    StrId* ways = &recent_[2 * recent_set(s)];
    const StrId first = ways[0];
    // An empty way holds 0, the id of "", which matches only the empty name. (The bound check only
    // matters for a moved-from table, whose views are gone.)
    if (first < views_.size()) [[likely]] {
      const std::string_view v = views_[first];
      // (__builtin_expect: with [[likely]] alone GCC 12 made the equal length the taken jump.)
      if (__builtin_expect(v.size() == s.size(), 1) && same_bytes(v.data(), s.data(), s.size())) [[likely]]
        return first;
    }
    return intern_past_first_way(s, ways);
  }
  // Id of `s` if present, else kNoString (for "does this trace mention X" checks).
  StrId find(std::string_view s) const;
  std::string_view view(StrId id) const { return views_[id]; }
  size_t size() const { return views_.size(); }

 private:
  // Set in the recent-names cache: a hash of the length and the first and last 8 bytes (all of a
  // shorter name), without a call to memcpy or a loop for the short ones.
  static size_t recent_set(std::string_view s) {
    const char* p = s.data();
    const size_t n = s.size();
    uint64_t a = 0, b = 0;
    if (n >= 8) [[likely]] {
      std::memcpy(&a, p, 8);
      std::memcpy(&b, p + n - 8, 8);
    } else if (n >= 4) {
      uint32_t x, y;
      std::memcpy(&x, p, 4);
      std::memcpy(&y, p + n - 4, 4);
      a = x, b = y;
    } else if (n > 0) {
      a = static_cast<unsigned char>(p[0]) | static_cast<unsigned char>(p[n / 2]) << 8 |
          static_cast<unsigned char>(p[n - 1]) << 16;
    }
    const uint64_t h = (a * 0x9E3779B97F4A7C15ull) ^ ((b + n) * 0xC2B2AE3D27D4EB4Full);
    return static_cast<size_t>(h >> (64 - kRecentSetBits));
  }
  // a[0, n) == b[0, n). Most names a trace repeats (operators, API calls, short kernels) are 8 to
  // 32 bytes: four 8-byte words at 0, min(8, n - 8), max(n - 16, 0) and n - 8 cover all of such a
  // name (each starts at most 8 bytes past the one before), compared without a branch on the length
  // and without a call; a memcmp call, with its branches by size, cost about as much as the rest of
  // the cache lookup. Other lengths go out of line.
  static bool same_bytes(const char* a, const char* b, size_t n) {
    if (n - 8 <= 24) [[likely]] {
      const size_t second = n < 16 ? n - 8 : 8, third = n > 16 ? n - 16 : 0;
      const uint64_t diff = (load8(a) ^ load8(b)) | (load8(a + second) ^ load8(b + second)) |
                            (load8(a + third) ^ load8(b + third)) | (load8(a + n - 8) ^ load8(b + n - 8));
      return diff == 0;
    }
    return same_bytes_other_length(a, b, n);
  }
  static bool same_bytes_other_length(const char* a, const char* b, size_t n);
  static uint64_t load8(const char* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  }
  // The rest of intern() behind a miss in the first way (kept out of line so the inline part stays
  // small): the second way, then the map.
  StrId intern_past_first_way(std::string_view s, StrId* ways);

  std::deque<std::string> storage_;
  // A trace names the same few hundred kernels, APIs and operators millions of times, often with
  // 100-300 byte kernel names. A cache keyed by the length and the first and last 8 bytes answers a
  // repeat with one memcmp instead of hashing every byte for the map. Two ways per set, most recent
  // first: kernel names that differ only in the middle share a key (the example traces have such
  // a pair, "nvjet_sm90_hsh_..._bias_NNN", 44 bytes each, launched in turns), and with one way
  // they evicted each other on every launch (~5% of lookups missed; with two, only first sightings).
  static constexpr int kRecentSetBits = 9;
  std::array<StrId, size_t(2) << kRecentSetBits> recent_{};
  std::vector<std::string_view> views_;
  std::unordered_map<std::string_view, StrId> index_;
};

}  // namespace infertrace
