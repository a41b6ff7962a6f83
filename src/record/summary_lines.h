// Lines of `infertrace record`'s end summary that are worded from counts alone (cli/cmd_record.cpp
// prints them), kept apart from the recorder so that a test can read them without recording.
#pragma once

#include <cstdint>
#include <string>

namespace infertrace {

// The CUPTI ring's unpublished slots (RecordSummary::cupti_ring_unpublished_slots, META
// `cupti.ring_unpublished_slots`): a process of the tree was killed between claiming ring slots
// and publishing them, and the recorder stopped reading there. A slot count bounds the records
// lost (a record takes one or more 64-byte slots), so it says "up to". "" for 0.
std::string unpublished_slots_line(uint64_t slots);

}  // namespace infertrace
