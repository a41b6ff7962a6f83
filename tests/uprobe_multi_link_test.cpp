// The uprobe_multi link's switch and its refusal: INFERTRACE_UPROBE_MULTI's values, and the link
// refused for bad arguments before any program is involved (a real link is made by the e2e tests,
// test_record_launch_apis.py, where the recorder can run).
#include "record/uprobe_multi_link.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace {

using infertrace::create_uprobe_multi_link;
using infertrace::uprobe_multi_wanted;

TEST(UprobeMultiLink, EnvironmentSwitch) {
  EXPECT_TRUE(uprobe_multi_wanted(nullptr));
  EXPECT_TRUE(uprobe_multi_wanted("1"));
  EXPECT_TRUE(uprobe_multi_wanted("yes"));
  EXPECT_TRUE(uprobe_multi_wanted(""));
  for (const char* off : {"0", "false", "FALSE", "no", "No", "off", "OFF"}) EXPECT_FALSE(uprobe_multi_wanted(off)) << off;
}

TEST(UprobeMultiLink, RefusesMismatchedOrEmptyLists) {
  EXPECT_EQ(create_uprobe_multi_link(-1, "/bin/true", {}, {}, false), -EINVAL);
  EXPECT_EQ(create_uprobe_multi_link(-1, "/bin/true", {0x1000}, {}, false), -EINVAL);
  // Not a BPF program: the kernel refuses it (EBADF), or bpf(2) itself is not allowed (EPERM).
  const int r = create_uprobe_multi_link(-1, "/bin/true", {0x1000}, {7}, false);
  EXPECT_TRUE(r == -EBADF || r == -EPERM || r == -EINVAL) << r;
}

}  // namespace
