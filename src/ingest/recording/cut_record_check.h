// Telling a record cut off by a stopped recorder from a corrupted record length. The writer
// (record/itrace_writer.cpp) appends whole records, so a recorder killed in the middle of a write,
// or a disk that filled up, leaves a file whose last record is incomplete: the bytes after its
// header are a prefix of that one record's payload, and nothing follows. A length field damaged
// in the middle of the file also claims more bytes than remain, but there the bytes it claims hold
// the records that were written after it, whole, up to the end of the file.
#pragma once

#include <cstddef>
#include <optional>

namespace infertrace::itrace {

// The offset of the first of two or more whole records that follow one another from inside
// [from, size) exactly up to `size`, or up to a last record cut off at `size` whose header is valid
// (a recorder killed after the damage), or nullopt when there is none, as in a genuinely cut-off
// tail.
// `from` is where the payload of the record claiming too many bytes starts. Each record must look
// as the writer makes it (a known type, a length it allows, an event payload that repeats the
// record's type, a META key of printable ASCII, an END without payload), and one of them at least
// must be an event or a META record: a cut-off payload's bytes could pass for a lone END or STRING
// header (a stream handle of 9 followed by zeros reads as an END record), not for those.
// Linear in size - from: `reads_done`, when given, gets the work done, counted as record headers
// read plus META key bytes checked (at most two headers per offset, each key byte once), which a
// test bounds on crafted worst cases.
std::optional<size_t> whole_records_up_to_end(const unsigned char* data, size_t from, size_t size,
                                              size_t* reads_done = nullptr);

}  // namespace infertrace::itrace
