#include "engine/runtime/generate.h"

#include <chrono>
#include <random>

#include "util/error.h"

namespace infertrace::engine {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
// steady_clock is CLOCK_MONOTONIC on Linux: the same time line as a recording's events.
int64_t monotonic_ns(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
}  // namespace

GenerateResult generate(Evaluator& session, const std::vector<int32_t>& prompt, int64_t n_predict, Sampler& sampler,
                        const std::function<bool(int32_t)>& is_eog, const std::function<void(int32_t)>& on_token) {
  if (prompt.empty()) throw Error("the prompt has no tokens");
  GenerateResult r;
  r.n_prompt = static_cast<int64_t>(prompt.size());
  auto t0 = std::chrono::steady_clock::now();
  std::span<const float> logits = session.eval_prompt(prompt);
  r.prefill_s = seconds_since(t0);
  if (n_predict <= 0) return r;
  int32_t tok = sampler.sample(logits);
  r.output.push_back(tok);
  if (on_token) on_token(tok);
  t0 = std::chrono::steady_clock::now();
  r.decode_start_ns = monotonic_ns(t0);
  // on_token (engine run's console output) is timed apart and left out of decode_s: a slow
  // terminal or a pipe whose reader lags must not lower tg (review SB L6).
  std::chrono::steady_clock::duration in_on_token{0};
  while (static_cast<int64_t>(r.output.size()) < n_predict) {
    if (is_eog && is_eog(tok)) {
      r.stopped_at_eog = true;
      break;
    }
    logits = session.eval(std::span<const int32_t>(&tok, 1));
    ++r.n_decode_evals;
    tok = sampler.sample(logits);
    r.output.push_back(tok);
    if (on_token) {
      const auto c0 = std::chrono::steady_clock::now();
      on_token(tok);
      in_on_token += std::chrono::steady_clock::now() - c0;
    }
  }
  // No decode step ran: an empty window (start = end, 0 s), not the two clock reads around nothing.
  const auto t1 = r.n_decode_evals > 0 ? std::chrono::steady_clock::now() : t0;
  r.decode_s = std::chrono::duration<double>(t1 - t0 - in_on_token).count();
  r.on_token_s = std::chrono::duration<double>(in_on_token).count();
  r.decode_end_ns = monotonic_ns(t1);
  if (is_eog && is_eog(tok)) r.stopped_at_eog = true;
  return r;
}

BatchGenerateResult generate_batched(BatchEvaluator& ev, const std::vector<int32_t>& prompt, int64_t n_predict,
                                     std::vector<Sampler>& samplers) {
  if (prompt.empty()) throw Error("the prompt has no tokens");
  const int64_t B = ev.n_seq(), V = ev.n_vocab();
  if (static_cast<int64_t>(samplers.size()) != B) throw Error("generate_batched: one sampler per sequence needed");
  BatchGenerateResult r;
  r.n_seq = B;
  r.n_prompt = static_cast<int64_t>(prompt.size());
  r.outputs.resize(B);
  auto t0 = std::chrono::steady_clock::now();
  std::span<const float> logits = ev.prefill(prompt);
  r.prefill_s = seconds_since(t0);
  if (n_predict <= 0) return r;
  std::vector<int32_t> step(B);
  for (int64_t s = 0; s < B; ++s) {
    step[s] = samplers[s].sample(logits);
    r.outputs[s].push_back(step[s]);
  }
  t0 = std::chrono::steady_clock::now();
  r.decode_start_ns = monotonic_ns(t0);
  for (int64_t i = 1; i < n_predict; ++i) {
    logits = ev.decode(step);
    ++r.n_decode_evals;
    for (int64_t s = 0; s < B; ++s) {
      step[s] = samplers[s].sample(logits.subspan(s * V, V));
      r.outputs[s].push_back(step[s]);
    }
  }
  // No decode step ran: an empty window (start = end, 0 s), not the two clock reads around nothing.
  const auto t1 = r.n_decode_evals > 0 ? std::chrono::steady_clock::now() : t0;
  r.decode_s = std::chrono::duration<double>(t1 - t0).count();
  r.decode_end_ns = monotonic_ns(t1);
  return r;
}

std::vector<int32_t> synthetic_prompt(int64_t n, int32_t n_vocab, int32_t bos, uint64_t seed,
                                      const std::function<bool(int32_t)>& skip) {
  std::vector<int32_t> ids;
  if (n <= 0) return ids;
  if (bos >= 0) ids.push_back(bos);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int32_t> pick(0, n_vocab - 1);
  for (int tries = 0; static_cast<int64_t>(ids.size()) < n; ++tries) {
    const int32_t id = pick(rng);
    if (skip && skip(id) && tries < 1000000) continue;
    ids.push_back(id);
  }
  return ids;
}

}  // namespace infertrace::engine
