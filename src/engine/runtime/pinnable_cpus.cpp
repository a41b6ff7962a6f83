#include "engine/runtime/pinnable_cpus.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "util/cpu_list.h"
#include "util/error.h"

namespace infertrace::engine {

namespace {

std::optional<std::string> first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
  return line;
}

// A cpuset file's list, or nullopt when absent, empty (a v1 cpuset not yet configured) or unreadable.
std::optional<std::vector<int>> cpu_list_file(const std::string& path) {
  const auto text = first_line(path);
  if (!text || text->empty()) return std::nullopt;
  try {
    std::vector<int> cpus = parse_cpu_list(*text, path);
    std::sort(cpus.begin(), cpus.end());
    return cpus;
  } catch (const Error&) {
    return std::nullopt;  // not the syntax we know: no early check rather than a wrong one
  }
}

}  // namespace

std::optional<PinnableCpus> pinnable_cpus_from(const std::string& proc_self_cgroup, const std::string& cgroup_root,
                                               const std::string& online_path) {
  // /proc/self/cgroup: "0::/path" (v2, the unified hierarchy), "N:cpuset:/path" (v1; a hybrid
  // system has both, and the v1 cpuset controller is the one in force there).
  std::istringstream lines(proc_self_cgroup);
  std::string line, v2_path, v1_path;
  bool v1 = false;
  while (std::getline(lines, line)) {
    const auto a = line.find(':'), b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (line.compare(0, a, "0") == 0 && controllers.empty()) v2_path = path;
    std::istringstream names(controllers);
    for (std::string c; std::getline(names, c, ',');)
      if (c == "cpuset") v1 = true, v1_path = path;
  }
  const auto named = [](std::vector<int> cpus, const std::string& what) {
    std::string list = format_cpu_list(cpus);
    return PinnableCpus{std::move(cpus), what + " " + list};
  };
  // The cgroup's directory, else the nearest ancestor that has the file: in a container without a
  // cgroup namespace /proc/self/cgroup names the host's path while the container's own cgroup is
  // mounted as the root, and a v2 cgroup without the cpuset controller has no file of its own
  // (its parent's set is a superset: lenient, never refusing a valid list).
  const auto nearest = [&](const std::string& base, std::string path, const char* file) -> std::optional<std::vector<int>> {
    while (true) {
      if (auto c = cpu_list_file(base + path + "/" + file)) return c;
      if (path.empty() || path == "/") return std::nullopt;
      const auto slash = path.rfind('/');
      path = slash == std::string::npos || slash == 0 ? std::string() : path.substr(0, slash);
    }
  };
  if (v1) {
    if (auto c = nearest(cgroup_root + "/cpuset", v1_path, "cpuset.effective_cpus")) return named(std::move(*c), "cgroup cpuset");
  } else if (!v2_path.empty()) {
    if (auto c = nearest(cgroup_root, v2_path, "cpuset.cpus.effective")) return named(std::move(*c), "cgroup cpuset");
  }
  if (auto c = cpu_list_file(online_path)) return named(std::move(*c), "online CPUs");
  return std::nullopt;
}

std::optional<PinnableCpus> pinnable_cpus() {
  std::ifstream in("/proc/self/cgroup");
  std::stringstream text;
  text << in.rdbuf();
  return pinnable_cpus_from(in ? text.str() : std::string(), "/sys/fs/cgroup", "/sys/devices/system/cpu/online");
}

}  // namespace infertrace::engine
