#include "ingest/kineto/table_prefault.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
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
  GpuActivityTable& g = t.gpu;
  for (const auto* c : {&g.start, &g.dur, &g.stream, &g.correlation, &g.external_id}) prefault(*c, gpu_rows);
  prefault(g.kind, gpu_rows);
  prefault(g.device, gpu_rows);
  prefault(g.name, gpu_rows);
  for (const auto* c : {&g.grid_x, &g.grid_y, &g.grid_z, &g.block_x, &g.block_y, &g.block_z}) prefault(*c, gpu_rows);
  ApiCallTable& a = t.api;
  for (const auto* c : {&a.start, &a.dur, &a.pid, &a.tid, &a.correlation, &a.external_id, &a.stream}) prefault(*c, api_rows);
  prefault(a.cpu, api_rows);
  prefault(a.name, api_rows);
  prefault(a.kind, api_rows);
  OperatorTable& o = t.ops;
  for (const auto* c : {&o.start, &o.dur, &o.pid, &o.tid, &o.external_id}) prefault(*c, op_rows);
  prefault(o.name, op_rows);
  prefault(o.user_annotation, op_rows);
}

}  // namespace infertrace::kineto
