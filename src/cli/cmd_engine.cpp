// `infertrace engine run`: generate text with the reference engine (CPU, or CUDA with --backend cuda:
// engine_run_cuda.cpp) and print pp/tg tokens/s.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/engine_common.h"
#include "cli/engine_run.h"
#include "cli/prompt_math_option.h"
#include "cli/registry.h"
#include "engine/cpu/isa.h"
#include "engine/model/forward.h"
#include "engine/runtime/generate.h"
#include "engine/runtime/memory.h"
#include "engine/runtime/sampler.h"
#include "engine/runtime/thread_pool.h"
#include "engine/tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/plural.h"
#include "util/units.h"

namespace infertrace::cli {

namespace {

// A value for a message, as short as printf's %g writes it (1e+39).
std::string shortest(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}

// Values no run can use are usage errors before the model loads (exit 2): a negative thread
// count or context was silently the default, a negative temperature silently greedy, a top-p
// outside (0, 1] silently no filter or one token, and a thread count in the tens of thousands
// aborted the process when the thread pool could not start them.
void check_run_values(const RunArgs& a) {
  if (a.prompt_tokens_given && a.prompt_tokens < 1)
    throw UsageError("--prompt-tokens must be >= 1, got " + std::to_string(a.prompt_tokens) +
                     " (for a prompt of BOS alone: -p '')");
  if (a.n_predict < 0) throw UsageError("-n must be >= 0");
  if (a.ctx < 0) throw UsageError("--ctx must be >= 0 (0: default, prompt + generated tokens)");
  if (a.threads < 0) throw UsageError("-t must be >= 0 (0: default, the --cpus count, else every allowed CPU)");
  // Whatever -t says: a CPU this process may not run on is a typo even when -t pins to fewer.
  const std::vector<int> pinned = a.cpus.empty() ? std::vector<int>{} : engine::parse_pinning_cpus(a.cpus, "--cpus");
  if (a.threads > 0) engine::check_thread_cap({a.threads}, engine::thread_cap_cpus(pinned), "-t " + std::to_string(a.threads));
  // Within float's range, which the sampler computes in.
  if (!(a.temperature >= 0 && a.temperature <= std::numeric_limits<float>::max()))
    throw UsageError("--temp must be a finite number >= 0 (0: greedy) and at most 3.4e38, got " + shortest(a.temperature));
  if (a.sampling.top_k < 0) throw UsageError("--top-k must be >= 0 (0: off)");
  // The sampler gets a float: a positive double below float's smallest (1e-50) became 0.0f, the
  // value refused here. (--temp needs no such look: one that becomes 0.0f is greedy, which is what
  // a temperature that small samples anyway.)
  if (!(a.top_p > 0 && a.top_p <= 1 && static_cast<float>(a.top_p) > 0))
    throw UsageError("--top-p must be in (0, 1] and not 0 as a float (about 1e-45 or more), got " + shortest(a.top_p));
}

// The defaults of --temp and --top-p are the sampler's.
static_assert(static_cast<float>(RunArgs{}.temperature) == engine::SamplerOptions{}.temperature);
static_assert(static_cast<float>(RunArgs{}.top_p) == engine::SamplerOptions{}.top_p);

// Options that belong to one backend are refused on the other (UsageError, exit 2).
void check_backend_options(const RunArgs& a) {
  if (a.backend != "cpu" && a.backend != "cuda")
    throw UsageError("unknown --backend '" + a.backend + "' (cpu or cuda)");
  if (a.batch < 1 || a.batch > 1024) throw UsageError("--batch must be between 1 and 1024");
  if (a.ubatch < 1) throw UsageError("--ubatch must be >= 1");
  if (a.backend == "cpu") {
    if (!a.mode.empty()) throw UsageError("--mode applies to --backend cuda");
    if (a.batch != 1) throw UsageError("--batch (sequences decoded together) applies to --backend cuda");
    if (a.device != 0) throw UsageError("--device applies to --backend cuda");
    if (a.roofline_gbs != 0 || a.measure_roofline)
      throw UsageError("--roofline-gbs and --measure-roofline apply to --backend cuda (bench threads has the CPU roofline)");
    return;
  }
  if (a.roofline_gbs < 0) throw UsageError("--roofline-gbs must be > 0");
  if (a.roofline_gbs > 0 && a.measure_roofline)
    throw UsageError("--roofline-gbs and --measure-roofline: give a bandwidth or measure it, not both");
  if (a.threads > 0 || !a.cpus.empty() || a.numa || a.hugepages || !a.isa.empty() || a.prompt_math != kDefaultPromptMath ||
      a.no_warmup)
    throw UsageError("--threads, --cpus, --numa, --hugepages, --isa, --prompt-math and --no-warmup apply to --backend cpu");
}

void run_engine(RunArgs a) {
  check_backend_options(a);
  check_run_values(a);
  a.sampling.temperature = static_cast<float>(a.temperature);
  a.sampling.top_p = static_cast<float>(a.top_p);
  if (a.backend == "cuda") {
    run_engine_cuda(a);
    return;
  }
  if (!a.isa.empty()) engine::cpu::set_active_isa(engine::cpu::parse_isa(a.isa));
  apply_prompt_math(a.prompt_math);
  engine::PlacementOptions placement;
  placement.numa = a.numa;
  placement.copy_weights = a.hugepages;
  if (!a.cpus.empty()) placement.cpus = engine::parse_pinning_cpus(a.cpus, "--cpus");
  const int threads = engine::resolve_thread_count(a.threads, placement.cpus);

  const auto model = engine::Model::load(a.model, placement);
  const engine::ModelConfig& cfg = model->config();
  if (const int64_t planned = check_prompt_tokens_fit(a, cfg.n_ctx_train); planned > 0)
    check_run_memory(planned, engine::Session::context_bytes(cfg, planned, threads), static_cast<uint64_t>(a.prompt_tokens));
  const engine::Tokenizer tok = engine::Tokenizer::from_gguf(model->file());
  const std::vector<int32_t> prompt = build_prompt(tok, a.prompt, a.prompt_tokens, a.sampling.seed, a.prompt_given);
  const int64_t ctx = run_context(a, prompt.size(), cfg.n_ctx_train);
  check_run_memory(ctx, engine::Session::context_bytes(cfg, ctx, threads), prompt.size());  // --ctx with a text prompt
  engine::ThreadPool pool(threads, placement.cpus);
  engine::Session session(*model, pool, ctx, a.ubatch, placement);
  engine::Sampler sampler(a.sampling);
  // Untimed warm-up (kCpuWarmupTokens): a greedy sampler of its own, so the run's sampler and seed
  // are untouched, and the session reset after it, so the run's tokens are the same as without it.
  // It must fit the run's context, which may be no larger than the prompt (-n 0, or --ctx equal to
  // the prompt): the decode step takes one position after the warm-up's prompt, so that prompt is
  // cut to ctx - 1 tokens, and a context of 1 (a one-token prompt, -n 0) gets no decode step.
  const size_t warmup_room = ctx > 1 ? static_cast<size_t>(ctx - 1) : 1;
  const size_t warmup_tokens = a.no_warmup ? 0 : std::min({prompt.size(), kCpuWarmupTokens, warmup_room});
  if (warmup_tokens > 0) {
    engine::Sampler greedy;
    const int64_t warmup_generated = static_cast<int64_t>(warmup_tokens) < ctx ? 2 : 1;
    engine::generate(session, std::vector<int32_t>(prompt.begin(), prompt.begin() + static_cast<std::ptrdiff_t>(warmup_tokens)),
                     warmup_generated, greedy);
    session.reset();
  }
  const engine::GenerateResult r = generate_on_console(session, tok, prompt, a, sampler);
  const char* isa = engine::cpu::isa_name(engine::cpu::active_isa());
  const char* int8 = prompt_int8_kernels(a.prompt_math);

  if (a.json) {
    nlohmann::json j = {{"schema_version", 1},
                        {"model", a.model},
                        {"backend", "cpu"},
                        {"architecture", engine::arch_name(model->config().arch)},
                        {"threads", threads},
                        {"cpus", placement.cpus},
                        {"isa", isa},
                        {"prompt_math", a.prompt_math},
                        {"int8_kernels", int8 ? nlohmann::json(int8) : nlohmann::json()},
                        {"placement", model->placement_note()},
                        {"warmup_tokens", warmup_tokens},
                        {"n_prompt", r.n_prompt},
                        {"n_generated", r.output.size()},
                        {"prompt_ids", prompt},
                        {"output_ids", r.output},
                        {"text", tok.decode(r.output)},
                        {"stopped_at_eog", r.stopped_at_eog},
                        {"prefill_seconds", r.prefill_s},
                        {"decode_seconds", r.decode_s},
                        {"n_decode_evals", r.n_decode_evals},
                        {"decode_window_ns", {{"start", r.decode_start_ns}, {"end", r.decode_end_ns}}},
                        {"pp_tokens_per_second", r.pp()},
                        {"tg_tokens_per_second", r.n_decode_evals > 0 ? nlohmann::json(r.tg()) : nlohmann::json()}};
    // Generated pieces may split or lack UTF-8 characters (byte tokens): replace invalid bytes
    // with U+FFFD rather than fail.
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return;
  }
  std::printf("\n\n%s | %d threads | %s kernels%s%s | %s | %s\n", model->config().summary().c_str(), threads, isa,
              int8 ? ", int8 " : "", int8 ? int8 : "", model->placement_note().c_str(),
              warmup_tokens > 0 ? ("untimed warm-up of " + std::to_string(warmup_tokens) + " " + plural(static_cast<int64_t>(warmup_tokens), "token", "tokens") + " first").c_str()
                                : "no warm-up: the timed run is the process's first evaluation");
  // Times as format_ns() writes them: "%.3f s" printed 0.000 s for a small model's prefill.
  std::printf("pp: %lld %s in %s = %.2f tokens/s\n", static_cast<long long>(r.n_prompt),
              plural(r.n_prompt, "token", "tokens").c_str(), format_ns(r.prefill_s * 1e9).c_str(), r.pp());
  if (r.n_decode_evals > 0)
    std::printf("tg: %lld %s in %s = %.2f tokens/s (decode steps; the first of the %lld generated came from the "
                "prefill%s)\n",
                static_cast<long long>(r.n_decode_evals), plural(r.n_decode_evals, "token", "tokens").c_str(),
                format_ns(r.decode_s * 1e9).c_str(), r.tg(),
                static_cast<long long>(r.output.size()), printing_note(r).c_str());
  else
    std::printf("tg: n/a (fewer than 2 tokens generated)\n");
  if (r.stopped_at_eog) std::printf("stopped at an end-of-generation token\n");
}

const CommandRegistrar reg(650, "engine", [](CLI::App& app) {
  auto* engine = app.add_subcommand("engine", "Run the reference inference engine (CPU, or CUDA) on a GGUF model");
  engine->require_subcommand(1);
  auto a = std::make_shared<RunArgs>();
  auto* run = engine->add_subcommand("run", "Generate text; prints prompt-processing (pp) and generation (tg) tokens/s");
  run->add_option("-m,--model", a->model,
                  "GGUF file (llama, qwen2 or qwen3; f32/f16/bf16/q8_0, q4_0/q4_1/q5_0/q5_1 or q4_k/q5_k/q6_k weights)")
      ->required();
  auto* prompt_opt = run->add_option("-p,--prompt", a->prompt, "Prompt text (encoded with the model's tokenizer; control tokens such as <|im_start|> written in it are those tokens); "
                                    "this or --prompt-tokens is required");
  auto* prompt_tokens_opt = run->add_option("--prompt-tokens", a->prompt_tokens, "Use N synthetic prompt tokens instead of text (this or -p is required)");
  run->add_option("-n,--n-predict", a->n_predict, "Tokens to generate")->capture_default_str();
  run->add_option("-t,--threads", a->threads, "Threads (default: the --cpus count, else every allowed CPU; at most 4 per CPU the threads may "
                  "use, the allowed CPUs or the --cpus list when longer, and at most 1024 unless there are more)");
  run->add_option("--cpus", a->cpus, "Pin thread i to the i-th CPU of this list, e.g. 0-3,8");
  run->add_flag("--numa", a->numa, "Copy weights and KV cache to memory bound to the threads' NUMA nodes (sysfs and mbind(2))");
  run->add_flag("--hugepages", a->hugepages, "Copy weights to anonymous memory advised for transparent huge pages");
  run->add_option("--ctx", a->ctx, "KV cache size in tokens (default: prompt + generated)");
  run->add_option("--ubatch", a->ubatch, "Most prompt tokens per prefill step")->capture_default_str();
  run->add_option("--backend", a->backend, "cpu or cuda")->capture_default_str();
  run->add_option("--mode", a->mode, "cuda: eager, fused (default) or graph");
  run->add_option("--batch", a->batch, "cuda: sequences decoded together from the same prompt")->capture_default_str();
  run->add_option("--device", a->device, "cuda: device index")->capture_default_str();
  run->add_option("--roofline-gbs", a->roofline_gbs,
                  "cuda: device read bandwidth, GB/s (e.g. `bench membw --device cuda`'s read best): report tg's "
                  "share of the bandwidth roofline (decode bytes per token x tg / bandwidth; 0: not given)");
  run->add_flag("--measure-roofline", a->measure_roofline,
                "cuda: measure the read bandwidth after the run (bench membw --device cuda, 5 repetitions, best) and "
                "report the roofline share");
  run->add_option("--temp", a->temperature, "Sampling temperature (0: greedy)")->capture_default_str();
  run->add_option("--top-k", a->sampling.top_k, "Top-k (0: off)")->capture_default_str();
  run->add_option("--top-p", a->top_p, "Top-p")->capture_default_str();
  run->add_option("--seed", a->sampling.seed, "Seed for sampling and synthetic prompts")->capture_default_str();
  run->add_flag("--ignore-eos", a->ignore_eos, "Do not stop at end-of-generation tokens");
  run->add_flag("--no-warmup", a->no_warmup,
                "cpu: no untimed warm-up (8 prompt tokens and one decode step, then the cache cleared) before the "
                "timed run, so pp and tg include the first evaluation's one-time costs");
  run->add_option("--isa", a->isa, "Force the kernels: scalar, avx2 or avx512 (default: best the CPU has)");
  add_prompt_math_option(run, a->prompt_math);
  run->add_flag("--json", a->json, "Print one JSON object (schema in docs/engine.md) instead of text");
  run->callback([a, prompt_opt, prompt_tokens_opt] {
    a->prompt_given = prompt_opt->count() > 0;
    a->prompt_tokens_given = prompt_tokens_opt->count() > 0;
    run_engine(*a);
  });
});

}  // namespace

}  // namespace infertrace::cli
