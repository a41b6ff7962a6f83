// Lines of `infertrace record`'s end summary that are worded from counts alone (cli/cmd_record.cpp
// prints them), kept apart from the recorder so that a test can read them without recording.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace infertrace {

// The CUPTI ring's unpublished slots (RecordSummary::cupti_ring_unpublished_slots, META
// `cupti.ring_unpublished_slots`): a process of the tree was killed between claiming ring slots
// and publishing them, and the recorder stopped reading there. A slot count bounds the records
// lost (a record takes one or more 64-byte slots), so it says "up to". "" for 0.
std::string unpublished_slots_line(uint64_t slots);

// The kernel side's maps that were full (RecordSummary::untraced_processes, untraced_pids,
// pending_full; META untraced.* and pending_full.*): one line per map that lost anything, naming
// what went unrecorded and the option that sizes it; none when nothing was lost.
std::vector<std::string> map_full_lines(uint64_t untraced_processes, const std::vector<int64_t>& untraced_pids,
                                        uint32_t max_processes, const std::map<std::string, uint64_t>& pending_full,
                                        uint32_t max_threads);

}  // namespace infertrace
