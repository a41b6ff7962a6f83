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

// The heading of the summary's "launches per thread" (review RC L2). The counts are of the calls
// recorded: lower bounds when records that may have been launch calls were lost (`dropped`,
// RecordSummary::dropped, keys analysis/launch_undercount.h's drop_may_hold_launches takes: "api",
// "cupti_ring"; and the CUPTI ring's unpublished slots, "up to" that many records), and only the
// calls CUPTI reported when its launch callbacks were not all measured (`coverage_measured` false).
std::string launches_per_thread_heading(const std::map<std::string, uint64_t>& dropped, uint64_t unpublished_slots,
                                        bool coverage_measured);

// The kernel side's maps that were full (RecordSummary::untraced_processes, untraced_pids,
// pending_full; META untraced.* and pending_full.*): one line per map that lost anything, naming
// what went unrecorded and the option that sizes it; none when nothing was lost.
std::vector<std::string> map_full_lines(uint64_t untraced_processes, const std::vector<int64_t>& untraced_pids,
                                        uint32_t max_processes, const std::map<std::string, uint64_t>& pending_full,
                                        uint32_t max_threads);

}  // namespace infertrace
