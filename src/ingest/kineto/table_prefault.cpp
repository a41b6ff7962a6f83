#include "ingest/kineto/table_prefault.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <vector>

namespace infertrace::kineto {

namespace {

template <class T>
void prefault(const std::vector<T>& v, size_t rows) {
#ifdef MADV_POPULATE_WRITE
  static const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const size_t upto = std::min(v.capacity(), v.size() + rows);
  // Whole pages only: the page holding the last row written is there already, and a page past the
  // capacity may belong to another allocation.
  const uintptr_t from = (reinterpret_cast<uintptr_t>(v.data() + v.size()) + page - 1) & ~(page - 1);
  const uintptr_t to = reinterpret_cast<uintptr_t>(v.data() + upto) & ~(page - 1);
  if (to > from) madvise(reinterpret_cast<void*>(from), to - from, MADV_POPULATE_WRITE);
#else
  (void)v;
  (void)rows;
#endif
}

}  // namespace

void prefault_next_rows(Trace& t, size_t gpu_rows, size_t api_rows, size_t op_rows) {
  std::apply([gpu_rows](const auto&... column) { (prefault(column, gpu_rows), ...); }, t.gpu.columns());
  std::apply([api_rows](const auto&... column) { (prefault(column, api_rows), ...); }, t.api.columns());
  std::apply([op_rows](const auto&... column) { (prefault(column, op_rows), ...); }, t.ops.columns());
}

}  // namespace infertrace::kineto
