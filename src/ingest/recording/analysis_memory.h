// How much memory analysing a recording takes, from its event counts, and how much this process
// (or a later analysis) can have. Every verb loads every event of a recording into the columns of
// trace/trace.h, so a long, busy recording can need more memory than the machine has (review RL57
// M1: 262 M syscall events, 14.7 GB, drove `sched` into a 10 GiB cap with nothing printed). The
// reader fails fast with this estimate instead of thrashing; the recorder warns once when its file
// passes the size at which an analysis would not fit. Bytes per event: docs/record.md, measured in
// docs/benchmarks.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "record/bpf/record_events.h"

namespace infertrace {

// Peak bytes an analysis (ingest, sched, analyze) of a recording with `count` records of each
// type takes: each table's column bytes, what the analyses build beside them, the time ordering
// of the largest table and the program itself.
uint64_t analysis_memory_bytes(const std::array<uint64_t, IT_EV_NTYPES>& count);

// The least of it: the tables' columns alone and the program (what loading certainly takes).
uint64_t table_memory_bytes(const std::array<uint64_t, IT_EV_NTYPES>& count);

// Events among `count` (the records that become rows: not META, STRING, LOSS, END).
uint64_t analysis_event_count(const std::array<uint64_t, IT_EV_NTYPES>& count);

struct MemoryRoom {
  uint64_t bytes = 0;
  std::string source;  // what limits it, as the messages say it ("MemAvailable in /proc/meminfo", ...)
};

// The memory an analysis can have: the least of MemAvailable, the memory cgroup's limit less its
// non-cache use, and the address-space limit (RLIMIT_AS; `this_process`: less this process's own
// address space, for the reader that is about to load). The environment variable
// INFERTRACE_ANALYSIS_MEMORY (bytes, or with a K/M/G suffix) replaces them all: the memory of the
// machine the recording will be analysed on. nullopt when none is known.
std::optional<MemoryRoom> analysis_memory_room(bool this_process);

// Before a recording named `name` (`file_bytes` long) is loaded: throws Error (exit 1) when the
// tables of the events counted by type alone need more memory than analysis_memory_room(true) (the
// estimate, the room, what limits it and what to do); warns on stderr when the whole estimate does
// not fit but the tables do; notes the estimate when it is large (1 GB or more) and fits. Files
// whose estimate is small are let through without reading /proc (the fuzz target, compare's many).
void require_analysis_memory(const std::array<uint64_t, IT_EV_NTYPES>& count, const std::string& name, uint64_t file_bytes);

// "1.23 GB" (powers of 1000, as the recorder's file sizes are said).
std::string memory_size_text(uint64_t bytes);

}  // namespace infertrace
