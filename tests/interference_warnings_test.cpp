// bench interference's plan warnings (review BT57): a disk load on a RAM-backed --out-dir says it
// writes memory, not a disk (L2), and a --pin-cpus that covers every CPU the command may use says
// pinning is a no-op instead of "pinned to CPUs 0-1" (L3).
#include <gtest/gtest.h>

#include <sys/vfs.h>

#include "bench/interference_loads.h"

using namespace infertrace::bench;

namespace {

PlanContext context() {
  PlanContext c;
  c.load_seconds = 60;
  c.scratch_dir = "/dev/shm/x/noise-scratch-1";
  c.pin_cpus = "0-1";
  c.other_cpus = "";
  return c;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(InterferenceWarnings, PinningEveryCpuIsSaidToBeANoOp) {
  PlanContext c = context();
  c.pin_covers_all = true;
  const ScenarioPlan p = plan_scenario("pinned", c);
  EXPECT_FALSE(has(p.description, "pinned to")) << p.description;
  EXPECT_TRUE(has(p.description, "every CPU it may use (pinning is a no-op) with nice -10")) << p.description;
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_TRUE(has(p.warnings[0], "--pin-cpus 0-1 covers every CPU")) << p.warnings[0];
  EXPECT_TRUE(has(p.warnings[0], "only its nice -10 differs")) << p.warnings[0];

  c.can_lower_nice = false;
  const ScenarioPlan q = plan_scenario("pinned", c);
  ASSERT_EQ(q.warnings.size(), 1u);
  EXPECT_TRUE(has(q.warnings[0], "it runs as in the cpu scenario")) << q.warnings[0];
}

TEST(InterferenceWarnings, PinningASubsetHasNoWarning) {
  PlanContext c = context();
  c.pin_cpus = "1";
  c.other_cpus = "0";
  const ScenarioPlan p = plan_scenario("pinned", c);
  EXPECT_TRUE(has(p.description, "pinned to CPU 1 with nice -10")) << p.description;
  EXPECT_TRUE(p.warnings.empty());
}

TEST(InterferenceWarnings, DiskLoadInRamIsSaid) {
  PlanContext c = context();
  c.scratch_fs_in_ram = "tmpfs";
  for (const char* name : {"disk", "heavy"}) {
    const ScenarioPlan p = plan_scenario(name, c);
    EXPECT_TRUE(has(p.description, "(on tmpfs: memory writes, no block device)")) << name << ": " << p.description;
    ASSERT_EQ(p.warnings.size(), 1u) << name;
    EXPECT_TRUE(has(p.warnings[0], "writes to /dev/shm/x/noise-scratch-1 on tmpfs")) << p.warnings[0];
  }
  c.scratch_fs_in_ram.clear();
  const ScenarioPlan p = plan_scenario("disk", c);
  EXPECT_EQ(p.description, "fio 4k random writes, iodepth 32, 4 jobs, direct I/O");
  EXPECT_TRUE(p.warnings.empty());
  EXPECT_TRUE(plan_scenario("cpu", context()).warnings.empty());
}

TEST(InterferenceWarnings, DevShmIsRamBacked) {
  struct statfs fs {};
  if (statfs("/dev/shm", &fs) != 0 || static_cast<unsigned long>(fs.f_type) != 0x01021994UL)
    GTEST_SKIP() << "/dev/shm is not a tmpfs here";
  EXPECT_EQ(ram_backed_fs("/dev/shm"), "tmpfs");
  EXPECT_EQ(ram_backed_fs("/proc"), "");
  EXPECT_EQ(ram_backed_fs("/no/such/path"), "");
}
