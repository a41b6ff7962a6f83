#include "trace/string_table.h"

#include <cstring>

namespace infertrace {

StringTable::StringTable() {
  storage_.emplace_back();
  views_.push_back(storage_.back());
  index_.emplace(views_.back(), 0);
}

StringTable::StringTable(StringTable&&) noexcept = default;
StringTable& StringTable::operator=(StringTable&&) noexcept = default;

namespace {
// Slot in the recent-names cache: length, first and last 8 bytes (all of a shorter name).
size_t recent_slot(std::string_view s, int bits) {
  uint64_t a = 0, b = 0;
  if (s.size() >= 8) {
    std::memcpy(&a, s.data(), 8);
    std::memcpy(&b, s.data() + s.size() - 8, 8);
  } else if (!s.empty()) {
    std::memcpy(&a, s.data(), s.size());
  }
  const uint64_t h = (a * 0x9E3779B97F4A7C15ull) ^ ((b + s.size()) * 0xC2B2AE3D27D4EB4Full);
  return static_cast<size_t>(h >> (64 - bits));
}
}  // namespace

StrId StringTable::intern(std::string_view s) {
  const size_t slot = recent_slot(s, kRecentBits);
  const StrId hit = recent_[slot];
  // An empty slot holds 0, the id of "", which matches only the empty name.
  if (hit < views_.size() && views_[hit] == s) return hit;
  auto it = index_.find(s);
  if (it != index_.end()) {
    recent_[slot] = it->second;
    return it->second;
  }
  storage_.emplace_back(s);
  const StrId id = static_cast<StrId>(views_.size());
  views_.push_back(storage_.back());
  index_.emplace(views_.back(), id);
  recent_[slot] = id;
  return id;
}

StrId StringTable::find(std::string_view s) const {
  auto it = index_.find(s);
  return it == index_.end() ? kNoString : it->second;
}

}  // namespace infertrace
