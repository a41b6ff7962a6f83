// One timed generation, as `engine run` and `bench threads` measure it (metrics.md section 6):
//   prefill: all prompt tokens in one eval (batched); pp = prompt tokens / prefill seconds.
//   decode : n_predict tokens are generated: the first is sampled from the prefill's logits, each
//            further one costs one single-token eval; tg = decode evals / their seconds
//            (n_predict - 1 evals; no tg for n_predict < 2). The decode seconds are the
//            evals' and the sampling's: the time on_token takes (engine run's printing of each
//            token) is left out, so a slow terminal or pipe does not lower tg.
// The decode phase's bounds are also kept as CLOCK_MONOTONIC nanoseconds (std::chrono::steady_clock
// is CLOCK_MONOTONIC on Linux, the clock of infertrace recordings), so a recording of the run can be
// cut to exactly the steps tg measured (`fusion --decode-window`, docs/fusion.md); the window also
// holds on_token's calls after each step, so end - start = decode_s + on_token_s.
// Batched (generate_batched): n_seq sequences from one prompt, decoded in lockstep; the prompt is
// counted once (pp = prompt tokens / prefill seconds) and tg counts every sequence's tokens
// (n_seq x decode evals / their seconds). No stop at end-of-generation tokens: every sequence
// generates n_predict tokens, so each step has the same work.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "engine/runtime/evaluator.h"
#include "engine/runtime/sampler.h"

namespace infertrace::engine {

struct GenerateResult {
  std::vector<int32_t> output;  // generated token ids
  int64_t n_prompt = 0;
  double prefill_s = 0, decode_s = 0;
  int64_t n_decode_evals = 0;
  int64_t decode_start_ns = 0, decode_end_ns = 0;  // CLOCK_MONOTONIC; equal when nothing was decoded
  bool stopped_at_eog = false;
  // Seconds spent in on_token inside the decode window (after each decode step), not in decode_s;
  // 0 without on_token.
  double on_token_s = 0;
  double pp() const { return prefill_s > 0 ? n_prompt / prefill_s : 0.0; }
  double tg() const { return decode_s > 0 && n_decode_evals > 0 ? n_decode_evals / decode_s : 0.0; }
};

// `is_eog` (may be empty): stop after a token for which it returns true. `on_token` (may be
// empty) is called with each generated token as soon as it is chosen.
GenerateResult generate(Evaluator& session, const std::vector<int32_t>& prompt, int64_t n_predict, Sampler& sampler,
                        const std::function<bool(int32_t)>& is_eog = {},
                        const std::function<void(int32_t)>& on_token = {});

struct BatchGenerateResult {
  std::vector<std::vector<int32_t>> outputs;  // per sequence
  int64_t n_seq = 0, n_prompt = 0, n_decode_evals = 0;
  double prefill_s = 0, decode_s = 0;
  int64_t decode_start_ns = 0, decode_end_ns = 0;  // CLOCK_MONOTONIC, as in GenerateResult
  double pp() const { return prefill_s > 0 ? n_prompt / prefill_s : 0.0; }
  double tg() const { return decode_s > 0 && n_decode_evals > 0 ? n_seq * n_decode_evals / decode_s : 0.0; }
};

// samplers: one per sequence (evaluator.n_seq() of them).
BatchGenerateResult generate_batched(BatchEvaluator& evaluator, const std::vector<int32_t>& prompt, int64_t n_predict,
                                     std::vector<Sampler>& samplers);

// Deterministic prompt ids for benchmarks: `bos` (when >= 0) then ids drawn from a seeded
// generator over the vocabulary, skipping ids for which `skip` returns true (control tokens).
std::vector<int32_t> synthetic_prompt(int64_t n, int32_t n_vocab, int32_t bos, uint64_t seed,
                                      const std::function<bool(int32_t)>& skip = {});

}  // namespace infertrace::engine
