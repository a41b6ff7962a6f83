// NUMA topology from sysfs and memory binding by mbind(2), without libnuma: its constructor reads
// /proc/self/status and /sys/devices/system/node in every process that links it, about 0.5 ms of
// each `infertrace` start-up whether the engine runs or not (docs/benchmarks.md, "Start-up").
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace infertrace::engine {

// Whether the kernel has the NUMA memory-policy system calls (get_mempolicy does not fail ENOSYS).
bool numa_syscalls_available();

// The online NUMA nodes (/sys/devices/system/node/online); {0} when sysfs does not say.
std::vector<int> online_numa_nodes();

// The NUMA node of `cpu` (the nodeN entry of /sys/devices/system/cpu/cpuC/), or -1.
int numa_node_of_cpu(int cpu);

// Binds [p, p + bytes) to `nodes` (MPOL_BIND for one node, MPOL_INTERLEAVE for several) by
// mbind(2). Pages already faulted in stay where they are. Returns "" or the reason it failed.
std::string bind_to_numa_nodes(void* p, size_t bytes, const std::vector<int>& nodes);

}  // namespace infertrace::engine
