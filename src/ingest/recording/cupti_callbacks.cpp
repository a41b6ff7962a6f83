#include "ingest/recording/cupti_callbacks.h"

#include <cerrno>
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>

#include "util/comma_list.h"
#include "util/plural.h"

namespace infertrace {

namespace {

const std::string kPrefix = "cupti.callbacks.";

// The whole value must be a non-negative base-10 integer ("", "-1" or "12abc" are malformed).
std::optional<uint64_t> parse_count(const std::string& s) {
  if (s.empty() || s[0] < '0' || s[0] > '9') return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return v;
}

// By position, not by what was written so far: an empty first name keeps its separator, so the
// list reads back with as many names (review AN, L7).
std::string join(const std::vector<std::string>& names, const char* sep) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? sep : "") + names[i];
  return out;
}

}  // namespace

std::string cupti_callbacks_key(uint32_t pid, const char* field) { return kPrefix + std::to_string(pid) + "." + field; }

std::vector<std::pair<std::string, std::string>> cupti_callbacks_meta(const CuptiCallbackStatus& s) {
  if (!s.known) return {{cupti_callbacks_key(s.pid, "lost"), "1"}};
  // Function names hold no comma, so a comma-separated list stays unambiguous.
  return {{cupti_callbacks_key(s.pid, "enabled"), std::to_string(s.enabled)},
          {cupti_callbacks_key(s.pid, "launch_enabled"), std::to_string(s.launch_enabled)},
          {cupti_callbacks_key(s.pid, "kernel_launch_enabled"), std::to_string(s.kernel_launch_enabled)},
          {cupti_callbacks_key(s.pid, "refused"), std::to_string(s.refused)},
          {cupti_callbacks_key(s.pid, "launch_refused"), std::to_string(s.launch_refused)},
          {cupti_callbacks_key(s.pid, "refused_names"), join(s.refused_names, ",")}};
}

std::vector<CuptiCallbackStatus> cupti_callback_statuses(const Trace& t) {
  struct Fields {
    std::optional<uint64_t> enabled, launch_enabled, kernel_launch_enabled, refused, launch_refused;
    std::vector<std::string> names;
    bool malformed = false, lost = false;
  };
  std::map<uint32_t, Fields> by_pid;
  for (auto it = t.meta.lower_bound(kPrefix); it != t.meta.end() && it->first.compare(0, kPrefix.size(), kPrefix) == 0;
       ++it) {
    const std::string rest = it->first.substr(kPrefix.size());
    const size_t dot = rest.find('.');
    const auto pid = parse_count(rest.substr(0, dot));
    if (dot == std::string::npos || !pid || *pid > UINT32_MAX) continue;
    Fields& f = by_pid[static_cast<uint32_t>(*pid)];
    const std::string field = rest.substr(dot + 1);
    const auto count = [&](std::optional<uint64_t>& into) {
      into = parse_count(it->second);
      if (!into) f.malformed = true;
    };
    if (field == "enabled") count(f.enabled);
    else if (field == "launch_enabled") count(f.launch_enabled);
    else if (field == "kernel_launch_enabled") count(f.kernel_launch_enabled);
    else if (field == "refused") count(f.refused);
    else if (field == "launch_refused") count(f.launch_refused);
    else if (field == "refused_names") f.names = split_commas(it->second);
    else if (field == "lost") f.lost = true;
  }
  std::vector<CuptiCallbackStatus> out;
  for (auto& [pid, f] : by_pid) {
    CuptiCallbackStatus s;
    s.pid = pid;
    // A process the META names but cannot describe is not silently measured: its callbacks are
    // unknown (docs/record.md).
    if (f.lost || f.malformed || !f.enabled || !f.launch_enabled || !f.refused || f.names.size() > *f.refused ||
        *f.launch_enabled > *f.enabled || (f.launch_refused && *f.launch_refused > *f.refused) ||
        (f.kernel_launch_enabled && *f.kernel_launch_enabled > *f.launch_enabled)) {
      s.known = false;
      out.push_back(std::move(s));
      continue;
    }
    s.enabled = *f.enabled;
    s.launch_enabled = *f.launch_enabled;
    // Recordings before kernel_launch_enabled counted only kernel and graph launches in launch_enabled.
    s.kernel_launch_enabled = f.kernel_launch_enabled ? *f.kernel_launch_enabled : *f.launch_enabled;
    s.refused = *f.refused;
    s.refused_names = std::move(f.names);
    // Ring version 2 recordings have no launch_refused: the launch-class names listed, with the
    // meaning of version 3 (copies and sets included); a lower bound when the list was cut.
    if (f.launch_refused) {
      s.launch_refused = *f.launch_refused;
    } else {
      for (const std::string& n : s.refused_names) s.launch_refused += is_launch(classify_api(n)) ? 1 : 0;
      s.launch_refused_exact = s.unlisted() == 0;
    }
    out.push_back(std::move(s));
  }
  return out;
}

namespace {

// "a, b" of the refused launch-class names, and how many more were refused than listed.
std::string refused_launch_apis(const CuptiCallbackStatus& s) {
  std::vector<std::string> names;
  for (const std::string& n : s.refused_names)
    if (is_launch(classify_api(n))) names.push_back(n);
  std::string out = join(names, ", ");
  if (s.launch_refused > names.size()) {
    const uint64_t more = s.launch_refused - names.size();
    out += names.empty() ? std::to_string(more) + plural(static_cast<int64_t>(more), " launch API not listed", " launch APIs not listed")
                         : ", and " + std::to_string(more) + " more not listed";
  }
  // A count derived from a cut list (ring version 2): the unlisted refusals may hold more.
  if (!s.launch_refused_exact)
    out += ", and possibly some of the " + std::to_string(s.unlisted()) +
           plural(static_cast<int64_t>(s.unlisted()), " refused callback not listed", " refused callbacks not listed");
  return out;
}

}  // namespace

LaunchCoverage launch_coverage(const std::vector<CuptiCallbackStatus>& all, const std::map<uint32_t, int64_t>& launch_calls) {
  LaunchCoverage c;
  std::vector<std::string> why, what;
  for (const CuptiCallbackStatus& s : all) {
    const std::string pid = "pid " + std::to_string(s.pid);
    if (!s.known) {
      const auto n = launch_calls.find(s.pid);
      if (n == launch_calls.end() || n->second == 0) {
        c.unmeasured_pids.push_back(s.pid);
        why.push_back(pid + ": callbacks unknown (its record of them was lost or malformed) and no launch call recorded");
      } else {
        c.partial_pids.push_back(s.pid);
        what.push_back(pid + ": callbacks unknown (its record of them was lost or malformed), so refused launch APIs, "
                             "if any, are not named");
      }
    } else if (!s.launches_measured()) {
      c.unmeasured_pids.push_back(s.pid);
      why.push_back(pid + (s.launch_enabled == 0 ? ": no launch callback enabled"
                                                 : ": no kernel or graph launch callback enabled (async copies and sets alone "
                                                   "are not its launches)") +
                    (s.launch_refused ? " (CUPTI refused " + refused_launch_apis(s) + ")" : std::string()));
    } else if (s.launch_refused > 0) {
      c.partial_pids.push_back(s.pid);
      what.push_back(pid + ": the calls of " + refused_launch_apis(s) + " (CUPTI refused their callbacks)");
    }
  }
  if (!why.empty()) c.unmeasured_reason = "launch calls not measured in " + join(why, "; ");
  if (!what.empty()) c.partial_note = "launch figures are partial: they leave out, in " + join(what, "; in ");
  return c;
}

LaunchCoverage read_launch_coverage(const Trace& t) {
  const std::vector<CuptiCallbackStatus> all = cupti_callback_statuses(t);
  LaunchCoverage c;
  if (!all.empty()) {
    std::map<uint32_t, int64_t> launch_calls;
    for (size_t r = 0; r < t.api.size(); ++r)
      if (is_launch(t.api.kind[r])) ++launch_calls[static_cast<uint32_t>(t.api.pid[r])];
    c = launch_coverage(all, launch_calls);
  }
  // A CUDA library the recorder probed late (META library.<n>.probed_late_ns, mapped_by_pid: mapped
  // by a traced process after the recording started, found by the periodic scan): the launches made
  // through it before then are not recorded, while every switch and IRQ of that time is, so the
  // launch figures are partial and the rates per 1000 launches upper bounds (review TI M2: Sched/1K
  // 113.7 against 100.9, unmarked).
  c.cupti_partial_pids = c.partial_pids;
  c.cupti_partial_note = c.partial_note;
  for (const auto& [key, value] : t.meta) {
    static const std::string suffix = ".probed_late_ns";
    if (key.rfind("library.", 0) != 0 || key.size() <= suffix.size() ||
        key.compare(key.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    const std::string lib_key = key.substr(0, key.size() - suffix.size());
    const auto path = t.meta.find(lib_key);
    const auto by = t.meta.find(lib_key + ".mapped_by_pid");
    LaunchCoverage::LateProbe p;
    p.pid = by == t.meta.end() ? 0 : static_cast<uint32_t>(std::strtoul(by->second.c_str(), nullptr, 10));
    // An unreadable time counts as the recording's start: no window drops that probe.
    const auto ns = parse_count(value);
    p.probed_ns = ns && *ns <= uint64_t{INT64_MAX} ? static_cast<int64_t>(*ns) : INT64_MAX;
    p.words = (p.pid > 0 ? "pid " + std::to_string(p.pid) + ": " : std::string()) + "the calls made through " +
              (path == t.meta.end() ? lib_key : path->second) +
              " before it was probed (mapped after the recording started, found by the scan for mapped libraries)";
    c.late_probes.push_back(std::move(p));
  }
  compose_partial(c);
  return c;
}

std::vector<std::string> cupti_callback_notes(const CuptiCallbackStatus& s) {
  std::vector<std::string> lines;
  const std::string pid = std::to_string(s.pid);
  if (s.refused) {
    std::string l = "CUPTI refused " + std::to_string(s.refused) + plural(static_cast<int64_t>(s.refused), " callback", " callbacks") +
                    " in pid " + pid + ", not recorded: ";
    l += s.refused_names.empty() ? "(no name listed)" : join(s.refused_names, ", ");
    if (s.unlisted() && !s.refused_names.empty())
      l += ", and " + std::to_string(s.unlisted()) + " more not listed (the ring record holds " +
           std::to_string(s.refused_names.size()) + " names)";
    lines.push_back(std::move(l));
  }
  return lines;
}

std::string recorded_calls_note(const LaunchCoverage& c) {
  if (c.measured() && !c.partial()) return "";
  return "the CUDA API rows and the orphan GPU activities count the calls recorded: launch calls whose callbacks CUPTI "
         "refused or did not enable are in no row, and the GPU work they started is orphan";
}

std::string orphan_activities_meaning(const LaunchCoverage& c) {
  if (c.measured() && !c.partial()) return "";
  return "GPU work whose correlation matches no recorded API call (its launch call was not recorded: CUPTI callbacks)";
}

std::vector<std::string> cupti_coverage_lines(const std::vector<CuptiCallbackStatus>& all, const LaunchCoverage& c) {
  std::vector<std::string> lines;
  for (const CuptiCallbackStatus& s : all)
    for (std::string& l : cupti_callback_notes(s)) lines.push_back(std::move(l));
  if (!c.unmeasured_reason.empty()) lines.push_back(c.unmeasured_reason);
  if (!c.partial_note.empty()) lines.push_back(c.partial_note);
  return lines;
}

}  // namespace infertrace
