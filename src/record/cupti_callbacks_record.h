// The RingCallbacks record (cupti_records.h): built by the injection library as it enables its
// callbacks (and by the synthetic producer of the tests, through the same code), read by the
// recorder's merge. Header-only and allocation-free on the building side, since the library builds
// it inside the application, at CUDA initialization.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "record/cupti_records.h"
#include "record/cupti_ring.h"
#include "trace/api_kind.h"

namespace infertrace::cupti {

// The smallest ring (64 slots) takes a record of up to a quarter of itself (Ring::max_payload):
// the record always fits, whatever the ring's size.
static_assert(sizeof(RingCallbacks) + kRefusedNamesMaxBytes <= 64 / 4 * kSlotBytes - kRecordHeaderBytes,
              "a RingCallbacks record must fit the smallest ring");

// The callbacks counted in RingCallbacks.launch_enabled and .launch_refused, by CUPTI's function
// name: every call the analyses count as a launch (is_launch(): kernel and graph launches, async
// copies and sets), so that a refused cudaMemcpyAsync marks the launch figures partial just as a
// refused cuLaunchKernelEx does. A process where none of these is enabled has no launch count.
inline bool is_launch_callback(std::string_view cupti_name) { return is_launch(classify_api(cupti_name)); }
// Of those, the kernel and graph launches (RingCallbacks.kernel_launch_enabled).
inline bool is_kernel_launch_callback(std::string_view cupti_name) {
  const ApiKind k = classify_api(cupti_name);
  return k == ApiKind::KernelLaunch || k == ApiKind::GraphLaunch;
}

class CallbacksRecordBuilder {
 public:
  explicit CallbacksRecordBuilder(uint32_t pid) { head_.pid = pid; }

  void enabled(const char* name) {
    ++head_.enabled;
    if (name && is_launch_callback(name)) ++head_.launch_enabled;
    if (name && is_kernel_launch_callback(name)) ++head_.kernel_launch_enabled;
  }
  // Counts every refusal (and every launch-class one); lists the name while the whole name and its
  // NUL still fit.
  void refused(const char* name) {
    ++head_.refused;
    if (name && is_launch_callback(name)) ++head_.launch_refused;
    const size_t n = name ? std::strlen(name) : 0;
    if (head_.listed != head_.refused - 1 || head_.len + n + 1 > kRefusedNamesMaxBytes) return;  // cut: no later name either
    if (n) std::memcpy(names_ + head_.len, name, n);
    names_[head_.len + n] = '\0';
    head_.len += static_cast<uint32_t>(n + 1);
    ++head_.listed;
  }
  const RingCallbacks& head() const { return head_; }
  // The payload for Ring::push(kRecCallbacks, ...): the struct, then the names.
  uint32_t write(unsigned char* out) const {
    std::memcpy(out, &head_, sizeof(head_));
    std::memcpy(out + sizeof(head_), names_, head_.len);
    return static_cast<uint32_t>(sizeof(head_) + head_.len);
  }
  static constexpr size_t kMaxPayload = sizeof(RingCallbacks) + kRefusedNamesMaxBytes;

 private:
  RingCallbacks head_{};
  char names_[kRefusedNamesMaxBytes];
};

// Reads a kRecCallbacks payload: false (malformed) when it is shorter than its struct or `len`
// says, longer than the bound, or its text does not hold exactly `listed` NUL-ended names.
inline bool read_callbacks_record(const unsigned char* p, uint32_t size, RingCallbacks& head,
                                  std::vector<std::string>& names) {
  if (size < sizeof(RingCallbacks)) return false;
  std::memcpy(&head, p, sizeof(head));
  if (head.len > kRefusedNamesMaxBytes || head.len > size - sizeof(head) || head.listed > head.refused ||
      head.launch_enabled > head.enabled || head.kernel_launch_enabled > head.launch_enabled ||
      head.launch_refused > head.refused)
    return false;
  names.clear();
  const char* text = reinterpret_cast<const char*>(p + sizeof(head));
  size_t at = 0;
  while (at < head.len) {
    const void* nul = std::memchr(text + at, '\0', head.len - at);
    if (!nul) return false;
    const size_t end = static_cast<size_t>(static_cast<const char*>(nul) - text);
    names.emplace_back(text + at, end - at);
    at = end + 1;
  }
  return names.size() == head.listed;
}

}  // namespace infertrace::cupti
