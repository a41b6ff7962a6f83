// `infertrace serve`: an OpenAI-compatible completions and chat server around the reference engine
// (docs/serve.md). The model, thread pool and placement options are engine run's; the scheduler
// (serve/scheduler.h) batches requests continuously on one engine thread; the HTTP layer
// (serve/http_server.h) answers from handler threads.
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "cli/prompt_math_option.h"
#include "engine/cpu/isa.h"
#include "engine/gguf/gguf.h"
#include "engine/model/forward.h"
#include "engine/runtime/thread_pool.h"
#include "engine/tokenizer/tokenizer.h"
#include "serve/http_server.h"
#include "serve/listen_address.h"
#include "serve/malloc_release.h"
#include "serve/scheduler.h"
#include "serve_cli/chat_setup.h"
#include "serve_cli/serve_registry.h"
#include "util/error.h"

namespace infertrace::serve_cli {
namespace {

// Set once the main thread has left serve() and printed the stats; read by the signal thread,
// which outlives run_serve's locals and so touches only these and its own copies.
std::atomic<bool> g_stats_printed{false};
std::atomic<bool> g_main_done{false};

// Prints the stats line unless the other thread has begun to; true when this call printed it.
// refused_503 / refused_4xx: the HTTP server's counts (HttpServer::answered_*).
bool print_stats(const serve::SchedulerStats& s, uint64_t refused_503, uint64_t refused_4xx, const char* note) {
  if (g_stats_printed.exchange(true)) return false;
  const std::string without_text =
      s.tokens_without_text > 0
          ? ", " + std::to_string(s.tokens_without_text) + " generated ids outside the tokenizer's vocabulary (sent as empty text)"
          : "";
  // No decode step: the mean batch is 0/0, written n/a as elsewhere (review EB L4).
  char mean_batch[32] = "n/a";
  if (s.decode_steps > 0) std::snprintf(mean_batch, sizeof mean_batch, "%.2f", s.mean_batch());
  std::fprintf(stderr,
               "infertrace serve: stopped: %lld requests served (%lld cancelled, %lld failed), %lld prompt tokens, "
               "%lld generated tokens, %lld prefill chunks, %lld decode steps, mean batch %s sequences per decode step, "
               "%llu answered 503 (full or stopping), %llu answered 4xx (bad requests)%s%s\n",
               static_cast<long long>(s.requests_completed), static_cast<long long>(s.requests_cancelled),
               static_cast<long long>(s.requests_failed), static_cast<long long>(s.prompt_tokens),
               static_cast<long long>(s.generated_tokens), static_cast<long long>(s.prefill_chunks),
               static_cast<long long>(s.decode_steps), mean_batch, static_cast<unsigned long long>(refused_503),
               static_cast<unsigned long long>(refused_4xx), without_text.c_str(), note);
  std::fflush(stderr);
  return true;
}

struct ServeArgs {
  std::string model, host = "127.0.0.1", cpus, isa, model_name;
  std::string prompt_math = cli::kDefaultPromptMath;  // the scheduler's prefill pieces (eval_prompt)
  int port = 8000, threads = 0, max_batch = 8, max_queue = 64;
  int64_t body_deadline = serve::kDefaultBodyDeadline.count();  // seconds
  int64_t drain_timeout = 0;  // seconds the requests in flight get after a stop signal
  int64_t ctx = 0, ubatch = 256, prefill_chunk = serve::SchedulerOptions::kDefaultPrefillChunk;
  bool numa = false, hugepages = false;
};

// The context a session holds: --ctx, else the model's training context capped at 4096 (what a
// Session picks by itself), never beyond the training context.
// (A negative --ctx was refused by check_options, before the model loaded.)
int64_t serve_context(int64_t requested, int64_t n_ctx_train) {
  if (requested > 0 && n_ctx_train > 0 && requested > n_ctx_train)
    throw Error("--ctx " + std::to_string(requested) + " exceeds the model's training context of " +
                std::to_string(n_ctx_train));
  if (requested > 0) return requested;
  return n_ctx_train > 0 ? std::min<int64_t>(n_ctx_train, 4096) : 4096;
}


// The checks of the options that need no model, made before it loads (seconds for a large one):
// a typo in an option is said at once. --isa, --cpus and -t's resolution follow in run_serve, and
// the trial bind of the address (check_listen_address) comes last, so that a bad option is a usage
// error whether or not the port happens to be free.
void check_options(const ServeArgs& a) {
  // Every batch and queue slot gets an HTTP handler thread at start: bounded.
  if (a.max_batch < 1 || a.max_batch > serve::SchedulerOptions::kMaxBatchLimit)
    throw UsageError("--max-batch must be between 1 and " + std::to_string(serve::SchedulerOptions::kMaxBatchLimit));
  if (a.max_queue < 0 || a.max_queue > 4096) throw UsageError("--max-queue must be between 0 and 4096");
  if (a.threads < 0) throw UsageError("-t must be >= 0 (0: default, the --cpus count, else every allowed CPU)");
  // Thousands of threads are a typo; the pool would fail to start them after the model loaded.
  // Whatever -t says: a CPU this process may not run on is a typo even when -t pins to fewer.
  const std::vector<int> pinned = a.cpus.empty() ? std::vector<int>{} : engine::parse_pinning_cpus(a.cpus, "--cpus");
  if (a.threads > 0)
    engine::check_thread_cap({a.threads}, engine::thread_cap_cpus(pinned), "-t " + std::to_string(a.threads));
  if (a.ubatch < 1) throw UsageError("--ubatch must be >= 1");
  if (a.prefill_chunk < 0) throw UsageError("--prefill-chunk must be >= 0 (0: prompts prefilled whole)");
  if (a.ctx < 0) throw UsageError("--ctx must be >= 0 (0: default, the training context, at most 4096)");
  if (a.port < 0 || a.port > 65535) throw UsageError("--port must be between 0 and 65535");
  if (a.body_deadline < 1 || a.body_deadline > 3600) throw UsageError("--body-deadline must be between 1 and 3600 seconds");
  if (a.drain_timeout < 0 || a.drain_timeout > 3600)
    throw UsageError("--drain-timeout must be between 0 and 3600 seconds (0: requests in flight are cut at once)");
}

void run_serve(const ServeArgs& a) {
  check_options(a);
  // Before any thread exists: a long-running server gives the memory of large request bodies back
  // (serve/malloc_release.h).
  serve::release_freed_memory_promptly();
  if (!a.isa.empty()) engine::cpu::set_active_isa(engine::cpu::parse_isa(a.isa));
  cli::apply_prompt_math(a.prompt_math);
  engine::PlacementOptions placement;
  placement.numa = a.numa;
  placement.copy_weights = a.hugepages;
  if (!a.cpus.empty()) placement.cpus = engine::parse_pinning_cpus(a.cpus, "--cpus");
  const int threads = engine::resolve_thread_count(a.threads, placement.cpus);
  // Last of the checks, still before the load: a --host that does not resolve, a port in use.
  serve::check_listen_address(a.host, a.port);

  const auto model = engine::Model::load(a.model, placement);
  const engine::Tokenizer tok = engine::Tokenizer::from_gguf(model->file());
  if (const std::string w = tok.approximation_warning(); !w.empty()) std::fprintf(stderr, "infertrace serve: warning: %s\n", w.c_str());
  serve::ModelLimits limits;
  limits.name = a.model_name.empty() ? std::filesystem::path(a.model).stem().string() : a.model_name;
  limits.ctx = serve_context(a.ctx, model->config().n_ctx_train);
  limits.n_vocab = static_cast<int32_t>(model->config().n_vocab);
  limits.max_text_bytes_per_token = tok.max_text_bytes_per_token();
  const serve::ChatSetup chat = chat_setup(model->file(), tok);

  // SIGINT/SIGTERM are blocked before any thread exists (every thread inherits the mask) and
  // taken by one thread with sigwait, which may then stop the server safely (no handler context).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client gone mid-write is a failed write, not the end of the server

  serve::SchedulerOptions so;
  so.threads = threads;
  so.cpus = placement.cpus;
  so.placement = placement;
  so.ctx = limits.ctx;
  so.ubatch = a.ubatch;
  so.prefill_chunk = a.prefill_chunk;
  so.max_batch = a.max_batch;
  so.max_queue = a.max_queue;
  // Stop strings are matched on the engine thread, on the same pieces the responses carry.
  so.token_text = [&tok](int32_t id) { return tok.token_to_piece(id); };
  serve::Scheduler scheduler(*model, [&tok](int32_t id) { return tok.is_eog(id); }, so);
  serve::HttpServer http(scheduler, tok, limits, chat, a.max_batch + a.max_queue + 4);
  http.set_body_deadline(std::chrono::seconds(a.body_deadline));
  const int port = http.bind(a.host, a.port);

  std::thread([stop_signals, &scheduler, &http, drain_timeout = a.drain_timeout] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    // A second signal while stopping (a long prefill in progress, a drain) ends the process at once.
    std::thread([stop_signals] {
      int again = 0;
      sigwait(&stop_signals, &again);
      std::_Exit(128 + again);
    }).detach();
    if (drain_timeout > 0) {
      // Graceful part: new requests get 503 while the ones already in (active and queued) finish,
      // within the timeout; what is left then is cut as without one.
      const auto t0 = std::chrono::steady_clock::now();
      std::fprintf(stderr, "infertrace serve: stopping: %lld requests in flight get up to %lld s to finish (new ones get 503; "
                           "a second signal exits at once)\n",
                   static_cast<long long>(scheduler.start_draining()), static_cast<long long>(drain_timeout));
      const int64_t left = scheduler.drain(t0 + std::chrono::seconds(drain_timeout));
      const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (left > 0)
        std::fprintf(stderr, "infertrace serve: --drain-timeout %lld s passed: %lld requests still in flight are cancelled\n",
                     static_cast<long long>(drain_timeout), static_cast<long long>(left));
      else
        std::fprintf(stderr, "infertrace serve: every request in flight ended in %.3f s\n", took);
      std::fflush(stderr);
    }
    scheduler.stop();  // in-flight requests end cancelled, so their handlers return
    const serve::SchedulerStats stats = scheduler.stats();  // final: the engine thread has ended
    // Every stream the stop cut writes its error event and [DONE] before the server stops
    // calling their providers; a client that does not read is not waited for past a second.
    if (!http.drain_streams(std::chrono::seconds(1)))
      std::fprintf(stderr, "infertrace serve: streams still being written 1 s after the stop (clients not reading) "
                           "are closed without their last events\n");
    // Read before stop(): once serve() has returned, main may leave run_serve and destroy `http`.
    const uint64_t answered_503 = http.answered_unavailable(), answered_4xx = http.answered_client_error();
    http.stop();
    // serve() returns once every handler thread is idle, but a kept-alive connection holds its
    // thread until the client's next request or the keep-alive timeout (seconds): after a grace
    // period the process exits without waiting for them.
    for (int i = 0; i < 50 && !g_main_done.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (g_main_done.load()) return;
    // When main has begun its stats line, serve() has returned and main exits by itself: exiting
    // here would cut its line.
    if (print_stats(stats, answered_503, answered_4xx, " (idle connections closed at exit)"))
      std::_Exit(0);
  }).detach();

  const char* int8 = cli::prompt_int8_kernels(a.prompt_math);
  std::fprintf(stderr, "infertrace serve: %s | model '%s' | %d threads | %s kernels | ctx %lld | max batch %d | "
               "max queue %d | prefill chunk %s | prompt math %s%s%s | %s\n",
               model->config().summary().c_str(), limits.name.c_str(), threads,
               engine::cpu::isa_name(engine::cpu::active_isa()), static_cast<long long>(limits.ctx), a.max_batch,
               a.max_queue, a.prefill_chunk > 0 ? std::to_string(a.prefill_chunk).c_str() : "off",
               a.prompt_math.c_str(), int8 ? ", int8 " : "", int8 ? int8 : "", model->placement_note().c_str());
  std::fprintf(stderr, "infertrace serve: chat template: %s\n",
               chat.tmpl ? (chat.tmpl->name() + " (/v1/chat/completions)").c_str()
                         : (chat.refusal + ": /v1/chat/completions refuses every request").c_str());
  std::printf("infertrace serve: listening on http://%s\n", serve::host_port(a.host, port).c_str());
  std::fflush(stdout);
  http.serve();
  scheduler.stop();
  print_stats(scheduler.stats(), http.answered_unavailable(), http.answered_client_error(), "");
  g_main_done.store(true);
}

const VerbRegistrar reg(100, [](CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand(
      "serve", "OpenAI-compatible completions and chat completions server with continuous batching around the reference engine (docs/serve.md)");
  cmd->add_option("-m,--model", a->model, "GGUF file (as engine run takes)")->required();
  cmd->add_option("--host", a->host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", a->port, "Port (0: the kernel picks one; the stdout line names it)")->capture_default_str();
  cmd->add_option("-t,--threads", a->threads, "Engine threads (default: the --cpus count, else every allowed CPU; at most 4 per CPU the threads "
                  "may use, the allowed CPUs or the --cpus list when longer, and at most 1024 unless there are more)");
  cmd->add_option("--cpus", a->cpus, "Pin engine thread i to the i-th CPU of this list, e.g. 0-3,8");
  cmd->add_flag("--numa", a->numa, "Copy weights and KV caches to memory bound to the threads' NUMA nodes (sysfs and mbind(2))");
  cmd->add_flag("--hugepages", a->hugepages, "Copy weights to anonymous memory advised for transparent huge pages");
  cmd->add_option("--ctx", a->ctx, "Tokens per sequence, prompt + generated (default: training context, at most 4096)");
  cmd->add_option("--ubatch", a->ubatch, "Most prompt tokens per prefill step")->capture_default_str();
  cmd->add_option("--prefill-chunk", a->prefill_chunk,
                  "Most prompt tokens prefilled between two decode steps, over all new requests (0: whole prompts)")
      ->capture_default_str();
  cmd->add_option("--max-batch", a->max_batch, "Most requests decoded together (one KV cache each; 1 to 1024)")->capture_default_str();
  cmd->add_option("--max-queue", a->max_queue, "Most requests waiting when --max-batch are active (more: HTTP 503; 0 to 4096)")
      ->capture_default_str();
  cmd->add_option("--body-deadline", a->body_deadline,
                  "Seconds a request's body may take to arrive after its head (more: HTTP 408, connection closed; 1 to 3600)")
      ->capture_default_str();
  cmd->add_option("--drain-timeout", a->drain_timeout,
                  "Seconds the requests in flight (decoding and queued) get to finish after SIGINT/SIGTERM, new ones answered 503 "
                  "meanwhile; then the rest are cancelled (0 to 3600; 0: cancelled at once; a second signal exits at once)")
      ->capture_default_str();
  cmd->add_option("--model-name", a->model_name, "Model id in the API (default: the file name without .gguf)");
  cmd->add_option("--isa", a->isa, "Force the kernels: scalar, avx2 or avx512 (default: best the CPU has)");
  cli::add_prompt_math_option(cmd, a->prompt_math);
  cmd->callback([a] {
    a->host = serve::unbracketed_host(a->host);  // "[::1]", as the listening line writes it
    run_serve(*a);
  });
});

}  // namespace
}  // namespace infertrace::serve_cli
