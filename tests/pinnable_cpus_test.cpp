// engine/runtime/pinnable_cpus.h: which CPUs --cpus may name, read from the cgroup's cpuset (v2 or
// v1) and else the online CPUs, on files the test writes.
#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>

#include <filesystem>
#include <fstream>

#include "engine/runtime/pinnable_cpus.h"
#include "temp_dir.h"

namespace infertrace::engine {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

TEST(PinnableCpus, CgroupV2EffectiveCpusetComesFirst) {
  const TempDir t("pinnable");
  write(t.path / "cg/job/cpuset.cpus.effective", "2-4,7\n");
  write(t.path / "online", "0-15\n");
  const auto p = pinnable_cpus_from("0::/job\n", (t.path / "cg").string(), (t.path / "online").string());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->cpus, (std::vector<int>{2, 3, 4, 7}));
  EXPECT_EQ(p->source, "cgroup cpuset 2-4,7");
}

TEST(PinnableCpus, CgroupV1CpusetControllerOnAHybridSystem) {
  const TempDir t("pinnable");
  write(t.path / "cg/cpuset/box/cpuset.effective_cpus", "1,3\n");
  write(t.path / "cg/box/cpuset.cpus.effective", "0-15\n");  // the unified tree's: not in force
  write(t.path / "online", "0-15\n");
  const auto p = pinnable_cpus_from("4:memory:/x\n3:cpuset,cpu:/box\n0::/box\n", (t.path / "cg").string(),
                                    (t.path / "online").string());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->cpus, (std::vector<int>{1, 3}));
}

// A container without a cgroup namespace: /proc/self/cgroup names the host's path, and the
// container's own cgroup is mounted as the root. A v2 leaf without the cpuset controller: its
// nearest ancestor's file.
TEST(PinnableCpus, NearestAncestorWithTheFile) {
  const TempDir t("pinnable");
  write(t.path / "cg/cpuset/cpuset.effective_cpus", "0-1\n");
  write(t.path / "online", "0-63\n");
  auto p = pinnable_cpus_from("3:cpuset:/docker/abc123\n", (t.path / "cg").string(), (t.path / "online").string());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->source, "cgroup cpuset 0-1");
  write(t.path / "v2/a/cpuset.cpus.effective", "4-5\n");
  std::filesystem::create_directories(t.path / "v2/a/b/c");
  p = pinnable_cpus_from("0::/a/b/c\n", (t.path / "v2").string(), (t.path / "online").string());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->cpus, (std::vector<int>{4, 5}));
}

TEST(PinnableCpus, OnlineCpusWhenNoCpusetFile) {
  const TempDir t("pinnable");
  write(t.path / "online", "0-1\n");
  // The root cgroup of a v2 system has no cpuset.cpus.effective file of its own here.
  const auto p = pinnable_cpus_from("0::/\n", (t.path / "cg").string(), (t.path / "online").string());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->cpus, (std::vector<int>{0, 1}));
  EXPECT_EQ(p->source, "online CPUs 0-1");
  // An empty v1 cpuset (not configured) is no answer either.
  write(t.path / "cg/cpuset/cpuset.effective_cpus", "\n");
  EXPECT_EQ(pinnable_cpus_from("3:cpuset:/\n", (t.path / "cg").string(), (t.path / "online").string())->source,
            "online CPUs 0-1");
}

TEST(PinnableCpus, NothingReadableMeansNoEarlyCheck) {
  const TempDir t("pinnable");
  EXPECT_FALSE(pinnable_cpus_from("", (t.path / "cg").string(), (t.path / "nowhere").string()));
  write(t.path / "online", "garbage\n");
  EXPECT_FALSE(pinnable_cpus_from("", (t.path / "cg").string(), (t.path / "online").string()));
}

TEST(PinnableCpus, ThisMachineIncludesEveryCpuWeMayRunOn) {
  const auto p = pinnable_cpus();
  if (!p) GTEST_SKIP() << "no cpuset or online file readable";
  cpu_set_t set;
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (!CPU_ISSET(c, &set)) continue;
    EXPECT_TRUE(std::binary_search(p->cpus.begin(), p->cpus.end(), c)) << c << " " << p->source;
  }
}

}  // namespace
}  // namespace infertrace::engine
