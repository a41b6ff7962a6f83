// Interned strings: every name in a Trace (kernel, API, operator, thread, IRQ handler) is stored
// once and referred to by a 32-bit id, so tables stay small and comparisons are integer compares.
#pragma once

#include <array>
#include <cstdint>
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
  StrId intern(std::string_view s);
  // Id of `s` if present, else kNoString (for "does this trace mention X" checks).
  StrId find(std::string_view s) const;
  std::string_view view(StrId id) const { return views_[id]; }
  size_t size() const { return views_.size(); }

 private:
  std::deque<std::string> storage_;
  // A trace names the same few hundred kernels, APIs and operators millions of times, often with
  // 100-300 byte kernel names. A direct-mapped cache keyed by the length and the first and last 8
  // bytes answers a repeat with one memcmp instead of hashing every byte for the map.
  static constexpr int kRecentBits = 10;
  std::array<StrId, size_t(1) << kRecentBits> recent_{};
  std::vector<std::string_view> views_;
  std::unordered_map<std::string_view, StrId> index_;
};

}  // namespace infertrace
