// Faults in, ahead of the reader, the table memory the next rows will be written to.
//
// The tables are reserved from an extrapolation (piece_reader_impl.h), so their columns do not
// move while a trace is read, but every fresh 4 KB page of them costs a page fault when the first
// row lands in it: about a tenth of `infertrace analyze` on a 100 MB trace in this VM. One
// madvise(MADV_POPULATE_WRITE) per column faults in a whole stretch at once, for a fraction of the
// cost. Only the stretch the next piece should need is populated, so capacity the trace never
// uses still costs address space, not memory. Before Linux 5.14 the call fails and the pages
// fault in one by one as before.
#pragma once

#include <cstddef>

#include "trace/trace.h"

namespace infertrace::kineto {

// Populates, in every column of the GPU, API and operator tables, the reserved capacity for the
// next `gpu_rows`, `api_rows` and `op_rows` rows (pages already there cost nothing again).
void prefault_next_rows(Trace& t, size_t gpu_rows, size_t api_rows, size_t op_rows);

}  // namespace infertrace::kineto
