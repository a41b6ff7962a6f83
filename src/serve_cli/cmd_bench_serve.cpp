// `infertrace bench serve --url http://HOST:PORT`: the load generator (docs/serve.md "bench serve").
// Parses and validates the options, asks the server for its model, runs each profile point with
// serve::load::run_point and prints the table (or JSON). With `-m M.gguf --topology sn,dp2` it
// starts the servers itself, one topology after the other (serve/topology_run.h).
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli/output_file.h"
#include "cli/prompt_math_option.h"
#include "engine/gguf/gguf.h"
#include "engine/model/model_config.h"
#include "engine/runtime/numa_topology.h"
#include "engine/runtime/thread_pool.h"
#include "serve/load/load_report.h"
#include "serve/load/load_runner.h"
#include "serve/scheduler.h"
#include "serve/server_process.h"
#include "serve/topology.h"
#include "serve/topology_run.h"
#include "serve_cli/chat_prompt_bound.h"
#include "serve_cli/serve_registry.h"
#include "util/cpu_list.h"
#include "util/error.h"
#include "util/inherited_descriptor.h"
#include "util/temp_directory.h"
#include "util/thread_affinity.h"
#include "util/write_text_file.h"

namespace infertrace::serve_cli {
namespace {

using serve::load::Profile;

constexpr double kMaxStartTimeout = 86400;  // a day
// With -m only: the servers started here size their KV caches by the tokens (--max-batch
// sequences of prompt + output each), and a concurrency beyond this is a typo for them (their
// --max-batch is at most 1024). A --url server is someone else's: its limits are its own, and a
// thread that cannot be started is an Error from run_point.
constexpr int64_t kMaxTokens = 1 << 20;
// With --url too: every request in flight builds its body in memory (completions: the ids, their
// JSON array and the body text; chat: the words), and --prompt-tokens 1e11 asked for terabytes
// and killed the bench. 2^24 = 16.8 M tokens is beyond every public model's context (the longest
// advertised is 10 M); near it, a body is hundreds of MB and the concurrency multiplies that.
constexpr int64_t kMaxUrlPromptTokens = 1 << 24;
constexpr int kMaxConcurrency = 4096;
constexpr double kMinRate = 1e-7;  // req/s: a mean gap of 1e7 s, the --duration and --timeout bound
constexpr int kMaxRepeat = 1000;

struct Opts {
  std::vector<std::string> urls;
  std::string model;
  std::vector<std::string> topologies;
  int max_batch = 8;
  int server_threads = 0, max_queue = 64;  // with -m: the servers' -t (0: one per CPU of each) and --max-queue
  int64_t ctx = 0;
  std::optional<int64_t> prefill_chunk;  // not given: the servers' default, passed explicitly
  std::string prompt_math = cli::kDefaultPromptMath;  // the servers' --prompt-math, always passed
  double start_timeout = 300;
  std::string profile = "synchronous", out, endpoint = "completions";
  std::vector<int> concurrency;
  std::vector<double> rate;
  int64_t prompt_tokens = 256, output_tokens = 128, requests = 0;
  std::optional<int64_t> warmup;  // not given: one per server (serve::load::kWarmupPerServer)
  double duration = 0, timeout = 600;
  uint64_t seed = 0;
  int repeat = 1;  // runs of every load point (--repeat)
  bool no_drain = false;  // --no-drain: stop the requests in flight at the --duration window's close
  bool json = false;
  std::vector<std::string> server_options_given;  // of --max-batch, --ctx, ... (with -m only), as typed
  std::optional<std::string> client_cpus_text{};     // --client-cpus as typed
  std::vector<int> client_cpus{};                    // parsed: the load generator's CPUs; empty: unpinned
};

// --json prints the document on stdout; `-o /dev/stdout` has already written that same document
// there, and the verb's own stdout now goes to stderr (util/inherited_descriptor.h), where a
// second copy would only interleave with the messages: the document is printed once.
void print_json_unless_written_there(const Opts& o, const nlohmann::json& j) {
  if (!o.out.empty() && names_our_stdout(o.out)) return;
  std::cout << j.dump(2) << "\n";
}

// What the servers would refuse at their start, checked before the first starts (none is, and no
// log directory is made, when this throws): the model is a GGUF file whose metadata reads, every
// topology can be planned on this process's CPUs, and the context fits both the model's training
// context (the servers refuse more) and every request (a smaller --ctx would have each request
// refused while the bench "succeeded"). Returns the context every request needs: the prompt (for
// chat, as the servers render and encode it: serve_cli/chat_prompt_bound.h) plus the output.
int64_t check_study(const Opts& o) {
  if (!std::filesystem::is_regular_file(o.model)) throw Error(o.model + ": no such model file");
  const gguf::File file = gguf::File::open(o.model);  // InputError
  const engine::ModelConfig config = engine::ModelConfig::from_gguf(file);
  const std::vector<int> cpus = serve::allowed_cpus();
  // On the CPUs --client-cpus leaves to the servers (UsageError: outside the allowed ones, none left).
  for (const auto& name : o.topologies.empty() ? std::vector<std::string>{"sn"} : o.topologies)
    serve::plan_topology_beside_client(name, cpus, o.client_cpus, engine::numa_node_of_cpu);
  int64_t prompt = o.prompt_tokens;  // completions: exactly that many token ids
  std::string what = "--prompt-tokens + --output-tokens";
  if (o.endpoint == "chat") {
    const ChatPromptBound chat = chat_prompt_bound(file, o.prompt_tokens);
    if (!chat.refusal.empty())
      throw UsageError("--endpoint chat: the servers would refuse every chat request: " + chat.refusal);
    prompt = chat.tokens;
    what = "a chat prompt of --prompt-tokens words (" + std::to_string(prompt) +
           " tokens with the chat template) + --output-tokens";
  }
  const int64_t need = prompt + o.output_tokens;  // at most a few tokens per word: no overflow
  if (o.ctx > 0 && need > o.ctx)
    throw UsageError(what + " (" + std::to_string(need) + ") exceed --ctx " + std::to_string(o.ctx) +
                     ": every request would be refused");
  const int64_t kv = o.ctx > 0 ? o.ctx : need;
  if (config.n_ctx_train > 0 && kv > config.n_ctx_train)
    throw UsageError((o.ctx > 0 ? "--ctx" : what + " =") + " " + std::to_string(kv) +
                     " exceeds the model's training context of " + std::to_string(config.n_ctx_train) +
                     " (the servers would refuse it)");
  return kv;
}

// A point where no request completed measured nothing (every request refused, timed out or cut
// off): the bench failed, even though the table and JSON were written. Says so on stderr, one line
// per such point with its first error, and makes the exit status 1. Returns whether there was one.
bool fail_on_empty_points(const serve::load::BenchRun& run, const std::string& where) {
  bool any = false;
  for (const auto& p : run.points) {
    if (p.metrics.completed > 0) continue;
    const auto& m = p.metrics;
    std::string why = m.sent == 0 ? "no request was sent" : std::to_string(m.sent) + " sent";
    if (m.failed > 0) why += ", " + std::to_string(m.failed) + " failed";
    if (m.incomplete > 0) why += ", " + std::to_string(m.incomplete) + " still in flight when the --duration window closed";
    if (m.not_sent > 0)
      why += ", " + std::to_string(m.not_sent) + " not sent (their sender woke after the --duration window closed)";
    if (!m.error_examples.empty())
      why += ", e.g. " + m.error_examples.begin()->first + ": " + m.error_examples.begin()->second;
    std::cerr << "infertrace bench serve: error: " << where << "the point at load "
              << serve::load::point_label(p.spec) << " completed no request (" << why << ")\n";
    set_exit_code(1);
    any = true;
  }
  return any;
}

// With several URLs, one that completed none of its requests while the point completed some (a
// server down or refusing: failing fast, it keeps being picked by the fewest-in-flight balancer)
// is said on stderr too, one line per such URL and point, so that a --json run does not pass it
// over silently (review BS M4). The exit status is unchanged: the point measured something.
void warn_failing_urls(const serve::load::BenchRun& run, const std::string& where) {
  const size_t n = run.target.base_urls.size();
  if (n < 2) return;
  for (const auto& p : run.points) {
    if (p.metrics.completed == 0) continue;  // fail_on_empty_points says it
    std::vector<size_t> sent(n, 0), completed(n, 0);
    std::vector<const serve::load::RequestSample*> first_error(n, nullptr);
    for (const auto& r : p.requests) {
      if (r.not_sent || r.url >= n) continue;
      ++sent[r.url];
      if (r.ok()) ++completed[r.url];
      if (!r.error.empty() && !first_error[r.url]) first_error[r.url] = &r;
    }
    for (size_t u = 0; u < n; ++u) {
      if (sent[u] == 0 || completed[u] > 0) continue;
      std::cerr << "infertrace bench serve: warning: " << where << run.target.base_urls[u] << " completed none of its "
                << sent[u] << " requests at load " << serve::load::point_label(p.spec);
      if (first_error[u]) std::cerr << " (e.g. " << first_error[u]->error << ": " << first_error[u]->error_detail << ")";
      std::cerr << "\n";
    }
  }
}

// `kv`: the servers' --ctx (check_study's answer).
void run_topologies(const Opts& o, const std::vector<serve::load::PointSpec>& points, int64_t kv) {
  namespace fs = std::filesystem;
  serve::TopologyStudyOptions so;
  std::error_code ec;
  so.server_exe = fs::read_symlink("/proc/self/exe", ec).string();
  if (ec) throw Error("cannot find this executable (/proc/self/exe): " + ec.message());
  so.model = fs::absolute(o.model).string();
  so.topologies = o.topologies.empty() ? std::vector<std::string>{"sn"} : o.topologies;
  so.max_batch = o.max_batch;
  so.server_threads = o.server_threads;
  so.max_queue = o.max_queue;
  so.ctx = kv;
  // Always passed, so the JSON's server_args say which chunk the servers ran with.
  so.prefill_chunk = o.prefill_chunk.value_or(serve::SchedulerOptions::kDefaultPrefillChunk);
  so.prompt_math = o.prompt_math;
  so.start_timeout_s = o.start_timeout;
  so.profile = o.profile;
  so.timeout_s = o.timeout;
  so.points = points;
  so.client_cpus = o.client_cpus;
  // The servers' logs go to a fresh directory, removed on every way out (a thrown error, Ctrl-C,
  // SIGTERM, SIGHUP) except a server that failed, whose error names its log there, and a study
  // where a point completed no request (below), whose diagnosis they are. (Before, it was
  // removed only after a study that ran through: 438 of them had piled up in one /tmp.)
  serve::stop_servers_on_signal();  // installed before the directory exists: no window without it
  const std::string tmp = temp_directory();  // throws for a TMPDIR that names no writable directory
  std::string dir = (fs::path(tmp) / "infertrace-bench-serve-XXXXXX").string();
  if (!mkdtemp(dir.data()))
    throw Error("cannot create a directory for the servers' logs in " + tmp + ": " + std::strerror(errno));
  struct LogDir {
    std::string path;
    bool keep = false;
    ~LogDir() {
      serve::remove_dir_on_signal("");
      std::error_code ec;
      if (!keep) std::filesystem::remove_all(path, ec);
    }
  } logs{dir};
  serve::remove_dir_on_signal(dir);
  so.log_dir = dir;
  serve::TopologyStudy study;
  try {
    study = serve::run_topology_study(so);
  } catch (const serve::ServerError&) {
    logs.keep = true;
    throw;
  }
  const auto j = serve::study_json(study);
  // Printed before the file is written: a write that fails (the disk full after an hours-long
  // sweep) must not lose the results too (review EB M2).
  if (o.json)
    print_json_unless_written_there(o, j);
  else
    std::cout << serve::render_study_text(study);
  std::cout.flush();
  if (!o.out.empty()) write_text_file(o.out, j.dump(2) + "\n");  // via FILE.partial, as every output
  bool empty = false;
  for (const auto& r : study.runs) {
    warn_failing_urls(r.run, "topology " + r.topology.name + ": ");
    empty |= fail_on_empty_points(r.run, "topology " + r.topology.name + ": ");
  }
  // Why a point completed nothing is usually in the servers' logs (a refusal, a crash): kept then.
  if (empty) {
    logs.keep = true;
    std::cerr << "infertrace bench serve: the servers' logs are kept in " << dir << "\n";
  }
}

void run(const Opts& o) {
  // cpp-httplib 0.11 (Debian 12) sends without MSG_NOSIGNAL: a server that closes a connection while
  // a request is written to it raised SIGPIPE and ended the whole bench (exit -13 seen in CI against
  // e2e.test_bench_serve_url_limits' fake server). Ignored, that write fails and the request is
  // counted as failed, as `serve` does for its clients.
  std::signal(SIGPIPE, SIG_IGN);
  // Before any request is sent: a directory, the model itself or a path whose directory is missing
  // or not writable is no place for the JSON.
  if (!o.out.empty()) {
    const std::vector<std::string> inputs = o.model.empty() ? std::vector<std::string>{} : std::vector{o.model};
    cli::check_output_file(o.out, inputs, "the model");
    cli::refuse_our_stderr(o.out, "-o", "bench serve");
  }
  serve::load::Target target;
  // Each --url value is split here, not by CLI11, which dropped empty items ('A,,B', 'A,') without
  // a word (review BS L8).
  for (const auto& given : o.urls) {
    size_t from = 0;
    for (;;) {
      const size_t comma = given.find(',', from);
      std::string url = given.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
      if (url.empty()) throw UsageError("--url has an empty item in '" + given + "'");
      std::string host;
      int port = 0;
      serve::load::parse_base_url(url, &host, &port);  // UsageError for anything but http://host:port
      if (url.back() == '/') url.pop_back();
      // Twice the same server would be two "servers" to the balancer (twice the share, two warm-ups).
      for (const auto& u : target.base_urls)
        if (u == url) throw UsageError("--url lists " + url + " twice");
      target.base_urls.push_back(url);
      if (comma == std::string::npos) break;
      from = comma + 1;
    }
  }
  if (o.model.empty() == target.base_urls.empty())
    throw UsageError("give either --url http://HOST:PORT (a running server) or -m M.gguf (servers started here)");
  if (o.model.empty() && !o.topologies.empty()) throw UsageError("--topology needs -m M.gguf");
  // The load generator's CPUs: within this process's (with -m, check_study also leaves the servers
  // at least one and plans every topology on the rest).
  if (o.client_cpus_text) serve::check_client_cpus(serve::allowed_cpus(), o.client_cpus);
  // A topology given twice would be compared with itself (review BS M5).
  for (size_t i = 0; i < o.topologies.size(); ++i)
    for (size_t k = 0; k < i; ++k)
      if (o.topologies[k] == o.topologies[i]) throw UsageError("--topology lists " + o.topologies[i] + " twice");
  // Options the chosen target or profile does not read: before, they were ignored without a word
  // (review AW: --rate with the synchronous profile, --max-batch with --url).
  if (o.model.empty() && !o.server_options_given.empty())
    throw UsageError(o.server_options_given.front() + " needs -m M.gguf (it is a server option; a --url server has its own)");
  const bool by_rate = o.profile == "constant" || o.profile == "poisson" || o.profile == "sweep";
  if (!o.rate.empty() && !by_rate)
    throw UsageError("--rate is for --profile constant, poisson or sweep (this run's profile is " + o.profile + ")");
  if (!o.concurrency.empty() && o.profile != "concurrent")
    throw UsageError("--concurrency is for --profile concurrent (this run's profile is " + o.profile + ")");
  // Every option is checked here, before any server starts: a value a server would refuse at its
  // start (--max-batch over its limit, a context beyond the model's) failed only after the first
  // server had been started and its log directory made.
  if (o.max_batch < 1 || o.max_batch > serve::SchedulerOptions::kMaxBatchLimit)
    throw UsageError("--max-batch must be between 1 and " + std::to_string(serve::SchedulerOptions::kMaxBatchLimit) +
                     " (the servers' limit)");
  if (o.max_queue < 0 || o.max_queue > 4096) throw UsageError("--max-queue must be between 0 and 4096 (the servers' limit)");
  if (o.server_threads < 0) throw UsageError("--server-threads must be >= 0 (0: one per CPU of each server)");
  // The servers' own cap (they run on this process's CPUs: the same count), before any starts.
  engine::check_thread_cap({o.server_threads}, engine::thread_cap_cpus({}), "--server-threads");
  if (o.ctx < 0) throw UsageError("--ctx must be >= 0 (0: prompt + output tokens)");
  // The wait is counted in int milliseconds (ServerProcess::start): 1e300 overflowed it and the
  // bench waited "-2147483 s", i.e. not at all.
  if (!(o.start_timeout > 0 && o.start_timeout <= kMaxStartTimeout))
    throw UsageError("--start-timeout must be > 0 and at most " + std::to_string(static_cast<int>(kMaxStartTimeout)) + " s");
  if (o.prefill_chunk && *o.prefill_chunk < 0) throw UsageError("--prefill-chunk must be >= 0 (0: prompts prefilled whole)");
  if (o.model.empty() && o.prefill_chunk) throw UsageError("--prefill-chunk needs -m M.gguf (it is a server option)");
  if (o.prompt_tokens < 1 || o.output_tokens < 1) throw UsageError("--prompt-tokens and --output-tokens must be >= 1");
  // With -m bounded: their sum sizes the servers' KV caches.
  if (!o.model.empty() && (o.prompt_tokens > kMaxTokens || o.output_tokens > kMaxTokens))
    throw UsageError("--prompt-tokens and --output-tokens must be at most " + std::to_string(kMaxTokens) + " with -m");
  if (o.prompt_tokens > kMaxUrlPromptTokens)
    throw UsageError("--prompt-tokens must be at most " + std::to_string(kMaxUrlPromptTokens) +
                     " (each request's body is built in memory)");
  if ((o.requests > 0) == (o.duration > 0))
    throw UsageError("give exactly one of --requests N (> 0) and --duration S (> 0) per point");
  if (o.no_drain && !(o.duration > 0)) throw UsageError("--no-drain needs --duration (a --requests point waits for every request)");
  if (o.requests < 0 || o.duration < 0 || o.warmup.value_or(0) < 0) throw UsageError("--requests, --duration, --warmup must be >= 0");
  // Finite and bounded: infinity or 1e300 would overflow the deadline arithmetic.
  if (!(o.timeout > 0 && o.timeout <= 1e7)) throw UsageError("--timeout must be > 0 and at most 1e7 s");
  if (!(o.duration <= 1e7)) throw UsageError("--duration must be at most 1e7 s");

  serve::load::PointSpec base;
  base.requests = o.requests;
  base.duration_s = o.duration;
  base.warmup = o.warmup.value_or(serve::load::kWarmupPerServer);
  base.timeout_s = o.timeout;
  base.drain = !o.no_drain;
  base.seed = o.seed;
  base.prompt_tokens = o.prompt_tokens;
  base.output_tokens = o.output_tokens;
  base.endpoint = o.endpoint == "chat" ? serve::load::Endpoint::kChat : serve::load::Endpoint::kCompletions;
  if (o.repeat < 1 || o.repeat > kMaxRepeat)
    throw UsageError("--repeat must be between 1 and " + std::to_string(kMaxRepeat));
  std::vector<serve::load::PointSpec> points;
  if (o.profile == "synchronous") {
    base.profile = Profile::kSynchronous;
    points.push_back(base);
  } else if (o.profile == "concurrent") {
    if (o.concurrency.empty()) throw UsageError("--profile concurrent needs --concurrency LIST");
    for (int c : o.concurrency) {
      // Each in-flight request is a thread: 100000 aborted the bench ("terminate called") after
      // its server had started. Against --url, run_point says so as an Error instead.
      if (c < 1) throw UsageError("--concurrency values must be >= 1");
      if (!o.model.empty() && c > kMaxConcurrency)
        throw UsageError("--concurrency values must be at most " + std::to_string(kMaxConcurrency) + " with -m");
      auto p = base;
      p.profile = Profile::kConcurrent;
      p.concurrency = c;
      p.point_index = points.size();
      points.push_back(p);
    }
  } else {  // constant, poisson, sweep (= constant over the list); CLI11 checked the name
    if (o.rate.empty()) throw UsageError("--profile " + o.profile + " needs --rate LIST");
    for (double r : o.rate) {
      // At least 1e-7: a mean gap above 1e7 s (the --duration and --timeout bound) is no load
      // point, and below ~1.1e-10 the schedule overflowed the clock (review BS H1).
      if (!(r >= kMinRate && r <= 1e6)) throw UsageError("--rate values must be at least 1e-7 (one request per 1e7 s) and at most 1e6 req/s");
      auto p = base;
      p.profile = o.profile == "poisson" ? Profile::kPoisson : Profile::kConstant;
      p.rate = r;
      p.point_index = points.size();
      points.push_back(p);
    }
  }
  // A crossover compares the topologies load by load: a load given twice had only its last point
  // compared, the other dropped without a word (review BS M5).
  if (o.topologies.size() > 1)
    for (size_t i = 0; i < points.size(); ++i)
      for (size_t k = 0; k < i; ++k)
        if (serve::point_load(points[k]) == serve::point_load(points[i]))
        {
          char load[32];
          std::snprintf(load, sizeof load, "%g", serve::point_load(points[i]));
          throw UsageError("--" + std::string(o.profile == "concurrent" ? "concurrency" : "rate") + " lists " + load +
                           " twice: a crossover of several topologies compares one point per load (--repeat N runs every load N times)");
        }

  // --repeat N: the whole list N times over (1,2,4,1,2,4, not 1,1,2,2,4,4), so a drift of the host
  // (another tenant, thermal state) spreads over every load instead of biasing one; every run its
  // own position, hence its own prompts.
  if (o.repeat > 1) {
    const std::vector<serve::load::PointSpec> once = points;
    points.clear();
    for (int r = 1; r <= o.repeat; ++r)
      for (auto p : once) {
        p.repetition = r;
        p.repetitions = o.repeat;
        p.point_index = points.size();
        points.push_back(p);
      }
  }

  if (!o.model.empty()) {
    run_topologies(o, points, check_study(o));
    return;
  }
  serve::load::BenchRun br;
  br.target = target;
  br.profile = o.profile;
  std::vector<int> pinned;
  {
    // Every thread of the load generator starts from this one and inherits its mask.
    const ScopedThreadAffinity client_pin(o.client_cpus);
    pinned = client_pin.cpus();
    br.model = serve::load::fetch_model_info(target, o.timeout);
    for (const auto& p : points) br.points.push_back(serve::load::run_point(target, br.model, p));
  }

  auto j = serve::load::to_json(br);
  // The mask read back after pinning (--client-cpus), null when the load generator was not pinned.
  j["client_cpus"] = pinned.empty() ? nlohmann::json() : nlohmann::json(serve::format_cpu_list(pinned));
  if (o.json)  // printed first, as in run_topologies
    print_json_unless_written_there(o, j);
  else {
    if (!pinned.empty()) std::cout << "load generator: pinned to CPUs " << serve::format_cpu_list(pinned) << " (--client-cpus)\n";
    std::cout << serve::load::render_text(br);
  }
  std::cout.flush();
  if (!o.out.empty()) write_text_file(o.out, j.dump(2) + "\n");  // via FILE.partial, as every output
  warn_failing_urls(br, "");
  fail_on_empty_points(br, "");
}

const BenchVerbRegistrar reg(10, [](CLI::App& bench) {
  auto o = std::make_shared<Opts>();
  auto* c = bench.add_subcommand("serve", "Load-test an OpenAI-compatible completions or chat server (docs/serve.md)");
  c->add_option("--url", o->urls,
                 "Server base URL http://HOST:PORT; a comma list spreads requests over several servers "
                 "(each to the one with the fewest in flight; every one must answer GET /v1/models)");
  c->add_option("-m,--model", o->model, "GGUF model: start infertrace serve on it per topology instead of --url");
  c->add_option("--topology", o->topologies,
                "With -m: sn (one server; one NUMA node when there are several) and/or dpN (N servers on disjoint "
                "CPU sets), e.g. sn,dp2 (default sn); every topology after the first is compared with it (crossover)")
      ->delimiter(',');
  c->add_option("--max-batch", o->max_batch, "With -m: the servers' --max-batch (default 8; 1 to 1024)");
  c->add_option("--server-threads", o->server_threads,
                "With -m: threads per server, the servers' -t (default 0: one per CPU of each server's set; more "
                "oversubscribes its CPUs, fewer leaves some idle)");
  c->add_option("--max-queue", o->max_queue,
                "With -m: the servers' --max-queue (requests waiting when --max-batch are active, more get 503; "
                "default 64; 0 to 4096)");
  c->add_option("--ctx", o->ctx, "With -m: the servers' --ctx (default: prompt + output tokens)");
  c->add_option("--prefill-chunk", o->prefill_chunk,
                "With -m: the servers' --prefill-chunk (prompt tokens per scheduler step; 0: whole prompts; "
                "default: the server's)");
  cli::add_prompt_math_option(c, o->prompt_math)
      ->description("With -m: the servers' --prompt-math auto|f32|int8 (how prompts' quantized products are computed; "
                    "default auto)");
  c->add_option("--start-timeout", o->start_timeout, "With -m: seconds a server may take to load (default 300; above 0, at most 86400)");
  c->add_option("--profile", o->profile, "Load profile: synchronous|concurrent|constant|poisson|sweep (default synchronous)")
      ->check(CLI::IsMember({"synchronous", "concurrent", "constant", "poisson", "sweep"}).description(""));
  c->add_option("--concurrency", o->concurrency, "In-flight requests per point (concurrent), e.g. 1,4,8")
      ->delimiter(',');
  c->add_option("--rate", o->rate, "Requests per second per point (constant, poisson, sweep; 1e-7 to 1e6), e.g. 1,2,4")
      ->delimiter(',');
  c->add_option("--endpoint", o->endpoint,
                 "completions (prompt = random token ids) or chat (/v1/chat/completions, one user message of "
                 "--prompt-tokens words)")
      ->check(CLI::IsMember({"completions", "chat"}).description(""))
      ->capture_default_str();
  c->add_option("--prompt-tokens", o->prompt_tokens, "Prompt length in tokens (default 256)");
  c->add_option("--output-tokens", o->output_tokens, "max_tokens per request, ignore_eos (default 128)");
  c->add_option("--requests", o->requests, "Measured requests per point (0: not given; give this or --duration)");
  c->add_option("--duration", o->duration, "Seconds of sending per point (instead of --requests; 0: not given; at most 1e7)");
  c->add_flag("--no-drain", o->no_drain,
              "With --duration: stop the requests in flight at the window's close (counted as incomplete, out of "
              "every latency) instead of letting them finish within --timeout (the default: drained)");
  c->add_option("--warmup", o->warmup, "Unmeasured requests before each point, one at a time (default: one per server)");
  c->add_option("--timeout", o->timeout, "Per-request timeout in seconds (default 600; above 0, at most 1e7)");
  c->add_option("--seed", o->seed, "Seed of the prompts and the poisson arrivals (default 0)");
  c->add_option("--repeat", o->repeat,
                "Run the whole load list N times (1,2,4,1,2,4; default 1, at most 1000); a crossover compares each load's median "
                "and calls no winner within the spread of the runs");
  c->add_option("--client-cpus", o->client_cpus_text,
                "Pin the load generator (every thread that sends and reads requests) to these CPUs, e.g. 1 or 2-3; "
                "with -m the servers are planned on the other CPUs this process may use");
  c->add_flag("--json", o->json, "Print the JSON document instead of the table");
  c->add_option("-o,--output", o->out, "Also write the JSON document to FILE (-: stdout)");
  c->callback([o, c] {
    for (const char* name : {"--max-batch", "--server-threads", "--max-queue", "--ctx", "--prefill-chunk", "--prompt-math", "--start-timeout"})
      if (c->count(name) > 0) o->server_options_given.push_back(name);
    o->out = cli::dash_as_stdout(o->out);  // `-o -`: the document on stdout (review CX L9)
    if (o->client_cpus_text) o->client_cpus = parse_cpu_list(*o->client_cpus_text, "--client-cpus");  // UsageError
    run(*o);
  });
});

}  // namespace
}  // namespace infertrace::serve_cli
