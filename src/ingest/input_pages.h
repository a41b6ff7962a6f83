// Maps in and drops the pages of a file-backed input as a reader goes through it (the Kineto
// reader's pieces, ReadOptions::release_input; the recording reader's records, SequentialPages).
#pragma once

#include <cstddef>
#include <cstdint>

namespace infertrace {

// Maps in every page touching [p, p + n) at once (MADV_POPULATE_READ); a no-op before Linux 5.14.
void map_in_pages(const char* p, size_t n);

// Drops the pages lying wholly inside [p, p + n) (MADV_DONTNEED). Only for a private file mapping
// whose bytes there are as in the file: they read back from the file unchanged.
void drop_pages(const char* p, size_t n);

// Drops the whole 2 MiB blocks of the address space that [p, p + n) touches, clipped to the input
// [base, base + size) (and to whole pages). A kernel that maps large page-cache folios whole
// (input_buffer.cpp) maps a block for a single byte read; dropping only the pages read would leave
// the rest of the block mapped. Same condition as drop_pages() over the clipped range.
void drop_blocks(const char* base, size_t size, const char* p, size_t n);

// Keeps only a window of a file-backed input mapped while a reader walks it once from start to end:
// the next `window` bytes are mapped in at once when the reader reaches them, and the 2 MiB blocks
// wholly behind it are dropped. A recording's bytes are read straight into the Trace's columns, so
// without this the whole file stayed mapped while the columns grew (823 MB of a 10 M-record
// `sched`'s 1.77 GB peak). Reading back or out of order stays correct (a dropped page of a private
// file mapping faults in again from the file); it only maps pages again. Inactive (`active` false:
// a heap buffer, not a file mapping), every call does nothing.
class SequentialPages {
 public:
  static constexpr size_t kDefaultWindow = size_t{16} << 20;

  SequentialPages(const char* base, size_t size, bool active, size_t window = kDefaultWindow);
  SequentialPages(const SequentialPages&) = delete;
  SequentialPages& operator=(const SequentialPages&) = delete;
  // Drops what is still mapped (finish()).
  ~SequentialPages();

  // The reader goes on from byte `off`: one comparison unless it has passed the mapped window.
  void at(size_t off) {
    if (off >= next_) advance(off);
  }
  // The reader is done: drops every block of the input still mapped, behind the window or not.
  void finish();

 private:
  void advance(size_t off);

  const char* base_;
  size_t size_;
  bool active_;
  size_t window_;
  size_t next_;         // the offset at which the next window is mapped in (SIZE_MAX: never)
  size_t dropped_ = 0;  // bytes before this offset are dropped
};

}  // namespace infertrace
