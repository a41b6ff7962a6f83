// A saved `engine run --json` as fusion/sweep --decode-window and fusion --measured read it
// (cli/engine_run_doc.h): the fields taken, and documents refused with InputError.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/engine_run_doc.h"
#include "util/error.h"

namespace infertrace::cli {
namespace {

nlohmann::json run_doc() {
  return {{"backend", "cuda"},       {"mode", "graph"},
          {"n_seq", 4},              {"n_decode_evals", 16},
          {"tg_tokens_per_second", 250.5}, {"launches_per_decode_step", 3},
          {"kernels_per_decode_step", 300}, {"decode_window_ns", {{"start", 1000}, {"end", 200000}}}};
}

TEST(EngineRunDoc, ReadsTheFieldsItUses) {
  const EngineRunDoc d = parse_engine_run(run_doc().dump(), "run.json");
  EXPECT_EQ(d.run.mode, "graph");
  EXPECT_EQ(d.run.source, "run.json");
  EXPECT_EQ(d.run.n_seq, 4);
  EXPECT_EQ(d.run.decode_steps, 16);
  EXPECT_DOUBLE_EQ(d.run.tg_tokens_per_s, 250.5);
  EXPECT_EQ(d.run.launches_per_step, 3);
  EXPECT_EQ(d.run.kernels_per_step, 300);
  ASSERT_TRUE(d.window);
  EXPECT_EQ(d.window->from, 1000);
  EXPECT_EQ(d.window->to, 200000);
  // A CPU run: no mode (the backend is), per-step counts null, no decode step (no window).
  const EngineRunDoc cpu = parse_engine_run(
      R"({"backend": "cpu", "n_decode_evals": 0, "launches_per_decode_step": null, "decode_window_ns": {"start": 1, "end": 2}})",
      "cpu.json");
  EXPECT_EQ(cpu.run.mode, "cpu");
  EXPECT_EQ(cpu.run.n_seq, 1);
  EXPECT_EQ(cpu.run.launches_per_step, 0);
  EXPECT_FALSE(cpu.window);
}

// Counts and timestamps are written as integers; a float or a number beyond int64_t is an
// InputError naming the field. 1e300 was cast to int64_t, undefined behaviour (UBSan, found by
// fuzz/fuzz_side_json.cpp).
TEST(EngineRunDoc, CountsMustBeWholeNumbersInRange) {
  const auto refused = [](const char* key, const nlohmann::json& v) {
    nlohmann::json d = run_doc();
    // (the end as far as it goes, so that a start in range is never after it)
    if (std::string(key) == "start") d["decode_window_ns"]["start"] = v, d["decode_window_ns"]["end"] = INT64_MAX;
    else d[key] = v;
    try {
      parse_engine_run(d.dump(), "run.json");
      return false;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
      return true;
    }
  };
  for (const char* key : {"n_seq", "n_decode_evals", "launches_per_decode_step", "kernels_per_decode_step", "start"}) {
    EXPECT_TRUE(refused(key, 1e300)) << key;
    EXPECT_TRUE(refused(key, -1e300)) << key;
    EXPECT_TRUE(refused(key, 2.5)) << key;
    EXPECT_TRUE(refused(key, uint64_t{1} << 63)) << key;
    EXPECT_TRUE(refused(key, "16")) << key;
    EXPECT_FALSE(refused(key, INT64_MAX)) << key;
  }
  EXPECT_THROW(parse_engine_run(R"({"backend": "cuda", "n_decode_evals": 1e300})", "run.json"), InputError);
  EXPECT_THROW(parse_engine_run("{\"backend\": \"cuda\"", "run.json"), InputError);
  EXPECT_THROW(parse_engine_run("[1, 2]", "run.json"), InputError);
}

// A batch of no sequence or a negative count is refused (sweep takes n_seq as the batch size);
// 0 decode steps or launches is a real run's value (a CPU run, a prefill-only run).
TEST(EngineRunDoc, CountsMustNotBeBelowTheirMinimum) {
  const auto refused = [](const char* key, int64_t v) {
    nlohmann::json d = run_doc();
    d[key] = v;
    try {
      parse_engine_run(d.dump(), "run.json");
      return false;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
      return true;
    }
  };
  EXPECT_TRUE(refused("n_seq", 0));
  EXPECT_TRUE(refused("n_seq", -4));
  EXPECT_FALSE(refused("n_seq", 1));
  for (const char* key : {"n_decode_evals", "launches_per_decode_step", "kernels_per_decode_step"}) {
    EXPECT_TRUE(refused(key, -1)) << key;
    EXPECT_FALSE(refused(key, 0)) << key;
  }
}

// A window that ends before it starts is the file's fault: an InputError naming the file and the
// field (exit 1), not a usage error without either (review CX L7); start == end is one instant.
TEST(EngineRunDoc, ReversedDecodeWindowIsRefusedNamingTheFile) {
  nlohmann::json d = run_doc();
  d["decode_window_ns"] = {{"start", 1100000}, {"end", 1000000}};
  try {
    parse_engine_run(d.dump(), "dw_rev.json");
    FAIL() << "a reversed window was read";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("dw_rev.json"), std::string::npos) << what;
    EXPECT_NE(what.find("decode_window_ns"), std::string::npos) << what;
    EXPECT_NE(what.find("1100000"), std::string::npos) << what;
    EXPECT_EQ(e.exit_code(), 1);
  }
  d["decode_window_ns"] = {{"start", 1000}, {"end", 1000}};
  const EngineRunDoc one = parse_engine_run(d.dump(), "run.json");
  ASSERT_TRUE(one.window);
  EXPECT_EQ(one.window->from, one.window->to);
}

// A trace without CUDA work (a CPU-only run) has no decode steps' launches to cut and nothing to
// check the window against: --decode-window refuses it (exit 1) instead of a "0 kernels" analysis
// (review BK item 6). A trace with CUDA work inside the window is cut as before.
TEST(EngineRunDoc, DecodeWindowRefusesATraceWithoutCudaWork) {
  EngineRunDoc run;
  run.window = TraceWindow{100, 200};
  Trace cpu_only;
  Operator op;
  op.start = 150, op.dur = 10, op.name = cpu_only.strings.intern("aten::mm");
  cpu_only.ops.push(op);
  try {
    cut_to_decode_window(cpu_only, "cpu.json", run, "run.json");
    ADD_FAILURE() << "a trace without CUDA work was cut without a word";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 1) << e.what();
    const std::string m = e.what();
    EXPECT_NE(m.find("cpu.json"), std::string::npos) << m;
    EXPECT_NE(m.find("--decode-window run.json"), std::string::npos) << m;
    EXPECT_NE(m.find("no CUDA API calls"), std::string::npos) << m;
  }
  Trace gpu;
  ApiCall c;
  c.start = 150, c.dur = 5, c.correlation = 1, c.name = gpu.strings.intern("cudaLaunchKernel");
  c.kind = ApiKind::KernelLaunch;
  gpu.api.push(c);
  EXPECT_NO_THROW(cut_to_decode_window(gpu, "gpu.json", run, "run.json"));
  EXPECT_EQ(gpu.api.size(), 1u);
}

}  // namespace
}  // namespace infertrace::cli
