// The server's memory after a burst of large request bodies: glibc's defaults keep it (see the .cpp).
#pragma once

namespace infertrace::serve {

// Makes glibc give freed memory back to the system promptly: blocks of 4 MiB and more are mapped
// on their own (unmapped when freed), and a thread arena's free top beyond 8 MiB is trimmed when
// freed. Left as it is when the user set either threshold (GLIBC_TUNABLES' glibc.malloc.mmap_threshold
// or trim_threshold, or MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_): the user's choice wins.
// Returns whether it changed the policy.
bool release_freed_memory_promptly();

}  // namespace infertrace::serve
