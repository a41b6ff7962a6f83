// Appends rows to the columns of a Trace table (GpuActivityTable, ApiCallTable, OperatorTable)
// with one room check per row instead of one push_back per column.
//
// Why: the sink writes a row per event, and a push_back is a load of the column's end, a compare
// with its capacity, a store and a store of the new end (about seven instructions, plus a spill of
// the value when the compiler keeps the growth path inline): 40 to 100 instructions per row, a
// fifth of the sink. Here the columns are extended ahead, all together, by up to kAhead rows of
// zeros, which the caller then overwrites in place (`col[i] = v`, two instructions).
//
// The extension stops at the columns' capacity while there is any, so a column reallocates only
// when push_back would have (full), and then grows the way push_back does (to twice its size).
// Until trim(), size() also counts the zero rows ahead (at most kAhead): the Kineto reader reads
// the sizes between pieces only to reserve and prefault table memory, where a few rows too many
// err on the safe side. trim() (EventSink::finish() and its destructor) cuts them off.
#pragma once

#include <algorithm>
#include <cstddef>
#include <tuple>
#include <vector>

namespace infertrace::kineto {

template <class Table>
class ColumnRows {
 public:
  // Rows are appended after the table's current ones (all its columns have the same size).
  explicit ColumnRows(Table& t) : t_(t), next_(t.size()), end_(t.size()) {}
  ColumnRows(const ColumnRows&) = delete;
  ColumnRows& operator=(const ColumnRows&) = delete;

  // Index of a new row; the caller writes every column at that index.
  size_t next() {
    if (next_ == end_) [[unlikely]]
      extend();
    return next_++;
  }

  // Drops the zero rows not written yet.
  void trim() {
    if (end_ == next_) return;
    std::apply([&](auto&... col) { (col.resize(next_), ...); }, t_.columns());
    end_ = next_;
  }

 private:
  static constexpr size_t kAhead = 64;  // rows; one extension costs a resize call per column

  [[gnu::noinline]] void extend() {
    std::apply(
        [&](auto&... col) {
          const size_t room = std::min({col.capacity()...});
          const size_t to = room > end_ ? std::min(room, end_ + kAhead) : end_ + kAhead;
          (col.resize(to), ...);
          end_ = to;
        },
        t_.columns());
  }

  Table& t_;
  size_t next_, end_;  // next row to hand out; rows in the columns (written or not)
};

}  // namespace infertrace::kineto
