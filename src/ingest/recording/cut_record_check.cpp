#include "ingest/recording/cut_record_check.h"

#include <cstring>

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

std::optional<size_t> whole_records_up_to_end(const unsigned char* data, size_t from, size_t size) {
  for (size_t start = from; start + kRecordHeaderBytes <= size; ++start) {
    size_t at = start, records = 0;
    bool telling = false;
    while (at < size) {
      const Found r = record_at(data, at, size);
      if (r.bytes == 0) break;
      telling = telling || r.telling;
      at += r.bytes, ++records;
    }
    if (at == size && records >= 2 && telling) return start;
  }
  return std::nullopt;
}

}  // namespace infertrace::itrace
