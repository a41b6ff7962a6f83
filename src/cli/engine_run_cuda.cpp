// `engine run --backend cuda`: the CPU engine's model loading, tokenizer, sampler and timing
// (generate / generate_batched), with the CUDA engine evaluating. Prints the launches per decode
// token the engine counted, beside what launch_model.h predicts for the mode, and the bytes a decode
// step reads (gpu/engine/decode_traffic.h) with tg's share of the bandwidth roofline when a read
// bandwidth is given (--roofline-gbs) or measured after the run (--measure-roofline).
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/bench_membw_gpu.h"
#include "cli/engine_common.h"
#include "cli/engine_run.h"
#include "engine/model/forward.h"
#include "engine/runtime/generate.h"
#include "engine/tokenizer/tokenizer.h"
#include "gpu/engine/cuda_engine.h"
#include "gpu/engine/cuda_evaluator.h"
#include "gpu/engine/cuda_support.h"
#include "gpu/engine/decode_traffic.h"
#include "gpu/membw_bench.h"
#include "util/error.h"
#include "util/units.h"
#include "util/plural.h"

namespace infertrace::cli {

void run_engine_cuda(const RunArgs& a) {
  const gpu::CudaMode mode = a.mode.empty() ? gpu::CudaMode::Fused : gpu::parse_cuda_mode(a.mode);
  const auto model = engine::Model::load(a.model);
  const engine::ModelConfig& cfg = model->config();
  gpu::check_cuda_support(cfg, model->weights());  // Q8_0 etc. refused before any device work
  // (the context's KV cache lives on the device, which says when it cannot hold it: only the
  // prompt's host memory is checked here)
  if (check_prompt_tokens_fit(a, cfg.n_ctx_train) > 0) check_run_memory(0, 0, static_cast<uint64_t>(a.prompt_tokens));
  const engine::Tokenizer tok = engine::Tokenizer::from_gguf(model->file());
  const std::vector<int32_t> prompt = build_prompt(tok, a.prompt, a.prompt_tokens, a.sampling.seed, a.prompt_given);
  const int64_t ctx = run_context(a, prompt.size(), cfg.n_ctx_train);

  gpu::CudaEngineOptions opt;
  opt.mode = mode;
  opt.n_ctx = ctx;
  opt.n_seq = a.batch;
  opt.n_ubatch = a.ubatch;
  opt.device = a.device;
  const auto cuda = gpu::CudaEngine::create(cfg, model->weights(), opt);
  gpu::CudaEvaluator evaluator(*cuda, cfg.n_vocab, a.batch);
  const gpu::DecodeLaunchCount predicted = gpu::decode_launch_count(cfg, mode);

  std::vector<int32_t> output;
  int64_t n_prompt = 0, n_decode_evals = 0;
  double prefill_s = 0, decode_s = 0, pp = 0, tg = 0;
  int64_t decode_start_ns = 0, decode_end_ns = 0;  // CLOCK_MONOTONIC: cuts a recording to the decode steps
  bool stopped = false, identical = true;
  std::string printing;  // printing_note(): batch 1 prints its tokens as they come
  if (a.batch == 1) {
    engine::Sampler sampler(a.sampling);
    const engine::GenerateResult r = generate_on_console(evaluator, tok, prompt, a, sampler);
    output = r.output;
    n_prompt = r.n_prompt;
    n_decode_evals = r.n_decode_evals;
    prefill_s = r.prefill_s;
    decode_s = r.decode_s;
    decode_start_ns = r.decode_start_ns;
    decode_end_ns = r.decode_end_ns;
    pp = r.pp();
    tg = r.tg();
    stopped = r.stopped_at_eog;
    printing = printing_note(r);
  } else {
    std::vector<engine::Sampler> samplers;
    for (int64_t s = 0; s < a.batch; ++s) {
      engine::SamplerOptions so = a.sampling;
      so.seed += static_cast<uint64_t>(s);  // independent draws when sampling; greedy is unaffected
      samplers.emplace_back(so);
    }
    const engine::BatchGenerateResult r = engine::generate_batched(evaluator, prompt, a.n_predict, samplers);
    output = r.outputs[0];
    for (const auto& o : r.outputs) identical = identical && o == output;
    n_prompt = r.n_prompt;
    n_decode_evals = r.n_decode_evals;
    prefill_s = r.prefill_s;
    decode_s = r.decode_s;
    decode_start_ns = r.decode_start_ns;
    decode_end_ns = r.decode_end_ns;
    pp = r.pp();
    tg = r.tg();
    if (!a.json) std::cout << tok.decode(prompt) << tok.decode(output);
  }
  const int64_t launches = n_decode_evals > 0 ? cuda->last_step_host_launches() : 0;
  const int64_t kernels = n_decode_evals > 0 ? cuda->last_step_kernels() : 0;

  // The roofline: KV cache in F32 (4 bytes), as this engine stores it.
  const double positions = gpu::mean_attended_positions(n_prompt, n_decode_evals);
  const gpu::DecodeTraffic traffic = gpu::decode_traffic(cfg, model->weights(), a.batch, positions, 4);
  double read_gbs = a.roofline_gbs;
  const char* source = "given";
  if (a.measure_roofline && n_decode_evals > 0) {
    gpu::GpuMembwOptions mo;
    mo.device = a.device;
    mo.repetitions = 5;
    read_gbs = best_gbs(gpu::run_gpu_membw(mo).read_gbs);
    source = "measured (bench membw --device cuda read, best of 5)";
  }
  const bool roofline = read_gbs > 0 && n_decode_evals > 0 && tg > 0;
  const double bound = roofline ? traffic.bound_tokens_per_second(read_gbs) : 0;

  if (a.json) {
    nlohmann::json j = {{"schema_version", 1},
                        {"model", a.model},
                        {"backend", "cuda"},
                        {"mode", gpu::cuda_mode_name(mode)},
                        {"device", cuda->device_name()},
                        {"architecture", engine::arch_name(cfg.arch)},
                        {"n_seq", a.batch},
                        {"weight_bytes", cuda->weight_bytes()},
                        {"n_prompt", n_prompt},
                        {"n_generated", output.size()},
                        {"prompt_ids", prompt},
                        {"output_ids", output},
                        {"sequences_identical", identical},
                        {"text", tok.decode(output)},
                        {"stopped_at_eog", stopped},
                        {"prefill_seconds", prefill_s},
                        {"decode_seconds", decode_s},
                        {"n_decode_evals", n_decode_evals},
                        {"decode_window_ns", {{"start", decode_start_ns}, {"end", decode_end_ns}}},
                        {"pp_tokens_per_second", pp},
                        {"tg_tokens_per_second", n_decode_evals > 0 ? nlohmann::json(tg) : nlohmann::json()},
                        {"launches_per_decode_step", n_decode_evals > 0 ? nlohmann::json(launches) : nlohmann::json()},
                        {"kernels_per_decode_step", n_decode_evals > 0 ? nlohmann::json(kernels) : nlohmann::json()},
                        {"predicted_kernels_per_decode_step", predicted.kernels},
                        {"decode_bytes_per_token", n_decode_evals > 0 ? nlohmann::json(traffic.bytes_per_token()) : nlohmann::json()},
                        {"decode_weight_bytes_per_step", traffic.weight_bytes_per_step},
                        {"decode_kv_bytes_per_sequence", traffic.kv_bytes_per_seq},
                        {"mean_attended_positions", positions}};
    if (roofline)
      j["roofline"] = {{"read_gbs", read_gbs}, {"source", source}, {"tg_bound_tokens_per_second", bound},
                       {"tg_fraction", tg / bound}};
    else
      j["roofline"] = nullptr;
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return;
  }
  std::printf("\n\n%s | cuda %s mode | %s | %lld %s\n", cfg.summary().c_str(), gpu::cuda_mode_name(mode),
              cuda->device_name().c_str(), static_cast<long long>(a.batch), plural(a.batch, "sequence", "sequences").c_str());
  std::printf("pp: %lld %s in %s = %.2f tokens/s\n", static_cast<long long>(n_prompt),
              plural(static_cast<int64_t>(n_prompt), "token", "tokens").c_str(), format_ns(prefill_s * 1e9).c_str(), pp);
  if (n_decode_evals > 0) {
    std::printf("tg: %lld %s x %lld %s in %s = %.2f tokens/s%s\n", static_cast<long long>(n_decode_evals),
                plural(n_decode_evals, "step", "steps").c_str(), static_cast<long long>(a.batch),
                plural(a.batch, "sequence", "sequences").c_str(), format_ns(decode_s * 1e9).c_str(), tg,
                printing.empty() ? "" : (" (" + printing.substr(2) + ")").c_str());
    std::printf("launches per decode step: %lld host %s, %lld kernels (model: %lld)\n",
                static_cast<long long>(launches), plural(launches, "launch", "launches").c_str(), static_cast<long long>(kernels),
                static_cast<long long>(predicted.kernels));
    std::printf("decode reads %.3f GB per token (weights %.3f GB per step, KV cache %.1f MB per sequence at %.1f "
                "positions on average)\n",
                traffic.bytes_per_token() / 1e9, traffic.weight_bytes_per_step / 1e9, traffic.kv_bytes_per_seq / 1e6,
                positions);
    if (roofline)
      std::printf("roofline: %.1f GB/s read (%s) allows %.1f tokens/s; tg is %.1f%% of it\n", read_gbs, source, bound,
                  100.0 * tg / bound);
  } else {
    std::printf("tg: n/a (fewer than 2 tokens generated)\n");
  }
  if (stopped) std::printf("stopped at an end-of-generation token\n");
  if (!identical) std::printf("note: the sequences' tokens differ (sampling with per-sequence seeds)\n");
}

}  // namespace infertrace::cli
