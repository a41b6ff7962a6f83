// NUMA topology from sysfs and binding by mbind(2) (engine/runtime/numa_topology.h), checked against
// the kernel: sysfs read here by other means, the policy read back with get_mempolicy(2).
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/runtime/memory.h"
#include "engine/runtime/numa_topology.h"

namespace {

using namespace infertrace::engine;

constexpr int kMpolBind = 2;          // linux/mempolicy.h
constexpr unsigned long kMpolFAddr = 2;  // MPOL_F_ADDR: the policy of the page at addr

// The node of `cpu` by a plain probe of /sys/devices/system/node/nodeN/cpuC (the other side of
// the link numa_node_of_cpu() reads).
int node_by_probe(int cpu) {
  for (int n = 0; n < 1024; ++n) {
    const std::string node_dir = "/sys/devices/system/node/node" + std::to_string(n);
    if (access(node_dir.c_str(), F_OK) != 0) continue;
    if (access((node_dir + "/cpu" + std::to_string(cpu)).c_str(), F_OK) == 0) return n;
  }
  return -1;
}

TEST(EngineNuma, TopologyMatchesSysfs) {
  if (access("/sys/devices/system/node", F_OK) != 0) GTEST_SKIP() << "no /sys/devices/system/node";
  const std::vector<int> online = online_numa_nodes();
  ASSERT_FALSE(online.empty());
  const long cpus = sysconf(_SC_NPROCESSORS_CONF);
  for (int c = 0; c < cpus; ++c) {
    const int node = numa_node_of_cpu(c);
    EXPECT_EQ(node, node_by_probe(c)) << "cpu " << c;
    if (node >= 0) {
      EXPECT_NE(std::find(online.begin(), online.end(), node), online.end()) << "cpu " << c;
    }
  }
  EXPECT_EQ(numa_node_of_cpu(1 << 20), -1);
}

TEST(EngineNuma, BindSetsThePolicyTheKernelReports) {
  if (!numa_syscalls_available()) GTEST_SKIP() << "no memory-policy system calls";
  const int node = numa_node_of_cpu(0) >= 0 ? numa_node_of_cpu(0) : online_numa_nodes().front();
  const size_t bytes = 4 << 20;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(bind_to_numa_nodes(p, bytes, {node}), "");
  int mode = -1;
  unsigned long mask[16] = {};
  ASSERT_EQ(syscall(SYS_get_mempolicy, &mode, mask, 16 * 64ul, p, kMpolFAddr), 0);
  EXPECT_EQ(mode, kMpolBind);
  for (int n = 0; n < 16 * 64; ++n)
    EXPECT_EQ((mask[n / 64] >> (n % 64)) & 1, n == node ? 1u : 0u) << "node " << n;
  EXPECT_NE(bind_to_numa_nodes(p, bytes, {}), "");
  EXPECT_NE(bind_to_numa_nodes(p, bytes, {-1}), "");
  munmap(p, bytes);
}

TEST(EngineNuma, PlacedBufferSaysWhereItIs) {
  PlacementOptions opt;
  opt.numa = true;
  opt.cpus = {0};
  std::string note;
  Buffer b(1 << 20, opt, &note);
  ASSERT_NE(b.data(), nullptr);
  if (!numa_syscalls_available()) {
    EXPECT_NE(note.find("NUMA binding skipped"), std::string::npos) << note;
  } else {
    const int node = numa_node_of_cpu(0) >= 0 ? numa_node_of_cpu(0) : online_numa_nodes().front();
    EXPECT_EQ(note, "bound to NUMA node " + std::to_string(node));
  }
}

}  // namespace
