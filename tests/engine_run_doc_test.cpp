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
    if (std::string(key) == "start") d["decode_window_ns"]["start"] = v;
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

}  // namespace
}  // namespace infertrace::cli
