// Pieces shared by `engine run` and `bench threads`: synthetic-prompt construction with the
// model's vocabulary. (The default thread count, engine::allowed_cpu_count, is in
// engine/runtime/thread_pool.h: infertrace-serve uses it too.)
#pragma once

#include <string>
#include <vector>

#include "engine/model/forward.h"
#include "engine/tokenizer/tokenizer.h"

namespace infertrace::cli {

// Prompt ids: `text` encoded with the model's tokenizer, or `prompt_tokens` synthetic ids (BOS
// then random non-control ids). Exactly one of the two must be given (UsageError otherwise).
// `text_given`: the text was given even if empty (`-p ''`: BOS alone, for a model that adds one).
std::vector<int32_t> build_prompt(const engine::Tokenizer& tok, const std::string& text, int64_t prompt_tokens,
                                  uint64_t seed, bool text_given = false);

// Synthetic ids for a benchmark: BOS then random non-control ids.
std::vector<int32_t> bench_prompt(const engine::Tokenizer& tok, int64_t n, uint64_t seed);

}  // namespace infertrace::cli
