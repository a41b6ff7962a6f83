// Ids written as JSON strings and literals in id fields (docs/ingest.md, "Ids written as
// strings"; review CR): each case put in each id field, read by the direct event scan (the event a
// middle piece of its own) and by the on-demand reader alone (scan off; whole document), and the
// outcome pinned from the rule, not from a run: a string is an id only when its raw text is exactly
// -?[0-9]+; too many digits go where the same number goes (skipped_int_out_of_range); any other
// string is a wrong type (a name in pid / tid, unless escaped or empty); a malformed literal
// (`nul`, `tru`) is invalid JSON.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "ingest/kineto/string_id.h"
#include "kineto_reading.h"
#include "kineto_test_util.h"

using namespace infertrace;
using namespace infertrace::testing_kineto;

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(KinetoStringId, DigitStringRule) {
  int64_t v = 0;
  auto ok = [&](const std::string& s, int64_t want) {
    v = 12345;
    EXPECT_EQ(kineto::parse_digit_string(s, v), kineto::NumStatus::Ok) << s;
    EXPECT_EQ(v, want) << s;
  };
  ok("7", 7);
  ok("-7", -7);
  ok("0", 0);
  ok("-0", 0);
  ok("007", 7);
  ok(std::string(30, '0') + "42", 42);  // leading zeros do not count towards the size
  ok(std::to_string(kMax), kMax);
  ok("-9223372036854775808", kMin);
  for (const std::string s : {"99999999999999999999", "9223372036854775808", "-9223372036854775809",
                              "18446744073709551616", "100000000000000000000000"})
    EXPECT_EQ(kineto::parse_digit_string(s, v), kineto::NumStatus::OutOfRange) << s;
  for (const std::string s : {"", "-", "7 ", " 7", "+7", "7.0", "1e3", "0x7", "\\u0037", "7\\n", "--7", "7-", "\t7", "seven"}) {
    v = 12345;
    EXPECT_EQ(kineto::parse_digit_string(s, v), kineto::NumStatus::Invalid) << s;
    EXPECT_EQ(v, 12345) << s;  // untouched
  }
}

// What a case must read as.
enum class Want { Value, OutOfRange, BadType, Name, NoId, Error };

struct Case {
  std::string token;  // the JSON value as written
  Want want;
  int64_t value = 0;  // Want::Value
};

const std::vector<Case>& cases() {
  static const std::vector<Case> c = {
      {"\"7\"", Want::Value, 7},
      {"\"-7\"", Want::Value, -7},
      {"-7", Want::Value, -7},  // negative numbers: ids as any other, but a pid or tid below -1 is a name
      {"-2", Want::Value, -2},
      {"-9223372036854775808", Want::Value, kMin},  // (as a pid or tid: the name "-9223372036854775808")
      {"-1", Want::Value, -1},  // ("none" in a pid or tid, as it stands)
      {"\"-1\"", Want::Value, -1},
      {"\"007\"", Want::Value, 7},
      {"\"9223372036854775807\"", Want::Value, kMax},
      {"\"-9223372036854775808\"", Want::Value, kMin},
      {"\"7 \"", Want::BadType},  // spaces on either side: not an id (review CR 1)
      {"\" 7\"", Want::BadType},
      {"\"+7\"", Want::BadType},
      {"\"7.0\"", Want::BadType},
      {"\"\"", Want::BadType},
      {"\"\\u0037\"", Want::BadType},  // an escape: never a digit string (CR 2)
      {"\"\\u0037\\u0038\"", Want::BadType},
      {"\"99999999999999999999\"", Want::OutOfRange},  // as the number below (CR 3)
      {"99999999999999999999", Want::OutOfRange},
      {"\"-9223372036854775809\"", Want::OutOfRange},
      {"null", Want::NoId},
      {"true", Want::BadType},
      {"false", Want::BadType},
      {"nul", Want::Error},  // malformed literals (CR 4)
      {"nulll", Want::Error},
      {"nope", Want::Error},
      {"n", Want::Error},
      {"tru", Want::Error},
      {"truee", Want::Error},
      {"fals", Want::Error},
      {"falsey", Want::Error},
  };
  return c;
}

// A GPU activity with every arg id valid but `field`, which holds `token` (a field that is none of
// them, such as "other", is added after them: an arg neither reader reads).
std::string kernel_with(const std::string& field, const std::string& token) {
  std::string args;
  bool placed = false;
  for (const auto& [k, v] : {std::pair<std::string, std::string>{"correlation", "24"}, {"device", "0"}, {"stream", "7"}, {"External id", "11"}}) {
    args += (args.empty() ? "" : ", ") + ("\"" + k + "\": ") + (k == field ? token : v);
    placed |= k == field;
  }
  if (!placed) args += ", \"" + field + "\": " + token;
  return R"({"ph": "X", "cat": "kernel", "name": "k", "pid": 0, "tid": 7, "ts": 5, "dur": 1, "args": {)" + args + "}}";
}

// A launch call whose pid or tid holds `token`.
std::string launch_with(const std::string& field, const std::string& token) {
  const std::string pid = field == "pid" ? token : "439", tid = field == "tid" ? token : "440";
  return R"({"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": )" + pid + ", \"tid\": " + tid +
         R"(, "ts": 5, "dur": 1, "args": {"correlation": 24}})";
}

// The case's event between two operators, so that with chunk 1 it is a middle piece of its own.
std::string doc_with(const std::string& ev) {
  const std::string op = R"({"ph": "X", "cat": "cpu_op", "name": "op", "pid": 1, "tid": 1, "ts": 3, "dur": 1})";
  return "{\"traceEvents\": [" + op + ", " + ev + ", " + op + "]}";
}

int64_t skipped(const Trace& t, const std::string& reason) {
  const auto it = t.skipped.find(reason);
  return it == t.skipped.end() ? 0 : it->second;
}

// The readings of one document: scan on and off in one-event pieces, and whole (on-demand).
std::vector<std::pair<std::string, Reading>> readings(const std::string& doc) {
  std::vector<std::pair<std::string, Reading>> r;
  r.emplace_back("direct scan", read_doc(doc, 1, true));
  r.emplace_back("on-demand", read_doc(doc, 1, false));
  r.emplace_back("whole", read_doc(doc, 0, true));
  return r;
}

void expect_error(const Reading& r) {
  EXPECT_NE(r.error.find("invalid JSON"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("atom"), std::string::npos) << r.error;
}

// The direct scan read the event itself (not handed it to the on-demand reader): what it reads
// must then be the rule's reading too. Escapes and malformed literals it leaves to that reader.
bool scan_takes(const std::string& token) { return token.find('\\') == std::string::npos; }

TEST(KinetoStringId, ArgIdsReadByTheRuleInBothReaders) {
  for (const std::string field : {"correlation", "device", "stream", "External id"}) {
    for (const Case& c : cases()) {
      const std::string ev = kernel_with(field, c.token);
      const std::string doc = doc_with(ev);
      for (const auto& [how, r] : readings(doc)) {
        SCOPED_TRACE(how + ": " + ev);
        if (c.want == Want::Error) {
          expect_error(r);
          continue;
        }
        ASSERT_EQ(r.error, "");
        const Trace& t = r.trace;
        EXPECT_EQ(t.ops.size(), 2u);
        if (how == "direct scan" && scan_takes(c.token)) {
          EXPECT_GE(direct_bytes(t), static_cast<int64_t>(ev.size()));
        }
        // A device must also fit int32 (docs/ingest.md): beyond it, out of range as well.
        const bool device_too_big = field == "device" && c.want == Want::Value &&
                                    (c.value > std::numeric_limits<int32_t>::max() || c.value < std::numeric_limits<int32_t>::min());
        if (c.want == Want::OutOfRange || device_too_big) {
          EXPECT_EQ(skipped(t, "skipped_int_out_of_range"), 1);
          EXPECT_EQ(skipped(t, "skipped_bad_type_arg"), 0);
          EXPECT_EQ(t.gpu.size(), 0u);
        } else if (field == "correlation" && c.want == Want::Value && c.value < -1) {
          // A negative correlation (not -1, "none") leaves the GPU row out (review CX L2).
          EXPECT_EQ(skipped(t, "skipped_negative_correlation"), 1);
          EXPECT_EQ(t.skipped.size(), 1u);
          EXPECT_EQ(t.gpu.size(), 0u);
        } else if (c.want == Want::BadType) {
          EXPECT_EQ(skipped(t, "skipped_bad_type_arg"), 1);
          EXPECT_EQ(skipped(t, "skipped_int_out_of_range"), 0);
          EXPECT_EQ(t.gpu.size(), 0u);
        } else {
          EXPECT_TRUE(t.skipped.empty());
          ASSERT_EQ(t.gpu.size(), 1u);
          // null: absent, the row kept; an absent device (stream) is then the row's pid 0 (tid 7),
          // where Kineto writes them too (docs/ingest.md)
          const int64_t absent = field == "device" ? 0 : field == "stream" ? 7 : -1;
          const int64_t want = c.want == Want::Value ? c.value : absent;
          const GpuActivity g = t.gpu.row(0);
          const int64_t got = field == "correlation" ? g.correlation
                              : field == "device"    ? g.device
                              : field == "stream"    ? g.stream
                                                     : g.external_id;
          EXPECT_EQ(got, want);
        }
      }
    }
  }
}

TEST(KinetoStringId, PidAndTidReadByTheRuleInBothReaders) {
  for (const std::string field : {"pid", "tid"}) {
    for (const Case& c : cases()) {
      const std::string ev = launch_with(field, c.token);
      const std::string doc = doc_with(ev);
      for (const auto& [how, r] : readings(doc)) {
        SCOPED_TRACE(how + ": " + ev);
        if (c.want == Want::Error) {
          expect_error(r);
          continue;
        }
        ASSERT_EQ(r.error, "");
        const Trace& t = r.trace;
        if (how == "direct scan" && scan_takes(c.token)) {
          EXPECT_GE(direct_bytes(t), static_cast<int64_t>(ev.size()));
        }
        if (c.want == Want::OutOfRange) {
          EXPECT_EQ(skipped(t, "skipped_int_out_of_range"), 1);
          EXPECT_EQ(t.api.size(), 0u);
          continue;
        }
        // A wrong type in a pid or tid is no id (-1), the call kept and not counted; a string
        // that is no digit string, not escaped and not empty is a name (ids from -2 down), and so
        // is a value below -1, by its decimal text ("-7", whether written -7 or "-7").
        EXPECT_TRUE(t.skipped.empty());
        ASSERT_EQ(t.api.size(), 1u);
        const bool is_string = c.token[0] == '"';
        const bool text_name = c.want == Want::BadType && is_string && c.token != "\"\"" && scan_takes(c.token);
        const bool number_name = c.want == Want::Value && c.value < -1;
        const int64_t want = number_name || text_name ? -2 : c.want == Want::Value ? c.value : -1;
        EXPECT_EQ(field == "pid" ? t.api.pid[0] : t.api.tid[0], want);
        if (!text_name && !number_name) continue;
        // The name read back: the process's name, or the thread's (none is given in metadata).
        const std::string name = text_name ? c.token.substr(1, c.token.size() - 2) : std::to_string(c.value);
        if (field == "pid") {
          EXPECT_EQ(t.meta.at("process_name.-2"), name);
        } else {
          ASSERT_EQ(t.threads.size(), 2u);  // (1, 1) of the operators, then (439, -2) (sorted by pid)
          EXPECT_EQ(t.threads.pid[1], 439);
          EXPECT_EQ(t.threads.tid[1], -2);
          EXPECT_EQ(t.str(t.threads.comm[1]), name);
        }
      }
    }
  }
}

// The scan and the on-demand reader on the same bytes: identical tables, counters and errors, for
// every case in every id field and in a member neither reads (where a malformed literal is still
// invalid JSON, and anything else is passed over).
TEST(KinetoStringId, BothReadersAgreeOnEveryCaseInEveryField) {
  std::vector<std::pair<std::string, const Case*>> events;
  for (const Case& c : cases()) {
    for (const std::string field : {"correlation", "device", "stream", "External id", "other"}) events.emplace_back(kernel_with(field, c.token), &c);
    for (const std::string field : {"pid", "tid"}) events.emplace_back(launch_with(field, c.token), &c);
    events.emplace_back(R"({"ph": "X", "cat": "cpu_op", "name": "op", "ts": 3, "dur": 1, "unknown": )" + c.token + "}", &c);
  }
  for (const auto& [ev, c] : events) {
    SCOPED_TRACE(ev);
    const std::string doc = doc_with(ev);
    Reading on = read_doc(doc, 1, true), off = read_doc(doc, 1, false);
    ASSERT_EQ(on.error, off.error);
    // A malformed literal is invalid JSON wherever it stands, read or passed over; nothing else is.
    if (c->want == Want::Error) {
      expect_error(on);
      continue;
    }
    ASSERT_EQ(on.error, "");
    strip_ingest_meta(on.trace);
    strip_ingest_meta(off.trace);
    expect_same_trace(on.trace, off.trace);
  }
}

}  // namespace

namespace {

// A malformed literal as an element of traceEvents or as a top-level member is an error too, at
// the token's byte, in both readers (review DD F4: only values inside events were tested).
TEST(KinetoStringId, MalformedLiteralOutsideEventsIsAnError) {
  const std::string op = R"({"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 1, "tid": 2, "ts": 10, "dur": 5})";
  const std::string element = R"({"traceEvents": [)" + op + ", nope, " + op + "]}";
  const std::string member = R"({"traceEvents": [)" + op + R"(], "schemaVersion": fals})";
  for (const std::string& doc : {element, member})
    for (bool direct : {false, true})
      for (size_t chunk : {size_t{0}, size_t{1}}) {
        const Reading r = read_doc(doc, chunk, direct);
        const char* bad = doc == element ? "nope" : "fals";
        EXPECT_NE(r.error.find("invalid JSON"), std::string::npos) << bad << " direct=" << direct << ": " << r.error;
        EXPECT_NE(r.error.find("byte " + std::to_string(doc.find(bad))), std::string::npos)
            << bad << " direct=" << direct << ": " << r.error;
      }
}

}  // namespace
