// Distinct ids in ascending order with one row each, looked up from where the last lookup ended.
// For a column of ids already in order (Kineto writes API calls and operators in time order, and
// their correlation / External ids grow with time): walking two such columns side by side then
// reads memory in order, and the index holds 12 bytes per distinct id instead of a flat array over
// the whole id range (CUPTI's correlation ids of the calls Kineto keeps are ~1 in 16).
//
// A column whose ids are all distinct and ascending (no negative entry) needs no index at all:
// the row of an id is its position in the column. over_column() then reads the column itself and
// holds nothing, which on a large trace saves building a copy of the ids and faulting in its pages.
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
  // Every id starts without a row (find() gives kNone until set()).
  explicit SortedIdIndex(const std::vector<int64_t>& ids, size_t distinct) {
    own_ids_.reserve(distinct);
    for (int64_t id : ids)
      if (id >= 0 && (own_ids_.empty() || own_ids_.back() != id)) own_ids_.push_back(id);
    rows_.assign(own_ids_.size(), kNone);
    ids_ = own_ids_.data(), n_ = own_ids_.size();
  }

  // `column` must be strictly ascending and non-negative, and outlive the index. Every id already
  // maps to its own row; set() must not be called.
  static SortedIdIndex over_column(const std::vector<int64_t>& column) { return SortedIdIndex(column); }

  uint32_t find(int64_t id) const {
    const size_t p = position(id);
    if (p >= n_ || ids_[p] != id) return kNone;
    return rows_.empty() ? static_cast<uint32_t>(p) : rows_[p];
  }
  // `id` must be one of the ids given to the constructor.
  void set(int64_t id, uint32_t row) { rows_[position(id)] = row; }

  // Not copyable: ids_ may point into own_ids_ (a move keeps that buffer, so moving is fine).
  SortedIdIndex(const SortedIdIndex&) = delete;
  SortedIdIndex& operator=(const SortedIdIndex&) = delete;
  SortedIdIndex(SortedIdIndex&&) = default;
  SortedIdIndex& operator=(SortedIdIndex&&) = default;

 private:
  explicit SortedIdIndex(const std::vector<int64_t>& column) : ids_(column.data()), n_(column.size()) {}

  // First position whose id is >= `id` (lower bound), looked for from the last answer, so lookups
  // in ascending order cost O(1) each and touch memory in order. Not for use from several threads
  // at once (the remembered position is shared).
  // (Always inlined into find() and set(): as a call it was ~10 instructions of a lookup's ~35;
  // the rare searches beyond the short scan are calls.)
  __attribute__((always_inline)) size_t position(int64_t id) const {
    const size_t n = n_;
    if (n == 0) return 0;
    // The common cases first: the same id again (set after find), or one of the next few: lookups
    // in ascending order skip the ids of rows that are not looked up (API calls that launch
    // nothing, operators that launch nothing), a handful at a time. A short scan finds those in
    // about 3 instructions a step, where galloping and a binary search took ~40 a lookup.
    const size_t f = finger_;
    if (ids_[f] == id) return f;
    if (ids_[f] > id) return search(id, 0, f);
    size_t p = f + 1;
    if (n - p > kScan) {  // a whole scan fits: no end test per step
      for (const size_t stop = p + kScan; p < stop; ++p)
        if (ids_[p] >= id) return finger_ = p;
      return search(id, p, n);
    }
    while (p < n && ids_[p] < id) ++p;
    finger_ = std::min(p, n - 1);
    return p;
  }

  // Lower bound of `id` in [from, to) (every id before `from` is below it, ids_[to] is not, or to
  // is n), searched by doubling steps out from the end nearer the last answer, so a lookup a
  // little way off costs O(log distance).
  __attribute__((noinline)) size_t search(int64_t id, size_t from, size_t to) const {
    const size_t n = n_;
    size_t lo, hi;  // the answer lies in [lo, hi]; ids_[hi] >= id or hi == n
    if (to == n) {  // forward from `from`
      lo = from, hi = from;
      for (size_t step = 1; hi < n && ids_[hi] < id; step *= 2) lo = hi + 1, hi = std::min(n, hi + step);
    } else {  // backward from `to`
      hi = to, lo = hi;
      for (size_t step = 1; lo > 0 && ids_[lo - 1] >= id; step *= 2) hi = lo - 1, lo = lo > step ? lo - step : 0;
    }
    const size_t p = static_cast<size_t>(std::lower_bound(ids_ + lo, ids_ + hi, id) - ids_);
    finger_ = std::min(p, n - 1);
    return p;
  }

  static constexpr size_t kScan = 8;  // ids scanned one by one past the last answer
  const int64_t* ids_ = nullptr;  // own_ids_, or the column of over_column()
  size_t n_ = 0;
  std::vector<int64_t> own_ids_;
  std::vector<uint32_t> rows_;  // empty for over_column(): the row is the position
  mutable size_t finger_ = 0;
};

}  // namespace infertrace
