#include "serve/malloc_release.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace infertrace::serve {

// glibc raises its mmap threshold to the size of the first large mapped block freed (up to 32 MiB)
// and its trim threshold to twice that, so after one 32 MiB request body every later body grows in
// a handler thread's arena, whose free top is then never trimmed (malloc_trim does not trim a
// thread arena's top either). Bodies landing on different handler threads ratcheted the idle
// server's resident size up: 340 MB after four 32 MiB bodies at once, from 23 MB at start (review
// HS; docs/benchmarks.md "Request bodies"). Fixed thresholds end the ratchet. The engine's decode
// and prefill steps allocate nothing of 4 MiB or more per step (strace: the same ~35 mmap calls for
// 3 and 35 generated tokens, one more per request served), so they pay nothing for it.
constexpr int kMmapThresholdBytes = 4 << 20;
constexpr int kTrimThresholdBytes = 8 << 20;

bool release_freed_memory_promptly() {
  // Only the user's own thresholds win (review DH L4: any glibc.malloc tunable, arena_max or
  // hugetlb too, turned the fix off); glibc's older variables set them as well.
  if (const char* t = std::getenv("GLIBC_TUNABLES");
      t && (std::strstr(t, "glibc.malloc.mmap_threshold") || std::strstr(t, "glibc.malloc.trim_threshold")))
    return false;
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_")) return false;
  // mallopt returns 1 on success; either setting also turns off the dynamic adjustment.
  return mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes) == 1 && mallopt(M_TRIM_THRESHOLD, kTrimThresholdBytes) == 1;
}

}  // namespace infertrace::serve
