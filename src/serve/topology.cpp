#include "serve/topology.h"

#include <sched.h>

#include <algorithm>
#include <map>

#include "util/cpu_mask.h"
#include "util/error.h"

namespace infertrace::serve {

namespace {

// Splits `cpus` into `n` contiguous parts whose sizes differ by at most one.
std::vector<std::vector<int>> split_even(const std::vector<int>& cpus, int n) {
  std::vector<std::vector<int>> parts(n);
  const size_t total = cpus.size();
  size_t at = 0;
  for (int i = 0; i < n; ++i) {
    const size_t size = total / n + (static_cast<size_t>(i) < total % n ? 1 : 0);
    parts[i].assign(cpus.begin() + at, cpus.begin() + at + size);
    at += size;
  }
  return parts;
}

// plan_topology, with `whose` saying where `allowed_in` came from in the too-few-CPUs message.
Topology plan(const std::string& name, const std::vector<int>& allowed_in, const std::function<int(int)>& node_of,
              const std::string& whose) {
  std::vector<int> allowed = allowed_in;
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  if (allowed.empty()) throw Error("no CPU is available to this process");
  // Nodes in ascending order with their CPUs; CPUs of unknown node count as one node.
  std::map<int, std::vector<int>> by_node;
  for (int c : allowed) by_node[node_of(c)].push_back(c);

  Topology t;
  t.name = name;
  if (name == "sn") {
    ServerPlacement p;
    if (by_node.size() > 1) {
      p.cpus = by_node.begin()->second;
      p.numa_node = by_node.begin()->first;
      t.note = "one server on NUMA node " + std::to_string(p.numa_node) + " (CPUs " + format_cpu_list(p.cpus) +
               "), the other nodes idle, like seed 003's single-socket SN";
    } else {
      p.cpus = allowed;
      p.numa_node = by_node.begin()->first;
      t.note = "one server on every allowed CPU (" + format_cpu_list(p.cpus) + ")";
    }
    t.servers.push_back(p);
    return t;
  }
  if (name.rfind("tp", 0) == 0)
    throw UsageError("topology " + name +
                     ": tensor parallelism is not available (the reference engine has no cross-process "
                     "all-reduce); use sn or dpN");
  int n = 0;
  if (name.size() > 2 && name.rfind("dp", 0) == 0 &&
      std::all_of(name.begin() + 2, name.end(), [](char ch) { return ch >= '0' && ch <= '9'; }) && name.size() <= 5)
    n = std::stoi(name.substr(2));
  if (n < 2) throw UsageError("unknown topology '" + name + "' (expected sn or dpN with N >= 2, e.g. dp2)");
  if (static_cast<int>(allowed.size()) < n)
    throw UsageError("topology " + name + " needs at least " + std::to_string(n) + " CPUs; " + whose + " " +
                     std::to_string(allowed.size()) + " (" + format_cpu_list(allowed) + ")");
  const int nodes = static_cast<int>(by_node.size());
  if (nodes >= n && nodes % n == 0) {
    const int per = nodes / n;
    auto it = by_node.begin();
    for (int i = 0; i < n; ++i) {
      ServerPlacement p;
      p.numa_node = per == 1 ? it->first : -1;
      for (int k = 0; k < per; ++k, ++it) p.cpus.insert(p.cpus.end(), it->second.begin(), it->second.end());
      t.servers.push_back(p);
    }
    t.note = std::to_string(n) + " servers, " + (per == 1 ? "one NUMA node each" : std::to_string(per) + " NUMA nodes each");
  } else {
    for (auto& part : split_even(allowed, n)) {
      ServerPlacement p;
      p.cpus = part;
      const int first = node_of(part.front());
      p.numa_node = std::all_of(part.begin(), part.end(), [&](int c) { return node_of(c) == first; }) ? first : -1;
      t.servers.push_back(p);
    }
    t.note = std::to_string(n) + " servers on " + std::to_string(n) + " contiguous parts of the CPU list (" +
             std::to_string(nodes) + " NUMA node" + (nodes == 1 ? "" : "s") +
             (nodes < n ? ", fewer than servers)" : ", not a multiple of " + std::to_string(n) + ")");
  }
  for (size_t i = 0; i < t.servers.size(); ++i)
    t.note += std::string(i == 0 ? ": " : "; ") + format_cpu_list(t.servers[i].cpus);
  return t;
}

}  // namespace

Topology plan_topology(const std::string& name, const std::vector<int>& allowed,
                       const std::function<int(int)>& node_of) {
  return plan(name, allowed, node_of, "this process may use");
}

void check_client_cpus(const std::vector<int>& allowed_in, const std::vector<int>& client, const std::string& option) {
  std::vector<int> allowed = allowed_in;
  std::sort(allowed.begin(), allowed.end());
  std::vector<int> outside;
  for (int c : client)
    if (!std::binary_search(allowed.begin(), allowed.end(), c)) outside.push_back(c);
  if (!outside.empty())
    throw UsageError(option + " " + format_cpu_list(client) + ": " + (outside.size() == 1 ? "CPU " : "CPUs ") +
                     format_cpu_list(outside) + (outside.size() == 1 ? " is" : " are") +
                     " not among the CPUs this process may use (" + format_cpu_list(allowed) + ")");
}

std::vector<int> cpus_for_servers(const std::vector<int>& allowed_in, const std::vector<int>& client,
                                  const std::string& option) {
  check_client_cpus(allowed_in, client, option);
  std::vector<int> allowed = allowed_in;
  std::sort(allowed.begin(), allowed.end());
  std::vector<int> left;
  for (int c : allowed)
    if (std::find(client.begin(), client.end(), c) == client.end()) left.push_back(c);
  if (left.empty())
    throw UsageError(option + " " + format_cpu_list(client) + " takes every CPU this process may use (" +
                     format_cpu_list(allowed) + "): none is left for the servers");
  return left;
}

Topology plan_topology_beside_client(const std::string& name, const std::vector<int>& allowed,
                                     const std::vector<int>& client, const std::function<int(int)>& node_of) {
  if (client.empty()) return plan_topology(name, allowed, node_of);
  const std::vector<int> left = cpus_for_servers(allowed, client);
  Topology t = plan(name, left, node_of, "--client-cpus " + format_cpu_list(client) + " leaves the servers");
  // "every allowed CPU" then means every one the load generator left.
  t.note += "; the load generator on --client-cpus " + format_cpu_list(client);
  return t;
}

std::vector<int> cpus_shared_with_servers(const std::vector<int>& client, const Topology& t) {
  std::vector<int> shared;
  for (const auto& s : t.servers)
    for (int c : s.cpus)
      if (std::find(client.begin(), client.end(), c) != client.end()) shared.push_back(c);
  std::sort(shared.begin(), shared.end());
  shared.erase(std::unique(shared.begin(), shared.end()), shared.end());
  return shared;
}

std::vector<int> allowed_cpus() {
  CpuMask mask;  // sized as the kernel's (util/cpu_mask.h): a fixed cpu_set_t failed above 1024 CPUs
  if (read_process_cpu_mask(mask) != 0) return {};
  return mask.cpus();
}

}  // namespace infertrace::serve
