// Kernel sequences for proximity-score fusion (docs/metrics.md section 4, SKIP Sec. III-C): the
// kernels of each (device, stream, launching process) in start-time order, cut into segments at sync calls, with the
// measured launch cost of each kernel's launch call. Reads only a Trace.
#pragma once

#include <cstdint>
#include <vector>

#include "trace/trace.h"

namespace infertrace {

// What CUDA-graph launches in the trace cost, measured: a graph launch is already a full fusion of
// its kernels as far as the host is concerned, so this is the floor a fusion can reach.
// A call whose duration is unknown (dur -1: a recording without return probes) adds nothing to
// api_time and is not counted in timed_launches / timed_kernels, as analyze's `timed_calls` leaves
// it out of `api_total_ns` (review DF L2: it counted as 0 and pulled the per-launch figure down).
struct GraphLaunchCost {
  int64_t launches = 0;        // graph launch calls with at least one linked kernel
  int64_t kernels = 0;         // kernels those launches started
  int64_t timed_launches = 0;  // those calls with a known duration
  int64_t timed_kernels = 0;   // kernels the timed calls started
  ns_t api_time = 0;           // sum of a(c) over the timed calls
  ns_t launch_part = 0;        // sum of l(c) - q(c) over all of them (known without a(c): split_launch)
};

struct KernelSequences {
  // Every kernel of every segment, segment after segment (streams in (device, stream, launching
  // pid) order),
  // as dense name ids: names[name[i]] is the trace string of kernel i.
  std::vector<uint32_t> name;
  std::vector<StrId> names;
  // Exclusive end offset in `name` of each segment; segments are never empty.
  std::vector<uint32_t> segment_end;
  // Per kernel: the launch part l(c) - q(c) of its launch call when this kernel is that call's
  // earliest GPU activity, else 0 (the later kernels of a graph launch, kernels with no call).
  std::vector<ns_t> launch_part;

  int64_t streams = 0;  // sequences: (device, stream) pairs, one per launching process
  int64_t sync_splits = 0;       // segment boundaries caused by a sync call
  int64_t unlinked_kernels = 0;  // kernels with no launch call (never cause a split)
  GraphLaunchCost graphs;
  // Per dense name id: the rank of its kernel name's text among all names, so that ties between
  // candidates go by name and not by where the file first mentions it (review FL58 M2). Empty
  // (sequences built by hand in tests): ties go by trace string id.
  std::vector<uint32_t> name_rank{};

  size_t size() const { return name.size(); }
};

KernelSequences build_kernel_sequences(const Trace& trace);

}  // namespace infertrace
