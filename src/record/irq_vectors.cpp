#include "record/irq_vectors.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace infertrace {

const std::vector<SystemVector>& system_vectors() {
  // arch/x86/include/asm/trace/irq_vectors.h and arch_show_interrupts() (arch/x86/kernel/irq.c).
  // The MCE threshold/deferred-error vectors (THR, DFR) are left out: machine-check events, not
  // something a launch loop meets.
  static const std::vector<SystemVector> v = {
      {"local_timer", "LOC"},      {"spurious_apic", "SPU"}, {"irq_work", "IWI"},
      {"x86_platform_ipi", "PLT"}, {"reschedule", "RES"},    {"call_function", "CAL"},
      {"call_function_single", "CAL"}, {"thermal_apic", "TRM"}, {"error_apic", "ERR"},
  };
  return v;
}

std::string sysvec_tracepoint(std::string_view p) {
  constexpr std::string_view prefix = "sysvec_";
  if (p.substr(0, prefix.size()) != prefix) return {};
  p.remove_prefix(prefix.size());
  for (std::string_view suffix : {"_btf", "_raw"})
    if (p.size() > suffix.size() && p.substr(p.size() - suffix.size()) == suffix) {
      p.remove_suffix(suffix.size());
      break;
    }
  for (std::string_view end : {"_entry", "_exit"})
    if (p.size() > end.size() && p.substr(p.size() - end.size()) == end) {
      p.remove_suffix(end.size());
      return sysvec_name(p).empty() ? std::string() : std::string(p);
    }
  return {};
}

std::string_view sysvec_name(std::string_view tracepoint) {
  for (const auto& v : system_vectors())
    if (v.tracepoint == tracepoint) return v.name;
  return {};
}

namespace {
bool contains(const std::vector<std::string>& v, std::string_view s) { return std::find(v.begin(), v.end(), s) != v.end(); }

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}
}  // namespace

std::string traced_vector_names(const std::vector<std::string>& traced) {
  std::vector<std::string> names;
  for (const auto& v : system_vectors())
    if (contains(traced, v.tracepoint) && !contains(names, v.name)) names.emplace_back(v.name);
  return join(names);
}

std::string missing_vector_tracepoints(const std::vector<std::string>& traced) {
  std::vector<std::string> missing;
  for (const auto& v : system_vectors())
    if (!contains(traced, v.tracepoint)) missing.emplace_back(v.tracepoint);
  return join(missing);
}

std::string softirq_raising_untraced(const std::vector<std::string>& traced) {
#if defined(__x86_64__) || defined(__i386__)
  std::vector<std::string> missing;
  for (const char* tp : {"local_timer", "reschedule", "call_function", "call_function_single", "irq_work"})
    if (!contains(traced, tp)) missing.emplace_back(tp);
  return join(missing);
#else
  (void)traced;
  return {};
#endif
}

std::string untraced_tick_devices(const std::string& clockevents_dir) {
#if defined(__x86_64__) || defined(__i386__)
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::string> untraced;
  for (fs::directory_iterator it(clockevents_dir, ec), end; !ec && it != end; it.increment(ec)) {
    // clockevent0, clockevent1, ...: one per CPU (the "broadcast" device stands in for idle CPUs'
    // timers and ticks through one of these).
    if (it->path().filename().string().rfind("clockevent", 0) != 0) continue;
    std::ifstream f(it->path() / "current_device");
    std::string name;
    if (!std::getline(f, name) || name.empty()) continue;
    const bool traced = name.rfind("lapic", 0) == 0 || name.rfind("hpet", 0) == 0 || name == "pit";
    if (!traced && !contains(untraced, name)) untraced.push_back(name);
  }
  std::sort(untraced.begin(), untraced.end());
  return join(untraced);
#else
  (void)clockevents_dir;
  return {};
#endif
}

}  // namespace infertrace
