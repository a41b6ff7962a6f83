// `infertrace bench threads`: llama-bench-style sweep of the reference engine over thread counts:
// pp and tg per repetition (median, mean +- sample stddev), context switches per token, hardware counters
// where the machine exposes them, and each point's share of the memory-bandwidth roofline
// (decode tokens/s bound = measured read bandwidth / bytes read per token).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <set>
#include <nlohmann/json.hpp>

#include "bench/interference_summary.h"
#include "bench/thread_choice.h"
#include "cli/bench_format.h"
#include "cli/engine_common.h"
#include "cli/prompt_math_option.h"
#include "cli/registry.h"
#include "engine/cpu/isa.h"
#include "engine/model/forward.h"
#include "engine/runtime/cpu_caches.h"
#include "engine/runtime/generate.h"
#include "engine/runtime/hw_counters.h"
#include "engine/runtime/membw.h"
#include "engine/runtime/thread_pool.h"
#include "gpu/engine/decode_traffic.h"
#include "engine/tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/physical_memory.h"
#include "util/plural.h"
#include "report/json_text.h"

namespace infertrace::cli {

namespace {

using bench::median_of;  // the mean of the middle two for an even count

struct ThreadsArgs {
  std::string model, threads, cpus, format = "md";
  std::string prompt_math = kDefaultPromptMath;  // the pp repetitions' products (cli/prompt_math_option.h)
  bool threads_given = false;  // else the default sweep
  int reps = 5;
  int64_t n_prompt = 128, n_gen = 64, membw_mib = 512;
  bool no_roofline = false;
};

struct Point {
  int threads = 0;
  std::vector<double> pp, tg;  // tokens / seconds per repetition
  std::vector<double> pp_seconds, tg_seconds;  // what each sample divided by
  std::vector<int64_t> pp_tokens, tg_tokens;
  double ctx_switches_per_token = 0;
  bool hw_supported = false;
  std::string hw_reason;
  double ipc = 0, llc_misses_per_token = 0;
  double read_gbs = 0, roofline_tg = 0;
};

Point measure(const engine::Model& model, const std::vector<int32_t>& prompt, const ThreadsArgs& a, int t,
              const std::vector<int>& cpus, double bytes_per_token) {
  Point p;
  p.threads = t;
  // Counters open (disabled) before the pool so its threads inherit them, and count only the timed
  // repetitions, like the context switches: not the warm-up, not the bandwidth test (which would
  // add its own LLC misses to the per-token figure). Inherited counts reach the parent's counter
  // when the threads exit, so they are read after the pool is gone.
  auto counters = std::make_unique<engine::HwCounters>();
  int64_t switches = 0, tokens = 0;
  {
    engine::ThreadPool pool(t, cpus);
    engine::Session session(model, pool, static_cast<int64_t>(prompt.size()) + a.n_gen + 1, 512);
    engine::Sampler greedy;
    {  // warm-up, untimed: faults the weights in and wakes the threads
      const std::vector<int32_t> warm(prompt.begin(), prompt.begin() + std::min<size_t>(prompt.size(), 8));
      engine::generate(session, warm, 2, greedy);
      session.reset();
    }
    const int64_t sw0 = engine::context_switches();
    counters->enable();
    for (int r = 0; r < a.reps; ++r) {
      session.reset();
      // As llama-bench's "tg N": N single-token decode evaluations, each making a token. The
      // first generated token comes from the prefill's logits, so N + 1 are generated.
      const engine::GenerateResult g = engine::generate(session, prompt, a.n_gen + 1, greedy);
      p.pp.push_back(g.pp());
      p.pp_seconds.push_back(g.prefill_s), p.pp_tokens.push_back(g.n_prompt);
      if (g.n_decode_evals > 0) {
        p.tg.push_back(g.tg());
        p.tg_seconds.push_back(g.decode_s), p.tg_tokens.push_back(g.n_decode_evals);
      }
      tokens += g.n_prompt + g.n_decode_evals;
    }
    counters->disable();
    switches = engine::context_switches() - sw0;
    if (!a.no_roofline) p.read_gbs = engine::measure_bandwidth(pool, static_cast<uint64_t>(a.membw_mib) << 20, 3,
                                                                   engine::BandwidthPasses::kReadOnly)
                                            .read_gbs;
  }
  p.ctx_switches_per_token = tokens > 0 ? static_cast<double>(switches) / tokens : 0;
  p.hw_supported = counters->supported();
  p.hw_reason = counters->reason();
  if (p.hw_supported) {
    const engine::CounterValues v = counters->read();
    p.ipc = v.cycles ? static_cast<double>(v.instructions) / v.cycles : 0;
    p.llc_misses_per_token = tokens > 0 ? static_cast<double>(v.llc_misses) / tokens : 0;
  }
  if (p.read_gbs > 0) p.roofline_tg = p.read_gbs * 1e9 / bytes_per_token;
  return p;
}

std::string fmt_gbs(double gbs) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", gbs);
  return b;
}

// Median, mean and sample stddev of the per-repetition rates, with each repetition's tokens and
// seconds (samples[i] = tokens[i] / seconds[i]) so the rates can be recomputed from the output.
// The sample stddev (N-1) of one repetition is undefined: null here, empty in the CSV, "n/a" in the
// markdown (llama-bench prints 0; a 0 would read as a measured, perfectly steady rate; review SB L2).
nlohmann::json stat_json(const std::vector<double>& v, const std::vector<int64_t>& tokens, const std::vector<double>& seconds) {
  const MeanSd m = mean_sd(v);
  return {{"median", median_of(v)}, {"mean", m.mean}, {"stddev", v.size() > 1 ? nlohmann::json(m.sd) : nlohmann::json()},
          {"samples", v}, {"tokens", tokens}, {"seconds", seconds}};
}

// Each repetition's rate in one CSV field, space-separated (as llama-bench's samples_ts), so the
// machine output keeps the samples (metrics.md §6; the JSON has them with tokens and seconds).
std::string samples_field(const std::vector<double>& v) {
  std::string out;
  char b[32];
  for (const double x : v) {
    std::snprintf(b, sizeof b, "%.3f", x);
    if (!out.empty()) out += ' ';
    out += b;
  }
  return out;
}

// A stddev field of the CSV ("%.3f", empty for one repetition) or the markdown ("%.2f", "n/a").
std::string sd_field(const std::vector<double>& v, double sd, bool csv) {
  if (v.size() < 2) return csv ? "" : "n/a";
  char b[32];
  std::snprintf(b, sizeof b, csv ? "%.3f" : "%.2f", sd);
  return b;
}

// Decode rate the best point is chosen by (bench::best_tg_index), as printed.
double tg_median(const Point& p) { return median_of(p.tg); }

void run_threads(const ThreadsArgs& a) {
  check_format(a.format);
  const std::vector<int> cpus = a.cpus.empty() ? std::vector<int>{} : engine::parse_pinning_cpus(a.cpus, "--cpus");
  // Read before any pool pins this thread (the pool pins its caller to cpus[0]).
  const int allowed = engine::allowed_cpu_count();
  // Without -t: one thread per CPU the threads may run on (the --cpus list when pinned) and the
  // powers of two below it. With -t: those counts, at most max_sweep_threads, refused before
  // the model loads rather than after minutes of measuring the smaller points.
  const bool default_sweep = !a.threads_given;
  const std::vector<int> counts =
      default_sweep ? bench::default_thread_sweep(cpus.empty() ? allowed : static_cast<int>(cpus.size())) : parse_thread_list(a.threads);
  const int cap = engine::max_sweep_threads(engine::thread_cap_cpus(cpus));
  engine::check_thread_cap(counts, engine::thread_cap_cpus(cpus), default_sweep ? "the sweep for --cpus " + a.cpus : "-t " + a.threads);
  if (a.reps < 1 || a.n_prompt < 1 || a.n_gen < 1) throw UsageError("need -r >= 1, -p >= 1 and -n >= 1");
  // Each repetition's samples are kept: -r 1e9 was accepted and ran until killed, its memory growing
  // (review TI L6). 1000, as bench interference's -r.
  if (a.reps > 1000) throw UsageError("-r " + std::to_string(a.reps) + ": expected 1 to 1000 repetitions");
  // Checked before the model loads: the bandwidth test runs after each point's timed repetitions,
  // so a bad size would otherwise fail only once the first point was measured (and a negative one
  // wrapped into a request for 2^64 bytes). With --no-roofline too: a value no run could use is a
  // mistake whatever the other options say.
  if (a.membw_mib < 1 || a.membw_mib > (int64_t{1} << 30))
    throw UsageError("--membw-mib " + std::to_string(a.membw_mib) + ": expected 1 to 1073741824 MiB");
  // The read test's array of that size must fit in this machine's memory (review TI L6: --membw-mib
  // 1073741824 failed with "cannot allocate ..." and exit 1 once the first point was measured).
  if (const uint64_t ram = physical_memory_bytes(); !a.no_roofline && ram > 0) {
    const int64_t ram_mib = static_cast<int64_t>(ram >> 20);
    if (a.membw_mib > ram_mib)
      throw UsageError("--membw-mib " + std::to_string(a.membw_mib) + ": the bandwidth test's array of that size exceeds "
                       "this machine's memory (" + std::to_string(ram_mib) + " MiB): at most " + std::to_string(ram_mib));
  }
  apply_prompt_math(a.prompt_math);
  const char* int8 = prompt_int8_kernels(a.prompt_math);
  const auto model = engine::Model::load(a.model);
  // The context is -p + -n + 1 tokens (measure()'s Session): beyond the model's training context a
  // usage error (exit 2), as the other value errors, not an engine error (exit 1, review TI L6).
  if (const int64_t train = model->config().n_ctx_train; train > 0 && (a.n_prompt >= train || a.n_gen >= train || a.n_prompt + a.n_gen + 1 > train))
    throw UsageError("-p " + std::to_string(a.n_prompt) + " and -n " + std::to_string(a.n_gen) + " need a context of " +
                     std::to_string(a.n_prompt + a.n_gen + 1) + " tokens (-p + -n + 1), beyond the model's training context of " +
                     std::to_string(train));
  const engine::Tokenizer tok = engine::Tokenizer::from_gguf(model->file());
  const std::vector<int32_t> prompt = bench_prompt(tok, a.n_prompt, 42);
  // Decode reads every weight once per token (an untied model's embedding lookup one row of the
  // table), plus the KV cache up to the current position: the CUDA engine's rule
  // (gpu/engine/decode_traffic.h), with this engine's F32 KV cache (Session::kv_bytes_per_token).
  // Evaluation i (0-based) attends to positions 0..p + i: on average p + (n + 1) / 2. (Before
  // 2026-12-05 the whole embedding table of an untied model was counted, 845,312 against 706,184
  // bytes on tiny-qwen3 q8_0, and the mean position was p + n / 2; review EN M2, L1.)
  const gpu::DecodeTraffic traffic = gpu::decode_traffic(model->config(), model->weights(), 1,
                                                         gpu::mean_attended_positions(a.n_prompt, a.n_gen), sizeof(float));
  const double bytes_per_token = traffic.bytes_per_token();

  std::vector<Point> points;
  for (int t : counts) points.push_back(measure(*model, prompt, a, t, cpus, bytes_per_token));
  // Highest median tg, first listed on a tie, and the points that overlap it (bench/thread_choice.h).
  std::vector<std::vector<double>> tgs;
  for (const Point& p : points) tgs.push_back(p.tg);
  const size_t best_i = bench::best_tg_index(tgs);
  const Point* const best = &points[best_i];
  std::vector<int> overlap;
  for (size_t i : bench::overlapping_best(tgs, best_i)) overlap.push_back(points[i].threads);
  // CPUs a point's threads run on: the distinct CPUs of --cpus, else every allowed CPU.
  const int n_run_cpus =
      cpus.empty() ? allowed : static_cast<int>(std::set<int>(cpus.begin(), cpus.end()).size());
  // A decode faster than the DRAM roofline reads (part of) its bytes from the caches: true when the
  // bytes per token fit in the last-level cache, which then bounds it instead.
  const uint64_t llc = engine::last_level_cache_bytes();
  const bool fits_in_llc = llc > 0 && bytes_per_token <= static_cast<double>(llc);
  std::vector<int> above_roofline;
  for (const Point& p : points)
    if (p.roofline_tg > 0 && mean_sd(p.tg).mean > p.roofline_tg) above_roofline.push_back(p.threads);

  if (a.format == "json") {
    nlohmann::json pts = nlohmann::json::array();
    for (const Point& p : points) {
      nlohmann::json hw = p.hw_supported
                              ? nlohmann::json{{"supported", true}, {"ipc", p.ipc}, {"llc_misses_per_token", p.llc_misses_per_token}}
                              : nlohmann::json{{"supported", false}, {"reason", p.hw_reason}};
      nlohmann::json j = {{"threads", p.threads}, {"pp_tokens_per_second", stat_json(p.pp, p.pp_tokens, p.pp_seconds)},
                          {"tg_tokens_per_second", stat_json(p.tg, p.tg_tokens, p.tg_seconds)},
                          {"context_switches_per_token", p.ctx_switches_per_token}, {"hw_counters", hw},
                          // flat copies under the names the HTML report charts (report/html_doc_sections.cpp)
                          {"pp_mean", mean_sd(p.pp).mean}, {"tg_mean", mean_sd(p.tg).mean},
                          {"pp_median", median_of(p.pp)}, {"tg_median", tg_median(p)},
                          // more threads than the CPUs they may run on: they take turns on a CPU
                          {"oversubscribed", p.threads > n_run_cpus}};
      // Where the point's threads ran: thread i on cpus[i % size], so more threads than CPUs share them.
      if (!cpus.empty()) {
        std::vector<int> pinned;
        for (int i = 0; i < p.threads; ++i) pinned.push_back(cpus[i % cpus.size()]);
        j["pinned_cpus"] = pinned;
      }
      if (p.read_gbs > 0) {
        j["roofline"] = {{"read_gbs", p.read_gbs}, {"tg_bound_tokens_per_second", p.roofline_tg},
                         {"tg_fraction", mean_sd(p.tg).mean / p.roofline_tg}};
        j["roofline_tg"] = p.roofline_tg;
      }
      pts.push_back(j);
    }
    nlohmann::json j = {{"schema_version", 1},
                        {"model", a.model},
                        {"summary", model->config().summary()},
                        {"isa", engine::cpu::isa_name(engine::cpu::active_isa())},
                        {"prompt_math", a.prompt_math},
                        {"int8_kernels", int8 ? nlohmann::json(int8) : nlohmann::json()},
                        {"n_prompt", a.n_prompt},
                        {"n_gen", a.n_gen},
                        {"repetitions", a.reps},
                        {"cpus", cpus.empty() ? nlohmann::json(nullptr) : nlohmann::json(cpus)},
                        {"allowed_cpus", allowed},
                        {"thread_counts", default_sweep ? "default" : "-t"},
                        {"max_threads", cap},
                        {"bytes_per_token", bytes_per_token},
                        {"last_level_cache_bytes", llc > 0 ? nlohmann::json(llc) : nlohmann::json(nullptr)},
                        {"fits_in_last_level_cache", llc > 0 ? nlohmann::json(fits_in_llc) : nlohmann::json(nullptr)},
                        {"above_roofline", above_roofline},
                        {"points", pts},
                        {"best_threads", best->threads},
                        {"best_by", "tg_median"},
                        {"best_overlaps", overlap}};
    std::cout << result_json_text(j) << "\n";
    return;
  }
  const bool csv = a.format == "csv";
  if (csv)
    // Columns added later go last (the medians, then the samples), so earlier positions hold.
    std::printf("threads,pp_mean,pp_sd,tg_mean,tg_sd,ctx_switches_per_token,read_gbs,tg_roofline,roofline_fraction,ipc,llc_misses_per_token,"
                "pp_median,tg_median,pp_samples,tg_samples\n");
  else
    std::printf("%s, %s kernels, prompt math %s%s%s, pp %lld / tg %lld %s, %d %s\n\n"
                "| threads | pp t/s median | pp t/s mean +- sd | tg t/s median | tg t/s mean +- sd | ctx sw/token | tg roofline t/s | of roofline | IPC | LLC miss/token |\n"
                "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
                model->config().summary().c_str(), engine::cpu::isa_name(engine::cpu::active_isa()), a.prompt_math.c_str(),
                int8 ? " (int8 " : "", int8 ? (std::string(int8) + ")").c_str() : "", static_cast<long long>(a.n_prompt), static_cast<long long>(a.n_gen),
                plural(a.n_gen, "token", "tokens").c_str(), a.reps, plural(a.reps, "repetition", "repetitions").c_str());
  for (const Point& p : points) {
    const MeanSd pp = mean_sd(p.pp), tg = mean_sd(p.tg);
    char roof[64] = "n/a", frac[32] = "n/a", ipc[32] = "not supported", llc[32] = "not supported";
    if (p.roofline_tg > 0) {
      std::snprintf(roof, sizeof roof, "%.2f", p.roofline_tg);
      std::snprintf(frac, sizeof frac, "%.1f%%", 100 * tg.mean / p.roofline_tg);  // as the HTML (review TI L5)
    }
    if (p.hw_supported) {
      std::snprintf(ipc, sizeof ipc, "%.2f", p.ipc);
      std::snprintf(llc, sizeof llc, "%.0f", p.llc_misses_per_token);
    }
    if (csv)
      // Unknown values are empty fields (as in every CSV the project writes), never 0.00 or text in
      // a numeric column: read_gbs and the roofline when no bandwidth was measured (--no-roofline),
      // IPC and LLC misses without hardware counters.
      std::printf("%d,%.3f,%s,%.3f,%s,%.3f,%s,%s,%s,%s,%s,%.3f,%.3f,%s,%s\n", p.threads, pp.mean, sd_field(p.pp, pp.sd, true).c_str(),
                  tg.mean, sd_field(p.tg, tg.sd, true).c_str(),
                  p.ctx_switches_per_token, p.read_gbs > 0 ? fmt_gbs(p.read_gbs).c_str() : "",
                  p.roofline_tg > 0 ? roof : "", p.roofline_tg > 0 ? std::to_string(tg.mean / p.roofline_tg).c_str() : "",
                  p.hw_supported ? ipc : "", p.hw_supported ? llc : "", median_of(p.pp), tg_median(p),
                  samples_field(p.pp).c_str(), samples_field(p.tg).c_str());
    else
      std::printf("| %d%s | %.2f | %.2f +- %s | %.2f | %.2f +- %s | %.3f | %s | %s | %s | %s |\n", p.threads,
                  p.threads > n_run_cpus ? " (oversubscribed)" : "", median_of(p.pp), pp.mean,
                  sd_field(p.pp, pp.sd, false).c_str(), tg_median(p), tg.mean, sd_field(p.tg, tg.sd, false).c_str(),
                  p.ctx_switches_per_token, roof, frac, ipc, llc);
  }
  if (!csv) {
    const int most = *std::max_element(counts.begin(), counts.end());
    if (cpus.empty())
      std::printf("\nthreads not pinned (%d CPUs allowed)%s\n", allowed,
                  most > allowed ? "; the larger thread counts exceed them and share CPUs" : "");
    else
      std::printf("\nthread i pinned to CPU i of --cpus %s (%zu CPU%s)%s\n", a.cpus.c_str(), cpus.size(),
                  cpus.size() == 1 ? "" : "s",
                  static_cast<size_t>(most) > cpus.size() ? "; more threads than CPUs share them (thread i on CPU i mod the count)" : "");
    if (default_sweep)
      std::printf("thread counts: the default sweep (powers of two up to one thread per %s CPU, %d; -t to choose)\n",
                  cpus.empty() ? "allowed" : "--cpus", counts.back());
    std::printf("best thread count: %d (highest median tg: %.2f tokens/s)\n", best->threads, tg_median(*best));
    if (!overlap.empty()) {
      std::string list;
      for (int t : overlap) list += (list.empty() ? "" : ", ") + std::to_string(t);
      std::printf("  not a clear winner: tg repetitions at %s thread%s reach its slowest\n", list.c_str(),
                  overlap.size() == 1 && overlap[0] == 1 ? "" : "s");
    }
    if (!a.no_roofline) {  // else the columns say n/a and no bandwidth was measured to divide
      // MB below a GB: 1,291,008 bytes printed "0.001 GB" (review TI L5).
      if (bytes_per_token >= 1e9)
        std::printf("roofline: measured read bandwidth / %.3f GB read per decoded token\n", bytes_per_token / 1e9);
      else
        std::printf("roofline: measured read bandwidth / %.3f MB read per decoded token\n", bytes_per_token / 1e6);
      if (!above_roofline.empty()) {
        std::string list;
        for (int t : above_roofline) list += (list.empty() ? "" : ", ") + std::to_string(t);
        const char* threads = above_roofline.size() == 1 && above_roofline[0] == 1 ? "thread" : "threads";
        if (fits_in_llc)
          std::printf("  above 100%% at %s %s: the %.1f MB read per token fit in the %.1f MB last-level cache, so decode "
                      "reads the cache, not DRAM, and the DRAM roofline does not bound it\n",
                      list.c_str(), threads, bytes_per_token / 1e6, static_cast<double>(llc) / 1e6);
        else
          std::printf("  above 100%% at %s %s: decode read faster than the bandwidth test did (part of the %.1f MB per "
                      "token came from caches, or the test ran on a busier machine): that roofline is no ceiling here\n",
                      list.c_str(), threads, bytes_per_token / 1e6);
      }
    }
    if (!points.front().hw_supported)
      std::printf("hardware counters: not supported here (%s)\n", points.front().hw_reason.c_str());
  }
}

const BenchRegistrar reg(10, [](CLI::App& bench) {
  auto a = std::make_shared<ThreadsArgs>();
  auto* cmd = bench.add_subcommand("threads", "Sweep the reference engine over thread counts (pp/tg tokens/s, roofline)");
  cmd->add_option("-m,--model", a->model, "GGUF model")->required();
  auto* threads = cmd->add_option("-t,--threads", a->threads,
                  "Thread counts, e.g. 1,2,4,8 (at most 4 per CPU the threads may use, and 1024); default: 1, 2, 4, ... below the "
                  "allowed CPUs (or the --cpus list's size) and that count");
  cmd->add_option("--cpus", a->cpus, "Pin thread i to the i-th CPU of this list");
  cmd->add_option("-r,--repetitions", a->reps, "Repetitions per thread count")->capture_default_str();
  cmd->add_option("-p,--n-prompt", a->n_prompt, "Prompt tokens (pp)")->capture_default_str();
  cmd->add_option("-n,--n-gen", a->n_gen, "Decode evaluations, i.e. tokens timed by tg (as llama-bench: N + 1 are generated, the first from the prefill)")->capture_default_str();
  cmd->add_option("--membw-mib", a->membw_mib, "Array size of the bandwidth measurement, MiB")->capture_default_str();
  cmd->add_flag("--no-roofline", a->no_roofline, "Skip the bandwidth measurement");
  add_prompt_math_option(cmd, a->prompt_math);
  add_format_options(cmd, a->format, "md, csv or json");
  cmd->callback([a, threads] {
    a->threads_given = threads->count() > 0;
    run_threads(*a);
  });
});

}  // namespace

}  // namespace infertrace::cli
