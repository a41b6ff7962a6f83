// Correlation id -> API-table row. Kineto and CUPTI hand out correlation ids from one counter, so
// they are dense: a flat vector indexed by (id - min) is both the fastest lookup and small. Ids
// from other sources (or a hand-edited trace) may be sparse; then a hash map keeps memory bounded.
#pragma once

#include <cstdint>
#include <limits>
#include <unordered_map>
#include <vector>

namespace infertrace {

class CorrelationMap {
 public:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

  // ids[i] < 0 means "no correlation" and is never inserted. Call insert() for each row afterwards.
  explicit CorrelationMap(const std::vector<int64_t>& ids) {
    int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
    size_t n = 0;
    for (int64_t id : ids) {
      if (id < 0) continue;
      lo = id < lo ? id : lo;
      hi = id > hi ? id : hi;
      ++n;
    }
    if (n == 0) return;
    base_ = lo;
    // Dense when the id range is at most 8 slots per id (plus slack for tiny traces).
    const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;
    if (span <= 8 * static_cast<uint64_t>(n) + 4096) {
      dense_.assign(span, kNone);
    } else {
      sparse_.reserve(n);
    }
  }

  // Returns the row stored for `id`, or kNone.
  uint32_t find(int64_t id) const {
    if (id < 0) return kNone;
    if (!dense_.empty()) {
      if (id < base_) return kNone;
      const uint64_t k = static_cast<uint64_t>(id - base_);
      return k < dense_.size() ? dense_[k] : kNone;
    }
    auto it = sparse_.find(id);
    return it == sparse_.end() ? kNone : it->second;
  }

  // Stores row for id (id must be >= 0 and one of the ids given to the constructor).
  void set(int64_t id, uint32_t row) {
    if (!dense_.empty()) {
      dense_[static_cast<size_t>(id - base_)] = row;
    } else {
      sparse_[id] = row;
    }
  }

 private:
  int64_t base_ = 0;
  std::vector<uint32_t> dense_;
  std::unordered_map<int64_t, uint32_t> sparse_;
};

}  // namespace infertrace
