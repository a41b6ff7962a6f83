// The CPUs a thread of this process may be pinned to: the cpuset of its cgroup, not its current
// affinity mask. The kernel lets a process move its threads to any CPU of its cpuset, so
// `taskset -c 0 infertrace engine run --cpus 1` is valid (review BN M1: checked against the
// affinity mask, it was refused), while a CPU outside the cpuset (or not online) is refused by
// pthread_setaffinity_np and is a usage error when the option is read.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace infertrace::engine {

struct PinnableCpus {
  std::vector<int> cpus;  // ascending
  std::string source;     // where they were read: "cgroup cpuset 0-7", "online CPUs 0-15"
};

// The cgroup's effective cpuset (cgroup v2 cpuset.cpus.effective, else v1 cpuset.effective_cpus),
// else the online CPUs; nullopt when none of those can be read (then nothing is checked early and
// pinning says what fails).
std::optional<PinnableCpus> pinnable_cpus();

// For tests: the same from the texts of /proc/self/cgroup and of the files below `cgroup_root`
// (normally /sys/fs/cgroup) and `online_path` (normally /sys/devices/system/cpu/online).
std::optional<PinnableCpus> pinnable_cpus_from(const std::string& proc_self_cgroup, const std::string& cgroup_root,
                                               const std::string& online_path);

}  // namespace infertrace::engine
