// `engine run`'s options, shared by the CPU path (cmd_engine.cpp) and the CUDA path
// (engine_run_cuda.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/prompt_math_option.h"
#include "engine/runtime/generate.h"
#include "engine/runtime/sampler.h"
#include "engine/tokenizer/tokenizer.h"

namespace infertrace::cli {

struct RunArgs {
  std::string model, prompt, cpus, isa;
  std::string prompt_math = kDefaultPromptMath;  // cpu: a prompt's Q8_0, K-quant and Q4_0..Q5_1 products (cli/prompt_math_option.h)
  std::string backend = "cpu", mode;  // mode: cuda only (default fused)
  int64_t prompt_tokens = 0, n_predict = 32, ctx = 0, ubatch = 256, batch = 1;
  int threads = 0, device = 0;
  double roofline_gbs = 0;        // cuda: device read bandwidth to compare decode with (0: none)
  bool measure_roofline = false;  // cuda: measure it (bench membw --device cuda's read test) after the run
  bool numa = false, hugepages = false, ignore_eos = false, json = false;
  // --temp and --top-p, read as double and copied into `sampling` (float) once checked: CLI11 names
  // float and double options alike, and the CLI's check of numeric options (numeric_options.h)
  // judges a value against double's range, so 1e39 would pass it and become a float inf.
  double temperature = 0.0, top_p = 0.95;
  engine::SamplerOptions sampling;  // its temperature and top_p: set from the two above
  bool prompt_given = false;        // -p was given, maybe empty (a prompt of BOS alone)
  // cpu: skip the untimed warm-up evaluation (kCpuWarmupTokens) before the timed run.
  bool no_warmup = false;
  bool prompt_tokens_given = false;  // --prompt-tokens was given (then it must be >= 1)
};

// cpu: prompt tokens the untimed warm-up evaluates (then one decode step) before the timed run, as
// bench threads does and llama.cpp's tools do by default: the first evaluation of a process also pays
// for its scratch buffers, the thread pool's first wake-ups and cold caches (review SB H1).
constexpr size_t kCpuWarmupTokens = 8;

// One sequence generated for the console, either backend: the prompt text echoed and each token
// printed as it is chosen (nothing with --json), stopping at end-of-generation unless --ignore-eos.
engine::GenerateResult generate_on_console(engine::Evaluator& evaluator, const engine::Tokenizer& tok,
                                           const std::vector<int32_t>& prompt, const RunArgs& a,
                                           engine::Sampler& sampler);

// The tg line's note on the time the console's printing of the tokens took inside the decode window
// ("; printing the tokens took 3.1 ms, not counted"; empty when nothing was printed): tg leaves it
// out, and the decode window (`--json` decode_window_ns) spans both.
std::string printing_note(const engine::GenerateResult& r);

// The context length of a run: --ctx, else exactly the prompt plus the tokens to generate. Throws
// when the run does not fit it or it exceeds the model's training context (n_ctx_train, 0: unknown).
int64_t run_context(const RunArgs& a, size_t prompt_tokens, int64_t n_ctx_train);

// run_context's checks for a --prompt-tokens run, before the prompt is built: its length is known
// from the option, and `--prompt-tokens 1000000000` built a 4 GB prompt for minutes before being
// refused (review CA M3). Returns the run's context, or 0 for a text prompt (its length is known
// once encoded: nothing is checked).
int64_t check_prompt_tokens_fit(const RunArgs& a, int64_t n_ctx_train);

// Throws when a run cannot fit this machine's physical memory and swap: `context_bytes`, what its context of
// `ctx` tokens allocates (the CPU session's KV cache and attention scores, Session::context_bytes;
// 0 where the context lives on a device), plus `prompt_tokens` token ids. Called before the prompt
// is built where its length is known: a model with a huge training context let `--prompt-tokens
// 1000000000` build a 4 GB prompt for 15 s, then fail to allocate 256 GB (review CA M3's rest).
void check_run_memory(int64_t ctx, uint64_t context_bytes, uint64_t prompt_tokens);

// Runs `engine run --backend cuda` (options already checked for the backend).
void run_engine_cuda(const RunArgs& a);

}  // namespace infertrace::cli
