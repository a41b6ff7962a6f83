#include "ingest/recording/implausible_stamps.h"

#include <charconv>
#include <optional>
#include <string_view>

#include "ingest/recording/itrace_format.h"
#include "util/error.h"
#include "util/units.h"

namespace infertrace::itrace {

namespace {

bool is_host_event(uint32_t type) {
  return type == IT_EV_API || type == IT_EV_SWITCH || type == IT_EV_WAKEUP || type == IT_EV_IRQ ||
         type == IT_EV_SYSCALL || type == IT_EV_TASK;
}

std::optional<uint64_t> meta_u64(const std::map<std::string, std::string>& meta, const char* key) {
  const auto it = meta.find(key);
  if (it == meta.end()) return std::nullopt;
  uint64_t v = 0;
  const char* end = it->second.data() + it->second.size();
  const auto [ptr, ec] = std::from_chars(it->second.data(), end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

std::string record_text(uint32_t type) {
  const std::string key = event_type_key(type);
  const bool vowel = !key.empty() && std::string_view("aeiou").find(key[0]) != std::string_view::npos;
  return (vowel ? "an " : "a ") + key + " record (type " + std::to_string(type) + ")";
}

}  // namespace

void StampBounds::see_cpu(uint32_t cpu, uint32_t type, size_t off) {
  if (cpu == UINT32_MAX) return;  // -1: an unknown CPU, not a corrupt one
  if (!any_cpu_ || cpu > max_cpu_) any_cpu_ = true, max_cpu_ = cpu, cpu_off_ = off, cpu_type_ = type;
}

void StampBounds::observe(uint32_t type, const unsigned char* p, size_t off) {
  if (!is_host_event(type)) return;
  it_hdr h;
  std::memcpy(&h, p, sizeof h);
  if (!any_ || h.ts < min_ts_) min_ts_ = h.ts, min_off_ = off, min_type_ = type;
  if (!any_ || h.ts > max_ts_) max_ts_ = h.ts, max_off_ = off, max_type_ = type;
  any_ = true;
  // A TASK record's CPU is not a kernel CPU field the reader uses (attach stamps are written by the
  // recorder's user side); the others are filled by the kernel or by sched_getcpu().
  if (type != IT_EV_TASK) see_cpu(h.cpu, type, off);
  if (type == IT_EV_WAKEUP) {
    it_wakeup w;
    std::memcpy(&w, p, sizeof w);
    see_cpu(w.target_cpu, type, off);
  }
}

void StampBounds::check(const std::map<std::string, std::string>& meta, const std::string& name) const {
  const auto from = meta_u64(meta, "recorded_from_ns"), to = meta_u64(meta, "recorded_to_ns");
  if (any_ && from && to && *from <= *to) {
    const uint64_t len = *to - *from;
    const uint64_t slack = len > static_cast<uint64_t>(kStampSlackNs) ? len : static_cast<uint64_t>(kStampSlackNs);
    if (max_ts_ > *to && max_ts_ - *to > slack)
      throw InputError(name, static_cast<int64_t>(max_off_),
                       "corrupt record: " + record_text(max_type_) + " stamped " +
                           format_ns(static_cast<double>(max_ts_ - *to)) +
                           " after the recording's end (META recorded_to_ns): no recorded event can be (its payload was "
                           "overwritten)");
    if (min_ts_ < *from && *from - min_ts_ > slack)
      throw InputError(name, static_cast<int64_t>(min_off_),
                       "corrupt record: " + record_text(min_type_) + " stamped " +
                           format_ns(static_cast<double>(*from - min_ts_)) +
                           " before the recording's start (META recorded_from_ns): no recorded event can be (its "
                           "payload was overwritten)");
  }
  const auto cpus = meta_u64(meta, "cpus");
  if (any_cpu_ && cpus && *cpus > 0 && max_cpu_ >= *cpus && max_cpu_ >= kMaxKernelCpus)
    throw InputError(name, static_cast<int64_t>(cpu_off_),
                     "corrupt record: " + record_text(cpu_type_) + " names CPU " + std::to_string(max_cpu_) +
                         " on a machine with " + std::to_string(*cpus) +
                         " possible CPUs (META cpus), beyond any CPU id a Linux kernel can have: no recorded event "
                         "can (its payload was overwritten)");
}

}  // namespace infertrace::itrace
