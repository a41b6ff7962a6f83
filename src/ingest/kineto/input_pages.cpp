#include "ingest/kineto/input_pages.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

namespace infertrace::kineto {

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

}  // namespace infertrace::kineto
