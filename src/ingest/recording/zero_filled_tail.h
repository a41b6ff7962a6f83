// A recording whose last blocks never reached the disk: after a crash (power loss, a kernel panic)
// a file system can keep the file's new size but not the data of its last blocks, which then read
// as zeros. The zeros start at a block boundary, which is rarely a record's start: the record they
// begin inside has an intact header and a payload that ends in zeros, and would read as an event
// whose later fields (or all of them) are 0.
#pragma once

#include <cstddef>
#include <cstdint>

namespace infertrace::itrace {

// Where the final run of zero bytes of [first_record, size) starts (size when the file ends in a
// non-zero byte). Reads backwards from the end: as long as that run, not the file.
size_t final_zero_run_start(const unsigned char* data, size_t first_record, size_t size);

// Whether the record at `off` (payload length `len`) is where such a zero-filled tail starts, given
// `zeros_from` = final_zero_run_start(...): at a record boundary inside the run (off >= zeros_from,
// and bytes remain: a zero header, or fewer bytes than a header, and zeros to the end), or a record
// with a payload that reaches into the run and is followed by more zeros (the zeros may have
// overwritten any part of it; a legitimate last field of 0 is left out with it: the conservative
// side), or a record whose length field the zeros reached (a length of 0 its type does not allow,
// with the zeros beginning inside its header). A record without payload (END) is whole whatever
// follows it; records that fill the file exactly, the last ending in zeros, are no zero-filled tail; a record longer than what remains is
// the cut-off/damage rules' (cut_record_check.h).
// `payload_may_be_empty`: the record's type allows no payload (END); for any other type a length
// of 0 with the zeros beginning inside the header is the length field zeroed (review BI M2).
inline bool zero_tail_starts_at(size_t off, uint64_t len, size_t zeros_from, size_t size, bool payload_may_be_empty) {
  if (off >= size) return false;
  if (off >= zeros_from) return true;
  if (len == 0 && !payload_may_be_empty && zeros_from < off + 8) return true;
  const uint64_t end = off + 8 + len;
  return len > 0 && end > zeros_from && end < size;
}

}  // namespace infertrace::itrace
