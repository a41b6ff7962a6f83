#include "cli/engine_run.h"

#include <cstdint>
#include <functional>
#include <iostream>
#include <string>

#include "util/error.h"
#include "util/physical_memory.h"
#include "util/plural.h"
#include "util/units.h"

namespace infertrace::cli {

int64_t run_context(const RunArgs& a, size_t prompt_tokens, int64_t n_ctx_train) {
  // The rule (docs/engine.md): the context holds the prompt plus every generated token, the last one
  // included although it is never evaluated (one position more than the run needs); the messages
  // say so, since a refusal one position short of the need read as an off-by-one (review EB L6).
  // Saturated: huge --prompt-tokens and -n must not wrap the sum below the context (review DK M2).
  int64_t need = 0;
  if (prompt_tokens > static_cast<size_t>(INT64_MAX) ||
      __builtin_add_overflow(static_cast<int64_t>(prompt_tokens), a.n_predict, &need))
    need = INT64_MAX;
  const int64_t ctx = a.ctx > 0 ? a.ctx : need;
  const std::string counted = std::to_string(prompt_tokens) + " prompt + " + std::to_string(a.n_predict) + " generated " +
                              plural(need, "token", "tokens");
  const char* rule = "the context must hold the prompt plus every generated token, the last one included";
  if (need > ctx)
    throw Error("context overflow: " + counted + " exceed --ctx " + std::to_string(ctx) + " (" + rule + ")");
  if (n_ctx_train > 0 && ctx > n_ctx_train) {
    if (a.ctx > 0)
      throw Error("context of " + std::to_string(ctx) + " tokens exceeds the model's training context of " +
                  std::to_string(n_ctx_train));
    throw Error("context of " + std::to_string(ctx) + " " + plural(ctx, "token", "tokens") + " (" + counted + ": " + rule +
                ") exceeds the model's training context of " + std::to_string(n_ctx_train));
  }
  return ctx;
}

int64_t check_prompt_tokens_fit(const RunArgs& a, int64_t n_ctx_train) {
  if (a.prompt_given || !a.prompt.empty() || a.prompt_tokens <= 0) return 0;  // build_prompt says what is wrong
  return run_context(a, static_cast<size_t>(a.prompt_tokens), n_ctx_train);
}

void check_run_memory(int64_t ctx, uint64_t context_bytes, uint64_t prompt_tokens) {
  const uint64_t ram = physical_memory_bytes(), swap = swap_bytes();
  if (ram == 0) return;  // unknown: the allocation says it
  // (in double: saturated sums would print wrong sizes, and bytes this large need no exactness)
  const double prompt_bytes = static_cast<double>(prompt_tokens) * sizeof(int32_t);
  // Memory and swap: the KV cache is touched only as far as the run fills it, so a context between
  // the two ran before and still runs; beyond both the kernel refuses the allocation anyway.
  if (static_cast<double>(context_bytes) + prompt_bytes <= static_cast<double>(ram) + static_cast<double>(swap)) return;
  std::string parts;
  if (context_bytes > 0)
    parts = "the KV cache and attention scores of a context of " + std::to_string(ctx) + " " + plural(ctx, "token", "tokens") +
            " take " + (context_bytes == UINT64_MAX ? "more than " : "") + format_bytes(static_cast<double>(context_bytes)) +
            " and ";
  throw Error("this run does not fit in memory: " + parts + "the prompt's " + std::to_string(prompt_tokens) + " token ids take " +
              format_bytes(prompt_bytes) + ", more than this machine's " + format_bytes(static_cast<double>(ram)) +
              (swap > 0 ? " of memory and " + format_bytes(static_cast<double>(swap)) + " of swap" : std::string(" of memory")) +
              " (give a shorter prompt, a smaller -n or --ctx)");
}

engine::GenerateResult generate_on_console(engine::Evaluator& evaluator, const engine::Tokenizer& tok,
                                           const std::vector<int32_t>& prompt, const RunArgs& a,
                                           engine::Sampler& sampler) {
  std::function<bool(int32_t)> eog;
  if (!a.ignore_eos) eog = [&](int32_t id) { return tok.is_eog(id); };
  std::function<void(int32_t)> stream;
  if (!a.json) {
    std::cout << tok.decode(prompt) << std::flush;
    stream = [&](int32_t id) { std::cout << tok.token_to_piece(id) << std::flush; };
  }
  return engine::generate(evaluator, prompt, a.n_predict, sampler, eog, stream);
}

std::string printing_note(const engine::GenerateResult& r) {
  if (r.on_token_s <= 0) return "";
  return "; printing the tokens took " + format_ns(r.on_token_s * 1e9) + ", not counted";
}

}  // namespace infertrace::cli
