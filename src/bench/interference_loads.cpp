#include "bench/interference_loads.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "bench/interference_proc.h"

namespace infertrace::bench {

namespace {

std::string missing(const std::vector<std::string>& tools) {
  std::string m;
  for (const std::string& t : tools)
    if (!have_tool(t)) m += (m.empty() ? "" : ", ") + t;
  return m.empty() ? "" : m + " not installed (scripts/setup.sh installs it)";
}

// --temp-path: stress-ng refuses to start in a working directory it cannot write (a non-root user
// in a read-only directory, review TI L3); the scratch directory is the bench's own.
std::vector<std::string> cpu_hog(int seconds, const std::string& scratch_dir) {
  std::vector<std::string> argv = {"stress-ng", "--cpu", "0", "--cpu-method", "fft", "--timeout", std::to_string(seconds) + "s", "--quiet"};
  if (!scratch_dir.empty()) argv.insert(argv.end(), {"--temp-path", scratch_dir});
  return argv;
}

void add_net(ScenarioPlan& p, const PlanContext& c) {
  const std::string port = std::to_string(c.iperf_port), t = std::to_string(c.load_seconds);
  // The server serves one client (-1) and exits, or gives up when no client came within the load
  // limit (--idle-timeout: a bench killed before its client started leaves no server behind);
  // both stay on loopback.
  p.loads.push_back({{"iperf3", "-s", "-1", "--idle-timeout", t, "-B", "127.0.0.1", "-p", port}, c.iperf_port});
  p.loads.push_back({{"iperf3", "-c", "127.0.0.1", "-p", port, "-P", "10", "-t", t}, 0});
}

void add_disk(ScenarioPlan& p, const PlanContext& c) {
  // Kernel 6.x tmpfs takes O_DIRECT, so fio runs there and the scenario measured memory writes under
  // the name of direct disk I/O, without the block IRQs the disk row is about (review BT57 L2).
  if (!c.scratch_fs_in_ram.empty())
    p.warnings.push_back("the disk load writes to " + c.scratch_dir + " on " + c.scratch_fs_in_ram +
                         ", which keeps its files in memory: no block device, no disk I/O and no block IRQs; "
                         "give an --out-dir on a disk for a disk load");
  p.loads.push_back({{"fio", "--name=infertrace-noise", "--directory=" + c.scratch_dir, "--rw=randwrite", "--bs=4k",
                      "--iodepth=32", "--numjobs=4", "--direct=1", "--ioengine=libaio", "--size=64m", "--time_based",
                      "--runtime=" + std::to_string(c.load_seconds), "--group_reporting"},
                     0});
}

// Mount point of a cgroup hierarchy: v2 ("cgroup2") or the v1 one carrying the cpuset controller.
std::string find_mount(bool v2) {
  std::ifstream in("/proc/self/mounts");
  std::string dev, mnt, type, opts;
  while (in >> dev >> mnt >> type >> opts) {
    std::string rest;
    std::getline(in, rest);
    if (v2 && type == "cgroup2") return mnt;
    if (!v2 && type == "cgroup" && ("," + opts + ",").find(",cpuset,") != std::string::npos) return mnt;
  }
  return "";
}

std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

bool write_file(const std::string& path, const std::string& value) {
  std::ofstream out(path);
  out << value << "\n";
  out.flush();
  return static_cast<bool>(out);
}

bool v2_has_cpuset(const std::string& mnt) {
  return !mnt.empty() && (" " + read_line(mnt + "/cgroup.controllers") + " ").find(" cpuset ") != std::string::npos;
}

}  // namespace

bool can_lower_nice(int by, std::string& why) {
  errno = 0;
  const int now = getpriority(PRIO_PROCESS, 0);
  const int target = std::max(now - by, -20);
  const pid_t pid = fork();
  if (pid < 0) return why = std::string("cannot fork to try it: ") + std::strerror(errno), false;
  if (pid == 0) {
    // The child tries it and exits with errno: the bench's own nice value stays as it is.
    _exit(setpriority(PRIO_PROCESS, 0, target) == 0 ? 0 : errno & 0x7f);
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return why = std::string("cannot wait for the child that tried it: ") + std::strerror(errno), false;
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return true;
  const int err = WIFEXITED(st) ? WEXITSTATUS(st) : 0;
  rlimit rl{};
  getrlimit(RLIMIT_NICE, &rl);
  // RLIMIT_NICE r permits nice values down to 20 - r.
  why = "setpriority from nice " + std::to_string(now) + " to " + std::to_string(target) + ": " +
        (err ? std::strerror(err) : "the child that tried it did not exit normally") +
        " (needs root with CAP_SYS_NICE, or an RLIMIT_NICE of at least " + std::to_string(20 - target) +
        ": `ulimit -e`, the `nice` item of /etc/security/limits.conf; it is " +
        (rl.rlim_cur == RLIM_INFINITY ? std::string("unlimited") : std::to_string(rl.rlim_cur)) + " here)";
  return false;
}

bool cpuset_cgroup_available(std::string& why) {
  if (geteuid() != 0) return why = "needs root to create a cpuset cgroup", false;
  if (v2_has_cpuset(find_mount(true)) || !find_mount(false).empty()) return true;
  why = "no cgroup v2 cpuset controller and no cgroup v1 cpuset hierarchy mounted";
  return false;
}

void remove_stale_cgroups(const std::string& prefix, std::ostream& log, std::vector<std::string> roots) {
  if (roots.empty())
    for (const std::string& r : {find_mount(true), find_mount(false)})
      if (!r.empty()) roots.push_back(r);
  for (const std::string& root : roots) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(root, ec)) {
      const std::string name = e.path().filename().string();
      if (name.rfind(prefix, 0) != 0 || !e.is_directory(ec)) continue;
      const std::string rest = name.substr(prefix.size());
      const std::string pid = rest.substr(0, rest.find('-'));
      if (pid.empty() || pid.size() == rest.size() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
      if (std::filesystem::exists("/proc/" + pid, ec)) continue;  // that run is still going
      if (rmdir(e.path().c_str()) == 0)
        log << "bench interference: removed the cgroup " << e.path().string() << " (left by a killed run)\n";
      else
        log << "bench interference: cannot remove the cgroup " << e.path().string() << " left by a killed run: "
            << std::strerror(errno) << (errno == EBUSY ? " (its processes still run)" : "") << "\n";
    }
  }
}

CpusetCgroup::CpusetCgroup(const std::string& name, const std::string& cpus) {
  const std::string v2 = find_mount(true);
  std::string base;
  bool is_v2 = false;
  if (v2_has_cpuset(v2)) {
    base = v2, is_v2 = true;
    write_file(v2 + "/cgroup.subtree_control", "+cpuset");  // may already be on
  } else {
    base = find_mount(false);
  }
  if (base.empty()) {
    why_ = "no cpuset cgroup hierarchy";
    return;
  }
  const std::string dir = base + "/" + name;
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    why_ = "cannot create " + dir + ": " + std::strerror(errno);
    return;
  }
  dir_ = dir;
  // v1 needs memory nodes before any task may join; copy the parent's.
  if (!is_v2 && !write_file(dir + "/cpuset.mems", read_line(base + "/cpuset.mems"))) why_ = "cannot set cpuset.mems in " + dir;
  if (why_.empty() && !write_file(dir + "/cpuset.cpus", cpus)) why_ = "cannot set cpuset.cpus=" + cpus + " in " + dir;
  if (!why_.empty()) {
    rmdir(dir_.c_str());
    dir_.clear();
  }
}

CpusetCgroup::~CpusetCgroup() {
  if (dir_.empty()) return;
  // Killed members may take a moment to leave; the cgroup can only go once it is empty.
  for (int i = 0; i < 100 && rmdir(dir_.c_str()) != 0 && errno == EBUSY; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

namespace {

// "CPU 1", "CPUs 0,2" or "CPUs 0-3" (a list of the kernel's syntax); "no CPU" for an empty one
// (review TI L5: "pinned to CPUs 1", and a skipped isolated's "confined to CPUs  by ...").
std::string cpus_words(const std::string& list) {
  if (list.empty()) return "no CPU";
  return (list.find_first_of(",-") == std::string::npos ? "CPU " : "CPUs ") + list;
}

// " (on tmpfs: memory writes)" for a disk load on a RAM-backed scratch directory.
std::string in_ram(const PlanContext& c) {
  return c.scratch_fs_in_ram.empty() ? "" : " (on " + c.scratch_fs_in_ram + ": memory writes, no block device)";
}

}  // namespace

std::string ram_backed_fs(const std::string& path) {
  // The magic numbers of <linux/magic.h>, spelled here: that header is not everywhere.
  constexpr unsigned long kTmpfs = 0x01021994, kRamfs = 0x858458f6;
  struct statfs fs {};
  if (statfs(path.c_str(), &fs) != 0) return "";
  const auto type = static_cast<unsigned long>(fs.f_type);
  return type == kTmpfs ? "tmpfs" : type == kRamfs ? "ramfs" : "";
}

ScenarioPlan plan_scenario(const std::string& name, const PlanContext& c) {
  ScenarioPlan p;
  std::vector<std::string> pin = {"taskset", "-c", c.pin_cpus};
  if (c.can_lower_nice) pin.insert(pin.end(), {"nice", "-n", "-10"});
  if (name == "baseline") {
    p.description = "the command alone";
  } else if (name == "cpu") {
    p.description = "stress-ng --cpu 0 --cpu-method fft on every CPU";
    p.skip_reason = missing({"stress-ng"});
    p.loads.push_back({cpu_hog(c.load_seconds, c.scratch_dir), 0});
  } else if (name == "net") {
    p.description = "iperf3 over loopback, 10 parallel streams (softirq load)";
    p.skip_reason = missing({"iperf3"});
    add_net(p, c);
  } else if (name == "disk") {
    p.description = "fio 4k random writes, iodepth 32, 4 jobs, direct I/O" + in_ram(c);
    p.skip_reason = missing({"fio"});
    add_disk(p, c);
  } else if (name == "heavy") {
    p.description = "cpu + net + disk together" + in_ram(c);
    p.skip_reason = missing({"stress-ng", "iperf3", "fio"});
    p.loads.push_back({cpu_hog(c.load_seconds, c.scratch_dir), 0});
    add_net(p, c);
    add_disk(p, c);
  } else if (name == "pinned") {
    // Without the right to lower the nice value, `nice -n -10` would fail inside CMD's output and
    // CMD run at the bench's own nice (review BX H1): pinned only, and said so.
    // Pinned to every CPU it may use, CMD is not pinned at all: said, as the isolated scenario says
    // it has no CPU left for its load (review BT57 L3).
    p.description = "cpu load; the command " +
                    (c.pin_covers_all ? "on " + cpus_words(c.pin_cpus) + ", every CPU it may use (pinning is a no-op)"
                                      : "pinned to " + cpus_words(c.pin_cpus)) +
                    (c.can_lower_nice ? " with nice -10" : " only (nice -10 not applied: this process may not lower its nice value)");
    p.nice_applied = c.can_lower_nice;
    p.skip_reason = missing(c.can_lower_nice ? std::vector<std::string>{"stress-ng", "taskset", "nice"}
                                             : std::vector<std::string>{"stress-ng", "taskset"});
    p.loads.push_back({cpu_hog(c.load_seconds, c.scratch_dir), 0});
    p.cmd_prefix = pin;
    p.cmd_cpus = c.pin_cpus;
    p.cmd_nice = c.can_lower_nice ? -10 : 0;
    if (c.pin_covers_all)
      p.warnings.push_back("--pin-cpus " + c.pin_cpus + " covers every CPU the command may use, so pinning it there is a no-op: " +
                           (c.can_lower_nice ? "only its nice -10 differs from the cpu scenario" : "it runs as in the cpu scenario") +
                           "; give --pin-cpus a subset of the CPUs (the default is the last one)");
  } else if (name == "isolated") {
    p.description = "cpu load confined to " + (c.other_cpus.empty() ? std::string("the other CPUs (none left)") : cpus_words(c.other_cpus)) +
                    " by a cpuset cgroup; the command on " + cpus_words(c.pin_cpus);
    p.skip_reason = missing({"stress-ng", "taskset"});
    if (p.skip_reason.empty() && c.other_cpus.empty()) p.skip_reason = "no CPU left for the load outside " + c.pin_cpus;
    if (p.skip_reason.empty() && !c.have_cpuset_cgroup) {
      std::string why;
      cpuset_cgroup_available(why);
      p.skip_reason = why.empty() ? "no cpuset cgroup" : why;
    }
    p.loads.push_back({cpu_hog(c.load_seconds, c.scratch_dir), 0});
    p.cmd_prefix = {"taskset", "-c", c.pin_cpus};
    p.cmd_cpus = c.pin_cpus;
    p.confine_loads = true;
  } else {
    p.skip_reason = "unknown scenario";
  }
  return p;
}

}  // namespace infertrace::bench
