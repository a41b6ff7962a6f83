// `infertrace bench serve --url http://HOST:PORT`: the load generator (docs/serve.md "bench serve").
// Parses and validates the options, asks the server for its model, runs each profile point with
// serve::load::run_point and prints the table (or JSON).
#include <cstdio>
#include <fstream>
#include <memory>
#include <iostream>
#include <string>
#include <vector>

#include "serve/load/load_report.h"
#include "serve/load/load_runner.h"
#include "serve_cli/serve_registry.h"
#include "util/error.h"

namespace infertrace::serve_cli {
namespace {

using serve::load::Profile;

struct Opts {
  std::vector<std::string> urls;
  std::string profile = "synchronous", out;
  std::vector<int> concurrency;
  std::vector<double> rate;
  int64_t prompt_tokens = 256, output_tokens = 128, requests = 0, warmup = 0;
  double duration = 0, timeout = 600;
  uint64_t seed = 0;
  bool json = false;
};

void write_file(const std::string& path, const std::string& text) {
  // Written beside the target and renamed, so a failed run never leaves half a file.
  const std::string tmp = path + ".partial";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw Error("cannot write " + tmp);
    f << text;
    if (!f.flush()) throw Error("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw Error("cannot rename " + tmp + " to " + path);
}

void run(const Opts& o) {
  serve::load::Target target;
  for (auto url : o.urls) {
    std::string host;
    int port = 0;
    serve::load::parse_base_url(url, &host, &port);  // UsageError for anything but http://host:port
    if (url.back() == '/') url.pop_back();
    target.base_urls.push_back(url);
  }
  if (target.base_urls.empty()) throw UsageError("--url needs at least one http://HOST:PORT");
  if (o.prompt_tokens < 1 || o.output_tokens < 1) throw UsageError("--prompt-tokens and --output-tokens must be >= 1");
  if ((o.requests > 0) == (o.duration > 0))
    throw UsageError("give exactly one of --requests N (> 0) and --duration S (> 0) per point");
  if (o.requests < 0 || o.duration < 0 || o.warmup < 0) throw UsageError("--requests, --duration, --warmup must be >= 0");
  if (o.timeout <= 0) throw UsageError("--timeout must be > 0");

  serve::load::PointSpec base;
  base.requests = o.requests;
  base.duration_s = o.duration;
  base.warmup = o.warmup;
  base.timeout_s = o.timeout;
  base.seed = o.seed;
  base.prompt_tokens = o.prompt_tokens;
  base.output_tokens = o.output_tokens;
  std::vector<serve::load::PointSpec> points;
  if (o.profile == "synchronous") {
    base.profile = Profile::kSynchronous;
    points.push_back(base);
  } else if (o.profile == "concurrent") {
    if (o.concurrency.empty()) throw UsageError("--profile concurrent needs --concurrency LIST");
    for (int c : o.concurrency) {
      if (c < 1) throw UsageError("--concurrency values must be >= 1");
      auto p = base;
      p.profile = Profile::kConcurrent;
      p.concurrency = c;
      points.push_back(p);
    }
  } else {  // constant, poisson, sweep (= constant over the list); CLI11 checked the name
    if (o.rate.empty()) throw UsageError("--profile " + o.profile + " needs --rate LIST");
    for (double r : o.rate) {
      if (!(r > 0)) throw UsageError("--rate values must be > 0");
      auto p = base;
      p.profile = o.profile == "poisson" ? Profile::kPoisson : Profile::kConstant;
      p.rate = r;
      points.push_back(p);
    }
  }

  serve::load::BenchRun br;
  br.target = target;
  br.profile = o.profile;
  br.model = serve::load::fetch_model_info(target, o.timeout);
  for (const auto& p : points) br.points.push_back(serve::load::run_point(target, br.model, p));

  const auto j = serve::load::to_json(br);
  if (!o.out.empty()) write_file(o.out, j.dump(2) + "\n");
  if (o.json)
    std::cout << j.dump(2) << "\n";
  else
    std::cout << serve::load::render_text(br);
}

const BenchVerbRegistrar reg(10, [](CLI::App& bench) {
  auto o = std::make_shared<Opts>();
  auto* c = bench.add_subcommand("serve", "Load-test an OpenAI-compatible completions server (docs/serve.md)");
  c->add_option("--url", o->urls,
                 "Server base URL http://HOST:PORT; a comma list spreads requests over several servers "
                 "(each to the one with the fewest in flight)")
      ->required()
      ->delimiter(',');
  c->add_option("--profile", o->profile, "synchronous|concurrent|constant|poisson|sweep")
      ->check(CLI::IsMember({"synchronous", "concurrent", "constant", "poisson", "sweep"}));
  c->add_option("--concurrency", o->concurrency, "In-flight requests per point (concurrent), e.g. 1,4,8")
      ->delimiter(',');
  c->add_option("--rate", o->rate, "Requests per second per point (constant, poisson, sweep), e.g. 1,2,4")
      ->delimiter(',');
  c->add_option("--prompt-tokens", o->prompt_tokens, "Prompt length in tokens (default 256)");
  c->add_option("--output-tokens", o->output_tokens, "max_tokens per request, ignore_eos (default 128)");
  c->add_option("--requests", o->requests, "Measured requests per point");
  c->add_option("--duration", o->duration, "Seconds of sending per point (instead of --requests)");
  c->add_option("--warmup", o->warmup, "Unmeasured requests before each point, one at a time");
  c->add_option("--timeout", o->timeout, "Per-request timeout in seconds (default 600)");
  c->add_option("--seed", o->seed, "Seed of the prompts and the poisson arrivals");
  c->add_flag("--json", o->json, "Print the JSON document instead of the table");
  c->add_option("-o,--output", o->out, "Also write the JSON document to FILE");
  c->callback([o] { run(*o); });
});

}  // namespace
}  // namespace infertrace::serve_cli
