// Middle pieces of a large document are parsed in place: the commas around each piece read '[' and
// ']' while it is parsed (docs/ingest.md, "Large traces"). The input must come back unchanged,
// whether the reading succeeds, falls back from quick to exact cuts, or fails, and the tables must
// match a whole-document reading.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "ingest/input_buffer.h"
#include "ingest/kineto/kineto_reader.h"
#include "util/error.h"

using namespace infertrace;
using kineto::ParserKernel;

namespace {

std::string events_json(int n, const std::string& name) {
  std::string s = "{\"traceEvents\":[";
  for (int i = 0; i < n; ++i) {
    if (i) s += ",\n";
    s += "{\"ph\":\"X\",\"cat\":\"kernel\",\"name\":\"" + name + "\",\"pid\":0,\"tid\":7,\"ts\":" +
         std::to_string(1000 + i * 10) + ".5,\"dur\":3,\"args\":{\"correlation\":" + std::to_string(i + 1) +
         ",\"device\":0,\"stream\":7}}";
  }
  return s + "],\"schemaVersion\":1}";
}

struct Reading {
  bool ok = false;
  std::string error;
  size_t kernels = 0;
  std::string pieces, cuts;
};

// Reads `json` in pieces of `chunk` bytes and checks that the buffer holds `json` afterwards.
Reading read_checked(const std::string& json, size_t chunk, ParserKernel k) {
  const InputBuffer in = InputBuffer::from_memory(json.data(), json.size(), "in_place.json");
  kineto::ReadOptions o;
  o.chunk_bytes = chunk;
  o.kernel = k;
  Trace t;
  Reading r;
  try {
    kineto::read_kineto(in.mutable_data(), in.size(), "in_place.json", o, t);
    r.ok = true;
    r.kernels = t.gpu.size();
    r.pieces = t.meta["ingest.pieces"];
    r.cuts = t.meta["ingest.cuts"];
  } catch (const Error& e) {
    r.error = e.what();
  }
  EXPECT_EQ(std::memcmp(in.data(), json.data(), json.size()), 0) << "input changed, chunk " << chunk;
  return r;
}

std::vector<ParserKernel> kernels() {
  std::vector<ParserKernel> ks = {ParserKernel::Generic};
  if (kineto::parser_kernel_supported(ParserKernel::Haswell)) ks.push_back(ParserKernel::Haswell);
  return ks;
}

}  // namespace

TEST(KinetoInPlace, PiecesReadInPlaceMatchTheWholeDocumentAndLeaveTheInputUnchanged) {
  const std::string json = events_json(40, "gemm");
  for (ParserKernel k : kernels()) {
    const Reading whole = read_checked(json, 0, k);
    ASSERT_TRUE(whole.ok) << whole.error;
    EXPECT_EQ(whole.pieces, "1");
    for (size_t chunk : {200, 400, 1000}) {
      const Reading r = read_checked(json, chunk, k);
      ASSERT_TRUE(r.ok) << r.error;
      EXPECT_GT(std::stoi(r.pieces), 3) << chunk;
      EXPECT_EQ(r.kernels, whole.kernels) << chunk;
    }
  }
}

TEST(KinetoInPlace, QuickCutsInsideAStringFallBackToExactCutsOnTheOriginalText) {
  // Names holding "}, {" lure the quick scan into cutting inside a string.
  const std::string json = events_json(40, "a},{\\\"b},{x");
  for (ParserKernel k : kernels()) {
    const Reading whole = read_checked(json, 0, k);
    ASSERT_TRUE(whole.ok) << whole.error;
    for (size_t chunk : {150, 300, 700}) {
      const Reading r = read_checked(json, chunk, k);
      ASSERT_TRUE(r.ok) << r.error;
      EXPECT_EQ(r.kernels, whole.kernels) << chunk;
    }
  }
}

TEST(KinetoInPlace, AnErrorInAMiddlePieceLeavesTheInputUnchanged) {
  std::string json = events_json(40, "gemm");
  const size_t at = json.find("\"dur\":3", json.size() / 2);
  ASSERT_NE(at, std::string::npos);
  json[at + 6] = 'x';  // "dur":x: invalid JSON in the middle of the document
  for (ParserKernel k : kernels()) {
    const Reading whole = read_checked(json, 0, k);
    ASSERT_FALSE(whole.ok);
    for (size_t chunk : {200, 400}) {
      const Reading r = read_checked(json, chunk, k);
      ASSERT_FALSE(r.ok);
      EXPECT_EQ(r.error, whole.error) << chunk;
    }
  }
}
