#include "ingest/input_pages.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

namespace infertrace {

namespace {
uintptr_t page_size() {
  static const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  return page;
}
}  // namespace

void map_in_pages(const char* p, size_t n) {
#ifdef MADV_POPULATE_READ
  if (n == 0) return;
  const uintptr_t page = page_size();
  const uintptr_t from = reinterpret_cast<uintptr_t>(p) & ~(page - 1);
  const uintptr_t to = reinterpret_cast<uintptr_t>(p) + n;
  madvise(reinterpret_cast<void*>(from), to - from, MADV_POPULATE_READ);
#else
  (void)p;
  (void)n;
#endif
}

void drop_pages(const char* p, size_t n) {
  const uintptr_t page = page_size();
  const uintptr_t from = (reinterpret_cast<uintptr_t>(p) + page - 1) & ~(page - 1);
  const uintptr_t to = (reinterpret_cast<uintptr_t>(p) + n) & ~(page - 1);
  if (to > from) madvise(reinterpret_cast<void*>(from), to - from, MADV_DONTNEED);
}

void drop_blocks(const char* base, size_t size, const char* p, size_t n) {
  constexpr uintptr_t block = uintptr_t{2} << 20;
  const uintptr_t lo = std::max(reinterpret_cast<uintptr_t>(p) & ~(block - 1), reinterpret_cast<uintptr_t>(base));
  const uintptr_t hi = std::min((reinterpret_cast<uintptr_t>(p) + n + block - 1) & ~(block - 1),
                                reinterpret_cast<uintptr_t>(base) + size);
  if (hi > lo) drop_pages(reinterpret_cast<const char*>(lo), hi - lo);
}

SequentialPages::SequentialPages(const char* base, size_t size, bool active, size_t window)
    : base_(base), size_(size), active_(active && size > 0), window_(std::max<size_t>(window, 1)),
      next_(active_ ? 0 : SIZE_MAX) {}

SequentialPages::~SequentialPages() { finish(); }

void SequentialPages::advance(size_t off) {
  constexpr uintptr_t block = uintptr_t{2} << 20;
  // Whole blocks before the one holding `off` (input_buffer.cpp maps a big file from a block
  // boundary, so blocks of the address space are blocks of the file).
  const uintptr_t behind = (reinterpret_cast<uintptr_t>(base_) + std::min(off, size_)) & ~(block - 1);
  const uintptr_t dropped = reinterpret_cast<uintptr_t>(base_) + dropped_;
  if (behind > dropped) {
    drop_pages(base_ + dropped_, behind - dropped);
    dropped_ = behind - reinterpret_cast<uintptr_t>(base_);
  }
  if (off >= size_) {
    next_ = SIZE_MAX;
    return;
  }
  const size_t n = std::min(window_, size_ - off);
  map_in_pages(base_ + off, n);
  next_ = off + n < size_ ? off + n : SIZE_MAX;
}

void SequentialPages::finish() {
  if (!active_ || (next_ == SIZE_MAX && dropped_ == size_)) return;
  // All of it, not only what lies past the last drop: a reader may have gone back (the search for a
  // zero-filled tail reads the end first; an error names what follows a damaged record).
  drop_blocks(base_, size_, base_, size_);
  dropped_ = size_;
  next_ = SIZE_MAX;
}

}  // namespace infertrace
