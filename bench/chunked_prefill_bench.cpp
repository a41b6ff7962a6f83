// What chunked prefill (serve/scheduler.h, --prefill-chunk) does to the streams already decoding
// when a long prompt arrives, and what it costs that prompt. In-process, on the serving scheduler
// itself (no HTTP): --streams requests with short prompts decode (greedy, no stop) until each has
// --warm tokens; then a request with a --long-token prompt and max_tokens 1 is submitted; once its
// token has come and every stream has had 3 more, the streams are cancelled. One consumer thread per
// stream timestamps each token as take() hands it over (steady clock), as an HTTP handler would.
//
// Per configuration (--chunks, 0 = whole prompts, the unchunked scheduler):
//   TTFT     the long request: submit to its token;
//   window   the streams' inter-token gaps (docs/metrics.md section 6: every gap, pooled over the
//            streams) that end after the submit, up to each stream's first token after the long
//            request's token: the gaps the prefill can stretch; max, p99 (nearest rank), median;
//   steady   the median gap before the submit (the decode step alone).
// Every repeat runs every configuration once, in the --chunks order, so a repeat's ratios against
// the first configuration compare runs made seconds apart; the table gives medians over repeats
// of each figure and of each ratio.
//
//   build/dev/bench/chunked_prefill_bench [--preset mid|NAME] [--dtype f16] [--threads 2]
//       [--streams 3] [--short 16] [--long 1024] [--warm 8] [--ubatch 256]
//       [--chunks 0,32,64,128,256,512] [--repeat 3]
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "analysis/percentile.h"
#include "bench_models.h"
#include "engine/model/forward.h"
#include "engine/model/synth.h"
#include "serve/scheduler.h"
#include "util/error.h"

using namespace infertrace;

namespace {

using Clock = std::chrono::steady_clock;

int64_t us_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::microseconds>(b - a).count();
}

struct Config {
  std::string preset = "mid", dtype = "f16";
  int threads = 2, streams = 3, repeat = 3;
  int64_t short_prompt = 16, long_prompt = 1024, warm = 8, ubatch = 256;
  std::vector<int64_t> chunks = {0, 32, 64, 128, 256, 512};
};

struct Sample {
  double ttft_ms = 0, max_ms = 0, p99_ms = 0, median_ms = 0, steady_ms = 0;
  int64_t window_gaps = 0;
};

std::vector<int32_t> prompt_of(int64_t n, int64_t salt, int32_t n_vocab) {
  std::vector<int32_t> p(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) p[static_cast<size_t>(k)] = static_cast<int32_t>((salt * 7919 + k * 131 + 3) % n_vocab);
  return p;
}

serve::CompletionRequest greedy(std::vector<int32_t> prompt, int64_t max_tokens) {
  serve::CompletionRequest r;
  r.prompt = std::move(prompt);
  r.max_tokens = max_tokens;
  r.sampling.temperature = 0;
  r.ignore_eos = true;
  return r;
}

// One stream's token arrival times, taken on its own thread.
struct Consumer {
  std::shared_ptr<serve::TokenStream> stream;
  std::vector<Clock::time_point> times;  // read by the main thread only after join
  std::atomic<int64_t> count{0};
  std::thread thread;

  void start() {
    thread = std::thread([this] {
      std::vector<int32_t> got;
      for (;;) {
        const size_t before = got.size();
        const bool done = stream->take(got, std::chrono::milliseconds(20));
        const Clock::time_point now = Clock::now();
        for (size_t i = before; i < got.size(); ++i) times.push_back(now);
        count.store(static_cast<int64_t>(got.size()));
        if (done) return;
      }
    });
  }
};

void wait_until(const std::function<bool()>& ready) {
  while (!ready()) std::this_thread::sleep_for(std::chrono::microseconds(200));
}

Sample run_once(const engine::Model& model, const Config& c, int64_t chunk, int64_t salt) {
  const int32_t n_vocab = static_cast<int32_t>(model.config().n_vocab);
  serve::SchedulerOptions o;
  o.threads = c.threads;
  o.ctx = c.long_prompt + 2048;  // streams decode through the whole prefill, however finely it is cut
  o.ubatch = c.ubatch;
  o.max_batch = c.streams + 1;
  o.max_queue = 0;
  o.prefill_chunk = chunk;
  serve::Scheduler sched(model, {}, o);

  std::vector<std::unique_ptr<Consumer>> consumers;
  for (int i = 0; i < c.streams; ++i) {
    auto cons = std::make_unique<Consumer>();
    cons->stream = sched.submit(greedy(prompt_of(c.short_prompt, salt * 100 + i, n_vocab), o.ctx - c.short_prompt));
    if (!cons->stream) throw Error("the scheduler refused a stream");
    cons->start();
    consumers.push_back(std::move(cons));
  }
  wait_until([&] {
    for (auto& cons : consumers)
      if (cons->count.load() < c.warm) return false;
    return true;
  });

  const Clock::time_point submitted = Clock::now();
  auto long_stream = sched.submit(greedy(prompt_of(c.long_prompt, salt * 100 + 99, n_vocab), 1));
  if (!long_stream) throw Error("the scheduler refused the long request");
  std::vector<int32_t> got;
  while (!long_stream->take(got, std::chrono::milliseconds(1000)) && got.empty()) {
  }
  const Clock::time_point first = Clock::now();
  std::vector<int64_t> at_first;
  for (auto& cons : consumers) at_first.push_back(cons->count.load());
  wait_until([&] {
    for (size_t i = 0; i < consumers.size(); ++i)
      if (consumers[i]->count.load() < at_first[i] + 3) return false;
    return true;
  });
  for (auto& cons : consumers) {
    cons->stream->cancel();
    cons->thread.join();
  }
  sched.stop();

  std::vector<int64_t> window, steady;
  for (auto& cons : consumers) {
    const std::vector<Clock::time_point>& t = cons->times;
    for (size_t i = 1; i < t.size(); ++i) {
      const int64_t gap = us_between(t[i - 1], t[i]);
      if (t[i] <= submitted) {
        steady.push_back(gap);
        continue;
      }
      window.push_back(gap);
      if (t[i] >= first) break;  // the stream's first token after the long request's
    }
  }
  std::sort(window.begin(), window.end());
  std::sort(steady.begin(), steady.end());
  Sample s;
  s.ttft_ms = us_between(submitted, first) / 1e3;
  s.max_ms = window.empty() ? 0 : window.back() / 1e3;
  s.p99_ms = nearest_rank(window, 99) / 1e3;
  s.median_ms = median_of_sorted(window) / 1e3;
  s.steady_ms = median_of_sorted(steady) / 1e3;
  s.window_gaps = static_cast<int64_t>(window.size());
  return s;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

std::vector<int64_t> parse_list(const std::string& list) {
  std::vector<int64_t> out;
  for (size_t p = 0; p < list.size();) {
    const size_t q = list.find(',', p);
    out.push_back(std::max<int64_t>(0, std::atoll(list.substr(p, q - p).c_str())));
    p = q == std::string::npos ? list.size() : q + 1;
  }
  if (out.empty()) throw UsageError("--chunks needs at least one value");
  return out;
}

}  // namespace

int main(int argc, char** argv) try {
  Config c;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw UsageError(a + " needs a value");
      return argv[++i];
    };
    auto count = [&](int64_t least) { return std::max<int64_t>(least, std::atoll(value().c_str())); };
    if (a == "--preset") c.preset = value();
    else if (a == "--dtype") c.dtype = value();
    else if (a == "--threads") c.threads = static_cast<int>(count(1));
    else if (a == "--streams") c.streams = static_cast<int>(count(1));
    else if (a == "--short") c.short_prompt = count(1);
    else if (a == "--long") c.long_prompt = count(1);
    else if (a == "--warm") c.warm = count(2);
    else if (a == "--ubatch") c.ubatch = count(1);
    else if (a == "--repeat") c.repeat = static_cast<int>(count(1));
    else if (a == "--chunks") c.chunks = parse_list(value());
    else {
      std::printf("usage: chunked_prefill_bench [--preset mid|NAME] [--dtype f16|q8_0|f32|bf16|q4_k_m|q5_k_m|q6_k] [--threads N] "
                  "[--streams N] [--short N] [--long N] [--warm N] [--ubatch N] [--chunks 0,64,256] [--repeat N]\n");
      return a == "--help" || a == "-h" ? 0 : 2;
    }
  }

  const engine::ModelPreset preset = c.preset == "mid" ? bench_models::mid_preset() : engine::find_preset(c.preset);
  engine::SynthOptions so;
  bench_models::set_dtype(so, c.dtype);
  const std::string path =
      (std::filesystem::temp_directory_path() / ("infertrace_chunk_bench_" + std::to_string(getpid()) + ".gguf"))
          .string();
  const engine::SynthResult sr = engine::synth_model(preset, so, path);
  std::unique_ptr<engine::Model> model;
  try {
    model = engine::Model::load(path);
  } catch (...) {
    std::filesystem::remove(path);
    throw;
  }
  std::filesystem::remove(path);  // the mapping keeps the data until the Model is gone

  std::printf("model %s %s: %.1f MB; %d threads, ubatch %lld; %d streams (prompt %lld) decoding, then a %lld-token "
              "prompt; median of %d repeats\n",
              preset.name.c_str(), c.dtype.c_str(), sr.file_bytes / 1e6, c.threads, static_cast<long long>(c.ubatch),
              c.streams, static_cast<long long>(c.short_prompt), static_cast<long long>(c.long_prompt), c.repeat);
  std::printf("ITL: gaps between a stream's consecutive tokens, pooled over the streams; window: the gaps ending "
              "after the long prompt's submit, up to each stream's first token after the long request's token\n");
  const size_t n = c.chunks.size();
  std::vector<std::vector<Sample>> samples(n);
  for (int r = 0; r < c.repeat; ++r)
    for (size_t k = 0; k < n; ++k) samples[k].push_back(run_once(*model, c, c.chunks[k], r));

  std::printf("%8s %10s %10s %10s %10s %10s %6s %11s %11s\n", "chunk", "TTFT ms", "max ITL", "p99 ITL", "med ITL",
              "steady ITL", "gaps", "max/first", "TTFT/first");
  for (size_t k = 0; k < n; ++k) {
    auto fig = [&](double Sample::*f) {
      std::vector<double> v;
      for (const Sample& s : samples[k]) v.push_back(s.*f);
      return median(v);
    };
    auto ratio = [&](double Sample::*f) {
      std::vector<double> v;
      for (size_t r = 0; r < samples[k].size(); ++r)
        v.push_back(samples[0][r].*f > 0 ? samples[k][r].*f / (samples[0][r].*f) : 0);
      return median(v);
    };
    std::vector<double> gaps;
    for (const Sample& s : samples[k]) gaps.push_back(static_cast<double>(s.window_gaps));
    const std::string name = c.chunks[k] == 0 ? "off" : std::to_string(c.chunks[k]);
    std::printf("%8s %10.1f %10.1f %10.1f %10.1f %10.1f %6.0f %10.2fx %10.2fx\n", name.c_str(), fig(&Sample::ttft_ms),
                fig(&Sample::max_ms), fig(&Sample::p99_ms), fig(&Sample::median_ms), fig(&Sample::steady_ms),
                median(gaps), ratio(&Sample::max_ms), ratio(&Sample::ttft_ms));
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "chunked_prefill_bench: %s\n", e.what());
  return 1;
}
