// An unpaired UTF-16 surrogate escape in a Kineto string ("\ud800"): JSON's grammar allows it and
// Python's json.dump writes it, simdjson 3.0 refuses it. The reader reads it as U+FFFD in that
// string, counts the string, and keeps the trace (review CX L11; ingest/kineto/json_string.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ingest/kineto/json_string.h"
#include "kineto_reading.h"

using namespace infertrace;
using namespace infertrace::testing_kineto;

namespace {

const std::string kFFFD = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// The count the reader keeps for strings whose surrogates it replaced (0 when absent).
int64_t surrogate_count(const Trace& t) {
  EXPECT_EQ(t.skipped.count("names_with_surrogates_replaced"), 0u);  // kept, so not skipped (review CX L8)
  const auto it = t.names_cleaned.find("names_with_surrogates_replaced");
  return it == t.names_cleaned.end() ? 0 : it->second;
}

std::string op(const std::string& name_json, int ts) {
  return R"({"ph": "X", "cat": "cpu_op", "name": ")" + name_json + R"(", "pid": 1, "tid": 2, "ts": )" +
         std::to_string(ts) + R"(, "dur": 1})";
}

}  // namespace

TEST(JsonString, UnpairedSurrogatesReadAsReplacement) {
  std::string out;
  size_t replaced = 9;
  ASSERT_TRUE(kineto::unescape_json_string(R"(f\ud800x)", out, replaced));
  EXPECT_EQ(out, "f" + kFFFD + "x");
  EXPECT_EQ(replaced, 1u);
  ASSERT_TRUE(kineto::unescape_json_string(R"(\udc00\uDBFF)", out, replaced));  // low alone; high at the end
  EXPECT_EQ(out, kFFFD + kFFFD);
  EXPECT_EQ(replaced, 2u);
  // A pair is one character (U+1F600, F0 9F 98 80); a high one followed by a non-surrogate escape
  // is replaced and the next escape read on its own; the other escapes as JSON defines them.
  ASSERT_TRUE(kineto::unescape_json_string(R"(\ud83d\ude00|\ud800\u0041|\"\\\/\b\f\n\r\t\u00e9)", out, replaced));
  EXPECT_EQ(out, "\xF0\x9F\x98\x80|" + kFFFD + "A|\"\\/\b\f\n\r\t\xC3\xA9");
  EXPECT_EQ(replaced, 1u);
  EXPECT_FALSE(kineto::unescape_json_string(R"(a\x)", out, replaced));
  EXPECT_FALSE(kineto::unescape_json_string(R"(a\u12)", out, replaced));
  EXPECT_FALSE(kineto::unescape_json_string(R"(a\u12g4)", out, replaced));
  EXPECT_FALSE(kineto::unescape_json_string("a\\", out, replaced));
}

// Every way the document is read (one piece or a piece per event, the direct scan on or off: the
// scan leaves an event with an escape to the on-demand reader) keeps every event and names them alike.
TEST(KinetoSurrogate, NameWithUnpairedSurrogateIsKeptAndCounted) {
  std::string events;
  for (int i = 0; i < 6; ++i) events += op("plain" + std::to_string(i), 10 + i) + ",";
  events += op(R"(f\ud800x)", 30) + "," + op(R"(\udc00\u0007)", 31) + "," + op(R"(ok\ud83d\ude00)", 32);
  for (int i = 0; i < 6; ++i) events += "," + op("tail" + std::to_string(i), 40 + i);
  const std::string json = R"({"note": "m\ud800", "traceEvents": [)" + events + "]}";
  for (size_t chunk : {size_t(0), size_t(1)})
    for (bool direct : {false, true}) {
      const Reading r = read_doc(json, chunk, direct);
      ASSERT_EQ(r.error, "") << chunk << direct;
      const Trace& t = r.trace;
      ASSERT_EQ(t.ops.size(), 15u) << chunk << direct;
      std::vector<std::string> names;
      for (size_t i = 0; i < t.ops.size(); ++i) names.emplace_back(t.str(t.ops.name[i]));
      EXPECT_NE(std::find(names.begin(), names.end(), "f" + kFFFD + "x"), names.end());
      EXPECT_NE(std::find(names.begin(), names.end(), kFFFD + "?"), names.end());  // the control character as before
      EXPECT_NE(std::find(names.begin(), names.end(), "ok\xF0\x9F\x98\x80"), names.end());
      EXPECT_EQ(t.meta.at("kineto.note"), "m" + kFFFD);
      // Three strings had an unpaired surrogate: two names and the top-level "note".
      EXPECT_EQ(surrogate_count(t), 3) << chunk << direct;
    }
}

// A top-level key with a lone surrogate (review S43 L7: the whole trace was refused, "Problem while
// parsing a string"); a key with an escaped quote and backslash before the surrogate is cut where
// its closing quote is, not at the escaped one.
TEST(KinetoSurrogate, TopLevelKeyWithUnpairedSurrogateIsKeptAndCounted) {
  const std::string json = R"({"schemaVersion": 1, "t\ud800": "a", "q\"\\\udc01": 7, "traceEvents": [)" +
                           op("k", 1) + "]}";
  for (size_t chunk : {size_t(0), size_t(1)})
    for (bool direct : {false, true}) {
      const Reading r = read_doc(json, chunk, direct);
      ASSERT_EQ(r.error, "") << chunk << direct;
      EXPECT_EQ(r.trace.meta.at("kineto.t" + kFFFD), "a");
      EXPECT_EQ(r.trace.meta.at("kineto.q\"\\" + kFFFD), "7");
      EXPECT_EQ(r.trace.ops.size(), 1u);
      EXPECT_EQ(surrogate_count(r.trace), 2) << chunk << direct;
    }
  // Any other bad escape in a key is still an error.
  EXPECT_NE(read_doc(R"({"t\x": 1, "traceEvents": []})", 0, true).error, "");
}

TEST(KinetoSurrogate, OtherBadEscapesAreStillErrors) {
  const std::string json = R"({"traceEvents": [)" + op(R"(f\ud800\x)", 1) + "]}";
  const Reading r = read_doc(json, 0, true);
  EXPECT_NE(r.error, "");
}
