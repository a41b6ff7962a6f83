// chrome_ids.h: the ids the Chrome export writes. The named ids come in the order -2, -3, ... with
// every unused id between them, however many (once at most 65,536 were, and every id after the
// gap read back shifted: review EL); a host event's -1 ("none") is written only where it may have
// made its thread row, so that reading back adds no thread and widens none.
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "report/chrome_ids.h"

using namespace infertrace;

namespace {

TEST(ChromeNamedIds, EveryIdDownToTheSmallestOnce) {
  // Ids of -1 and above are not named ids; -3 and -70002 are used, so -2 and -4..-70001 are gaps.
  const std::set<int64_t> used = {-70002, -3, -1, 0, 5};
  const std::vector<int64_t> order = chrome_named_ids_in_order(used);
  ASSERT_EQ(order.size(), 70001u);
  for (size_t i = 0; i < order.size(); ++i) ASSERT_EQ(order[i], -2 - static_cast<int64_t>(i)) << i;
}

TEST(ChromeNamedIds, NoneBelowMinusOne) {
  EXPECT_TRUE(chrome_named_ids_in_order({}).empty());
  EXPECT_TRUE(chrome_named_ids_in_order({-1, 0, 7}).empty());
  EXPECT_EQ(chrome_named_ids_in_order({-2, 4}), std::vector<int64_t>{-2});
}

Trace with_rows(const std::vector<ThreadInfo>& rows) {
  Trace t;
  for (const ThreadInfo& r : rows) t.threads.push(r);
  return t;
}

ThreadInfo row(int64_t pid, int64_t tid, int64_t first, int64_t last) {
  ThreadInfo r;
  r.pid = pid, r.tid = tid, r.first_ts = first, r.last_ts = last;
  return r;
}

TEST(ChromeHostIds, NoneIsLeftOutUnlessItsEventMayHaveMadeTheRow) {
  const Trace t = with_rows({row(-1, 6, 100, 200), row(5, -1, 100, 200), row(-1, -1, 100, 200), row(7, 8, 0, 1)});
  const ChromeHostIds h(t);
  // No -1: both, row or not.
  EXPECT_EQ(h.fields(7, 8, 500, 10), "\"pid\":7,\"tid\":8");
  EXPECT_EQ(h.fields(3, 4, 500, 10), "\"pid\":3,\"tid\":4");
  // A -1 with no row of its key: that field left out, both when both are -1.
  EXPECT_EQ(h.fields(-1, 9, 150, 10), "\"pid\":null,\"tid\":9");
  EXPECT_EQ(h.fields(9, -1, 150, 10), "\"pid\":9,\"tid\":null");
  EXPECT_EQ(h.fields(-3, -1, 150, 10), "\"pid\":-3,\"tid\":null");
  // A row's key, within the row's times (the ends included): both, as the event may be one of the row's.
  EXPECT_EQ(h.fields(-1, 6, 100, 100), "\"pid\":-1,\"tid\":6");
  EXPECT_EQ(h.fields(5, -1, 150, 0), "\"pid\":5,\"tid\":-1");
  EXPECT_EQ(h.fields(-1, -1, 120, 30), "\"pid\":-1,\"tid\":-1");
  // Outside them it cannot be (it would have widened the row): the -1 left out.
  EXPECT_EQ(h.fields(-1, 6, 99, 5), "\"pid\":null,\"tid\":6");
  EXPECT_EQ(h.fields(5, -1, 150, 51), "\"pid\":5,\"tid\":null");
  EXPECT_EQ(h.fields(-1, -1, 201, 0), "\"pid\":null,\"tid\":null");
  // An unknown (negative) duration is written as 0; an end past INT64_MAX is past every row.
  EXPECT_EQ(h.fields(-1, 6, 200, -1), "\"pid\":-1,\"tid\":6");
  EXPECT_EQ(h.fields(-1, 6, 150, INT64_MAX), "\"pid\":null,\"tid\":6");
}

}  // namespace
