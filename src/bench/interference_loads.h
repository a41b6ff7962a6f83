// What each interference scenario runs: the noisy-neighbour processes, the wrapper CMD runs under,
// and the cpuset cgroup that confines the load for the "isolated" scenario.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace infertrace::bench {

struct LoadCommand {
  std::vector<std::string> argv;
  // Non-zero: the load is a server; the next load (its client) starts once a socket listens on this
  // port (bench/listen_wait.h). A fixed 300 ms wait lost runs on a busy machine (review BT57 M1).
  int listen_port = 0;
};

struct ScenarioPlan {
  std::string description;
  std::vector<LoadCommand> loads;
  std::vector<std::string> cmd_prefix;  // e.g. taskset -c 1 nice -n -10
  bool confine_loads = false;           // run loads in the cpuset cgroup
  std::string skip_reason;              // non-empty: a tool or kernel feature is missing
  // pinned only: whether CMD runs with `nice -n -10` (false: this process may not lower its nice
  // value, PlanContext::can_lower_nice, so CMD runs pinned only and the description says so).
  std::optional<bool> nice_applied;
  // pinned, isolated: CMD's CPUs and the amount added to its nice value. A recorded run passes them to
  // `record --cpus --nice`, which sets them in the child it starts (cmd_prefix there made record probe
  // taskset or nice instead of CMD: review TI H1); an unrecorded run uses cmd_prefix.
  std::string cmd_cpus;
  int cmd_nice = 0;
  // What makes this scenario other than its name says, for stderr and the JSON's "warnings": a disk
  // load on a RAM-backed --out-dir, a pinning that covers every CPU (review BT57 L2, L3).
  std::vector<std::string> warnings{};
};

struct PlanContext {
  int load_seconds = 600;   // bound of every load
  std::string scratch_dir;  // fio's files go here (removed afterwards)
  int iperf_port = 5201;
  std::string pin_cpus;     // CMD's CPUs (pinned, isolated)
  std::string other_cpus;   // the load's CPUs (isolated); "" when no CPU is left for it
  bool have_cpuset_cgroup = false;
  // Whether lowering the nice value by 10 is permitted (can_lower_nice); false: the pinned scenario
  // runs CMD without `nice -n -10`, and `nice_why` says why (review BX H1: nice then failed inside
  // CMD's output, and the scenario still said "nice -10").
  bool can_lower_nice = true;
  std::string nice_why;
  // pin_cpus covers every CPU this process may use: pinning CMD there restricts nothing (review BT57 L3).
  bool pin_covers_all = false;
  // The file system of scratch_dir when it keeps its files in memory ("tmpfs", "ramfs"; ram_backed_fs),
  // "" otherwise: fio's direct I/O there writes RAM, no block device (review BT57 L2).
  std::string scratch_fs_in_ram{};
};

// "tmpfs" or "ramfs" when `path` is on a file system that keeps its files in memory (statfs f_type),
// "" otherwise or when it cannot be told.
std::string ram_backed_fs(const std::string& path);

ScenarioPlan plan_scenario(const std::string& name, const PlanContext& ctx);

// A cpuset cgroup (v2 when the cpuset controller is available there, else v1) holding the given CPUs;
// removed by the destructor. ok() is false (and why() says why) when neither is usable.
class CpusetCgroup {
 public:
  CpusetCgroup(const std::string& name, const std::string& cpus);
  ~CpusetCgroup();
  CpusetCgroup(const CpusetCgroup&) = delete;
  CpusetCgroup& operator=(const CpusetCgroup&) = delete;
  bool ok() const { return !dir_.empty(); }
  const std::string& why() const { return why_; }
  std::string procs_file() const { return dir_ + "/cgroup.procs"; }

 private:
  std::string dir_, why_;
};

// Whether this process may lower its nice value by `by` (clamped at -20), tried for real in a forked
// child (setpriority): root with CAP_SYS_NICE may, so may anyone within RLIMIT_NICE. When it may not,
// `why` says what failed and what would permit it.
bool can_lower_nice(int by, std::string& why);

// Whether a cpuset cgroup can be made here (without making one); `why` says what is missing.
bool cpuset_cgroup_available(std::string& why);

// Cpuset cgroups a killed run left (named `prefix`PID-SCENARIO, as run_interference names them, in the
// v2 or v1 cpuset hierarchy) whose PID no longer runs: removed (review BI L4: a SIGKILLed bench's
// cgroup stayed for good), each said on `log`; one that still holds processes stays, said too.
// `roots`: the hierarchies to look in (empty: the mounted v2 and v1 cpuset ones).
void remove_stale_cgroups(const std::string& prefix, std::ostream& log, std::vector<std::string> roots = {});

}  // namespace infertrace::bench
