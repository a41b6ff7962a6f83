// Which API calls and operators make a thread row in a Kineto trace: one whenever both the pid and
// the tid are given (a number, -1 included, or a name), whichever of the sink's two paths (plain
// numbers, or a named or below -1 id) reads the event (docs/ingest.md, "Named pids and tids"). And
// a process_name event numbers its pid only, not the tid it carries.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "kineto_reading.h"
#include "kineto_test_util.h"

using namespace infertrace;
using namespace infertrace::testing_kineto;

namespace {

std::string op(const std::string& ids, int ts) {
  return R"({"ph": "X", "cat": "cpu_op", "name": "o", "dur": 1, "ts": )" + std::to_string(ts) + ", " + ids + "}";
}

// The document read three ways (cut between every two events with the direct scan, the same with the
// on-demand reader, and whole), which must agree; the first reading.
Trace read_agreed(const std::vector<std::string>& events) {
  std::string body;
  for (const std::string& e : events) body += (body.empty() ? "" : ",\n") + e;
  const std::string d = "{\"traceEvents\": [" + body + "]}";
  Reading scan = read_doc(d, 1, true), on_demand = read_doc(d, 1, false), whole = read_doc(d, 0, true);
  EXPECT_EQ(scan.error, "");
  EXPECT_EQ(on_demand.error, "");
  EXPECT_EQ(whole.error, "");
  for (Reading* r : {&scan, &on_demand, &whole}) strip_ingest_meta(r->trace);
  expect_same_trace(scan.trace, on_demand.trace);
  expect_same_trace(scan.trace, whole.trace);
  return std::move(scan.trace);
}

struct Row {
  int64_t pid, tid;
  std::string comm;
  bool operator==(const Row& o) const { return pid == o.pid && tid == o.tid && comm == o.comm; }
};

std::vector<Row> threads_of(const Trace& t) {
  std::vector<Row> rows;
  for (size_t i = 0; i < t.threads.size(); ++i)
    rows.push_back({t.threads.pid[i], t.threads.tid[i], std::string(t.str(t.threads.comm[i]))});
  return rows;
}

void PrintTo(const Row& r, std::ostream* os) { *os << "(" << r.pid << ", " << r.tid << ", \"" << r.comm << "\")"; }

TEST(KinetoThreadRows, BothFieldsGivenMakeARowOnEitherPath) {
  const Trace t = read_agreed({
      op(R"("pid": -2, "tid": -1)", 10),   // named path (pid below -1): pid -2 ("-2"), a row
      op(R"("pid": -1, "tid": -3)", 11),   // named path (tid): tid -2 ("-3"), a row
      op(R"("pid": -1, "tid": 6)", 12),    // plain path: a row
      op(R"("pid": 5, "tid": -1)", 13),    // plain path: a row
      op(R"("pid": -1, "tid": -1)", 14),   // plain path, both "none" but given: a row
      R"({"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "ts": 15, "dur": 1, "pid": "A", "tid": -1,
          "args": {"correlation": 3}})",  // an API call, named pid -3 ("A"), a row
      op(R"("pid": -1, "tid": "B")", 16),  // tid -3 ("B"), a row
      op(R"("pid": "A")", 17),             // no tid: no row (named path)
      op(R"("tid": "B")", 18),             // no pid: no row (named path)
      op(R"("pid": 5)", 19),               // no tid: no row (plain path)
      op(R"("pid": "A", "tid": true)", 20),  // a tid of a wrong type is none, not given: no row
      op(R"("pid": null, "tid": 8)", 21),    // a null pid is none, not given: no row (plain path)
      op(R"("pid": "C", "tid": null)", 22),  // a null tid: no row (named path), pid -4 ("C")
  });
  EXPECT_TRUE(t.skipped.empty());
  ASSERT_EQ(t.ops.size(), 12u);
  const int64_t pid[] = {-2, -1, -1, 5, -1, -1, -3, -1, 5, -3, -1, -4},
                tid[] = {-1, -2, 6, -1, -1, -3, -1, -3, -1, -1, 8, -1};
  for (size_t i = 0; i < 12; ++i) {
    EXPECT_EQ(t.ops.pid[i], pid[i]) << i;
    EXPECT_EQ(t.ops.tid[i], tid[i]) << i;
  }
  ASSERT_EQ(t.api.size(), 1u);
  EXPECT_EQ(t.api.pid[0], -3);
  EXPECT_EQ(t.api.tid[0], -1);
  // Sorted by pid, then tid; a named tid's thread is called by its name.
  const std::vector<Row> want = {{-3, -1, ""}, {-2, -1, ""}, {-1, -3, "B"}, {-1, -2, "-3"},
                                 {-1, -1, ""}, {-1, 6, ""},  {5, -1, ""}};
  EXPECT_EQ(threads_of(t), want);
  // Both named pids ran a thread, so both processes are named (once (-2, -1) had no row, and its
  // process lost its name).
  EXPECT_EQ(t.meta.at("process_name.-2"), "-2");
  EXPECT_EQ(t.meta.at("process_name.-3"), "A");
  EXPECT_EQ(t.meta.count("process_name.-4"), 0u);  // "C" ran no thread
}

TEST(KinetoThreadRows, ProcessNameNumbersItsPidOnly) {
  // The tid of a process_name event names nothing: "x" must not take -2 from "main".
  const Trace t = read_agreed({
      R"({"ph": "M", "name": "process_name", "pid": 7, "tid": "x", "args": {"name": "server"}})",
      R"({"ph": "M", "name": "process_name", "pid": "P", "tid": -9, "args": {"name": "the P"}})",
      op(R"("pid": 7, "tid": "main")", 10),
      op(R"("pid": "P", "tid": -9)", 11),
  });
  const std::vector<Row> want = {{-2, -3, "-9"}, {7, -2, "main"}};
  EXPECT_EQ(threads_of(t), want);
  EXPECT_EQ(t.meta.at("process_name.7"), "server");
  EXPECT_EQ(t.meta.at("process_name.-2"), "the P");
}

}  // namespace
