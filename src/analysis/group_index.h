// Dense group numbers for a handful of keys (streams, devices, threads): a linear scan while there
// are few, a map beyond that, so a trace with thousands of streams stays O(n log n).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace infertrace {

template <class Key>
class GroupIndex {
 public:
  // {group number, true when the key is new}
  std::pair<uint32_t, bool> find_or_add(const Key& k) {
    if (keys_.size() <= kScan) {
      for (uint32_t i = 0; i < keys_.size(); ++i)
        if (keys_[i] == k) return {i, false};
    } else if (auto it = map_.find(k); it != map_.end()) {
      return {it->second, false};
    }
    const auto n = static_cast<uint32_t>(keys_.size());
    keys_.push_back(k);
    if (keys_.size() > kScan) {
      if (map_.empty())
        for (uint32_t i = 0; i < keys_.size(); ++i) map_.emplace(keys_[i], i);
      else
        map_.emplace(k, n);
    }
    return {n, true};
  }
  const Key& key(uint32_t group) const { return keys_[group]; }
  size_t size() const { return keys_.size(); }

 private:
  static constexpr size_t kScan = 16;
  std::vector<Key> keys_;
  std::map<Key, uint32_t> map_;
};

}  // namespace infertrace
