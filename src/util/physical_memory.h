// This machine's physical memory, for refusing a size no run could hold before allocating it
// (bench membw's arrays, bench threads' bandwidth test, engine run's context).
#pragma once

#include <cstdint>

namespace infertrace {

// Bytes of physical memory (sysconf's pages x page size); 0 when the system does not say.
uint64_t physical_memory_bytes();

// Bytes of swap (sysinfo's totalswap); 0 when there is none or the system does not say.
uint64_t swap_bytes();

}  // namespace infertrace
