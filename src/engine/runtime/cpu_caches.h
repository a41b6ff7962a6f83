// The size of the CPU's last-level data cache, from sysfs. `bench threads` uses it to say why a
// model whose bytes per token fit in the cache decodes faster than the DRAM bandwidth roofline.
#pragma once

#include <cstdint>
#include <string>

namespace infertrace::engine {

// Size in bytes of the highest-level Data or Unified cache listed under `cache_dir` (sysfs's
// cpuN/cache: index*/level, type, size such as "266240K"); 0 when unknown.
uint64_t last_level_cache_bytes(const std::string& cache_dir = "/sys/devices/system/cpu/cpu0/cache");

}  // namespace infertrace::engine
