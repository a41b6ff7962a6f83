#include "ingest/recording/cupti_callbacks.h"

#include <cerrno>
#include <cstdlib>
#include <map>
#include <optional>

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

std::string join(const std::vector<std::string>& names, const char* sep) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : sep) + n;
  return out;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  size_t at = 0;
  for (;;) {
    const size_t comma = s.find(',', at);
    out.push_back(s.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
    if (comma == std::string::npos) return out;
    at = comma + 1;
  }
}

}  // namespace

std::string cupti_callbacks_key(uint32_t pid, const char* field) { return kPrefix + std::to_string(pid) + "." + field; }

std::vector<std::pair<std::string, std::string>> cupti_callbacks_meta(const CuptiCallbackStatus& s) {
  // Function names hold no comma, so a comma-separated list stays unambiguous.
  return {{cupti_callbacks_key(s.pid, "enabled"), std::to_string(s.enabled)},
          {cupti_callbacks_key(s.pid, "launch_enabled"), std::to_string(s.launch_enabled)},
          {cupti_callbacks_key(s.pid, "refused"), std::to_string(s.refused)},
          {cupti_callbacks_key(s.pid, "refused_names"), join(s.refused_names, ",")}};
}

std::vector<CuptiCallbackStatus> cupti_callback_statuses(const Trace& t) {
  struct Fields {
    std::optional<uint64_t> enabled, launch_enabled, refused;
    std::vector<std::string> names;
    bool malformed = false;
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
    else if (field == "refused") count(f.refused);
    else if (field == "refused_names") f.names = split_commas(it->second);
  }
  std::vector<CuptiCallbackStatus> out;
  for (auto& [pid, f] : by_pid) {
    if (f.malformed || !f.enabled || !f.launch_enabled || !f.refused || f.names.size() > *f.refused) continue;
    CuptiCallbackStatus s;
    s.pid = pid;
    s.enabled = *f.enabled;
    s.launch_enabled = *f.launch_enabled;
    s.refused = *f.refused;
    s.refused_names = std::move(f.names);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<uint32_t> pids_without_launch_callbacks(const std::vector<CuptiCallbackStatus>& all) {
  std::vector<uint32_t> pids;
  for (const CuptiCallbackStatus& s : all)
    if (!s.launches_measured()) pids.push_back(s.pid);
  return pids;
}

std::vector<std::string> cupti_callback_notes(const CuptiCallbackStatus& s) {
  std::vector<std::string> lines;
  const std::string pid = std::to_string(s.pid);
  if (s.refused) {
    std::string l = "CUPTI refused " + std::to_string(s.refused) + " callback(s) in pid " + pid + ", not recorded: ";
    l += s.refused_names.empty() ? "(no name listed)" : join(s.refused_names, ", ");
    if (s.unlisted() && !s.refused_names.empty())
      l += ", and " + std::to_string(s.unlisted()) + " more not listed (the ring record holds " +
           std::to_string(s.refused_names.size()) + " names)";
    lines.push_back(std::move(l));
  }
  if (!s.launches_measured()) lines.push_back(launch_not_measured_reason({s.pid}));
  return lines;
}

std::string launch_not_measured_reason(const std::vector<uint32_t>& pids) {
  std::string list;
  for (uint32_t p : pids) list += (list.empty() ? "" : ", ") + std::to_string(p);
  return "no launch callback enabled: launch counts for pid " + list + " are not measured";
}

}  // namespace infertrace
