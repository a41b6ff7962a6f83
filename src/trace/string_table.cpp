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

bool StringTable::same_bytes_other_length(const char* a, const char* b, size_t n) {
  return n == 0 || std::memcmp(a, b, n) == 0;
}

StrId StringTable::intern_past_first_way(std::string_view s, StrId* ways) {
  const StrId first = ways[0], second = ways[1];
  if (second < views_.size() && views_[second] == s) {
    ways[1] = first, ways[0] = second;  // most recent first
    return second;
  }
  StrId id;
  if (auto it = index_.find(s); it != index_.end()) {
    id = it->second;
  } else {
    storage_.emplace_back(s);
    id = static_cast<StrId>(views_.size());
    views_.push_back(storage_.back());
    index_.emplace(views_.back(), id);
  }
  ways[1] = first, ways[0] = id;
  return id;
}

StrId StringTable::find(std::string_view s) const {
  auto it = index_.find(s);
  return it == index_.end() ? kNoString : it->second;
}

}  // namespace infertrace
