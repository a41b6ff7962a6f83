// A recording whose last blocks never reached the disk: after a crash (power loss, a kernel panic)
// a file system can keep the file's new size but not the data of its last blocks, which then read
// as zeros. The zeros start at a block boundary, which is rarely a record's start: the record they
// begin inside has an intact header and a payload that ends in zeros, and would read as an event
// whose later fields (or all of them) are 0.
#pragma once

#include <cstddef>
#include <optional>

namespace infertrace::itrace {

// Where to stop reading the records in [first_record, size) of a file that ends in such a zero
// run, or nullopt when it does not. There is a zero run when the record headers, walked from
// `first_record`, reach an offset from which every byte to the end is zero (a zero header: no
// record has type 0; or fewer bytes than a header) with at least one such byte. The offset returned
// is the start of the first record with a payload that reaches into the zero run (the zeros may
// have overwritten any part of it; a legitimate last field of 0 is left out with it: the
// conservative side), else the start of the zero run. A record without payload (END) is whole
// whatever follows it. nullopt also when the walk meets a header it cannot follow (a length past
// the end): the reader's own checks report those.
std::optional<size_t> zero_filled_tail_start(const unsigned char* data, size_t first_record, size_t size);

}  // namespace infertrace::itrace
