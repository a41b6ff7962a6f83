// Differential test of the direct event scan (src/ingest/kineto/event_scan_impl.h) against the simdjson
// on-demand reader: for many generated events (key orders, whitespace, escapes, numbers with
// exponents, signs and too many digits, missing fields, values of unexpected types, old and new
// category spellings, duplicate keys, nesting) and for corrupted copies of those documents, reading
// with the direct scan on and off must fill identical tables and end with identical errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "ingest/input_buffer.h"
#include "ingest/kineto/kineto_reader.h"
#include "kineto_reading.h"
#include "kineto_test_util.h"
#include "util/error.h"

using namespace infertrace;
using namespace infertrace::testing_kineto;

namespace {

class EventGenerator {
 public:
  explicit EventGenerator(uint32_t seed) : rng_(seed) {}

  std::string document(int events) {
    std::string d = pick({"{\"schemaVersion\": 1, \"traceEvents\": [", "{\"traceEvents\":[\n", "["});
    const bool array_form = d == "[";
    for (int i = 0; i < events; ++i) {
      if (i) d += pick({",", ",\n  ", " , "});
      d += one_in(40) ? pick({"1", "\"x\"", "[]", "null", "[{\"ph\":\"X\"}]"}) : event();
    }
    d += array_form ? "]" : pick({"]}", "],\n\"traceName\": \"t\"}", "] , \"displayTimeUnit\":\"ms\" }"});
    return d;
  }

 private:
  bool one_in(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_) == 0; }
  std::string pick(std::initializer_list<const char*> xs) {
    const std::vector<const char*> v(xs);
    return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng_)];
  }
  // Up to 71 bytes: runs longer than the scan's 32-byte whitespace blocks, as Kineto's indentation is.
  std::string ws() {
    return one_in(2) ? "" : pick({" ", "\n", "\t", "  \r\n ", " ", "\n      ", "\n                                \t ",
                                  "                                                    \r\n                 "});
  }

  std::string ph() { return one_in(6) ? pick({"\"M\"", "\"s\"", "\"f\"", "\"i\"", "\"\"", "\"XX\"", "5", "null", "\"\\u0058\""}) : "\"X\""; }
  std::string cat() {
    return pick({"\"kernel\"", "\"Kernel\"", "\"gpu_memcpy\"", "\"Memcpy\"", "\"gpu_memset\"", "\"Memset\"",
                 "\"cuda_runtime\"", "\"Runtime\"", "\"cuda_driver\"", "\"cpu_op\"", "\"Operator\"",
                 "\"user_annotation\"", "\"ac2g\"", "\"ker\\u006eel\"", "7", "[]", "\"cpu_op\""});
  }
  std::string name() {
    return pick({"\"k\"", "\"aten::mm\"", "\"a\\\"b\"", "\"a\\u0007b\"", "\"\"", "42", "\"h\xc3\xa9llo \xe2\x82\xac\"",
                 "\"thread_name\"", "\"process_name\"", "\"void gemm<float, 128>(float const*, int)\"", "{}"});
  }
  std::string time() {
    return pick({"4488795122194.149", "1", "0", "-0", "-5.5", "1e3", "1.5E-3", "1.2345678", "12345678901234567",
                 "99999999999999999999", "\"12\"", "true", "null", "0.1", "123456789012345", "1234567890123456",
                 "9223372036854775.807", "1.0000", "10.25", "7.000", "0.0005", "-0.0", "1E+2", "3.5e0",
                 "4488795122194.1", "4488795122194.14", "12345678.123"});
  }
  std::string id() {
    return pick({"439", "\"439\"", "\"abc\"", "\"\"", "-1", "1e2", "1.5", "99999999999999999999", "null", "{\"a\":1}",
                 "[1]", "0", "2147483648", "-9223372036854775808", "9223372036854775807", "9223372036854775808",
                 "\" 12\"", "\"12 \"", "12345678", "123456789", "1234567890123456789", "false", "\"CPU functions\"",
                 "\"a\\u0062c\"", "\"-7\"", "\"+7\"", "\"007\"", "\"\\u0037\"", "\"99999999999999999999\"",
                 "\"-9223372036854775808\"", "-2", "\"-2\"", "\"-007\""});
  }
  std::string dims() {
    return pick({"[1, 2, 3]", "[1,2]", "[1,2,3,4]", "[\"a\",1,2]", "[[1],2,3]", "[-1, 4294967296, 5]", "5",
                 "[]", "[ 264 , 2 , 1 ]", "[1.5, 2, 3]", "{\"x\":1}"});
  }
  std::string other_value() {
    return pick({"[[1, 2], []]", "{\"y\": [true, false, null]}", "0.004634994206257242", "\"e\"", "211", "4.0",
                 "[[[[[[[[[[1]]]]]]]]]]", "\"with \\\\ backslash\"", "-1.5e-7", "\"\xf0\x9f\x98\x80\"", "{}", "[]"});
  }

  // The keys of one of Kineto's usual args layouts (the scan reads these orders as straight code),
  // in order, each with a value of the right or of a wrong shape, cut short at a random point.
  std::vector<std::string> kineto_args_prefix() {
    static const std::vector<std::vector<const char*>> layouts = {
        {"External id", "Record function id", "Ev Idx"},
        {"External id", "cbid", "correlation"},
        {"External id", "queued", "device", "context", "stream", "correlation", "registers per thread", "shared memory",
         "blocks per SM", "warps per SM", "grid", "block", "est. achieved occupancy %"}};
    const auto& keys = layouts[std::uniform_int_distribution<size_t>(0, layouts.size() - 1)(rng_)];
    const size_t n = one_in(3) ? std::uniform_int_distribution<size_t>(0, keys.size())(rng_) : keys.size();
    std::vector<std::string> f;
    for (size_t i = 0; i < n; ++i) {
      const std::string k = keys[i];
      std::string v = k == "grid" || k == "block" ? dims() : one_in(4) ? other_value() : id();
      if (!one_in(3)) v = k == "grid" || k == "block" ? "[512, 1, 1]" : k == "blocks per SM" ? "3.878788" : "568120";
      f.push_back("\"" + k + "\":" + (one_in(4) ? ws() : " ") + v);
    }
    return f;
  }

  std::string args() {
    if (one_in(12)) return pick({"[]", "5", "\"s\"", "null"});
    std::vector<std::string> f = one_in(3) ? kineto_args_prefix() : std::vector<std::string>{};
    const int n = std::uniform_int_distribution<int>(0, f.empty() ? 7 : 2)(rng_);
    for (int i = 0; i < n; ++i) {
      switch (std::uniform_int_distribution<int>(0, 10)(rng_)) {
        case 0: f.push_back("\"External id\":" + ws() + id()); break;
        case 1: f.push_back("\"external id\":" + id()); break;
        case 2: f.push_back("\"correlation\"" + ws() + ":" + id()); break;
        case 3: f.push_back("\"stream\": " + id()); break;
        case 4: f.push_back("\"device\": " + id()); break;
        case 5: f.push_back("\"grid\": " + dims()); break;
        case 6: f.push_back("\"block\": " + dims()); break;
        case 7: f.push_back("\"name\": " + name()); break;
        case 8: f.push_back("\"corr\\u0065lation\": 5"); break;
        default:
          f.push_back("\"" + pick({"queued", "Input Dims", "cbid", "est. achieved occupancy %", "x", "Record function id",
                                   "Ev Idx", "context", "registers per thread", "shared memory", "blocks per SM",
                                   "warps per SM", "est. achieved occupancy"}) +
                      "\": " + other_value());
      }
    }
    std::string s = "{" + ws();
    for (size_t i = 0; i < f.size(); ++i) s += (i ? (one_in(3) ? "," + ws() : ", ") : "") + f[i];
    return s + ws() + "}";
  }

  std::string event() {
    std::vector<std::string> f;
    if (!one_in(15)) f.push_back("\"ph\": " + ph());
    if (!one_in(15)) f.push_back("\"cat\": " + cat());
    if (!one_in(15)) f.push_back("\"name\": " + name());
    if (!one_in(10)) f.push_back("\"pid\": " + id());
    if (!one_in(10)) f.push_back("\"tid\": " + id());
    if (!one_in(12)) f.push_back("\"ts\": " + time());
    if (!one_in(12)) f.push_back("\"dur\": " + time());
    if (!one_in(6)) f.push_back("\"args\": " + args());
    if (one_in(4)) f.push_back("\"" + pick({"id", "bp", "s", "deep", "p\\u0068"}) + "\": " + other_value());
    if (one_in(10) && !f.empty()) f.push_back(f[std::uniform_int_distribution<size_t>(0, f.size() - 1)(rng_)]);  // a duplicate key
    if (one_in(10)) f.push_back("\"ph\": " + ph());  // a second ph, perhaps another one
    if (one_in(10)) f.push_back("\"ts\": " + time());
    std::shuffle(f.begin(), f.end(), rng_);
    std::string s = "{" + ws();
    for (size_t i = 0; i < f.size(); ++i) s += (i ? (one_in(3) ? "," + ws() : ", ") : "") + f[i];
    return s + ws() + "}";
  }

  std::mt19937 rng_;
};

void expect_same_reading(const std::string& doc, size_t chunk, int64_t* scanned = nullptr) {
  Reading on = read_doc(doc, chunk, true);
  Reading off = read_doc(doc, chunk, false);
  ASSERT_EQ(on.error, off.error) << doc;
  if (scanned) *scanned += direct_bytes(on.trace);
  if (!on.error.empty()) return;
  strip_ingest_meta(on.trace);
  strip_ingest_meta(off.trace);
  expect_same_trace(on.trace, off.trace);
}

}  // namespace

TEST(KinetoDirectScan, GeneratedEventsReadAsTheOnDemandReaderReadsThem) {
  EventGenerator gen(12345);
  int64_t scanned = 0;
  for (int doc = 0; doc < 300; ++doc) {
    const std::string d = gen.document(40);
    for (size_t chunk : {size_t(0), size_t(1), size_t(90), size_t(700), size_t(4000)}) {
      SCOPED_TRACE("document " + std::to_string(doc) + " chunk " + std::to_string(chunk));
      expect_same_reading(d, chunk, &scanned);
    }
  }
  // The direct scan really read a good part of it (it stops at the first unusual event of a piece).
  EXPECT_GT(scanned, 200000);
}

TEST(KinetoDirectScan, CorruptedDocumentsEndAsTheOnDemandReaderEndsThem) {
  EventGenerator gen(777);
  std::mt19937 rng(99);
  const std::string bytes[] = {"\"", "\\", "{", "}", "[", "]", ",", ":", "\x01", "\x0b", "\x0c", "\xff", "\xc3", "0", "-", ".", "e", " ", "x", "\"\"", "t"};
  int errors = 0, readings = 0;
  for (int doc = 0; doc < 400; ++doc) {
    std::string d = gen.document(12);
    const size_t at = std::uniform_int_distribution<size_t>(0, d.size() - 1)(rng);
    switch (doc % 3) {
      case 0: d.erase(at, 1); break;
      case 1: d.insert(at, bytes[rng() % std::size(bytes)]); break;
      default: d[at] = bytes[rng() % std::size(bytes)][0]; break;
    }
    for (size_t chunk : {size_t(0), size_t(1), size_t(60), size_t(300)}) {
      SCOPED_TRACE("document " + std::to_string(doc) + " chunk " + std::to_string(chunk));
      expect_same_reading(d, chunk);
      ++(read_doc(d, chunk, true).error.empty() ? readings : errors);
    }
  }
  EXPECT_GT(errors, 200);  // both outcomes are really exercised
  EXPECT_GT(readings, 200);
}

namespace {

// `d` in 3000-byte pieces: every middle piece read to its end by the direct scan, the tables of
// the expected sizes, and the same reading as the on-demand reader alone.
void expect_read_wholly_by_scan(const std::string& d, size_t gpu_rows, size_t api_rows, size_t op_rows) {
  const Reading on = read_doc(d, 3000, true);
  ASSERT_EQ(on.error, "");
  ASSERT_GT(std::stoul(on.trace.meta.at("ingest.pieces")), 10u);
  const int64_t first_and_last = 2 * 3000 + 2 * 1000;
  EXPECT_GT(direct_bytes(on.trace), static_cast<int64_t>(d.size()) - first_and_last);
  EXPECT_EQ(on.trace.gpu.size(), gpu_rows);
  EXPECT_EQ(on.trace.api.size(), api_rows);
  EXPECT_EQ(on.trace.ops.size(), op_rows);
  expect_same_reading(d, 3000);
}

}  // namespace

TEST(KinetoDirectScan, KinetoShapedPiecesAreReadWhollyByTheDirectScan) {
  // The shape PyTorch writes: every middle piece goes through the direct scan to its end.
  const std::string kernel =
      R"J({"ph": "X", "cat": "kernel", "name": "void at::native::vectorized_elementwise_kernel<4>(int)", "pid": 0, "tid": 7, "ts": 4488795412032.606, "dur": 4.128, "args": {"External id": 55136, "queued": 0, "device": 0, "context": 1, "stream": 7, "correlation": 55799, "registers per thread": 25, "shared memory": 0, "blocks per SM": 4.0, "warps per SM": 64.0, "grid": [264, 2, 1], "block": [512, 1, 1], "est. achieved occupancy %": 100}})J";
  const std::string flow = R"J({"ph": "f", "id": 55799, "pid": 0, "tid": 7, "ts": 4488795412032.606, "cat": "ac2g", "name": "ac2g", "bp": "e"})J";
  const std::string api =
      R"J({"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 439, "tid": 439, "ts": 4488795412021.425, "dur": 9.657, "args": {"External id": 55136, "cbid": 211, "correlation": 55799}})J";
  const std::string op =
      R"J({"ph": "X", "cat": "cpu_op", "name": "aten::empty", "pid": 439, "tid": 439, "ts": 4488795122194.149, "dur": 6.72, "args": {"External id": 1, "Record function id": 0, "Input Dims": [[1, 2], []], "Input type": ["float", ""], "Ev Idx": 0}})J";
  std::string d = "{\n  \"schemaVersion\": 1,\n  \"traceEvents\": [\n";
  for (int i = 0; i < 200; ++i) d += "  " + kernel + ",\n  " + flow + ",\n  " + api + ",\n  " + op + ",\n";
  d += "  " + op + "\n  ],\n  \"traceName\": \"t\"\n}";
  expect_read_wholly_by_scan(d, 200, 200, 201);
}

TEST(KinetoDirectScan, CompactJsonIsReadWhollyByTheDirectScan) {
  // json.dump(..., separators=(",", ":")): no space after ':' or ','. The scan compares its
  // members in that spelling when a piece starts so (only the speed depends on it).
  const std::string kernel =
      R"J({"ph":"X","cat":"kernel","name":"void at::native::vectorized_elementwise_kernel<4>(int)","pid":0,"tid":7,"ts":4488795412032.606,"dur":4.128,"args":{"External id":55136,"queued":0,"device":0,"context":1,"stream":7,"correlation":55799,"registers per thread":25,"shared memory":0,"blocks per SM":4.0,"warps per SM":64.0,"grid":[264,2,1],"block":[512,1,1],"est. achieved occupancy %":100}})J";
  const std::string flow = R"J({"ph":"f","id":55799,"pid":0,"tid":7,"ts":4488795412032.606,"cat":"ac2g","name":"ac2g","bp":"e"})J";
  const std::string api =
      R"J({"ph":"X","cat":"cuda_runtime","name":"cudaLaunchKernel","pid":439,"tid":439,"ts":4488795412021.425,"dur":9.657,"args":{"External id":55136,"cbid":211,"correlation":55799}})J";
  const std::string op =
      R"J({"ph":"X","cat":"cpu_op","name":"aten::empty","pid":439,"tid":439,"ts":4488795122194.149,"dur":6.72,"args":{"External id":1,"Record function id":0,"Ev Idx":0}})J";
  std::string d = "{\"schemaVersion\":1,\"traceEvents\":[";
  for (int i = 0; i < 200; ++i) d += kernel + "," + flow + "," + api + "," + op + ",";
  d += op + "],\"traceName\":\"t\"}";
  expect_read_wholly_by_scan(d, 200, 200, 201);
}

TEST(KinetoDirectScan, KinetoIndentedLayoutIsReadWhollyByTheDirectScan) {
  // The layout PyTorch 2.x's Kineto writes (as in the H100 fixtures): each event over several
  // indented lines, args separated by runs of spaces.
  const std::string kernel =
      "{\n    \"ph\": \"X\", \"cat\": \"kernel\", \"name\": \"nvjet_sm90_hsh_160x64_64x6_1x4_h_bz_bias_NNN\", \"pid\": 0, \"tid\": 7,\n"
      "    \"ts\": 4488795124961.277, \"dur\": 8.064,\n    \"args\": {\n"
      "      \"External id\": 134,      \"queued\": 0, \"device\": 0, \"context\": 1,      \"stream\": 7, \"correlation\": 518,"
      "      \"registers per thread\": 168,      \"shared memory\": 213220,      \"blocks per SM\": 0.909091,"
      "      \"warps per SM\": 10.909091,      \"grid\": [4, 30, 1],      \"block\": [384, 1, 1],"
      "      \"est. achieved occupancy %\": 0\n    }\n  }";
  const std::string flow =
      "{\n    \"ph\": \"f\", \"id\": 518, \"pid\": 0, \"tid\": 7, \"ts\": 4488795124961.277,\n"
      "    \"cat\": \"ac2g\", \"name\": \"ac2g\", \"bp\": \"e\"\n  }";
  const std::string api =
      "{\n    \"ph\": \"X\", \"cat\": \"cuda_driver\", \"name\": \"cuLaunchKernelEx\", \"pid\": 439, \"tid\": 439,\n"
      "    \"ts\": 4488795124950.047, \"dur\": 10.420,\n    \"args\": {\n"
      "      \"External id\": 134,      \"cbid\": 652, \"correlation\": 518\n    }\n  }";
  const std::string op =
      "{\n    \"ph\": \"X\", \"cat\": \"cpu_op\", \"name\": \"aten::view\", \"pid\": 439, \"tid\": 439,\n"
      "    \"ts\": 4488795121723.898, \"dur\": 36.818,\n    \"args\": {\n"
      "      \"External id\": 1,\"Record function id\": 0, \"Ev Idx\": 0\n    }\n  }";
  std::string d = "{\n  \"schemaVersion\": 1,\n  \"traceEvents\": [\n";
  for (int i = 0; i < 200; ++i) d += "  " + kernel + ",\n  " + flow + ",\n  " + api + ",\n  " + op + ",\n";
  d += "  " + op + "\n  ],\n  \"traceName\": \"t\"\n}";
  expect_read_wholly_by_scan(d, 200, 200, 201);
}

TEST(KinetoDirectScan, EveryValueTokenInEveryFieldReadsAsOnDemand) {
  // Valid and invalid JSON values, each put in every field the readers look at and in one they
  // pass over, in a middle piece of its own (chunk 1 cuts between every two events).
  const std::vector<std::string> tokens = {
      "0", "-0", "01", "-01", "-", "1.", ".5", "1e", "1e+", "+1", "1.5.5", "0x10", "--1", "Infinity", "NaN",
      "tru", "nul", "fals", "true", "null", "false", "1_000", "1 2", "\"\"", "\"1\"", "\"x\\\"\"", "[", "{",
      "[1,]", "{\"a\":}", "{\"a\" 1}", "[1 2]", "123456789012345", "1234567890123456", "12345678901234567890",
      "4488795122194.1495", "4488795122194.149e0", "1E400", "-9223372036854775808", "9223372036854775807",
      "0.0000000001", "1e-400", "12345678.12345678", "\"\xe2\x82\"", "\"\\u00e9\"", "[[[[[[[[[[[[]]]]]]]]]]]]",
      "\"X\"", "\"M\"", "\"s\"", "\"XX\"",
      // String ids (string_id.h) and malformed literals (review CR): spaces, signs, escapes, too
      // many digits, literals longer or shorter than null / true / false.
      "\"7 \"", "\" 7\"", "\"-7\"", "\"+7\"", "\"007\"", "\"\\u0037\"", "\"99999999999999999999\"",
      "\"-9223372036854775809\"", "nulll", "nope", "n", "truee", "falsey",
  };
  const std::vector<std::string> shapes = {
      R"({"ph": "X", "cat": "kernel", "name": "k", "ts": @, "dur": 1.5, "args": {"correlation": 1}})",
      R"({"ph": "X", "cat": "kernel", "name": "k", "ts": 1, "dur": @, "args": {"correlation": 1}})",
      R"({"ph": "X", "cat": "cpu_op", "name": "k", "pid": @, "tid": 2, "ts": 1, "dur": 1})",
      R"({"ph": "X", "cat": "cpu_op", "name": "k", "pid": 1, "tid": @, "ts": 1, "dur": 1})",
      R"({"ph": "X", "cat": "kernel", "name": "k", "ts": 1, "dur": 1, "args": {"correlation": @, "stream": 7}})",
      R"({"ph": "X", "cat": "kernel", "name": "k", "ts": 1, "dur": 1, "args": {"device": @, "stream": 7}})",
      R"({"ph": "X", "cat": "kernel", "name": "k", "ts": 1, "dur": 1, "args": {"stream": @, "External id": 4}})",
      R"({"ph": "X", "cat": "kernel", "name": "k", "ts": 1, "dur": 1, "args": {"External id": @, "device": 0}})",
      R"({"ph": "X", "cat": "kernel", "name": "k", "ts": 1, "dur": 1, "args": {"grid": [1, @, 3], "device": 0}})",
      R"({"ph": "X", "cat": "kernel", "name": "k", "ts": 1, "dur": 1, "args": {"other": @, "External id": 4}})",
      R"({"ph": @, "cat": "kernel", "name": "k", "ts": 1, "dur": 1})",
      R"({"ph": "X", "cat": "kernel", "name": @, "ts": 1, "dur": 1})",
      R"({"ph": "X", "cat": "kernel", "name": "k", "ts": 1, "dur": 1, "args": @})",
      R"({"ph": "X", "unknown": @, "cat": "kernel", "name": "k", "ts": 1, "dur": 1})",
      // A later "ph" decides: the first one must not make the reader pass over the event.
      R"({"ph": "s", "cat": "kernel", "name": "k", "ts": 1, "dur": 1, "ph": @})",
      R"({"ph": @, "cat": "kernel", "name": "k", "ts": 1, "dur": 1, "ph": "X"})",
      R"({"ph": "f", "id": @, "pid": 1, "ph": "X", "cat": "cpu_op", "name": "k", "ts": 1, "dur": 2})",
  };
  const std::string good = R"({"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 1, "tid": 1, "ts": 2.5, "dur": 1})";
  int errors = 0;
  for (const auto& shape : shapes) {
    for (const auto& tok : tokens) {
      std::string ev = shape;
      ev.replace(ev.find('@'), 1, tok);
      const std::string doc = "{\"traceEvents\": [" + good + ", " + good + ", " + ev + ", " + good + ", " + good + "]}";
      SCOPED_TRACE(doc);
      expect_same_reading(doc, 1);
      expect_same_reading(doc, 0);
      errors += !read_doc(doc, 1, true).error.empty();
    }
  }
  EXPECT_GT(errors, 50);
}

TEST(KinetoDirectScan, TheScanGoesOnAfterAnEventLeftToOnDemand) {
  // An escaped name in every 10th event: on-demand reads those events one by one, the scan the
  // rest, and the result is the on-demand reader's.
  std::string d = "{\"traceEvents\": [";
  for (int i = 0; i < 400; ++i) {
    if (i) d += ",\n";
    d += R"({"ph": "X", "cat": "cpu_op", "name": ")" + std::string(i % 10 == 3 ? "a\\\"b" : "aten::mm") +
         R"(", "pid": 1, "tid": 1, "ts": )" + std::to_string(1000 + i) + R"(.5, "dur": 1.25, "args": {"External id": )" +
         std::to_string(i) + "}}";
  }
  d += "]}";
  const Reading on = read_doc(d, 2000, true);
  ASSERT_EQ(on.error, "");
  EXPECT_EQ(on.trace.ops.size(), 400u);
  // Most of the middle pieces' bytes went through the scan despite an escape in each piece.
  EXPECT_GT(direct_bytes(on.trace), static_cast<int64_t>(d.size() * 6 / 10));
  expect_same_reading(d, 2000);
  expect_same_reading(d, 300);
}

TEST(KinetoDirectScan, ATraceOfAFewHundredKBIsCutAndScannedByDefault) {
  // PyTorch traces are often under a few MB (every H100 fixture is): by default they are cut into
  // two edge pieces and a middle one too, so most of their events go through the direct scan, and
  // they read as the whole document read by the on-demand parser alone.
  const InputBuffer gz = InputBuffer::open(std::string(INFERTRACE_SOURCE_DIR) + "/examples/traces/gpt2_prefill_bs1.json.gz");
  const std::string doc(gz.data(), gz.size());
  ASSERT_GT(doc.size(), kineto::kWholeDocumentMax);
  ASSERT_LT(doc.size(), kineto::kDefaultPiece);
  Reading by_default = read_doc(doc, 0, true);
  ASSERT_EQ(by_default.error, "");
  EXPECT_EQ(by_default.trace.meta.at("ingest.pieces"), "3");
  // Everything but the two edge pieces (each about kEdgePiece, cut at the next event).
  EXPECT_GT(direct_bytes(by_default.trace), static_cast<int64_t>(doc.size() - 2 * kineto::kEdgePiece - 8192));
  // The whole document in one piece, by the on-demand parser alone (a piece size it fits in).
  Reading whole = read_doc(doc, kineto::kDefaultPiece, false);
  ASSERT_EQ(whole.error, "");
  EXPECT_EQ(whole.trace.meta.at("ingest.pieces"), "1");
  EXPECT_EQ(direct_bytes(whole.trace), 0);
  ASSERT_GT(whole.trace.gpu.size(), 100u);
  strip_ingest_meta(by_default.trace);
  strip_ingest_meta(whole.trace);
  expect_same_trace(by_default.trace, whole.trace);
}
