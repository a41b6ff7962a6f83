// plan_topology's less common machines: more NUMA nodes than servers (a group of nodes per server,
// which belongs to no single node), a node count that is no multiple of the servers (the CPU list is
// split, so no node is left idle), and an allowed-CPU list with repeats (each CPU counted once).
#include <gtest/gtest.h>

#include <set>

#include "serve/topology.h"

using namespace infertrace::serve;

namespace {

std::vector<int> range(int a, int b) {
  std::vector<int> v;
  for (int i = a; i <= b; ++i) v.push_back(i);
  return v;
}

}  // namespace

TEST(ServeTopologySplit, FourNodesTwoServersGiveTwoNodesEachAndNoSingleNode) {
  auto node_of = [](int cpu) { return cpu / 2; };  // nodes 0..3, two CPUs each
  const Topology dp2 = plan_topology("dp2", range(0, 7), node_of);
  ASSERT_EQ(dp2.servers.size(), 2u);
  EXPECT_EQ(dp2.servers[0].cpus, range(0, 3));  // nodes 0 and 1
  EXPECT_EQ(dp2.servers[1].cpus, range(4, 7));  // nodes 2 and 3
  EXPECT_EQ(dp2.servers[0].numa_node, -1);      // two nodes: --numa binds to neither
  EXPECT_EQ(dp2.servers[1].numa_node, -1);
  EXPECT_NE(dp2.note.find("2 NUMA nodes each"), std::string::npos) << dp2.note;
}

TEST(ServeTopologySplit, ThreeNodesTwoServersSplitTheCpuListLeavingNoNodeIdle) {
  auto node_of = [](int cpu) { return cpu / 2; };  // nodes 0, 1, 2
  const Topology dp2 = plan_topology("dp2", range(0, 5), node_of);
  ASSERT_EQ(dp2.servers.size(), 2u);
  EXPECT_EQ(dp2.servers[0].cpus, range(0, 2));
  EXPECT_EQ(dp2.servers[1].cpus, range(3, 5));
  EXPECT_EQ(dp2.servers[0].numa_node, -1);  // CPUs of nodes 0 and 1
  EXPECT_EQ(dp2.servers[1].numa_node, -1);
  EXPECT_NE(dp2.note.find("3 NUMA nodes, not a multiple of 2"), std::string::npos) << dp2.note;
}

TEST(ServeTopologySplit, RepeatedCpusCountOnce) {
  auto one_node = [](int) { return 0; };
  const std::vector<int> allowed{3, 1, 1, 0, 2, 3};
  const Topology sn = plan_topology("sn", allowed, one_node);
  ASSERT_EQ(sn.servers.size(), 1u);
  EXPECT_EQ(sn.servers[0].cpus, range(0, 3));
  const Topology dp2 = plan_topology("dp2", allowed, one_node);
  ASSERT_EQ(dp2.servers.size(), 2u);
  EXPECT_EQ(dp2.servers[0].cpus, range(0, 1));
  EXPECT_EQ(dp2.servers[1].cpus, range(2, 3));
  // Two distinct CPUs are too few for dp3, however often they are listed.
  EXPECT_ANY_THROW(plan_topology("dp3", {0, 0, 1, 1}, one_node));
  EXPECT_EQ(format_cpu_list({2, 1, 2, 3, 3}), "1-3");
}
