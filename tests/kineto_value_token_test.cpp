// Scalar tokens that are not JSON (review DD F2/F3): `NaN`, `12abc`, `+7`, `01`, `1.`, `.5`, `1e`,
// `-` and malformed literals are an error at the token's byte wherever they stand in a Kineto
// document: in a member a reader reads, in one it passes over, nested at any depth in a value it
// passes over (event members, args, deviceProperties, other top-level members), as an element of
// traceEvents. Each is read by the direct scan (the event a middle piece of its own), by the
// on-demand reader alone in pieces, and whole; the expected offset is where the test put the token.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ingest/kineto/value_token.h"
#include "kineto_reading.h"
#include "kineto_test_util.h"

using namespace infertrace;
using namespace infertrace::testing_kineto;
using kineto::ValueToken;
using kineto::check_value_token;

namespace {

// Not JSON values, each with the check it fails (RFC 8259 section 6 for the numbers).
struct Bad {
  std::string token;
  ValueToken want;
};

const std::vector<Bad>& bad_tokens() {
  static const std::vector<Bad> b = {
      {"NaN", ValueToken::NoValue},     {"Infinity", ValueToken::NoValue}, {"+7", ValueToken::NoValue},
      {".5", ValueToken::NoValue},      {"'a'", ValueToken::NoValue},      {"12abc", ValueToken::BadNumber},
      {"01", ValueToken::BadNumber},    {"-01", ValueToken::BadNumber},    {"1.", ValueToken::BadNumber},
      {"1.e5", ValueToken::BadNumber},  {"1e", ValueToken::BadNumber},     {"1e+", ValueToken::BadNumber},
      {"-", ValueToken::BadNumber},     {"--1", ValueToken::BadNumber},    {"0x10", ValueToken::BadNumber},
      {"1.5.2", ValueToken::BadNumber}, {"-Infinity", ValueToken::BadNumber}, {"nope", ValueToken::BadNull},
      {"nulll", ValueToken::BadNull},   {"tru", ValueToken::BadTrue},      {"fals", ValueToken::BadFalse},
  };
  return b;
}

const std::vector<std::string>& good_numbers() {
  static const std::vector<std::string> g = {"0", "-0", "7", "-7", "0.5", "-0.5", "10.25", "1e5", "1E5", "1e+5",
                                             "1e-5", "-1.5E-05", "0e0", "4488795122194.149", "123456789012345678901234"};
  return g;
}

TEST(KinetoValueToken, Grammar) {
  for (const Bad& b : bad_tokens()) {
    EXPECT_EQ(check_value_token(b.token), b.want) << b.token;
    EXPECT_EQ(check_value_token(b.token + "  \n"), b.want) << b.token << " with trailing white space";
  }
  for (const std::string& g : good_numbers()) {
    EXPECT_EQ(check_value_token(g), ValueToken::Ok) << g;
    EXPECT_EQ(check_value_token(g + " \r\n\t"), ValueToken::Ok) << g;
  }
  for (const std::string ok : {"null", "true", "false", "null ", "\"x\"", "{", "[", ""})
    EXPECT_EQ(check_value_token(ok), ValueToken::Ok) << ok;
}

// Where a token can stand. `doc` holds the placeholder @ where the token goes.
struct Position {
  std::string name;
  std::string doc;
};

const std::string kOp = R"({"ph": "X", "cat": "cpu_op", "name": "op", "pid": 1, "tid": 1, "ts": 3, "dur": 1})";

std::string events_doc(const std::string& ev) { return "{\"traceEvents\": [" + kOp + ", " + ev + ", " + kOp + "]}"; }

std::string kernel(const std::string& args_tail, const std::string& correlation = "24") {
  return R"({"ph": "X", "cat": "kernel", "name": "k", "pid": 0, "tid": 7, "ts": 5, "dur": 1, "args": {"correlation": )" + correlation +
         R"(, "device": 0, "stream": 7)" + args_tail + "}}";
}

const std::vector<Position>& positions() {
  static const std::vector<Position> p = {
      // Members a reader reads.
      {"ts (read)", events_doc(R"({"ph": "X", "cat": "cpu_op", "name": "op", "pid": 1, "tid": 1, "ts": @, "dur": 1})")},
      {"pid (read)", events_doc(R"({"ph": "X", "cat": "cpu_op", "name": "op", "pid": @, "tid": 1, "ts": 3, "dur": 1})")},
      {"name (read)", events_doc(R"({"ph": "X", "cat": "cpu_op", "name": @, "pid": 1, "tid": 1, "ts": 3, "dur": 1})")},
      {"dur last (read)", events_doc("{\"ph\": \"X\", \"cat\": \"cpu_op\", \"name\": \"op\", \"pid\": 1, \"tid\": 1, \"ts\": 3, \"dur\": @\n  }")},
      {"args (read)", events_doc(R"({"ph": "X", "cat": "cpu_op", "name": "op", "pid": 1, "tid": 1, "ts": 3, "dur": 1, "args": @})")},
      {"correlation (read)", events_doc(kernel(", \"other\": 1", "@"))},
      {"grid element (read)", events_doc(kernel(R"(, "grid": [1, @, 1], "block": [32, 1, 1])"))},
      // Members passed over.
      {"event member (passed over)", events_doc(R"({"ph": "X", "cat": "cpu_op", "name": "op", "unknown": @, "pid": 1, "tid": 1, "ts": 3, "dur": 1})")},
      {"flow member (passed over)", events_doc(R"({"ph": "s", "id": @, "pid": 1, "tid": 1, "ts": 3, "cat": "ac2g", "name": "ac2g"})")},
      {"arg (passed over)", events_doc(kernel(R"(, "registers per thread": @, "queued": 0)"))},
      {"last arg (passed over)", events_doc(kernel(", \"shared memory\": @\n      "))},
      {"top-level member", "{\"schemaVersion\": @, \"traceEvents\": [" + kOp + ", " + kOp + "]}"},
      {"traceEvents element", events_doc("@")},
      // Nested in a value passed over.
      {"args array", events_doc(R"({"ph": "X", "cat": "cpu_op", "name": "op", "pid": 1, "tid": 1, "ts": 3, "dur": 1, "args": [1, @]})")},
      {"Input Dims", events_doc(R"({"ph": "X", "cat": "cpu_op", "name": "op", "pid": 1, "tid": 1, "ts": 3, "dur": 1, "args": {"Input Dims": [[1, 2], [@]], "Ev Idx": 0}})")},
      {"event member object", events_doc(R"({"ph": "X", "cat": "cpu_op", "name": "op", "x": {"a": [true, {"b": @}]}, "pid": 1, "tid": 1, "ts": 3, "dur": 1})")},
      {"nested deeper than the scan goes", events_doc(R"({"ph": "X", "cat": "cpu_op", "name": "op", "pid": 1, "tid": 1, "ts": 3, "dur": 1, "args": {"deep": [[[[[[[[[[[[@]]]]]]]]]]]]}})")},
      {"grid element array", events_doc(kernel(R"(, "grid": [1, [@], 1])"))},
      {"block object", events_doc(kernel(R"(, "block": {"x": @})"))},
      {"element array", events_doc("[1, @]")},
      {"deviceProperties", "{\"deviceProperties\": [{\"id\": 0, \"name\": \"H\", \"computeMajor\": @}], \"traceEvents\": [" + kOp + ", " + kOp + "]}"},
      {"deviceProperties name", "{\"deviceProperties\": [{\"id\": 0, \"name\": [@]}], \"traceEvents\": [" + kOp + ", " + kOp + "]}"},
      {"deviceProperties element", "{\"deviceProperties\": [@, {\"id\": 0}], \"traceEvents\": [" + kOp + ", " + kOp + "]}"},
      {"top-level object", "{\"distributedInfo\": {\"rank\": [@]}, \"traceEvents\": [" + kOp + ", " + kOp + "]}"},
  };
  return p;
}

// The readings of one document: scan on and off in one-event pieces, and whole (on-demand).
std::vector<std::pair<std::string, Reading>> readings(const std::string& doc) {
  std::vector<std::pair<std::string, Reading>> r;
  r.emplace_back("direct scan", read_doc(doc, 1, true));
  r.emplace_back("on-demand in pieces", read_doc(doc, 1, false));
  r.emplace_back("whole", read_doc(doc, 0, true));
  return r;
}

std::string place(const Position& p, const std::string& token, size_t& at) {
  at = p.doc.find('@');
  std::string doc = p.doc;
  doc.replace(at, 1, token);
  return doc;
}

TEST(KinetoValueToken, EveryBadTokenIsAnErrorAtItsByteInEveryPosition) {
  for (const Position& p : positions()) {
    ASSERT_EQ(std::count(p.doc.begin(), p.doc.end(), '@'), 1) << p.name;
    for (const Bad& b : bad_tokens()) {
      size_t at = 0;
      const std::string doc = place(p, b.token, at);
      // The message says what kind of token it is: from its first byte, by the grammar's classes.
      const char c = b.token[0];
      const std::string what = (c == '-' || (c >= '0' && c <= '9')) ? "invalid number '" + b.token + "'"
                               : (c == 'n' || c == 't' || c == 'f') ? "invalid JSON: " : "invalid JSON: no value begins with";
      for (const auto& [how, r] : readings(doc)) {
        SCOPED_TRACE(p.name + ", " + b.token + ", " + how + "\n" + doc);
        EXPECT_NE(r.error.find(": byte " + std::to_string(at) + ": "), std::string::npos) << r.error;
        EXPECT_NE(r.error.find(what), std::string::npos) << r.error;
      }
    }
  }
}

// A token that begins with a non-ASCII character is quoted by whole characters: the "begins with"
// quote is the whole first character (two bytes for é), and the 40-character quote of a long token
// ends on a character boundary, never inside one (a cut byte would make the message invalid UTF-8).
TEST(KinetoValueToken, QuotesOfNonAsciiTokensEndOnCharacterBoundaries) {
  std::string long_token;
  for (int i = 0; i < 50; ++i) long_token += "\xE2\x82\xAC";  // 50 x €, 150 bytes: 51 characters with é
  const std::string first = "\xC3\xA9";
  const std::string token = first + long_token;
  const std::string expected_quote = first + long_token.substr(0, 39 * 3);  // 40 characters
  for (const Position& p : positions()) {
    size_t at = 0;
    const std::string doc = place(p, token, at);
    for (const auto& [how, r] : readings(doc)) {
      SCOPED_TRACE(p.name + ", " + how);
      EXPECT_NE(r.error.find(": byte " + std::to_string(at) + ": "), std::string::npos) << r.error;
      EXPECT_NE(r.error.find("no value begins with '" + first + "' ('" + expected_quote + "')"), std::string::npos) << r.error;
    }
  }
}

// The same positions with valid numbers and literals: no error, and the scan and the on-demand
// reader fill identical tables (the checks reject nothing valid, and change nothing read).
TEST(KinetoValueToken, ValidTokensInEveryPositionAreRead) {
  std::vector<std::string> good = good_numbers();
  for (const std::string lit : {"null", "true", "false", "\"s\"", "[]", "{}", "[1, {\"a\": null}]"}) good.push_back(lit);
  for (const Position& p : positions()) {
    for (const std::string& g : good) {
      size_t at = 0;
      const std::string doc = place(p, g, at);
      std::vector<std::pair<std::string, Reading>> r = readings(doc);
      SCOPED_TRACE(p.name + ", " + g + "\n" + doc);
      for (auto& [how, reading] : r) {
        ASSERT_EQ(reading.error, "") << how;
        strip_ingest_meta(reading.trace);
      }
      expect_same_trace(r[0].second.trace, r[1].second.trace);
      expect_same_trace(r[0].second.trace, r[2].second.trace);
    }
  }
}

// A value passed over nested 100,000 deep, in each position a value can be passed over: read as
// before these checks (skipped below 64 levels, not walked: the walk overflowed the stack, review
// DP), with the same tables as the document without it; a bad token within the first levels is
// still an error at its byte.
TEST(KinetoValueToken, DeepNestingPassedOverIsReadWithoutOverflow) {
  const int kDeep = 100000;
  std::string deep = std::string(kDeep, '[') + "1" + std::string(kDeep, ']');
  const std::vector<std::string> where = {"event member (passed over)", "arg (passed over)", "top-level member",
                                          "traceEvents element", "args array", "deviceProperties element"};
  for (const Position& p : positions()) {
    if (std::find(where.begin(), where.end(), p.name) == where.end()) continue;
    size_t at = 0;
    std::vector<std::pair<std::string, Reading>> shallow = readings(place(p, "1", at));
    std::vector<std::pair<std::string, Reading>> r = readings(place(p, deep, at));
    for (size_t i = 0; i < r.size(); ++i) {
      SCOPED_TRACE(p.name + ", " + r[i].first);
      ASSERT_EQ(r[i].second.error, "");
      ASSERT_EQ(shallow[i].second.error, "");
      strip_ingest_meta(r[i].second.trace);
      strip_ingest_meta(shallow[i].second.trace);
      // (schemaVersion 1 is kept as a META value; the array in its place is not one.)
      if (p.name == "top-level member") shallow[i].second.trace.meta.erase("kineto.schemaVersion");
      expect_same_trace(r[i].second.trace, shallow[i].second.trace);
    }
    // A bad token 10 levels in is still found, at its byte.
    const std::string bad = std::string(10, '[') + "01" + std::string(10, ']');
    for (const auto& [how, reading] : readings(place(p, bad, at))) {
      SCOPED_TRACE(p.name + ", " + how);
      EXPECT_NE(reading.error.find(": byte " + std::to_string(at + 10) + ": invalid number '01'"), std::string::npos)
          << reading.error;
    }
  }
}

}  // namespace
