#include "ingest/recording/zero_filled_tail.h"

#include <cstdint>
#include <cstring>

#include "ingest/recording/itrace_format.h"

namespace infertrace::itrace {

std::optional<size_t> zero_filled_tail_start(const unsigned char* data, size_t first_record, size_t size) {
  // The final run of zero bytes: [zeros_from, size).
  size_t zeros_from = size;
  while (zeros_from > first_record && data[zeros_from - 1] == 0) --zeros_from;
  if (zeros_from == size) return std::nullopt;  // the file ends in a non-zero byte
  std::optional<size_t> first_reaching;  // first record with a payload that reaches into the run
  size_t off = first_record;
  while (off < size) {
    if (off >= zeros_from) break;  // zeros from a record boundary to the end
    if (size - off < kRecordHeaderBytes) return std::nullopt;  // a cut header with non-zero bytes
    uint32_t type, len;
    std::memcpy(&type, data + off, 4);
    std::memcpy(&len, data + off + 4, 4);
    if (len > size - off - kRecordHeaderBytes) return std::nullopt;  // cut or damaged: not this rule's
    const size_t end = off + kRecordHeaderBytes + len;
    if (len > 0 && end > zeros_from && !first_reaching) first_reaching = off;
    off = end;
  }
  if (off >= size) return std::nullopt;  // the records fill the file: no zeros beyond them
  return first_reaching ? *first_reaching : off;
}

}  // namespace infertrace::itrace
