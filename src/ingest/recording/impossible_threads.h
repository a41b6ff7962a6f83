// Thread fields that no record the recorder writes can hold: how the reader finds an event record
// whose payload was zeroed (or otherwise overwritten) in the middle of the file, where the rule of
// zero_filled_tail.h (the file's final run of zeros) does not reach. A block of zeros inside the
// file that reaches the next record's header is already corruption (a header of type 0); one that
// ends inside a record, or a record whose header and first bytes survived while its thread fields
// did not, would otherwise read as an event of process 0, thread 0, placed at whatever its time
// field still holds.
//
// Why the values are impossible (docs/recording-format.md, Layout):
//   - the header's pid of an API, WAKEUP, IRQ, SYSCALL, TASK or FDNAME record, and of a GPU record,
//     is a traced process: the recorder traces only processes with a positive id (record refuses
//     --pid 0, a command's child and its forks have positive ids, CUPTI records carry getpid());
//   - the tid of those events other than GPU (which has tid 0 by design) is a thread of that
//     process: only the kernel's idle tasks have thread id 0, and their process id is 0 too;
//   - a SWITCH has a traced process on at least one side (the BPF program returns otherwise), so
//     both sides' process ids 0 is impossible, and a side with a non-zero process id and thread id 0
//     is, for the reason above.
// Zeros that begin after the thread fields (byte 24 of the payload on) leave values a real event can
// hold (a duration, a return value, an empty name can be 0): such a record cannot be told apart.
#pragma once

#include <cstdint>
#include <string>

namespace infertrace::itrace {

// Whether the event record of `type`, whose payload `p` is long enough for its type, names threads
// no recorded event can (false for records without an event header: META, STRING, SYSCALL_COUNT,
// END, unknown types). One switch on the type and two to four loads: it runs for every record.
bool has_impossible_thread_fields(uint32_t type, const unsigned char* p);

// Whether that record's impossible fields all come from zeros at payload bytes `zeros_at` on (the
// file's final zero run): with those bytes made non-zero its thread fields would be possible. A last
// record whose pid and tid were zeroed by the tail is the tail; one whose zero pid lies before the
// tail (a tid, a duration after it still non-zero) is not, and is corruption (review BM L1).
bool impossible_only_by_zeros_from(uint32_t type, const unsigned char* p, uint32_t len, uint64_t zeros_at);

// Those fields as an error message names them: "pid 0, tid 0", or both sides of a SWITCH.
std::string thread_fields_text(uint32_t type, const unsigned char* p);

}  // namespace infertrace::itrace
