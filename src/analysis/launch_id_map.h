// Correlation id -> API-table row. Kineto and CUPTI hand out correlation ids from one counter, so
// they are dense: a flat vector indexed by (id - min) is both the fastest lookup and small. Ids in
// ascending order but spread out (the calls Kineto keeps: ~1 in 16) go to a sorted index, read in
// order; ids from other sources (or a hand-edited trace) may be sparse and unordered: then a hash
// table keeps memory bounded. Ids that are distinct and ascending (what Kineto writes for the API
// calls' correlation ids and the operators' External ids) may be looked up in their column itself
// (SelfRows::IfDistinctAscending), with no memory of the map's own.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "analysis/sorted_id_index.h"

namespace infertrace {

class CorrelationMap {
 public:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

  // Whether a column of distinct, ascending, non-negative ids may start as "every id maps to its own
  // row" instead of empty. A caller that would set() exactly that (one row per id) asks for it and
  // skips its set() calls when self_rows() says the column qualified.
  enum class SelfRows : uint8_t { No, IfDistinctAscending };

  // ids[i] < 0 means "no correlation" and is never inserted. Call set() for each row afterwards
  // (unless self_rows()). `ids` must outlive the map.
  explicit CorrelationMap(const std::vector<int64_t>& ids, SelfRows self = SelfRows::No) {
    if (self == SelfRows::IfDistinctAscending && strictly_ascending_non_negative(ids)) {
      sorted_ = std::make_unique<SortedIdIndex>(SortedIdIndex::over_column(ids));
      self_rows_ = true;
      return;
    }
    int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
    size_t n = 0, distinct = 0;
    bool ascending = true;
    int64_t prev = -1;
    for (int64_t id : ids) {
      if (id < 0) continue;
      lo = id < lo ? id : lo;
      hi = id > hi ? id : hi;
      ++n;
      ascending = ascending && id >= prev;
      distinct += id != prev;
      prev = id;
    }
    if (n == 0) return;
    base_ = lo;
    // The hash table: open addressing with linear probing, at most half full (n counts every id,
    // repeats included). std::unordered_map's node per id was 5% of `analyze` on a 1 GB trace.
    size_t cap = 16;
    while (cap < 2 * n) cap *= 2;
    // Dense whenever its array takes at most twice the hash table's bytes (plus slack for tiny
    // traces). A flat array is read in id order, while each hash lookup is a cache and TLB miss:
    // CUPTI's correlation ids of the API calls Kineto keeps are ~1 in 16 (the example trace:
    // 288 calls over ids 4-4572), which a bound of 8 slots per id sent to the hash table, whose
    // lookups were then ~3% of `analyze` on a 1 GB trace.
    const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;
    // (Compared in slots, not bytes: the span of ids near both int64 limits is near 2^64.)
    const uint64_t dense_limit = 2 * cap * sizeof(Slot) / sizeof(uint32_t) + 4096;
    // In order: the sorted index when it is smaller than the flat array (under ~1 id in 3); it is
    // read in order like the array, and has fewer pages to fault in.
    constexpr uint64_t kSortedBytesPerId = sizeof(int64_t) + sizeof(uint32_t);
    if (ascending && distinct * (kSortedBytesPerId / sizeof(uint32_t)) < span) {
      sorted_ = std::make_unique<SortedIdIndex>(ids, distinct);
    } else if (span <= dense_limit) {
      dense_.assign(span, kNone);
    } else {
      slots_.assign(cap, Slot{});
      mask_ = cap - 1;
      shift_ = 64 - static_cast<unsigned>(__builtin_ctzll(cap));
    }
  }

  // True when every id already maps to its own row (asked for, and the column qualified).
  bool self_rows() const { return self_rows_; }

  // Returns the row stored for `id`, or kNone. (Always inlined: called once per GPU activity and
  // per launch, and as a call GCC kept ~25 instructions of overhead around the sorted lookup.)
  __attribute__((always_inline)) uint32_t find(int64_t id) const {
    if (id < 0) return kNone;
    if (sorted_) return sorted_->find(id);
    if (!dense_.empty()) {
      if (id < base_) return kNone;
      const uint64_t k = static_cast<uint64_t>(id - base_);
      return k < dense_.size() ? dense_[k] : kNone;
    }
    if (slots_.empty()) return kNone;
    for (size_t i = slot_of(id);; i = (i + 1) & mask_) {
      if (slots_[i].id == id) return slots_[i].row;
      if (slots_[i].id < 0) return kNone;
    }
  }

  // Stores row for id (id must be >= 0 and one of the ids given to the constructor).
  void set(int64_t id, uint32_t row) {
    if (sorted_) {
      sorted_->set(id, row);
    } else if (!dense_.empty()) {
      dense_[static_cast<size_t>(id - base_)] = row;
    } else {
      size_t i = slot_of(id);
      while (slots_[i].id >= 0 && slots_[i].id != id) i = (i + 1) & mask_;
      slots_[i] = Slot{id, row};
    }
  }

 private:
  // One pass with a branch that is never taken for the usual Kineto column (which then needs
  // nothing more), and that stops at once on a column in another order.
  // Four pairs a branch: one compare-and-branch per id was 7 instructions an id, on the operator
  // table the longest loop of the operator attribution.
  static bool strictly_ascending_non_negative(const std::vector<int64_t>& ids) {
    if (ids.empty() || ids[0] < 0) return false;
    const int64_t* v = ids.data();
    const size_t n = ids.size();
    size_t i = 1;
    for (; i + 4 <= n; i += 4)
      if ((v[i] <= v[i - 1]) | (v[i + 1] <= v[i]) | (v[i + 2] <= v[i + 1]) | (v[i + 3] <= v[i + 2])) return false;
    for (; i < n; ++i)
      if (v[i] <= v[i - 1]) return false;
    return true;
  }

  struct Slot {
    int64_t id = -1;  // -1: empty (stored ids are >= 0)
    uint32_t row = kNone;
  };
  // Fibonacci hashing: the top bits of id * 2^64/phi spread consecutive ids over the table.
  size_t slot_of(int64_t id) const {
    return static_cast<size_t>((static_cast<uint64_t>(id) * 0x9E3779B97F4A7C15ull) >> shift_) & mask_;
  }

  int64_t base_ = 0;
  bool self_rows_ = false;
  std::unique_ptr<SortedIdIndex> sorted_;
  std::vector<uint32_t> dense_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  unsigned shift_ = 63;
};

}  // namespace infertrace
