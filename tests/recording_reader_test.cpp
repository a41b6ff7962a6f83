// The .itrace reader against files assembled byte by byte here from the layout written in
// docs/recording-format.md (offsets typed in, not taken from the structs), the writer round trip,
// and the CSV / Chrome exports of a small hand-built recording.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "loss_window_make.h"
#include "file_text.h"
#include "ingest/load.h"
#include "ingest/recording/recording_reader.h"
#include "ingest/recording/itrace_format.h"
#include "record/itrace_writer.h"
#include "report/exports.h"
#include "trace/attach_states.h"
#include "temp_dir.h"
#include "util/error.h"

namespace infertrace {
namespace {

using Bytes = std::vector<unsigned char>;

void put32(Bytes& b, size_t off, uint32_t v) { std::memcpy(&b[off], &v, 4); }
void put64(Bytes& b, size_t off, uint64_t v) { std::memcpy(&b[off], &v, 8); }
void putstr(Bytes& b, size_t off, const std::string& s) { std::memcpy(&b[off], s.data(), s.size()); }

struct File {
  Bytes b;
  File(uint32_t version = 1) {
    b.resize(16);
    putstr(b, 0, "INFTRACE");
    put32(b, 8, version);
    put32(b, 12, 16);
  }
  // Appends a record of `len` zero bytes and returns the payload offset.
  size_t rec(uint32_t type, uint32_t len) {
    const size_t at = b.size();
    b.resize(at + 8 + len);
    put32(b, at, type);
    put32(b, at + 4, len);
    return at + 8;
  }
  size_t event(uint32_t type, uint32_t len, uint32_t cpu, uint64_t ts, uint32_t pid, uint32_t tid) {
    const size_t p = rec(type, len);
    put32(b, p, type);
    put32(b, p + 4, cpu);
    put64(b, p + 8, ts);
    put32(b, p + 16, pid);
    put32(b, p + 20, tid);
    return p;
  }
  void meta(const std::string& k, const std::string& v) {
    const size_t p = rec(1, static_cast<uint32_t>(4 + k.size() + v.size()));
    put32(b, p, static_cast<uint32_t>(k.size()));
    putstr(b, p + 4, k);
    putstr(b, p + 4 + k.size(), v);
  }
};

// A small recording: process 100 with threads 100 and 101.
File sample() {
  File f;
  f.meta("api.0", "cudaLaunchKernel");
  f.meta("api.1", "cuLaunchKernel");
  f.meta("kernel", "Linux test");
  size_t p = f.event(7, 48, 0, 1000, 100, 101);  // task: new thread 101 "worker"
  put32(f.b, p + 24, 1);
  put32(f.b, p + 28, 100);
  putstr(f.b, p + 32, "worker");
  // API calls written out of time order (as at a return probe): cuLaunchKernel at 3000 without
  // duration, cudaLaunchKernel at 2000 with duration 500 on stream 7.
  p = f.event(2, 72, 1, 3000, 100, 101);
  put32(f.b, p + 24, 1);
  put32(f.b, p + 28, 2);  // has stream
  put64(f.b, p + 40, 9);
  p = f.event(2, 72, 1, 2000, 100, 101);
  put32(f.b, p + 24, 0);
  put32(f.b, p + 28, 3);  // dur + stream
  put64(f.b, p + 32, 500);
  put64(f.b, p + 40, 7);
  // Switches on CPU 1: 101 blocks (state 1) at 4000 for swapper; 101 comes back at 5000; 101 is
  // preempted (state 0, preempt flag) at 6000 by an untraced thread 555.
  p = f.event(3, 80, 1, 4000, 100, 101);
  put32(f.b, p + 24, 0), put32(f.b, p + 28, 0), put64(f.b, p + 32, 1), put32(f.b, p + 40, 0);
  putstr(f.b, p + 48, "worker"), putstr(f.b, p + 64, "swapper/1");
  p = f.event(3, 80, 1, 5000, 0, 0);
  put32(f.b, p + 24, 100), put32(f.b, p + 28, 101), put64(f.b, p + 32, 0), put32(f.b, p + 40, 0);
  putstr(f.b, p + 48, "swapper/1"), putstr(f.b, p + 64, "worker");
  p = f.event(3, 80, 1, 6000, 100, 101);
  put32(f.b, p + 24, 555), put32(f.b, p + 28, 555), put64(f.b, p + 32, 0), put32(f.b, p + 40, 1);
  putstr(f.b, p + 48, "worker"), putstr(f.b, p + 64, "other");
  // Wake-up of 101 by 100 at 4900, target CPU 1.
  p = f.event(4, 56, 0, 4900, 100, 101);
  put32(f.b, p + 24, 100), put32(f.b, p + 28, 100), put32(f.b, p + 32, 1), put32(f.b, p + 36, 0);
  putstr(f.b, p + 40, "worker");
  // Softirq TIMER (vector 1) for 300 ns and hard IRQ 33 "nvme0q1" for 200 ns, both while 101 ran.
  p = f.event(5, 72, 1, 5500, 100, 101);
  put64(f.b, p + 24, 300), put32(f.b, p + 32, 1), put32(f.b, p + 36, 1);
  p = f.event(5, 72, 1, 5600, 100, 101);
  put64(f.b, p + 24, 200), put32(f.b, p + 32, 0), put32(f.b, p + 36, 33), putstr(f.b, p + 40, "nvme0q1");
  // Syscall getppid (110) at 5200 for 100 ns returning 42, and write (1) failing with -9.
  p = f.event(6, 48, 1, 5200, 100, 101);
  put64(f.b, p + 24, 100), put64(f.b, p + 32, 42), put32(f.b, p + 40, 110);
  p = f.event(6, 48, 0, 5300, 100, 100);
  put64(f.b, p + 24, 10), put64(f.b, p + 32, static_cast<uint64_t>(-9)), put32(f.b, p + 40, 1);
  return f;
}

Trace read(const File& f) { return read_recording_bytes(f.b.data(), f.b.size(), "mem.itrace"); }

// Each table is put in time order with rows of one time in file order (a stable sort by time), and
// every column moves with its row, launch geometry too: records written out of order with many
// equal times, each row told apart by fields set from its place in the file.
TEST(RecordingReader, RowsOfOneTimeKeepFileOrderAndColumnsMoveTogether) {
  File f(2);
  f.meta("api.0", "cudaLaunchKernel");
  constexpr uint32_t kRows = 300;
  std::vector<uint64_t> ts(kRows);
  uint64_t x = 12345;
  for (uint32_t i = 0; i < kRows; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    ts[i] = 1000 + (x >> 33) % 40;  // 40 distinct times for 300 rows: many ties, out of order
  }
  for (uint32_t i = 0; i < kRows; ++i) {
    size_t p = f.event(3, 80, i % 4, ts[i], 100, 100);  // switch: 100 out, (700, 700 + i) in
    put32(f.b, p + 24, 700), put32(f.b, p + 28, 700 + i), put64(f.b, p + 32, i), put32(f.b, p + 40, 0);
    putstr(f.b, p + 48, "main"), putstr(f.b, p + 64, "n" + std::to_string(i % 7));
    p = f.event(2, 72, i % 4, ts[kRows - 1 - i], 100, 100);  // API call i: the times backwards
    put32(f.b, p + 24, 0);
    put32(f.b, p + 28, i % 3 == 0 ? 2 : 6);  // stream, and geometry on two calls in three
    put64(f.b, p + 40, i);
    put32(f.b, p + 48, i + 1), put32(f.b, p + 52, 1), put32(f.b, p + 56, 1);
    put32(f.b, p + 60, 32), put32(f.b, p + 64, 1), put32(f.b, p + 68, 1);
  }
  const Trace t = read(f);

  // The expected order, by a stable sort of the file's row numbers by time.
  const auto stable_order = [&](auto time_of) {
    std::vector<uint32_t> order(kRows);
    for (uint32_t i = 0; i < kRows; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return time_of(a) < time_of(b); });
    return order;
  };
  const std::vector<uint32_t> sw = stable_order([&](uint32_t i) { return ts[i]; });
  ASSERT_EQ(t.switches.size(), kRows);
  for (uint32_t k = 0; k < kRows; ++k) {
    const uint32_t i = sw[k];
    EXPECT_EQ(t.switches.ts[k], static_cast<ns_t>(ts[i])) << k;
    EXPECT_EQ(t.switches.prev_state[k], static_cast<int64_t>(i)) << k;
    EXPECT_EQ(t.switches.next_tid[k], 700 + static_cast<int64_t>(i)) << k;
    EXPECT_EQ(t.switches.cpu[k], static_cast<int32_t>(i % 4)) << k;
    EXPECT_EQ(t.str(t.switches.next_comm[k]), "n" + std::to_string(i % 7)) << k;
  }
  const std::vector<uint32_t> api = stable_order([&](uint32_t i) { return ts[kRows - 1 - i]; });
  ASSERT_EQ(t.api.size(), kRows);
  ASSERT_EQ(t.api.geometry.size(), kRows);
  for (uint32_t k = 0; k < kRows; ++k) {
    const uint32_t i = api[k];
    EXPECT_EQ(t.api.start[k], static_cast<ns_t>(ts[kRows - 1 - i])) << k;
    EXPECT_EQ(t.api.stream[k], static_cast<int64_t>(i)) << k;
    EXPECT_EQ(t.api.cpu[k], static_cast<int32_t>(i % 4)) << k;
    EXPECT_EQ(t.api.has_geometry(k), i % 3 != 0) << k;
    if (i % 3 != 0) {
      EXPECT_EQ(t.api.geometry[k].grid[0], i + 1) << k;
    }
  }
}

// IRQ kind 2 (docs/recording-format.md): an x86 system vector, a hard IRQ whose number is a
// vector; kind 0 beside it with the same number is a device IRQ, whatever its name, in a file
// that has kind-2 rows (EarlyVectorsOfKindZeroByMeta covers a file without).
TEST(RecordingReader, SystemVectorIrqKind) {
  File f(2);
  f.meta("irq.system_vectors", "LOC");
  struct Rec {
    uint32_t kind;
    const char* name;
  };
  const Rec recs[] = {{0, "eth0"}, {2, "LOC"}, {0, "LOC"}, {1, ""}};
  uint64_t ts = 1000;
  for (const Rec& r : recs) {
    const size_t p = f.event(5, 72, 0, ts, 100, 100);
    put64(f.b, p + 24, 50), put32(f.b, p + 32, r.kind), put32(f.b, p + 36, r.kind == 1 ? 1 : 236), putstr(f.b, p + 40, r.name);
    ts += 1000;
  }
  const Trace t = read(f);
  ASSERT_EQ(t.irqs.size(), std::size(recs));
  for (size_t i = 0; i < std::size(recs); ++i) {
    EXPECT_EQ(t.irqs.kind[i], recs[i].kind == 1 ? IrqKind::Soft : IrqKind::Hard) << i;
    EXPECT_EQ(t.irqs.system_vector[i] != 0, recs[i].kind == 2) << i;
    EXPECT_EQ(t.irqs.row(i).system_vector, recs[i].kind == 2) << i;
  }
}

// Since 2026-12-06 an IRQ record is 80 bytes: it_irq, then how it came to run (it_irq_ctx). Context 1 on
// a softirq: the thread ran it as its own work (Irq::own, source softirq_own); on a hard IRQ it
// means nothing. A 72-byte record (older files) and context 0 are interruptions.
TEST(RecordingReader, OwnSoftirqContextTail) {
  File f(2);
  f.meta("irq.softirq_context", "raise");
  struct Rec {
    uint32_t len, kind, context;
    bool own;
  };
  const Rec recs[] = {{80, 1, 1, true}, {80, 1, 0, false}, {72, 1, 0, false}, {80, 0, 1, false}, {88, 1, 1, true}};
  uint64_t ts = 1000;
  for (const Rec& r : recs) {
    const size_t p = f.event(5, r.len, 0, ts, 100, 100);
    put64(f.b, p + 24, 50), put32(f.b, p + 32, r.kind), put32(f.b, p + 36, 3);
    if (r.len >= 80) put32(f.b, p + 72, r.context);
    ts += 1000;
  }
  const Trace t = read(f);
  ASSERT_EQ(t.irqs.size(), std::size(recs));
  for (size_t i = 0; i < std::size(recs); ++i) {
    EXPECT_EQ(t.irqs.own[i] != 0, recs[i].own) << i;
    EXPECT_EQ(t.irqs.row(i).own, recs[i].own) << i;
    EXPECT_EQ(std::string(t.irqs.source_name(i)), recs[i].own ? "softirq_own" : recs[i].kind == 1 ? "softirq" : "device") << i;
  }
}

// Recordings made earlier on 2026-12-03 wrote the vectors as kind 0 and listed them in META
// irq.system_vectors: a kind-0 row named in that list reads as a vector, as a newer file's kind 2
// would (review EK M1); others stay device IRQs. Without the META (before 2026-12-03) every kind-0
// row is a device IRQ. A kind past 2 is counted as unknown and still read as a hard IRQ.
TEST(RecordingReader, EarlyVectorsOfKindZeroByMeta) {
  struct Rec {
    uint32_t kind, irq;
    const char* name;
  };
  const Rec recs[] = {{0, 236, "LOC"}, {0, 251, "CAL"}, {0, 252, "CAL"}, {0, 41, "ahci"},
                      {0, 42, "LOCX"},  {1, 1, ""},     {3, 60, "gpu"}};
  const std::set<std::string> listed = {"LOC", "RES", "CAL"};
  for (const char* vectors : {"LOC,RES,CAL", static_cast<const char*>(nullptr)}) {
    File f(2);
    if (vectors) f.meta("irq.system_vectors", vectors);
    uint64_t ts = 1000;
    for (const Rec& r : recs) {
      const size_t p = f.event(5, 72, 0, ts, 100, 100);
      put64(f.b, p + 24, 50), put32(f.b, p + 32, r.kind), put32(f.b, p + 36, r.irq), putstr(f.b, p + 40, r.name);
      ts += 1000;
    }
    const Trace t = read(f);
    ASSERT_EQ(t.irqs.size(), std::size(recs));
    for (size_t i = 0; i < std::size(recs); ++i) {
      const bool want = vectors && recs[i].kind == 0 && listed.count(recs[i].name);
      EXPECT_EQ(t.irqs.system_vector[i] != 0, want) << recs[i].name << (vectors ? "" : " (no META)");
      EXPECT_EQ(t.irqs.kind[i], recs[i].kind == 1 ? IrqKind::Soft : IrqKind::Hard) << i;
      EXPECT_EQ(t.irqs.irq[i], static_cast<int32_t>(recs[i].irq)) << i;
    }
    ASSERT_EQ(t.skipped.count("irq_unknown_kind"), 1u);
    EXPECT_EQ(t.skipped.at("irq_unknown_kind"), 1);
  }
}

TEST(RecordingReader, TablesFromHandBuiltRecords) {
  File f = sample();
  f.rec(9, 0);  // END
  const Trace t = read(f);
  EXPECT_EQ(t.source, TraceSource::Recording);
  EXPECT_EQ(t.meta.at("recording.complete"), "true");
  EXPECT_EQ(t.meta.at("kernel"), "Linux test");
  ASSERT_EQ(t.api.size(), 2u);
  EXPECT_EQ(t.api.start[0], 2000);  // sorted by time
  EXPECT_EQ(t.str(t.api.name[0]), "cudaLaunchKernel");
  EXPECT_EQ(t.api.kind[0], ApiKind::KernelLaunch);
  EXPECT_EQ(t.api.dur[0], 500);
  EXPECT_EQ(t.api.stream[0], 7);
  EXPECT_EQ(t.api.cpu[0], 1);
  EXPECT_EQ(t.str(t.api.name[1]), "cuLaunchKernel");
  EXPECT_EQ(t.api.dur[1], -1);
  EXPECT_EQ(t.api.stream[1], 9);

  ASSERT_EQ(t.switches.size(), 3u);
  EXPECT_FALSE(t.switches.preempted[0]);  // state 1: blocked
  EXPECT_EQ(t.switches.prev_state[0], 1);
  EXPECT_EQ(t.str(t.switches.next_comm[0]), "swapper/1");
  EXPECT_TRUE(t.switches.preempted[2]);
  EXPECT_EQ(t.switches.next_tid[2], 555);

  ASSERT_EQ(t.wakeups.size(), 1u);
  EXPECT_EQ(t.wakeups.cpu[0], 1);
  EXPECT_EQ(t.wakeups.waker_tid[0], 100);

  ASSERT_EQ(t.irqs.size(), 2u);
  EXPECT_EQ(t.irqs.kind[0], IrqKind::Soft);
  EXPECT_EQ(t.str(t.irqs.name[0]), "TIMER");
  EXPECT_EQ(t.irqs.dur[0], 300);
  EXPECT_EQ(t.irqs.kind[1], IrqKind::Hard);
  EXPECT_EQ(t.irqs.irq[1], 33);
  EXPECT_EQ(t.str(t.irqs.name[1]), "nvme0q1");

  ASSERT_EQ(t.syscalls.size(), 2u);
  EXPECT_EQ(t.str(t.syscalls.name[0]), "getppid");
  EXPECT_EQ(t.syscalls.ret[0], 42);
  EXPECT_EQ(t.syscalls.dur[0], 100);
  EXPECT_EQ(t.str(t.syscalls.name[1]), "write");
  EXPECT_EQ(t.syscalls.ret[1], -9);

  // Threads of the traced process only (not swapper, not 555), first/last from every event.
  ASSERT_EQ(t.threads.size(), 2u);
  EXPECT_EQ(t.threads.tid[0], 100);
  EXPECT_EQ(t.threads.tid[1], 101);
  EXPECT_EQ(t.str(t.threads.comm[1]), "worker");
  EXPECT_EQ(t.threads.first_ts[1], 1000);
  EXPECT_EQ(t.threads.last_ts[1], 6000);
}

// A thread's first/last timestamps run "from start to end of its syscalls and of the IRQs that
// interrupt it" (docs/recording-format.md): a hard IRQ from 7000 for 500 ns, thread 101's latest
// event, makes its last timestamp 7500; a syscall of thread 100 from 6500 for 2000 ns makes its
// 8500 (sample() ends thread 101 at 6000, thread 100 at 5310).
TEST(RecordingReader, ThreadLastTimeIsTheEndOfItsLastIrqOrSyscall) {
  File f = sample();
  size_t p = f.event(5, 72, 1, 7000, 100, 101);
  put64(f.b, p + 24, 500), put32(f.b, p + 32, 0), put32(f.b, p + 36, 33), putstr(f.b, p + 40, "nvme0q1");
  p = f.event(6, 48, 0, 6500, 100, 100);
  put64(f.b, p + 24, 2000), put32(f.b, p + 40, 110);
  const Trace t = read(f);
  ASSERT_EQ(t.threads.size(), 2u);
  EXPECT_EQ(t.threads.tid[0], 100);
  EXPECT_EQ(t.threads.last_ts[0], 8500);
  EXPECT_EQ(t.threads.tid[1], 101);
  EXPECT_EQ(t.threads.first_ts[1], 1000);
  EXPECT_EQ(t.threads.last_ts[1], 7500);
}

// Version 1 had no GPU or STRING records and no correlation tail on API records: the same bytes
// read as version 2 give a GPU activity and a correlation, as version 1 unknown records.
TEST(RecordingReader, Version1HasNoGpuStringOrCorrelationData) {
  for (const uint32_t version : {1u, 2u}) {
    File f(version);
    f.meta("api.0", "cudaLaunchKernel");
    size_t p = f.rec(11, 4 + 6);  // STRING id 1 "kernel"
    put32(f.b, p, 1), putstr(f.b, p + 4, "kernel");
    p = f.event(2, 80, 1, 1000, 100, 100);  // API with IT_API_HAS_CORRELATION and its tail
    put32(f.b, p + 24, 0), put32(f.b, p + 28, 8), put64(f.b, p + 72, (uint64_t{100} << 32) | 5);
    p = f.event(10, 96, 0, 2000, 100, 0);  // GPU kernel, 300 ns, same correlation, name 1
    put64(f.b, p + 24, 300), put64(f.b, p + 48, (uint64_t{100} << 32) | 5), put32(f.b, p + 56, 1);
    const Trace t = read(f);
    ASSERT_EQ(t.api.size(), 1u) << version;
    if (version == 1) {
      EXPECT_EQ(t.gpu.size(), 0u);
      EXPECT_EQ(t.skipped.at("unknown_record_type"), 2);
      EXPECT_EQ(t.api.correlation[0], -1);
    } else {
      ASSERT_EQ(t.gpu.size(), 1u);
      EXPECT_EQ(t.gpu.dur[0], 300);
      EXPECT_EQ(t.strings.view(t.gpu.name[0]), "kernel");
      EXPECT_EQ(t.skipped.count("unknown_record_type"), 0u);
      EXPECT_NE(t.api.correlation[0], -1);
    }
  }
}

// In a version 1 file a record of type 10 or 11 is an unknown type at any length: a short one is
// skipped, not "shorter than a GPU record" (version 2 refuses that).
TEST(RecordingReader, Version1ShortGpuRecordIsAnUnknownType) {
  File f(1);
  f.rec(10, 2);
  f.rec(11, 1);
  const Trace t = read(f);
  EXPECT_EQ(t.skipped.at("unknown_record_type"), 2);
  File g(2);
  g.rec(10, 2);
  EXPECT_THROW(read(g), InputError);
}

// TASK kind 0 (a thread alive when its process entered the recording): since 2026-12-05 56 bytes,
// the state letter from /proc as a u32 at offset 48; the 48-byte layout of older recordings reads
// with the state unknown (0), as does a value that is no letter. Other kinds are not attach states.
TEST(RecordingReader, TaskStateAtTheAttachAndTheOldLayout) {
  File f(2);
  const auto task = [&](uint32_t len, uint32_t tid, uint32_t kind, uint32_t state) {
    const size_t p = f.event(7, len, 0, 1000 + tid, 100, tid);
    put32(f.b, p + 24, kind);
    putstr(f.b, p + 32, "t" + std::to_string(tid));
    if (len >= 56) put32(f.b, p + 48, state);
  };
  task(48, 100, 0, 0);    // the old layout: no state field
  task(56, 101, 0, 'S');  // sleeping at the attach
  task(56, 102, 0, 'R');
  task(56, 103, 0, 'D');
  task(56, 104, 0, 7);    // not a letter: unknown
  task(48, 105, 1, 0);    // a new thread: no attach state
  task(64, 106, 0, 't');  // a longer record (a later writer's appended field) keeps its state
  const Trace t = read(f);
  const std::vector<ThreadAtAttach> attached = attach_states(t);
  ASSERT_EQ(attached.size(), 6u);
  const std::vector<std::pair<int64_t, char>> want{{100, 0}, {101, 'S'}, {102, 'R'}, {103, 'D'}, {104, 0}, {106, 't'}};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(attached[i].tid, want[i].first) << i;
    EXPECT_EQ(attached[i].pid, 100) << i;
    EXPECT_EQ(attached[i].ts, 1000 + want[i].first) << i;
    EXPECT_EQ(attached[i].state, want[i].second) << i;
  }
  // The old layout is still a thread of the table, named by its record.
  ASSERT_EQ(t.threads.size(), 7u);
  EXPECT_EQ(t.str(t.threads.comm[0]), "t100");
  EXPECT_EQ(t.skipped.count("unknown_record_type"), 0u);
  // A kind-0 record shorter than the old 48 bytes is still an error.
  File g(2);
  g.event(7, 40, 0, 1000, 100, 100);
  EXPECT_THROW(read(g), InputError);
}

// Every TASK record is a row of the process tree's table (Trace::tasks), by time, with its kind,
// parent (New), state (Existing) and name; a kind past Exit is counted, not kept. A file's META named
// "recording.attach_states" (the key the reader derived before 2026-12-05) is an ordinary key.
TEST(RecordingReader, TaskRecordsAreTheProcessTreeTable) {
  File f(2);
  f.meta("recording.attach_states", "1:2:3:S");
  const auto task = [&](uint64_t ts, uint32_t pid, uint32_t tid, uint32_t kind, uint32_t parent, uint32_t len = 48) {
    const size_t p = f.event(7, len, 0, ts, pid, tid);
    put32(f.b, p + 24, kind);
    put32(f.b, p + 28, parent);
    putstr(f.b, p + 32, "c" + std::to_string(tid));
    return p;
  };
  task(500, 100, 102, 1, 101);  // written before an earlier one: the table is by time
  put32(f.b, task(300, 100, 101, 0, 0, 56) + 48, 'S');
  task(700, 100, 102, 2, 0);
  task(900, 100, 102, 3, 0);
  task(950, 100, 103, 9, 0);  // a later writer's kind
  const Trace t = read(f);
  EXPECT_EQ(t.meta.at("recording.attach_states"), "1:2:3:S");
  ASSERT_EQ(t.tasks.size(), 4u);
  const std::vector<std::tuple<ns_t, int64_t, TaskKind, int64_t, char, std::string>> want{
      {300, 101, TaskKind::Existing, -1, 'S', "c101"},
      {500, 102, TaskKind::New, 101, 0, "c102"},
      {700, 102, TaskKind::Exec, -1, 0, "c102"},
      {900, 102, TaskKind::Exit, -1, 0, "c102"}};
  for (size_t i = 0; i < want.size(); ++i) {
    const TaskEvent e = t.tasks.row(i);
    EXPECT_EQ(std::make_tuple(e.ts, e.tid, e.kind, e.parent_tid, e.state, std::string(t.str(e.comm))), want[i]) << i;
    EXPECT_EQ(e.pid, 100) << i;
  }
  EXPECT_EQ(t.skipped.at("task_unknown_kind"), 1);
  const std::vector<ThreadAtAttach> a = attach_states(t);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].tid, 101);
  EXPECT_EQ(a[0].state, 'S');
  // set_attach_states replaces the Existing rows alone, and keeps the table by time.
  Trace u;
  for (size_t i = 0; i < t.tasks.size(); ++i) u.tasks.push(t.tasks.row(i));
  set_attach_states(u, {{600, 100, 104, 'D'}, {100, 100, 105, 0}});
  ASSERT_EQ(u.tasks.size(), 5u);
  EXPECT_EQ(u.tasks.tid[0], 105);
  EXPECT_EQ(u.tasks.tid[1], 102);
  EXPECT_EQ(u.tasks.tid[2], 104);
  EXPECT_EQ(u.tasks.state[2], 'D');
}

// A thread is named by the name it had last in the recording (review RC M1): a thread that renamed
// itself after its TASK record (pthread_setname_np, prctl) carries its new name in its later switch
// rows and wake-ups, and keeps it when it is still alive at the end. An exit record's name is final:
// later rows of its id (its final switch-out, an outsider given the id) do not rename it, until a
// new TASK record of the id. A TASK record wins a tie; a switch side of an untraced process never
// names a traced thread. Records written out of time order (file order is not time order).
TEST(RecordingReader, ThreadNamedByTheNameItHadLast) {
  File f(2);
  const auto task = [&](uint64_t ts, uint32_t tid, uint32_t kind, const std::string& comm) {
    const size_t p = f.event(7, 48, 0, ts, 100, tid);
    put32(f.b, p + 24, kind);
    put32(f.b, p + 28, kind == 1 ? 100 : 0);
    putstr(f.b, p + 32, comm);
  };
  const auto sw = [&](uint64_t ts, uint32_t prev_pid, uint32_t prev_tid, const std::string& prev_comm, uint32_t next_pid,
                      uint32_t next_tid, const std::string& next_comm) {
    const size_t p = f.event(3, 80, 1, ts, prev_pid, prev_tid);
    put32(f.b, p + 24, next_pid), put32(f.b, p + 28, next_tid), put64(f.b, p + 32, 1);
    putstr(f.b, p + 48, prev_comm), putstr(f.b, p + 64, next_comm);
  };
  const auto wake = [&](uint64_t ts, uint32_t tid, const std::string& comm) {
    const size_t p = f.event(4, 56, 0, ts, 100, tid);
    put32(f.b, p + 24, 100), put32(f.b, p + 28, 100);
    putstr(f.b, p + 40, comm);
  };
  task(500, 100, 0, "prog");  // the process, alive at the attach
  // 101: created with its parent's name, renamed itself, alive at the end. Its newest switch is
  // written first, an older wake-up with the old name last.
  task(1000, 101, 1, "prog");
  sw(3000, 0, 0, "swapper/1", 100, 101, "worker1");
  sw(2000, 100, 101, "prog", 0, 0, "swapper/1");
  wake(2500, 101, "prog");
  // 102: renamed, then exited (its exit record says "final2"); a later row of its id names another
  // thread of the same process id (the id given again, the exit record lost for it): not its name.
  task(1000, 102, 1, "prog");
  sw(3000, 100, 102, "renamed2", 0, 0, "swapper/1");
  task(4000, 102, 3, "final2");
  sw(5000, 0, 0, "swapper/1", 100, 102, "outsider");
  // 103: a switch before its exec and one at the exec's instant, written after it: the exec wins.
  task(1000, 103, 1, "prog");
  sw(1500, 100, 103, "r103", 0, 0, "swapper/1");
  task(2000, 103, 2, "execd");
  sw(2000, 100, 103, "r103", 0, 0, "swapper/1");
  // 104: an exit, then a traced thread given the id (a new record) that renames itself.
  task(1000, 104, 3, "old104");
  task(2000, 104, 1, "prog");
  sw(3000, 100, 104, "new104", 0, 0, "swapper/1");
  // 100: renamed after its attach record; an untraced process's thread given its id later (555)
  // does not rename it, though a switch of it meets a traced thread.
  sw(2000, 100, 100, "main", 0, 0, "swapper/0");
  sw(6000, 555, 100, "intruder", 100, 101, "worker1");
  // 105: only rows without a TASK record: the newest of them, by time.
  wake(3000, 105, "late105");
  wake(2000, 105, "early105");
  const Trace t = read(f);
  std::map<int64_t, std::string> names;
  for (size_t i = 0; i < t.threads.size(); ++i) names[t.threads.tid[i]] = std::string(t.str(t.threads.comm[i]));
  const std::map<int64_t, std::string> want{{100, "main"},  {101, "worker1"}, {102, "final2"},
                                            {103, "execd"}, {104, "new104"},  {105, "late105"}};
  EXPECT_EQ(names, want);
  // The process tree's table keeps each record's own name.
  ASSERT_EQ(t.tasks.size(), 8u);
  EXPECT_EQ(t.str(t.tasks.comm[1]), "prog");
}

// A RENAME record (TASK kind 4, since 2026-12-06: the recorder's task:task_rename program) is a row of
// the process tree's table with the new name, and names a thread that was neither switched out nor
// woken after its rename (before, such a thread kept the name of its last switch). A later switch
// row still wins over an earlier rename, and an exit record's name stays final.
TEST(RecordingReader, RenameRecordNamesThreadWithNoLaterSwitch) {
  File f(2);
  const auto task = [&](uint64_t ts, uint32_t tid, uint32_t kind, const std::string& comm) {
    const size_t p = f.event(7, 48, 0, ts, 100, tid);
    put32(f.b, p + 24, kind);
    put32(f.b, p + 28, kind == 1 ? 100 : 0);
    putstr(f.b, p + 32, comm);
  };
  const auto sw = [&](uint64_t ts, uint32_t prev_tid, const std::string& prev_comm, uint32_t next_tid,
                      const std::string& next_comm) {
    const size_t p = f.event(3, 80, 1, ts, prev_tid ? 100 : 0, prev_tid);
    put32(f.b, p + 24, next_tid ? 100 : 0), put32(f.b, p + 28, next_tid), put64(f.b, p + 32, 1);
    putstr(f.b, p + 48, prev_comm), putstr(f.b, p + 64, next_comm);
  };
  task(500, 100, 0, "prog");
  // 101: switched out and in under its first name, then renamed while it ran: no row after it.
  task(1000, 101, 1, "prog");
  sw(2000, 101, "spin_old", 0, "swapper/1");
  sw(2500, 0, "swapper/1", 101, "spin_old");
  task(3000, 101, 4, "spin_new");
  // 102: renamed, then a switch under a later name (its rename record lost): the switch is later.
  task(1000, 102, 1, "prog");
  task(2000, 102, 4, "first");
  sw(3000, 102, "second", 0, "swapper/1");
  // 103: renamed, then exited: the exit record's name.
  task(1000, 103, 1, "prog");
  task(2000, 103, 4, "named");
  task(4000, 103, 3, "final");
  const Trace t = read(f);
  std::map<int64_t, std::string> names;
  for (size_t i = 0; i < t.threads.size(); ++i) names[t.threads.tid[i]] = std::string(t.str(t.threads.comm[i]));
  const std::map<int64_t, std::string> want{{100, "prog"}, {101, "spin_new"}, {102, "second"}, {103, "final"}};
  EXPECT_EQ(names, want);
  EXPECT_EQ(t.skipped.count("task_unknown_kind"), 0u);
  std::vector<std::tuple<ns_t, int64_t, std::string, int64_t>> renames;
  for (size_t i = 0; i < t.tasks.size(); ++i)
    if (t.tasks.kind[i] == TaskKind::Rename)
      renames.emplace_back(t.tasks.ts[i], t.tasks.tid[i], std::string(t.str(t.tasks.comm[i])), t.tasks.parent_tid[i]);
  const std::vector<std::tuple<ns_t, int64_t, std::string, int64_t>> want_renames{
      {2000, 102, "first", -1}, {2000, 103, "named", -1}, {3000, 101, "spin_new", -1}};
  EXPECT_EQ(renames, want_renames);
}

TEST(RecordingReader, TruncatedTailKeepsCompleteRecords) {
  File f = sample();
  const size_t full = f.b.size();
  f.b.resize(full - 20);  // cut into the last syscall record
  const Trace t = read(f);
  EXPECT_EQ(t.meta.at("recording.complete"), "false");
  EXPECT_EQ(t.syscalls.size(), 1u);
  EXPECT_EQ(t.skipped.at("truncated_tail_bytes"), 56 - 20);
  EXPECT_EQ(t.api.size(), 2u);
}

// A crash after the file's size reached the disk but before its last blocks did leaves zeros where
// the last records were (review BD item 5): the whole records before them are kept, as for a cut
// record, and the file is marked so the note can say what happened. Zeros that stop before the end
// are no such tail: still a corrupt header.
TEST(RecordingReader, ZeroFilledTailKeepsTheRecordsBeforeIt) {
  File f = sample();
  const size_t whole = f.b.size();
  f.b.resize(whole + 4096, 0);
  const Trace t = read(f);
  EXPECT_EQ(t.meta.at("recording.complete"), "false");
  EXPECT_EQ(t.meta.at("recording.zero_filled_tail"), "true");
  // The last syscall record ends in zero bytes of its own (ret, nr and fd+1 are 0 here), so the
  // zero run may have begun inside it: it is left out with the zeros (the conservative side).
  EXPECT_EQ(t.skipped.at("truncated_tail_bytes"), 56 + 4096);
  EXPECT_EQ(t.syscalls.size(), 1u);
  EXPECT_EQ(t.api.size(), 2u);
  // The last syscall record zeroed whole (its block never written) and the file ending there: the
  // run reaches back into the first syscall's own trailing zeros, so both are left out.
  File g = sample();
  std::fill(g.b.end() - 56, g.b.end(), 0);
  const Trace u = read(g);
  EXPECT_EQ(u.syscalls.size(), 0u);
  EXPECT_EQ(u.skipped.at("truncated_tail_bytes"), 56 + 56);
  EXPECT_EQ(u.api.size(), 2u);
  // The zeros begin inside the last record (a block boundary is rarely a record's start): that
  // record is left out with them, not read as a syscall with zeroed fields.
  File z = sample();
  const size_t last = z.b.size() - 56;
  std::fill(z.b.begin() + static_cast<std::ptrdiff_t>(last + 8 + 16), z.b.end(), 0);  // header and ts kept
  z.b.resize(z.b.size() + 100, 0);
  const Trace v = read(z);
  EXPECT_EQ(v.syscalls.size(), 1u);
  EXPECT_EQ(v.skipped.at("truncated_tail_bytes"), 56 + 100);
  EXPECT_EQ(v.meta.at("recording.zero_filled_tail"), "true");
  // The zeros begin inside the last record's header, at each byte of it (review BI M2: from bytes
  // 1-4 the length field reads 0, which a syscall record does not allow): the same outcome.
  for (size_t k = 1; k <= 8; ++k) {
    File y = sample();
    const size_t at = y.b.size() - 56;
    std::fill(y.b.begin() + static_cast<std::ptrdiff_t>(at + k), y.b.end(), 0);
    y.b.resize(y.b.size() + 512, 0);
    const Trace yt = read(y);
    EXPECT_EQ(yt.syscalls.size(), 1u) << "zeros from byte " << k << " of the last record";
    EXPECT_EQ(yt.skipped.at("truncated_tail_bytes"), 56 + 512) << "zeros from byte " << k;
  }
  // Records that fill the file exactly, the last ending in zero bytes, are no zero-filled tail.
  File w = sample();
  EXPECT_EQ(read(w).meta.count("recording.zero_filled_tail"), 0u);
  // A zero header followed by anything else is corruption, not a tail.
  File h = sample();
  h.b.resize(whole + 64, 0);
  h.b.back() = 1;
  EXPECT_THROW(read(h), InputError);
}

// Zeros inside the file, not at its end (review BH; close19): a record whose header and first
// payload bytes survived but whose thread fields were zeroed names a thread no recorded event can
// (ingest/recording/impossible_threads.h). Before, it read as an event of process 0, thread 0.
// It is corruption at the record's offset; the records around it are whole.
struct MidFile {
  File f{2};
  size_t sys = 0, api = 0, sw_traced = 0, sw_idle = 0, gpu = 0;  // payload offsets
  MidFile() {
    f.meta("api.0", "cudaLaunchKernel");
    sys = f.event(6, 48, 1, 5200, 100, 101);
    put64(f.b, sys + 24, 100), put64(f.b, sys + 32, 42), put32(f.b, sys + 40, 110);
    api = f.event(2, 72, 1, 6000, 100, 101);
    // 101 preempted by an untraced thread; then the idle task switching to 101.
    sw_traced = f.event(3, 80, 1, 7000, 100, 101);
    put32(f.b, sw_traced + 24, 555), put32(f.b, sw_traced + 28, 555), put32(f.b, sw_traced + 40, 1);
    sw_idle = f.event(3, 80, 1, 8000, 0, 0);
    put32(f.b, sw_idle + 24, 100), put32(f.b, sw_idle + 28, 101), put64(f.b, sw_idle + 32, 0);
    gpu = f.event(10, 96, 0, 9000, 100, 0);  // GPU: tid 0 by design
    put64(f.b, gpu + 24, 500);
    const size_t last = f.event(6, 48, 0, 9500, 100, 100);
    put64(f.b, last + 24, 10), put32(f.b, last + 40, 1);
    f.rec(9, 0);  // END
  }
  // This file with the payload at `payload` zeroed from its byte `from` to its byte `to`.
  File zeroed(size_t payload, size_t from, size_t to) const {
    File z = f;
    std::fill(z.b.begin() + static_cast<std::ptrdiff_t>(payload + from), z.b.begin() + static_cast<std::ptrdiff_t>(payload + to), 0);
    return z;
  }
};

int64_t corrupt_at(const File& f) {
  try {
    read(f);
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no recorded event can"), std::string::npos) << e.what();
    return e.offset();
  }
  return -1;
}

// Review S43 L3: the UNTRACED record (type 14, a TASK record's layout) was left out of the check
// when the type was added: one with pid 0 read as "untraced pid 0" while the same bytes as a TASK
// record are corruption.
TEST(RecordingReader, UntracedRecordWithPidZeroIsCorruption) {
  for (uint32_t pid : {0u, 4242u}) {
    File f{2};
    f.meta("api.0", "cudaLaunchKernel");
    f.event(6, 48, 0, 5000, 100, 100);
    const size_t untraced = f.event(14, 48, 0, 6000, pid, pid == 0 ? 0 : pid);
    f.rec(9, 0);  // END
    if (pid == 0) {
      EXPECT_EQ(corrupt_at(f), static_cast<int64_t>(untraced - 8));
    } else {
      const Trace t = read(f);
      EXPECT_EQ(t.meta.at("untraced.processes"), "1");
      EXPECT_EQ(t.meta.at("untraced.pids"), "4242");
    }
  }
}

TEST(RecordingReader, ZeroedThreadFieldsInsideTheFileAreCorruption) {
  const MidFile m;
  const Trace whole = read(m.f);  // as written: every record is one a recorder makes
  EXPECT_EQ(whole.syscalls.size(), 2u);
  EXPECT_EQ(whole.switches.size(), 2u);
  EXPECT_EQ(whole.gpu.size(), 1u);
  EXPECT_EQ(whole.meta.at("recording.complete"), "true");
  // Zeros from the pid (16) or from the tid (20) to the record's end: its header, type, CPU and
  // time survive. For each event kind, at its own offset (the header 8 bytes before the payload).
  for (size_t from : {16u, 20u}) {
    EXPECT_EQ(corrupt_at(m.zeroed(m.sys, from, 48)), static_cast<int64_t>(m.sys - 8)) << "syscall from " << from;
    EXPECT_EQ(corrupt_at(m.zeroed(m.api, from, 72)), static_cast<int64_t>(m.api - 8)) << "API from " << from;
    EXPECT_EQ(corrupt_at(m.zeroed(m.sw_traced, from, 80)), static_cast<int64_t>(m.sw_traced - 8)) << "switch from " << from;
  }
  // Zeros covering only the thread fields, the rest intact (a short run inside one record).
  EXPECT_EQ(corrupt_at(m.zeroed(m.sys, 16, 24)), static_cast<int64_t>(m.sys - 8));
  // The idle task's switch to 101 with its next side zeroed: both sides process 0.
  EXPECT_EQ(corrupt_at(m.zeroed(m.sw_idle, 24, 80)), static_cast<int64_t>(m.sw_idle - 8));
  // A GPU record's pid (its tid is 0 by design).
  EXPECT_EQ(corrupt_at(m.zeroed(m.gpu, 16, 96)), static_cast<int64_t>(m.gpu - 8));
  // The limit (docs/recording-format.md): zeros from the next side of a traced thread's switch on
  // leave a switch to the idle task, which is a real event: read as such.
  const Trace limit = read(m.zeroed(m.sw_traced, 24, 80));
  ASSERT_EQ(limit.switches.size(), 2u);
  EXPECT_EQ(limit.switches.next_tid[0], 0);
  // The same zeros in the file's last record, reaching the end of the file: the zero-filled tail
  // (the rule of zero_filled_tail.h for records that fill the file exactly), not corruption.
  File tail = m.f;
  tail.b.resize(tail.b.size() - 8);  // no END: the last syscall ends the file
  std::fill(tail.b.end() - 48 + 16, tail.b.end(), 0);
  const Trace t = read(tail);
  EXPECT_EQ(t.syscalls.size(), 1u);
  EXPECT_EQ(t.skipped.at("truncated_tail_bytes"), 56);
  EXPECT_EQ(t.meta.at("recording.zero_filled_tail"), "true");
  // Zeros from the tid on (the pid survived): the tail as well.
  File tid_tail = m.f;
  tid_tail.b.resize(tid_tail.b.size() - 8);
  std::fill(tid_tail.b.end() - 48 + 20, tid_tail.b.end(), 0);
  EXPECT_EQ(read(tid_tail).syscalls.size(), 1u);
  // The last record's pid and tid zeroed while its duration and number after them survived: the
  // file still ends in zeros (the record's last four bytes), but that run does not reach the thread
  // fields, so the tail did not zero them: corruption (review BM L1; it read as the tail before).
  File not_tail = m.f;
  not_tail.b.resize(not_tail.b.size() - 8);
  std::fill(not_tail.b.end() - 48 + 16, not_tail.b.end() - 48 + 24, 0);
  EXPECT_EQ(corrupt_at(not_tail), static_cast<int64_t>(not_tail.b.size() - 48 - 8));
}

// A file holding "INFTRACE" and part of the version is a recording cut off in its header, not a
// file "missing INFTRACE header" (review AW, LOW: the 8-byte file "INFTRACE").
TEST(RecordingReader, FileCutInsideItsHeaderSaysSo) {
  for (size_t size : {8u, 12u, 15u}) {
    File f(2);
    f.b.resize(size);
    try {
      read(f);
      ADD_FAILURE() << size << " bytes read";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("cut off inside its 16-byte file header"), std::string::npos) << e.what();
    }
  }
  File g(2);
  g.b.resize(7);  // not even the magic
  EXPECT_THROW(read(g), InputError);
}

// A length damaged in the middle of the file (review AW item 6: one flipped byte made a 33-byte
// META claim 65,313 bytes) is corruption at that record's offset, not a cut-off tail that drops
// the rest of the file: the bytes it claims hold whole records up to the end.
TEST(RecordingReader, DamagedLengthInTheMiddleIsCorruptionAtItsOffset) {
  for (bool ended : {true, false}) {  // with END (clean stop) and without (killed, then damaged)
    File f = sample();
    if (ended) f.rec(9, 0);
    put32(f.b, 16 + 4, 0xff21);  // the first record (META "api.0" at byte 16) now claims 65,313 bytes
    try {
      read(f);
      ADD_FAILURE() << "read a file whose record at byte 16 claims " << 0xff21 << " of " << f.b.size() << " bytes";
    } catch (const InputError& e) {
      EXPECT_EQ(e.offset(), 16);
      EXPECT_NE(std::string(e.what()).find("corrupt record length"), std::string::npos) << e.what();
      // The next whole record is the second META, right after the first (8 + 4 + 5 + 16 bytes).
      EXPECT_NE(std::string(e.what()).find("from offset " + std::to_string(16 + 8 + 4 + 5 + 16)), std::string::npos)
          << e.what();
    }
  }
}

// Review BD L4a: a damaged length and then a recorder killed in the middle of a later record: the
// whole records inside the claimed bytes end in a cut one, not at the end of the file; still
// corruption, not a cut-off tail that silently drops the rest (2276 of 2828 bytes in /tmp/bd).
TEST(RecordingReader, DamagedLengthThenKilledRecorderIsCorruption) {
  File f = sample();
  put32(f.b, 16 + 4, 0xff21);
  f.b.resize(f.b.size() - 20);  // cut into the last syscall record
  try {
    read(f);
    ADD_FAILURE() << "read a damaged, then cut, file";
  } catch (const InputError& e) {
    EXPECT_EQ(e.offset(), 16);
    EXPECT_NE(std::string(e.what()).find("corrupt record length"), std::string::npos) << e.what();
  }
}

// Review BD L4b: the last event's length damaged, then only the END record. One END is not enough
// to call it corruption (a cut payload can end in the same 8 bytes), so the reader keeps the
// records before it, but the note does not claim there is no end record.
TEST(RecordingReader, DamagedLastRecordBeforeEndIsNotCalledUnended) {
  File f = sample();
  f.rec(9, 0);
  const size_t last_syscall = f.b.size() - 8 - 56;
  put32(f.b, last_syscall + 4, 60000);
  const Trace t = read(f);
  EXPECT_EQ(t.syscalls.size(), 1u);
  EXPECT_EQ(t.skipped.at("truncated_tail_bytes"), 56 + 8);
  EXPECT_EQ(t.meta.at("recording.tail_ends_in_end_record"), "true");
  // A plain cut has no such mark. (The note that reads it: tests/e2e/test_recording_damaged_tail.py.)
  File g = sample();
  g.b.resize(g.b.size() - 20);
  EXPECT_EQ(read(g).meta.count("recording.tail_ends_in_end_record"), 0u);
}

// Every prefix of a recording is what a recorder stopped at that byte leaves: it reads, keeping
// the records before the cut, whatever byte the cut falls on (the check above must not mistake a
// cut-off payload for whole records).
TEST(RecordingReader, EveryPrefixReadsAsACutOffTail) {
  File f = sample();
  std::vector<size_t> ends;  // where each record ends
  for (size_t at = 16; at < f.b.size();) {
    uint32_t len;
    std::memcpy(&len, &f.b[at + 4], 4);
    at += 8 + len;
    ends.push_back(at);
  }
  const Bytes whole = f.b;
  for (size_t cut = 16; cut < whole.size(); ++cut) {
    f.b.assign(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(cut));
    Trace t;
    ASSERT_NO_THROW(t = read(f)) << "cut at byte " << cut;
    size_t kept_end = 16;
    for (size_t e : ends)
      if (e <= cut) kept_end = e;
    const int64_t tail = static_cast<int64_t>(cut - kept_end);
    if (tail) EXPECT_EQ(t.skipped.at("truncated_tail_bytes"), tail) << "cut at byte " << cut;
    else EXPECT_EQ(t.skipped.count("truncated_tail_bytes"), 0u) << "cut at byte " << cut;
  }
}

TEST(RecordingReader, TimesBeyondInt64AreLeftOutAndCounted) {
  File f = sample();
  size_t p = f.event(6, 48, 0, uint64_t{1} << 63, 100, 100);  // syscall at ts 2^63
  put64(f.b, p + 24, 10), put32(f.b, p + 40, 1);
  p = f.event(5, 72, 1, 7000, 100, 101);  // IRQ whose duration runs past INT64_MAX
  put64(f.b, p + 24, (uint64_t{1} << 63) - 7000), put32(f.b, p + 32, 0), put32(f.b, p + 36, 33);
  p = f.event(2, 72, 1, 7050, 100, 101);  // an API call whose measured duration runs past INT64_MAX
  put32(f.b, p + 24, 0), put32(f.b, p + 28, 1), put64(f.b, p + 32, uint64_t{1} << 63);
  p = f.event(6, 48, 0, 7100, 100, 100);  // the largest end that fits: kept
  put64(f.b, p + 24, static_cast<uint64_t>(INT64_MAX) - 7100), put32(f.b, p + 40, 1);
  const Trace t = read(f);
  EXPECT_EQ(t.skipped.at("time_out_of_range"), 3);
  EXPECT_EQ(t.api.size(), 2u);  // the two of sample()
  EXPECT_EQ(t.syscalls.size(), 3u);  // the two of sample() and the last one
  EXPECT_EQ(t.irqs.size(), 2u);
  for (size_t i = 0; i < t.syscalls.size(); ++i) EXPECT_GE(t.syscalls.dur[i], 0);
}

TEST(RecordingReader, NamesAreCleanedAndCounted) {
  // Linux lets a thread name itself anything: invalid UTF-8 and terminal escapes become '?'.
  File f = sample();
  size_t p = f.event(3, 80, 1, 7000, 100, 101);
  put32(f.b, p + 24, 0), put32(f.b, p + 28, 0), put64(f.b, p + 32, 1), put32(f.b, p + 40, 0);
  putstr(f.b, p + 48, "\xff\x1b[2Jw\xc3\xa9"), putstr(f.b, p + 64, "swapper/1");
  f.meta("traced.command", "run\x07 \xe2\x82\xac");
  const Trace t = read(f);
  ASSERT_EQ(t.switches.size(), 4u);
  EXPECT_EQ(t.str(t.switches.prev_comm[3]), "??[2Jw\xc3\xa9");
  EXPECT_EQ(t.meta.at("traced.command"), "run? \xe2\x82\xac");
  EXPECT_EQ(t.names_cleaned.at("names_with_bytes_replaced"), 2);  // kept names: not skipped events (review CX L8)
  EXPECT_EQ(t.skipped.count("names_with_bytes_replaced"), 0u);
}

TEST(RecordingReader, IoctlsNamedByTheFileTheirFdHeldThen) {
  File f = sample();
  auto fdname = [&](uint64_t ts, uint32_t fd, const char* dir, const char* name) {
    const size_t p = f.event(12, 112, 0, ts, 100, 101);
    put32(f.b, p + 24, fd);
    putstr(f.b, p + 32, dir), putstr(f.b, p + 72, name);
  };
  auto ioctl = [&](uint64_t ts, uint32_t fd_plus1) {
    const size_t p = f.event(6, 48, 0, ts, 100, 101);
    put64(f.b, p + 24, 10), put32(f.b, p + 40, 16), put32(f.b, p + 44, fd_plus1);
  };
  fdname(7000, 5, "dev", "nvidia0");
  ioctl(7000, 6);  // fd 5 -> dev/nvidia0
  ioctl(7100, 6);
  fdname(7200, 5, "dri", "card0");  // fd 5 closed and reopened on another file
  ioctl(7200, 6);
  ioctl(7300, 8);  // fd 7: never named
  ioctl(7400, 0);  // fd not recorded (an older recording)
  fdname(7500, 5, "", "");  // fd 5 now on a pipe (an anonymous file): no name, not the old one
  ioctl(7500, 6);
  fdname(7600, 5, "dev", "null");
  ioctl(7600, 6);
  const Trace t = read(f);
  std::vector<std::string> got;
  for (size_t i = 0; i < t.syscalls.size(); ++i)
    if (t.syscalls.nr[i] == 16) got.push_back(t.syscalls.fd_target[i] >= 0 ? std::string(t.str(static_cast<StrId>(t.syscalls.fd_target[i]))) : "-");
  EXPECT_EQ(got, (std::vector<std::string>{"dev/nvidia0", "dev/nvidia0", "dri/card0", "-", "-", "-", "dev/null"}));
}

TEST(RecordingReader, ErrorsNameFileAndOffset) {
  File bad_magic;
  bad_magic.b[0] = 'X';
  try {
    read(bad_magic);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.offset(), 0);
    EXPECT_EQ(e.file(), "mem.itrace");
  }
  File v3(3);  // newer than this build (version 2 is current, 1 still read)
  try {
    read(v3);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.offset(), 8);
  }
  File short_rec;
  short_rec.meta("a", "b");
  const size_t at = short_rec.b.size();
  short_rec.rec(2, 30);  // an API record needs 72 bytes
  try {
    read(short_rec);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.offset(), static_cast<int64_t>(at));
  }
  File bad_key;
  const size_t p = bad_key.rec(1, 8);
  put32(bad_key.b, p, 100);  // key longer than the record
  try {
    read(bad_key);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.offset(), static_cast<int64_t>(p));
  }
  File unknown;
  unknown.rec(77, 4);
  EXPECT_EQ(read(unknown).skipped.at("unknown_record_type"), 1);
}

TEST(RecordingReader, WriterRoundTrip) {
  const infertrace::TempDir tmp("infertrace-writer");  // unique: other checkouts run ctest too
  const std::string path = (tmp.path / "writer.itrace").string();
  {
    ItraceWriter w(path);
    w.meta("api.3", "cudaMemcpyAsync");
    File f;  // borrow the event builder for one API payload
    const size_t p = f.event(2, 72, 2, 777, 10, 11);
    put32(f.b, p + 24, 3);
    w.record(2, f.b.data() + p, 72);
    w.finish();
    EXPECT_EQ(w.bytes_written(), 16u + (8 + 4 + 5 + 15) + (8 + 72) + 8);
  }
  ASSERT_TRUE(is_recording(path));
  const Trace t = read_recording(path);
  ASSERT_EQ(t.api.size(), 1u);
  EXPECT_EQ(t.str(t.api.name[0]), "cudaMemcpyAsync");
  EXPECT_EQ(t.api.kind[0], ApiKind::MemcpyAsync);
  EXPECT_EQ(t.api.start[0], 777);
  EXPECT_EQ(t.meta.at("recording.complete"), "true");
  std::filesystem::remove(path);
  EXPECT_FALSE(is_recording(path));
}

// A recording read from its file (a private mapping, mapped in a window at a time and dropped
// behind the reader: SequentialPages) gives the tables the same bytes give from memory, over a file
// of several windows whose records straddle window and block boundaries.
TEST(RecordingReader, MappedFileReadInWindowsEqualsBytesInMemory) {
  File f(2);
  f.meta("api.0", "cudaLaunchKernel");
  constexpr uint32_t kRows = 260000;  // 88-byte switch records and 80-byte API records: ~22 MB
  for (uint32_t i = 0; i < kRows; ++i) {
    const uint64_t ts = 1000 + (static_cast<uint64_t>(i) * 7919) % 1000003;  // out of time order
    size_t p = f.event(3, 80, i % 2, ts, 100, 100);
    put32(f.b, p + 24, 700), put32(f.b, p + 28, 700 + i % 50), put64(f.b, p + 32, i % 3), put32(f.b, p + 40, 0);
    putstr(f.b, p + 48, "main"), putstr(f.b, p + 64, "n" + std::to_string(i % 11));
    if (i % 2 == 0) {
      p = f.event(2, 72, i % 2, ts + 3, 100, 100);
      put32(f.b, p + 24, 0), put32(f.b, p + 28, 2), put64(f.b, p + 40, i);
    }
  }
  f.rec(9, 0);  // END
  ASSERT_GT(f.b.size(), size_t{20} << 20);
  const infertrace::TempDir tmp("infertrace-windows");
  const std::string path = (tmp.path / "big.itrace").string();
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(f.b.data()), static_cast<std::streamsize>(f.b.size()));
  }
  const Trace mem = read(f), mapped = load_trace(path);
  ASSERT_EQ(mapped.switches.size(), kRows);
  ASSERT_EQ(mem.switches.size(), kRows);
  EXPECT_EQ(mapped.switches.ts, mem.switches.ts);
  EXPECT_EQ(mapped.switches.next_tid, mem.switches.next_tid);
  EXPECT_EQ(mapped.switches.prev_state, mem.switches.prev_state);
  size_t comm_differs = 0;
  for (size_t k = 0; k < kRows; ++k) comm_differs += mapped.str(mapped.switches.next_comm[k]) != mem.str(mem.switches.next_comm[k]);
  EXPECT_EQ(comm_differs, 0u);
  ASSERT_EQ(mapped.api.size(), kRows / 2);
  EXPECT_EQ(mapped.api.start, mem.api.start);
  EXPECT_EQ(mapped.api.stream, mem.api.stream);
  EXPECT_EQ(mapped.meta.at("recording.complete"), "true");
  EXPECT_EQ(mem.meta.at("recording.complete"), "true");
}

TEST(RecordingExports, CsvRowsAndEmptyUnknowns) {
  File f = sample();
  const Trace t = read(f);
  // The directory exists, as the CLI makes it (cli/export_outputs.h); unique per run.
  const infertrace::TempDir tmp("infertrace-csv");
  const std::filesystem::path& dir = tmp.path;
  write_csv_tables(t, dir.string());
  EXPECT_EQ(slurp(dir / "launches.csv"),
            "ts_ns,pid,tid,cpu,api,dur_ns,stream\n2000,100,101,1,cudaLaunchKernel,500,7\n3000,100,101,1,cuLaunchKernel,,9\n");
  EXPECT_EQ(slurp(dir / "irqs.csv"),
            "ts_ns,cpu,kind,irq,name,dur_ns,pid,tid,source\n5500,1,soft,1,TIMER,300,100,101,softirq\n5600,1,hard,33,nvme0q1,200,100,101,device\n");
  EXPECT_EQ(slurp(dir / "syscalls.csv"),
            "ts_ns,pid,tid,nr,name,dur_ns,ret\n5200,100,101,110,getppid,100,42\n5300,100,100,1,write,10,-9\n");
  EXPECT_EQ(slurp(dir / "wakeups.csv"), "ts_ns,cpu,pid,tid,waker_pid,waker_tid\n4900,1,100,101,100,100\n");
  const std::string sw = slurp(dir / "switches.csv");
  EXPECT_NE(sw.find("4000,1,100,101,worker,1,0,0,0,swapper/1\n"), std::string::npos) << sw;
  EXPECT_NE(sw.find("6000,1,100,101,worker,0,1,555,555,other\n"), std::string::npos) << sw;
  // Thread 100 first appears as the waker of the wake-up at 4900, last at the end of its write.
  EXPECT_EQ(slurp(dir / "threads.csv"), "pid,tid,comm,first_ts_ns,last_ts_ns\n100,100,,4900,5310\n100,101,worker,1000,6000\n");
}

TEST(RecordingExports, ChromeJsonTracks) {
  File f = sample();
  const Trace t = read(f);
  const infertrace::TempDir tmp("infertrace-chrome");  // unique: other checkouts run ctest too
  const auto path = tmp.path / "chrome.json";
  write_chrome_json(t, path.string());
  const auto j = nlohmann::json::parse(slurp(path));
  int api = 0, sys = 0, irq = 0;
  std::vector<nlohmann::json> oncpu;
  for (auto& e : j["traceEvents"]) {
    const std::string cat = e.value("cat", "");
    api += cat == "cuda_runtime" || cat == "cuda_driver";  // Kineto's categories, so the file reads back
    sys += cat == "syscall";
    irq += cat == "softirq" || cat == "hardirq";
    if (cat == "on_cpu") oncpu.push_back(e);
  }
  EXPECT_EQ(api, 2);
  EXPECT_EQ(sys, 2);
  EXPECT_EQ(irq, 2);
  // Each syscall and IRQ slice carries its own record's values: getppid returned 42 (nr 110), write
  // -9 (nr 1); TIMER is a softirq (vector 1) and nvme0q1 a hard IRQ (33), both taken from thread 101.
  std::map<std::string, nlohmann::json> by_name;
  for (auto& e : j["traceEvents"])
    if (e.value("ph", "") == "X") by_name[e.value("name", "")] = e;
  ASSERT_TRUE(by_name.count("getppid") && by_name.count("write"));
  EXPECT_EQ(by_name["getppid"]["args"]["ret"], 42);
  EXPECT_EQ(by_name["getppid"]["args"]["nr"], 110);
  EXPECT_EQ(by_name["write"]["args"]["ret"], -9);
  EXPECT_EQ(by_name["write"]["args"]["nr"], 1);
  ASSERT_TRUE(by_name.count("softirq TIMER") && by_name.count("irq nvme0q1"));
  EXPECT_EQ(by_name["softirq TIMER"]["cat"], "softirq");
  EXPECT_EQ(by_name["softirq TIMER"]["args"]["softirq_vector"], 1);
  EXPECT_EQ(by_name["irq nvme0q1"]["cat"], "hardirq");
  EXPECT_EQ(by_name["irq nvme0q1"]["args"]["irq"], 33);
  EXPECT_EQ(by_name["irq nvme0q1"]["args"]["tid"], 101);
  // 101's first switch (4000 ns, CPU 1) takes it off the CPU: it was on CPU 1 from its first
  // on-CPU event, the cudaLaunchKernel at 2000 ns (not the TASK record of its creation at 1000),
  // until it blocked (state 1). Then from the switch at 5000 ns to its preemption at 6000 ns.
  ASSERT_EQ(oncpu.size(), 2u);
  std::sort(oncpu.begin(), oncpu.end(), [](auto& a, auto& b) { return a["ts"].template get<double>() < b["ts"].template get<double>(); });
  EXPECT_EQ(oncpu[0]["tid"], 1);
  EXPECT_DOUBLE_EQ(oncpu[0]["ts"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(oncpu[0]["dur"].get<double>(), 2.0);
  EXPECT_EQ(oncpu[0]["args"]["end_state"], 1);
  EXPECT_EQ(oncpu[0]["args"]["preempted"], false);
  EXPECT_EQ(oncpu[1]["tid"], 1);
  EXPECT_DOUBLE_EQ(oncpu[1]["ts"].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(oncpu[1]["dur"].get<double>(), 1.0);
  EXPECT_EQ(oncpu[1]["args"]["preempted"], true);
  // The slice from the switch at 5000 (swapper/1 -> worker) is the incoming thread's: 100/101.
  EXPECT_EQ(oncpu[1]["args"]["pid"], 100);
  EXPECT_EQ(oncpu[1]["args"]["tid"], 101);
  EXPECT_FALSE(by_name.count("events lost"));  // no LOSS record, no loss track
  std::filesystem::remove(path);
}

// The recorder's loss windows, as --perfetto has them (review FMT L2: --chrome had none): one
// "events lost" slice per window (its first to its last lost timestamp) on a thread per CPU of a
// "recorder loss" process, with lost_total and lost_TYPE args.
TEST(RecordingExports, ChromeJsonLossWindows) {
  Trace t;
  const auto window = [&](ns_t first, ns_t last, int32_t cpu, int64_t api, int64_t sw) {
    t.loss_windows.push_back(make_loss_window(first, last, cpu, api, sw));
  };
  window(2'000, 4'500, 0, 5, 2);
  window(3'000, 3'500, 1, 0, 4);
  window(7'000, 7'000, -1, 1, 0);
  const infertrace::TempDir tmp("infertrace-chrome-loss");
  const auto path = tmp.path / "chrome.json";
  write_chrome_json(t, path.string());
  const auto j = nlohmann::json::parse(slurp(path));
  std::map<std::pair<int64_t, int64_t>, std::string> names;  // (pid, tid) -> thread name
  std::map<int64_t, std::string> process;                     // pid -> process name
  std::vector<nlohmann::json> lost;
  for (auto& e : j["traceEvents"]) {
    if (e.value("name", "") == "process_name") process[e["pid"].get<int64_t>()] = e["args"]["name"];
    if (e.value("name", "") == "thread_name")
      names[{e["pid"].get<int64_t>(), e["tid"].get<int64_t>()}] = e["args"]["name"];
    if (e.value("cat", "") == "recorder_loss") lost.push_back(e);
  }
  ASSERT_EQ(lost.size(), 3u);
  const int64_t pid = lost[0]["pid"];
  EXPECT_EQ(process[pid], "recorder loss");
  EXPECT_EQ(names[std::make_pair(pid, int64_t{0})], "CPU 0 loss");
  EXPECT_EQ(names[std::make_pair(pid, int64_t{1})], "CPU 1 loss");
  EXPECT_EQ(names[std::make_pair(pid, int64_t{-1})], "unknown CPU loss");
  for (size_t i = 0; i < 3; ++i) {
    const LossWindow& w = t.loss_windows[i];
    const auto& e = lost[i];
    EXPECT_EQ(e["name"], "events lost");
    EXPECT_EQ(e["ph"], "X");
    EXPECT_EQ(e["pid"], pid);
    EXPECT_EQ(e["tid"], w.cpu);
    EXPECT_DOUBLE_EQ(e["ts"].get<double>(), static_cast<double>(w.first) / 1000.0);
    EXPECT_DOUBLE_EQ(e["dur"].get<double>(), static_cast<double>(w.last - w.first) / 1000.0);
    EXPECT_EQ(e["args"]["lost_total"], w.total());
    for (const auto& [type, n] : w.lost) EXPECT_EQ(e["args"]["lost_" + type], n) << type;
    EXPECT_EQ(e["args"].size(), 1 + w.lost.size());
  }
}

}  // namespace
}  // namespace infertrace

namespace infertrace {
namespace {

// Launch geometry from API records with flag 4 (docs/recording-format.md: grid[3] at payload 48,
// block[3] at 60) reaches the Trace and the Chrome slices; a record without the flag has none,
// and a flagged grid of 0 (a launch that failed on it) is kept as given.
TEST(RecordingExports, ApiGeometryFromFlaggedRecords) {
  File f = sample();
  auto launch = [&](uint64_t ts, uint32_t api, std::vector<uint32_t> dims) {
    const size_t p = f.event(2, 72, 1, ts, 100, 100);
    put32(f.b, p + 24, api);
    put32(f.b, p + 28, 4);  // geometry only
    for (int k = 0; k < 6; ++k) put32(f.b, p + 48 + 4 * k, dims[k]);
  };
  launch(7000, 0, {0, 1, 1, 32, 1, 1});  // the first flagged call has a grid of 0: kept, known
  launch(8000, 1, {4, 2, 1, 64, 1, 1});
  const Trace t = read(f);
  ASSERT_EQ(t.api.size(), 4u);  // the sample's two calls, then these (sorted by time)
  EXPECT_FALSE(t.api.has_geometry(0));
  EXPECT_FALSE(t.api.has_geometry(1));
  ASSERT_TRUE(t.api.has_geometry(2));
  EXPECT_EQ(t.api.geometry[2].grid[0], 0u);
  EXPECT_EQ(t.api.geometry[2].block[0], 32u);
  ASSERT_TRUE(t.api.has_geometry(3));
  EXPECT_EQ(t.api.geometry[3].grid[0], 4u);
  EXPECT_EQ(t.api.geometry[3].grid[1], 2u);
  EXPECT_EQ(t.api.geometry[3].block[0], 64u);

  const infertrace::TempDir tmp("infertrace-chrome-geometry");  // unique: other checkouts run ctest too
  const auto path = tmp.path / "chrome.json";
  write_chrome_json(t, path.string());
  const auto j = nlohmann::json::parse(slurp(path));
  std::filesystem::remove(path);
  std::map<double, nlohmann::json> api_args;  // by ts (us)
  for (auto& e : j["traceEvents"]) {
    const std::string cat = e.value("cat", "");
    if (cat == "cuda_runtime" || cat == "cuda_driver") api_args[e["ts"].get<double>()] = e.value("args", nlohmann::json::object());
  }
  ASSERT_EQ(api_args.size(), 4u);
  EXPECT_FALSE(api_args[2.0].contains("grid"));  // cudaLaunchKernel at 2000 ns: no flag
  EXPECT_FALSE(api_args[3.0].contains("grid"));
  EXPECT_EQ(api_args[7.0]["grid"], nlohmann::json::parse("[0, 1, 1]"));
  EXPECT_EQ(api_args[7.0]["block"], nlohmann::json::parse("[32, 1, 1]"));
  EXPECT_EQ(api_args[8.0]["grid"], nlohmann::json::parse("[4, 2, 1]"));
  EXPECT_EQ(api_args[8.0]["block"], nlohmann::json::parse("[64, 1, 1]"));
}

}  // namespace
}  // namespace infertrace

namespace infertrace {
namespace {

// An UNTRACED record (review RC M2): a child the full traced set could not take. It is in no table,
// its switches against a traced thread are an outsider's side, and a recording cut before its stop
// (no META untraced.*) gets the count and the pids from the records; the recorder's META wins.
TEST(RecordingReader, UntracedChildIsNoThreadOfTheTrace) {
  for (const bool with_meta : {false, true}) {
    File f = sample();
    size_t p = f.event(IT_EV_UNTRACED, 48, 0, 6500, 777, 777);
    put32(f.b, p + 24, IT_TASK_NEW);
    put32(f.b, p + 28, 100);
    putstr(f.b, p + 32, "parent");
    p = f.event(IT_EV_UNTRACED, 48, 0, 6600, 778, 778);
    put32(f.b, p + 24, IT_TASK_NEW);
    // The untraced child runs after traced thread 101 and hands back to it.
    p = f.event(3, 80, 1, 7000, 100, 101);
    put32(f.b, p + 24, 777), put32(f.b, p + 28, 777), put64(f.b, p + 32, 1);
    putstr(f.b, p + 48, "worker"), putstr(f.b, p + 64, "parent");
    p = f.event(3, 80, 1, 7100, 777, 777);
    put32(f.b, p + 24, 100), put32(f.b, p + 28, 101), put64(f.b, p + 32, 1);
    putstr(f.b, p + 48, "parent"), putstr(f.b, p + 64, "worker");
    if (with_meta) f.meta("untraced.processes", "5"), f.meta("untraced.pids", "777,778,779");
    const Trace t = read(f);
    for (size_t i = 0; i < t.threads.size(); ++i) {
      EXPECT_NE(t.threads.pid[i], 777) << with_meta;
      EXPECT_NE(t.threads.pid[i], 778) << with_meta;
    }
    for (size_t i = 0; i < t.tasks.size(); ++i) EXPECT_NE(t.tasks.pid[i], 777) << with_meta;
    EXPECT_EQ(t.skipped.count("unknown_record_type"), 0u);
    EXPECT_EQ(t.meta.at("untraced.processes"), with_meta ? "5" : "2");
    EXPECT_EQ(t.meta.at("untraced.pids"), with_meta ? "777,778,779" : "777,778");
  }
}

// Review SC M1: 8 bytes of 0xff in the middle of a complete recording gave one API record a stamp
// 2.7 days past the recording's end and CPU -65535 on a 2-CPU machine; the reader kept it and
// `sched` widened its wall to 2.7 days. A stamp outside META's window by more than an hour (or the
// window's length), or a CPU id no kernel can have, is now corruption at that record's offset; real
// late events (review DF F1/F2: a left-running process until the probes detach, CUPTI during the
// stop grace, tens of seconds) and CPU ids above META cpus (DF F3: gaps in the possible list) are
// kept. The sample's events run 1000..6000 ns.
TEST(RecordingReader, StampFarOutsideTheWindowOrCpuBeyondAnyKernelIsCorruption) {
  constexpr uint64_t kSecond = 1'000'000'000, kHour = 3600 * kSecond;
  const auto windowed = [](uint64_t from, uint64_t to) {
    File f = sample();
    f.meta("cpus", "2");
    f.meta("recorded_from_ns", std::to_string(from));
    f.meta("recorded_to_ns", std::to_string(to));
    f.rec(9, 0);  // END: a complete recording
    return f;
  };
  // The API record at 3000, found by its stamp.
  const auto api_at_3000 = [](const File& f) {
    for (size_t off = 16; off + 8 <= f.b.size();) {
      uint32_t type, len;
      uint64_t ts = 0;
      std::memcpy(&type, &f.b[off], 4), std::memcpy(&len, &f.b[off + 4], 4);
      if (type == 2) std::memcpy(&ts, &f.b[off + 16], 8);
      if (type == 2 && ts == 3000) return off;
      off += 8 + len;
    }
    return size_t{0};
  };
  EXPECT_EQ(read(windowed(1000, 6000)).api.size(), 2u);
  // Events 59 min before an instant window, and 30 s after one: edges a real recording can have.
  EXPECT_EQ(read(windowed(1000 + 59 * 60 * kSecond, 1000 + 59 * 60 * kSecond)).api.size(), 2u);
  File late_edge = windowed(1000, 2000);
  const size_t api_at = api_at_3000(late_edge);
  ASSERT_NE(api_at, 0u);
  put64(late_edge.b, api_at + 8 + 8, 2000 + 30 * kSecond);
  EXPECT_EQ(read(late_edge).api.size(), 2u);

  // 2^48 - 1 ns: 3.3 days after.
  File late = windowed(1000, 6000);
  put64(late.b, api_at + 8 + 8, (uint64_t{1} << 48) - 1);
  try {
    read(late);
    ADD_FAILURE() << "read an API record stamped 3.3 days after the recording's end";
  } catch (const InputError& e) {
    EXPECT_EQ(e.offset(), static_cast<int64_t>(api_at));
    EXPECT_NE(std::string(e.what()).find("after the recording's end"), std::string::npos) << e.what();
  }
  // Every event 2 h before the start.
  try {
    read(windowed(2 * kHour, 2 * kHour + 6000));
    ADD_FAILURE() << "read events stamped 2 h before the recording's start";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("before the recording's start"), std::string::npos) << e.what();
  }
  // A window longer than the hour widens the slack: 2 h long, an event 1.5 h after its end is kept,
  // one 2.5 h after is not.
  File longer = windowed(1000, 1000 + 2 * kHour);
  put64(longer.b, api_at + 8 + 8, 1000 + 2 * kHour + 3 * kHour / 2);
  EXPECT_EQ(read(longer).api.size(), 2u);
  put64(longer.b, api_at + 8 + 8, 1000 + 2 * kHour + 5 * kHour / 2);
  EXPECT_THROW(read(longer), InputError);

  // CPU -65535 (0xffff0001) on a switch: beyond any kernel's CPUs.
  File cpu = windowed(1000, 6000);
  size_t sw_at = 0;
  for (size_t off = 16; off + 8 <= cpu.b.size();) {
    uint32_t type, len;
    std::memcpy(&type, &cpu.b[off], 4), std::memcpy(&len, &cpu.b[off + 4], 4);
    if (type == 3 && !sw_at) sw_at = off;
    off += 8 + len;
  }
  ASSERT_NE(sw_at, 0u);
  put32(cpu.b, sw_at + 8 + 4, 0xffff0001u);
  try {
    read(cpu);
    ADD_FAILURE() << "read a switch on CPU 0xffff0001";
  } catch (const InputError& e) {
    EXPECT_EQ(e.offset(), static_cast<int64_t>(sw_at));
    EXPECT_NE(std::string(e.what()).find("names CPU 4294901761 on a machine with 2 possible CPUs"), std::string::npos)
        << e.what();
  }
  put32(cpu.b, sw_at + 8 + 4, 8192);  // the first id no kernel has
  EXPECT_THROW(read(cpu), InputError);
  put32(cpu.b, sw_at + 8 + 4, 5);  // above META cpus 2: a possible list with gaps, kept
  EXPECT_EQ(read(cpu).switches.size(), 3u);
  // A wake-up's target CPU (payload byte 32) is a CPU field too.
  File wake = windowed(1000, 6000);
  for (size_t off = 16; off + 8 <= wake.b.size();) {
    uint32_t type, len;
    std::memcpy(&type, &wake.b[off], 4), std::memcpy(&len, &wake.b[off + 4], 4);
    if (type == 4) put32(wake.b, off + 8 + 32, 70000);
    off += 8 + len;
  }
  EXPECT_THROW(read(wake), InputError);
  // CPU 0xffffffff is -1, an unknown CPU.
  File unknown = windowed(1000, 6000);
  put32(unknown.b, api_at + 8 + 4, 0xffffffffu);
  EXPECT_EQ(read(unknown).api.size(), 2u);
  // Without META's window and cpus (recordings made before 2026-12-05) nothing is judged.
  File old = sample();
  put64(old.b, api_at + 8 + 8, (uint64_t{1} << 48) - 1);
  put32(old.b, sw_at + 8 + 4, 0xffff0001u);
  EXPECT_EQ(read(old).api.size(), 2u);
}

}  // namespace
}  // namespace infertrace
