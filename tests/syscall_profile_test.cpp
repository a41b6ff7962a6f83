// Syscall profile on a hand-built table: counts, totals, errors, ioctl targets and per-thread rows
// are worked out by hand from the rows inserted.
#include <gtest/gtest.h>

#include "analysis/syscall.h"

namespace infertrace {
namespace {

void sc(Trace& t, int64_t tid, const char* name, int32_t nr, ns_t dur, int64_t ret, const char* target = nullptr) {
  Syscall s;
  s.ts = 1000, s.dur = dur, s.pid = 1, s.tid = tid, s.nr = nr, s.ret = ret;
  s.name = name ? t.strings.intern(name) : kNoString;
  s.fd_target = target ? static_cast<int64_t>(t.strings.intern(target)) : -1;
  t.syscalls.push(s);
}

TEST(SyscallProfile, CountsTotalsErrorsAndIoctlTargets) {
  Trace t;
  sc(t, 11, "read", 0, 100, 10);
  sc(t, 11, "read", 0, 300, -11);  // EAGAIN: an error
  sc(t, 11, "ioctl", 16, 50, 0, "/dev/nvidiactl");
  sc(t, 11, "ioctl", 16, 70, 0, "/dev/nvidia0");
  sc(t, 12, "ioctl", 16, 70, 0, "/dev/nvidia0");
  sc(t, 12, "ioctl", 16, 5, -25);  // fd target unresolved, ENOTTY
  sc(t, 12, "futex", 202, 1000, -110);
  sc(t, 12, nullptr, 231, 7, 0);   // unnamed: keyed by number
  sc(t, 12, "mmap", 9, 3, -4096);  // a large negative address-like value is not an errno
  const SyscallProfile p = profile_syscalls(t, true);
  EXPECT_EQ(p.count, 9);
  EXPECT_EQ(p.errors, 3);
  EXPECT_EQ(p.total, 1605);
  ASSERT_EQ(p.by_name.size(), 5u);
  EXPECT_EQ(t.str(p.by_name[0].name), "futex");
  EXPECT_EQ(t.str(p.by_name[1].name), "read");
  EXPECT_EQ(p.by_name[1].count, 2);
  EXPECT_EQ(p.by_name[1].total, 400);
  EXPECT_EQ(p.by_name[1].max, 300);
  EXPECT_EQ(p.by_name[1].errors, 1);
  EXPECT_EQ(t.str(p.by_name[2].name), "ioctl");
  EXPECT_EQ(p.by_name[2].count, 4);
  EXPECT_EQ(p.by_name[2].total, 195);
  EXPECT_EQ(p.by_name[2].errors, 1);  // the ENOTTY; a return of 0 is no error
  EXPECT_EQ(p.by_name[0].errors, 1);  // futex's ETIMEDOUT
  EXPECT_EQ(p.by_name[3].name, kNoString);
  EXPECT_EQ(p.by_name[3].nr, 231);
  EXPECT_EQ(p.by_name[3].errors, 0);
  EXPECT_EQ(t.str(p.by_name[4].name), "mmap");
  EXPECT_EQ(p.by_name[4].errors, 0);  // -4096 is an address, not an errno
  ASSERT_EQ(p.ioctl_targets.size(), 3u);
  EXPECT_EQ(t.str(p.ioctl_targets[0].target), "/dev/nvidia0");
  EXPECT_EQ(p.ioctl_targets[0].count, 2);
  EXPECT_EQ(p.ioctl_targets[0].total, 140);
  EXPECT_EQ(t.str(p.ioctl_targets[1].target), "/dev/nvidiactl");
  EXPECT_EQ(p.ioctl_targets[2].target, kNoString);
  EXPECT_EQ(p.ioctl_targets[2].errors, 1);
  ASSERT_EQ(p.by_thread.size(), 2u);
  EXPECT_EQ(p.by_thread[0].tid, 11);
  EXPECT_EQ(p.by_thread[0].pid, 1);  // every row above is of process 1
  EXPECT_EQ(p.by_thread[0].by_name.size(), 2u);
  EXPECT_EQ(p.by_thread[1].tid, 12);
  EXPECT_EQ(t.str(p.by_thread[1].by_name[0].name), "futex");
}

TEST(SyscallProfile, PerThreadRowsOnlyWhenAsked) {
  Trace t;
  sc(t, 11, "read", 0, 100, 10);
  EXPECT_TRUE(profile_syscalls(t, false).by_thread.empty());
  EXPECT_EQ(profile_syscalls(t, true).by_thread.size(), 1u);
}

// A recording made with --events syscall-counts: per-syscall counts and total times from the
// kernel (META), no rows. Errors and maxima were not counted: -1 (unknown), never 0.
TEST(SyscallProfile, KernelCountsLeaveErrorsAndMaximaUnknown) {
  Trace t;
  t.strings.intern("read");
  t.strings.intern("futex");
  t.meta["syscall_count.read"] = "5";
  t.meta["syscall_total_ns.read"] = "100";
  t.meta["syscall_nr.read"] = "0";
  t.meta["syscall_count.futex"] = "2";
  t.meta["syscall_total_ns.futex"] = "900";
  t.meta["syscall_nr.futex"] = "202";
  const SyscallProfile p = profile_syscalls(t, false);
  EXPECT_TRUE(p.counted_in_kernel);
  EXPECT_EQ(p.count, 7);
  EXPECT_EQ(p.total, 1000);
  EXPECT_EQ(p.errors, -1);
  ASSERT_EQ(p.by_name.size(), 2u);
  EXPECT_EQ(t.str(p.by_name[0].name), "futex");  // 900 ns before 100 ns
  EXPECT_EQ(p.by_name[0].nr, 202);
  EXPECT_EQ(p.by_name[0].count, 2);
  EXPECT_EQ(p.by_name[0].errors, -1);
  EXPECT_EQ(p.by_name[0].max, -1);
  EXPECT_EQ(p.by_name[1].count, 5);
}

// A syscall's max is its longest call, wherever it comes: 300 ns first, then 100 ns.
TEST(SyscallProfile, MaxIsTheLongestCallNotTheLast) {
  Trace t;
  sc(t, 11, "read", 0, 300, 10);
  sc(t, 11, "read", 0, 100, 10);
  const SyscallProfile p = profile_syscalls(t, true);
  ASSERT_EQ(p.by_name.size(), 1u);
  EXPECT_EQ(p.by_name[0].max, 300);
  EXPECT_EQ(p.by_name[0].total, 400);
  ASSERT_EQ(p.by_thread.size(), 1u);
  EXPECT_EQ(p.by_thread[0].by_name[0].max, 300);
}

}  // namespace
}  // namespace infertrace
