// Serving topologies of seed 003 on this machine's CPUs. SN: one server; DP-N: N servers on
// disjoint CPU sets, each with its own weights and KV cache (placed on its NUMA node by the engine's
// placement), requests spread over them by the load generator. Tensor parallelism is not offered:
// the reference engine has no cross-process all-reduce, and a stand-in would measure something else.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "util/cpu_list.h"

namespace infertrace::serve {

struct ServerPlacement {
  std::vector<int> cpus;  // the server's threads, one per CPU, pinned
  int numa_node = -1;     // the node all of `cpus` belong to, -1 when they span several or none is known
};

struct Topology {
  std::string name;  // "sn", "dp2", ...
  std::vector<ServerPlacement> servers;
  std::string note;  // how the CPUs were divided, in words
};

// `name`: "sn" or "dpN" (N >= 2). `allowed`: the CPUs this process may use (sorted);
// `node_of(cpu)`: its NUMA node or -1. SN takes the first NUMA node's CPUs when there are several
// (seed 003's single-socket SN), else all. DP-N gives each server whole NUMA nodes when the node count
// is a multiple of N, else splits the CPU list into N contiguous parts (sizes differ by at most one).
// Throws UsageError for an unknown name, TP, or fewer CPUs than servers.
Topology plan_topology(const std::string& name, const std::vector<int>& allowed, const std::function<int(int)>& node_of);

// plan_topology on the CPUs `client` (bench serve --client-cpus, the load generator's) leaves to
// the servers (cpus_for_servers below; `client` empty: every allowed CPU). Too few CPUs left for
// the topology is a UsageError that names --client-cpus.
Topology plan_topology_beside_client(const std::string& name, const std::vector<int>& allowed,
                                     const std::vector<int>& client, const std::function<int(int)>& node_of);

// The CPUs this process may run on (sched_getaffinity), sorted.
std::vector<int> allowed_cpus();

// "0-3,6": the form --cpus takes (util/cpu_list.h, named here for the serve code and its tests).
using ::infertrace::format_cpu_list;

// bench serve --client-cpus: throws UsageError naming `option` when a CPU of `client` is not in
// `allowed` (the process's CPUs: the load generator could not be pinned there).
void check_client_cpus(const std::vector<int>& allowed, const std::vector<int>& client,
                       const std::string& option = "--client-cpus");

// bench serve --client-cpus: the CPUs left to the servers, `allowed` minus `client` (sorted).
// Throws UsageError naming `option` as check_client_cpus does, or when none is left.
std::vector<int> cpus_for_servers(const std::vector<int>& allowed, const std::vector<int>& client,
                                  const std::string& option = "--client-cpus");

// The CPUs of `client` that some server of `t` runs on (sorted): where the load generator
// competes with the servers under test for the CPU.
std::vector<int> cpus_shared_with_servers(const std::vector<int>& client, const Topology& t);

}  // namespace infertrace::serve
