#include "ingest/recording/impossible_threads.h"

#include <cstring>

#include "ingest/recording/itrace_format.h"

namespace infertrace::itrace {

namespace {

std::string side(const char* which, uint32_t pid, uint32_t tid) {
  return std::string(which) + "pid " + std::to_string(pid) + ", " + which + "tid " + std::to_string(tid);
}

}  // namespace

bool has_impossible_thread_fields(uint32_t type, const unsigned char* p) {
  // The event header: 16: u32 pid, 20: u32 tid; a SWITCH's next side at 24 and 28. Read only for
  // event records (long enough: the reader checked min_payload); a META, STRING or END payload
  // may be shorter than 24 bytes (reading them first was a heap overflow under ASan).
  switch (type) {
    case IT_EV_API:
    case IT_EV_WAKEUP:
    case IT_EV_IRQ:
    case IT_EV_SYSCALL:
    case IT_EV_TASK:
    case IT_EV_UNTRACED:  // a TASK record's layout, for a process no pid 0 can be (review S43 L3)
    case IT_EV_FDNAME: return u32_at(p + 16) == 0 || u32_at(p + 20) == 0;
    case IT_EV_GPU: return u32_at(p + 16) == 0;
    case IT_EV_SWITCH: {
      const uint32_t pid = u32_at(p + 16), tid = u32_at(p + 20), next_pid = u32_at(p + 24), next_tid = u32_at(p + 28);
      return (pid == 0 && next_pid == 0) || (pid != 0 && tid == 0) || (next_pid != 0 && next_tid == 0);
    }
    default: return false;
  }
}

bool impossible_only_by_zeros_from(uint32_t type, const unsigned char* p, uint32_t len, uint64_t zeros_at) {
  // The thread fields end at byte 32 (a SWITCH's next tid): a copy of those bytes with the tail's
  // part set to 0xff, judged again.
  unsigned char fields[32] = {};
  const uint32_t n = len < sizeof fields ? len : static_cast<uint32_t>(sizeof fields);
  std::memcpy(fields, p, n);
  for (uint64_t i = zeros_at; i < n; ++i) fields[i] = 0xff;
  return !has_impossible_thread_fields(type, fields);
}

std::string thread_fields_text(uint32_t type, const unsigned char* p) {
  if (type == IT_EV_SWITCH) return side("prev ", u32_at(p + 16), u32_at(p + 20)) + "; " + side("next ", u32_at(p + 24), u32_at(p + 28));
  if (type == IT_EV_GPU) return "pid " + std::to_string(u32_at(p + 16));
  return side("", u32_at(p + 16), u32_at(p + 20));
}

}  // namespace infertrace::itrace
