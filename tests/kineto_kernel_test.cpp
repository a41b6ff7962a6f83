// The Kineto reader is compiled twice (src/ingest/kineto/parser_kernel.h): the generic copy and the
// AVX2 ("haswell") copy must fill identical Trace tables and fail with identical messages, on the
// real traces (examples/traces and ../shared/fixtures/kineto-h100 when present) and on malformed
// input. On a CPU without AVX2 only the generic copy runs and the comparisons are skipped.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "ingest/input_buffer.h"
#include "ingest/kineto/kineto_reader.h"
#include "ingest/load.h"
#include "kineto_test_util.h"
#include "util/error.h"

using namespace infertrace;
using namespace infertrace::testing_kineto;
using kineto::ParserKernel;

namespace {

void strip_ingest_meta(Trace& t) {
  for (auto it = t.meta.begin(); it != t.meta.end();)
    it = it->first.rfind("ingest.", 0) == 0 ? t.meta.erase(it) : std::next(it);
}

// Every Kineto trace the tests can find: the repo's examples and, beside the checkout (a worktree
// sits one level deeper), the shared H100 fixtures.
std::vector<std::string> trace_files() {
  std::vector<std::string> dirs = {std::string(INFERTRACE_SOURCE_DIR) + "/examples/traces"};
  const char* env = std::getenv("INFERTRACE_SHARED_DIR");
  for (const std::string& shared : {env ? std::string(env) : std::string(),
                                    std::string(INFERTRACE_SOURCE_DIR) + "/../shared",
                                    std::string(INFERTRACE_SOURCE_DIR) + "/../../shared"}) {
    if (!shared.empty() && std::filesystem::is_directory(shared + "/fixtures/kineto-h100")) {
      dirs.push_back(shared + "/fixtures/kineto-h100");
      break;
    }
  }
  std::vector<std::string> files;
  for (const auto& d : dirs)
    for (const auto& e : std::filesystem::directory_iterator(d))
      if (e.path().string().find(".json") != std::string::npos) files.push_back(e.path().string());
  return files;
}

Trace load_with(const std::string& path, ParserKernel k, size_t chunk) {
  LoadOptions o;
  o.parser_kernel = k;
  o.chunk_bytes = chunk;
  return load_trace(path, o);
}

// The error text a reading ends with ("" when it succeeds).
std::string error_of(const std::string& json, ParserKernel k, size_t chunk) {
  const InputBuffer in = InputBuffer::from_memory(json.data(), json.size(), "edge.json");
  kineto::ReadOptions o;
  o.kernel = k;
  o.chunk_bytes = chunk;
  Trace t;
  try {
    kineto::read_kineto(in.mutable_data(), in.size(), "edge.json", o, t);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(KinetoKernel, AutoPicksTheBestSupportedKernelAndSaysWhichRan) {
  EXPECT_TRUE(kineto::parser_kernel_supported(ParserKernel::Generic));
  const ParserKernel best = kineto::best_parser_kernel();
  EXPECT_TRUE(kineto::parser_kernel_supported(best));
  const Trace t = load_trace(std::string(INFERTRACE_SOURCE_DIR) + "/examples/traces/gpt2_prefill_bs1.json.gz");
  if (best == ParserKernel::Haswell) {
    EXPECT_EQ(t.meta.at("ingest.parser"), "haswell");
  }
  EXPECT_FALSE(t.meta.at("ingest.parser").empty());
}

TEST(KinetoKernel, GenericAndAvx2FillIdenticalTablesOnEveryFixture) {
  if (!kineto::parser_kernel_supported(ParserKernel::Haswell)) GTEST_SKIP() << "this CPU has no AVX2 kernel";
  const std::vector<std::string> files = trace_files();
  EXPECT_GE(files.size(), 2u);
  for (const auto& p : files) {
    for (size_t chunk : {size_t(0), size_t(4096)}) {
      SCOPED_TRACE(p + " chunk " + std::to_string(chunk));
      Trace generic = load_with(p, ParserKernel::Generic, chunk);
      Trace avx2 = load_with(p, ParserKernel::Haswell, chunk);
      EXPECT_EQ(avx2.meta.at("ingest.parser"), "haswell");
      EXPECT_NE(generic.meta.at("ingest.parser"), "");
      EXPECT_GT(generic.gpu.size() + generic.api.size() + generic.ops.size(), 0u);
      strip_ingest_meta(generic);
      strip_ingest_meta(avx2);
      expect_same_trace(generic, avx2);
    }
  }
}

TEST(KinetoKernel, GenericAndAvx2AgreeOnEdgeCasesAndErrors) {
  if (!kineto::parser_kernel_supported(ParserKernel::Haswell)) GTEST_SKIP() << "this CPU has no AVX2 kernel";
  const std::string ev = R"({"ph":"X","cat":"kernel","name":"k","ts":1.5,"dur":2,"args":{"correlation":1}})";
  const std::vector<std::string> docs = {
      "{\"traceEvents\":[" + ev + "," + ev + "]}",
      R"({"traceEvents":[{"ph":"X","cat":"cpu_op","name":"a\u0007b\"q\\","ts":1,"dur":1}]})",  // escapes
      R"({"traceEvents":[{"ph":"X","cat":"ker\u006eel","name":"k","ts":1.2345678,"dur":1e1}]})",
      R"({"traceEvents":[{"ph":"X","cat":"kernel","name":"k","ts":12abc,"dur":1}]})",         // bad number
      R"({"traceEvents":[{"ph":"X","cat":"kernel","name":"k","ts":99999999999999999999,"dur":1}]})",
      R"({"traceEvents":[{"ph":"X","cat":"kernel","name":42,"ts":-0,"dur":0.001}]})",
      "{\"traceEvents\":[{\"ph\":\"X\",\"cat\":\"kernel\",\"name\":\"raw\x01\",\"ts\":1,\"dur\":1}]}",
      "{\"traceEvents\":[{\"ph\":\"X\",\"cat\":\"kernel\",\"name\":\"bad \xff utf8\",\"ts\":1,\"dur\":1}]}",
      "{\"traceEvents\":[" + ev + "," + ev.substr(0, 30),  // truncated
      "[" + ev + "," + ev + "] extra",
  };
  int errors = 0, readings = 0;
  for (const auto& d : docs) {
    for (size_t chunk : {size_t(0), size_t(40)}) {
      SCOPED_TRACE(d + " chunk " + std::to_string(chunk));
      const std::string err = error_of(d, ParserKernel::Generic, chunk);
      EXPECT_EQ(err, error_of(d, ParserKernel::Haswell, chunk));
      ++(err.empty() ? readings : errors);
      if (err.empty()) {
        TempFile f(d);
        Trace a = load_with(f.path(), ParserKernel::Generic, chunk);
        Trace b = load_with(f.path(), ParserKernel::Haswell, chunk);
        strip_ingest_meta(a);
        strip_ingest_meta(b);
        expect_same_trace(a, b);
      }
    }
  }
  EXPECT_GE(errors, 8);  // both kinds of document are really exercised
  EXPECT_GE(readings, 6);
}
