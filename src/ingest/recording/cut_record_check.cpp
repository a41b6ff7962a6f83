#include "ingest/recording/cut_record_check.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include "ingest/recording/itrace_format.h"

namespace infertrace::itrace {

namespace {

uint32_t u32_at(const unsigned char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

struct Found {
  size_t bytes = 0;     // header + payload; 0: no record the writer makes starts here
  bool telling = false;  // a record random bytes are unlikely to imitate (see whole_records_up_to_end)
};

bool is_event_type(uint32_t type) {
  return type == IT_EV_API || type == IT_EV_SWITCH || type == IT_EV_WAKEUP || type == IT_EV_IRQ ||
         type == IT_EV_SYSCALL || type == IT_EV_TASK || type == IT_EV_GPU || type == IT_EV_FDNAME;
}

// The record at `at`, when its header is one the writer makes and it ends by `size`. Only known
// types count: a chain of unknown ones is what random bytes would look like.
Found record_at(const unsigned char* data, size_t at, size_t size) {
  if (size - at < kRecordHeaderBytes) return {};
  const uint32_t type = u32_at(data + at), len = u32_at(data + at + 4);
  if (type == 0 || type >= IT_EV_NTYPES || len > kMaxRecordBytes || len < min_payload(type)) return {};
  if (len > size - at - kRecordHeaderBytes) return {};
  const unsigned char* p = data + at + kRecordHeaderBytes;
  bool telling = false;
  if (is_event_type(type)) {
    if (u32_at(p) != type) return {};  // an event payload repeats its type (docs/recording-format.md)
    telling = true;
  } else if (type == IT_EV_META) {
    // The writer's keys are short ASCII names ("api.0", "command.wall_ns").
    const uint32_t klen = u32_at(p);
    if (klen == 0 || klen > len - 4) return {};
    for (uint32_t i = 0; i < klen; ++i)
      if (p[4 + i] < 0x21 || p[4 + i] > 0x7e) return {};
    telling = true;
  } else if (type == IT_EV_END && len != 0) {
    return {};
  }
  return {kRecordHeaderBytes + len, telling};
}

}  // namespace

std::optional<size_t> whole_records_up_to_end(const unsigned char* data, size_t from, size_t size,
                                              size_t* records_examined) {
  if (from >= size) return std::nullopt;
  // The chain of records from an offset is fixed by that offset (each record's length names the
  // next), so one pass from the end gives every offset's chain at once: a chain from `at` reaches
  // the end when the record at `at` ends there or where a chain that reaches the end starts. Trying
  // each start and walking its chain instead took quadratic time (review BD M3: 18 s on a crafted
  // 1 MiB tail of END records). The bytes after `from` are fewer than kMaxRecordBytes, so the
  // tables stay small. (record_at's META key check reads printable bytes only up to the next
  // record header's zero bytes, so it adds a bounded number of reads per byte, not a factor n.)
  const size_t n = size - from;
  std::vector<uint32_t> records(n + 1, 0);  // whole records in the chain from from+i to the end; 0: none
  std::vector<uint8_t> telling(n + 1, 0);
  size_t examined = 0;
  std::optional<size_t> first;
  for (size_t i = n; i-- > 0;) {
    const Found r = record_at(data, from + i, size);
    ++examined;
    if (r.bytes == 0) continue;
    const size_t next = i + r.bytes;
    if (next != n && records[next] == 0) continue;  // its chain stops short of the end
    records[i] = (next == n ? 0 : records[next]) + 1;
    telling[i] = r.telling || (next != n && telling[next]);
    if (records[i] >= 2 && telling[i]) first = from + i;  // the loop runs downward: the last kept is the first
  }
  if (records_examined) *records_examined = examined;
  return first;
}

}  // namespace infertrace::itrace
