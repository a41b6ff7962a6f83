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

StrId StringTable::intern_uncached(std::string_view s, size_t slot) {
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
