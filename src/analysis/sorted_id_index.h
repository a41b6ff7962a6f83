// Distinct ids in ascending order with one row each, looked up from where the last lookup ended.
// For a column of ids already in order (Kineto writes API calls and operators in time order, and
// their correlation / External ids grow with time): walking two such columns side by side then
// reads memory in order, and the index holds 12 bytes per distinct id instead of a flat array over
// the whole id range (CUPTI's correlation ids of the calls Kineto keeps are ~1 in 16).
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace infertrace {

class SortedIdIndex {
 public:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

  // `ids` must be non-decreasing once negative entries (no id) are skipped.
  explicit SortedIdIndex(const std::vector<int64_t>& ids, size_t distinct) {
    ids_.reserve(distinct);
    for (int64_t id : ids)
      if (id >= 0 && (ids_.empty() || ids_.back() != id)) ids_.push_back(id);
    rows_.assign(ids_.size(), kNone);
  }

  uint32_t find(int64_t id) const {
    const size_t p = position(id);
    return p < ids_.size() && ids_[p] == id ? rows_[p] : kNone;
  }
  // `id` must be one of the ids given to the constructor.
  void set(int64_t id, uint32_t row) { rows_[position(id)] = row; }

 private:
  // First position whose id is >= `id` (lower bound), searched by doubling steps out from the last
  // answer, so lookups in ascending order cost O(1) each and touch memory in order. Not for use
  // from several threads at once (the remembered position is shared).
  size_t position(int64_t id) const {
    const size_t n = ids_.size();
    if (n == 0) return 0;
    // The common cases first: the same id again (set after find) or the next one.
    if (ids_[finger_] == id) return finger_;
    if (finger_ + 1 < n && ids_[finger_ + 1] == id) return ++finger_;
    size_t lo, hi;  // the answer lies in [lo, hi]; ids_[hi] >= id or hi == n
    if (ids_[finger_] < id) {
      lo = finger_ + 1, hi = lo;
      for (size_t step = 1; hi < n && ids_[hi] < id; step *= 2) lo = hi + 1, hi = std::min(n, hi + step);
    } else {
      hi = finger_, lo = hi;
      for (size_t step = 1; lo > 0 && ids_[lo - 1] >= id; step *= 2) hi = lo - 1, lo = lo > step ? lo - step : 0;
    }
    const size_t p = static_cast<size_t>(std::lower_bound(ids_.begin() + static_cast<std::ptrdiff_t>(lo),
                                                          ids_.begin() + static_cast<std::ptrdiff_t>(hi), id) -
                                         ids_.begin());
    finger_ = std::min(p, n - 1);
    return p;
  }

  std::vector<int64_t> ids_;
  std::vector<uint32_t> rows_;
  mutable size_t finger_ = 0;
};

}  // namespace infertrace
