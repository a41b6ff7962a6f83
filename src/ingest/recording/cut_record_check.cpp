#include "ingest/recording/cut_record_check.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include "ingest/recording/itrace_format.h"

namespace infertrace::itrace {

namespace {

struct Found {
  size_t bytes = 0;     // header + payload; 0: no record the writer makes starts here
  bool telling = false;  // a record random bytes are unlikely to imitate (see whole_records_up_to_end)
};

bool is_event_type(uint32_t type) {
  return type == IT_EV_API || type == IT_EV_SWITCH || type == IT_EV_WAKEUP || type == IT_EV_IRQ ||
         type == IT_EV_SYSCALL || type == IT_EV_TASK || type == IT_EV_GPU || type == IT_EV_FDNAME || type == IT_EV_LOSS ||
         type == IT_EV_UNTRACED;  // review S43 L3: left out when the type was added
}

// The record at `at`, when its header is one the writer makes and it ends by `size`. Only known
// types count: a chain of unknown ones is what random bytes would look like. `reads` counts the
// header read and every META key byte checked (the work a test bounds).
Found record_at(const unsigned char* data, size_t at, size_t size, size_t& reads) {
  if (size - at < kRecordHeaderBytes) return {};
  ++reads;
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
    for (uint32_t i = 0; i < klen; ++i, ++reads)
      if (p[4 + i] < 0x21 || p[4 + i] > 0x7e) return {};
    telling = true;
  } else if (type == IT_EV_END && len != 0) {
    return {};
  }
  return {kRecordHeaderBytes + len, telling};
}

// A record cut off at `size` whose header is one the writer makes: a known type, a length it
// allows that runs past `size`, and for an event the payload's first word (when present) repeating
// the type. What a recorder killed after a damaged length leaves as its last record.
bool cut_record_at(const unsigned char* data, size_t at, size_t size, size_t& reads) {
  if (size - at < kRecordHeaderBytes) return false;
  ++reads;
  const uint32_t type = u32_at(data + at), len = u32_at(data + at + 4);
  if (type == 0 || type >= IT_EV_NTYPES || len > kMaxRecordBytes || len < min_payload(type)) return false;
  const size_t have = size - at - kRecordHeaderBytes;
  if (len <= have) return false;
  return !is_event_type(type) || have < 4 || u32_at(data + at + kRecordHeaderBytes) == type;
}

}  // namespace

std::optional<size_t> whole_records_up_to_end(const unsigned char* data, size_t from, size_t size,
                                              size_t* reads_done) {
  if (from >= size) return std::nullopt;
  // The chain of records from an offset is fixed by that offset (each record's length names the
  // next), so one pass from the end gives every offset's chain at once: a chain from `at` reaches
  // the end when the record at `at` ends there or where a chain that reaches the end starts. Trying
  // each start and walking its chain instead took quadratic time (review BD M3: 18 s on a crafted
  // 1 MiB tail of END records). The bytes after `from` are fewer than kMaxRecordBytes, so the
  // tables stay small. (record_at's META key check reads printable bytes only up to the next
  // record header's zero bytes, so it adds a bounded number of reads per byte, not a factor n.)
  const size_t n = size - from;
  std::vector<uint32_t> records(n + 1, 0);
  std::vector<uint8_t> telling(n + 1, 0);
  size_t reads = 0;
  std::optional<size_t> first;
  // reaches[i]: the chain from from+i ends exactly at `size`, or in a record cut off there whose
  // header is valid (a recorder killed after the damage, review BD L4a); records[i] counts its
  // whole records.
  std::vector<uint8_t> reaches(n + 1, 0);
  reaches[n] = 1;
  for (size_t i = n; i-- > 0;) {
    const Found r = record_at(data, from + i, size, reads);
    if (r.bytes == 0) {
      reaches[i] = cut_record_at(data, from + i, size, reads);
      continue;
    }
    const size_t next = i + r.bytes;
    if (!reaches[next]) continue;  // its chain stops short of the end
    reaches[i] = 1;
    records[i] = records[next] + 1;
    telling[i] = r.telling || telling[next];
    if (records[i] >= 2 && telling[i]) first = from + i;  // the loop runs downward: the last kept is the first
  }
  if (reads_done) *reads_done = reads;
  return first;
}

}  // namespace infertrace::itrace
