// The event sink's cheap paths: rows written in place (ingest/kineto/column_rows.h) and the word
// compare of the intern cache (trace/string_table.h) must give what push_back and == gave.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ingest/kineto/column_rows.h"
#include "ingest/kineto/event_sink.h"
#include "trace/string_table.h"
#include "trace/trace.h"

using namespace infertrace;
using namespace infertrace::kineto;

TEST(SinkRows, RowsPastTheReservationAndTheLookAheadKeepTheirValues) {
  OperatorTable t;
  t.reserve(100);
  std::vector<void*> data_before = {t.start.data(), t.name.data()};
  ColumnRows<OperatorTable> rows(t);
  for (int r = 0; r < 1000; ++r) {
    const size_t i = rows.next();
    ASSERT_EQ(i, static_cast<size_t>(r));
    t.start[i] = r;
    t.dur[i] = 2 * r;
    t.pid[i] = 3 * r;
    t.tid[i] = 4 * r;
    t.external_id[i] = 5 * r;
    t.name[i] = static_cast<StrId>(r);
    t.user_annotation[i] = r % 2;
    if (r == 99) {
      // Within the reservation the columns never moved.
      EXPECT_EQ(t.start.data(), data_before[0]);
      EXPECT_EQ(static_cast<void*>(t.name.data()), data_before[1]);
    }
  }
  rows.trim();
  for (size_t n : {t.start.size(), t.dur.size(), t.pid.size(), t.tid.size(), t.external_id.size(), t.name.size(),
                   t.user_annotation.size()})
    EXPECT_EQ(n, 1000u);
  for (size_t i = 0; i < 1000; ++i) {
    const Operator o = t.row(i);
    EXPECT_EQ(o.start, static_cast<int64_t>(i));
    EXPECT_EQ(o.tid, static_cast<int64_t>(4 * i));
    EXPECT_EQ(o.name, static_cast<StrId>(i));
    EXPECT_EQ(o.user_annotation, i % 2 == 1);
  }
}

TEST(SinkRows, ExtendingStopsAtTheCapacity) {
  // A reservation the rows exactly fill is never outgrown (push_back would not have grown it).
  GpuActivityTable t;
  t.reserve(70);
  const auto* before = t.start.data();
  ColumnRows<GpuActivityTable> rows(t);
  for (int r = 0; r < 70; ++r) t.start[rows.next()] = r;
  rows.trim();
  EXPECT_EQ(t.start.data(), before);
  EXPECT_EQ(t.start.capacity(), 70u);
  EXPECT_EQ(t.block_z.size(), 70u);
}

TEST(SinkRows, SinkDroppedBeforeFinishLeavesOnlyWrittenRows) {
  Trace t;
  {
    EventSink sink(t);
    RawEvent e;
    e.ph = "X";
    e.cat = "kernel";
    e.name = "k";
    e.has_name = true;
    e.ts = {FieldState::Ok, 1000};
    e.dur = {FieldState::Ok, 10};
    sink.add(e);
    e.cat = "cpu_op";
    sink.add(e);
    sink.add(e);
  }
  EXPECT_EQ(t.gpu.size(), 1u);
  EXPECT_EQ(t.gpu.block_z.size(), 1u);
  EXPECT_EQ(t.ops.size(), 2u);
  EXPECT_EQ(t.ops.user_annotation.size(), 2u);
  EXPECT_EQ(t.api.size(), 0u);
  EXPECT_EQ(t.api.kind.size(), 0u);
}

TEST(SinkRows, InternCacheTellsApartNamesOfEveryLengthDifferingInOneByte) {
  // Each length from 0 to 40 (the word compare covers 8 to 32; the rest goes to memcmp), each byte
  // changed in turn, looked up twice (the second time from the cache) in alternation.
  StringTable st;
  for (size_t n = 0; n <= 40; ++n) {
    std::string base(n, 'a');
    for (size_t k = 0; k < n; ++k) base[k] = static_cast<char>('a' + (k * 7) % 26);
    const StrId base_id = st.intern(base);
    EXPECT_EQ(st.view(base_id), base);
    for (size_t k = 0; k < n; ++k) {
      std::string changed = base;
      changed[k] = static_cast<char>(changed[k] ^ 0x20);
      const StrId id = st.intern(changed);
      EXPECT_NE(id, base_id) << n << " " << k;
      EXPECT_EQ(st.intern(std::string(base)), base_id) << n << " " << k;
      EXPECT_EQ(st.intern(std::string(changed)), id) << n << " " << k;
      EXPECT_EQ(st.view(id), changed);
    }
  }
}
