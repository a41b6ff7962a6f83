#include "serve/load/load_report.h"

#include <cstdio>
#include <map>
#include <sstream>

#include "util/units.h"

namespace infertrace::serve::load {

namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// An empty distribution (no samples: ITL and TPOT with --output-tokens 1, every latency when no
// request completed) has null figures, not a measured 0 (review SB L1).
nlohmann::json dist_json(const Dist& d) {
  const auto v = [&](double x) { return d.n == 0 ? nlohmann::json() : nlohmann::json(x); };
  return {{"p50", v(d.p50)}, {"p90", v(d.p90)}, {"p99", v(d.p99)}, {"mean", v(d.mean)}, {"n", d.n}};
}

// A figure of `d` for the text output, in the unit that fits (format_ns, as every verb: "48.2 us",
// "12.60 ms"; a one-decimal ms read "0.0 ms" for a sub-0.05 ms ITL, review UX L9); "n/a" when
// `d` has no samples.
std::string ms_of(const Dist& d, double v) { return d.n == 0 ? "n/a" : format_ns(v * 1e6); }

// One URL's share of a point's requests (review BS M4: a dead URL of several, failing fast, took
// most of the load and nothing said which).
struct UrlCounts {
  size_t sent = 0, completed = 0, failed = 0, incomplete = 0;
  std::map<std::string, size_t> errors;
};

std::vector<UrlCounts> per_url(const PointResult& p, size_t n_urls) {
  std::vector<UrlCounts> v(n_urls);
  for (const auto& r : p.requests) {
    if (r.not_sent || r.url >= n_urls) continue;
    auto& c = v[r.url];
    ++c.sent;
    if (r.incomplete)
      ++c.incomplete;
    else if (!r.error.empty())
      ++c.failed, ++c.errors[r.error];
    else
      ++c.completed;
  }
  return v;
}

}  // namespace

std::string load_label(const PointSpec& s) {
  switch (s.profile) {
    case Profile::kSynchronous: return "1";
    case Profile::kConcurrent: return std::to_string(s.concurrency);
    default: return fmt("%g", s.rate);
  }
}

// The load, and with --repeat which run of it ("4 #2/3").
std::string point_label(const PointSpec& s) {
  if (s.repetitions <= 1) return load_label(s);
  return load_label(s) + " #" + std::to_string(s.repetition) + "/" + std::to_string(s.repetitions);
}

std::string render_text(const BenchRun& run, bool with_definitions) {
  std::ostringstream o;
  const bool closed = !run.points.empty() && (run.points[0].spec.profile == Profile::kSynchronous ||
                                              run.points[0].spec.profile == Profile::kConcurrent);
  o << "bench serve: " << run.target.base_urls[0];
  for (size_t i = 1; i < run.target.base_urls.size(); ++i) o << ", " << run.target.base_urls[i];
  o << "  model " << (run.model.id.empty() ? "(unnamed)" : run.model.id) << "  profile " << run.profile << "\n";
  if (!run.points.empty() && run.points[0].spec.endpoint == Endpoint::kChat)
    o << "prompts: /v1/chat/completions, one user message of " << run.points[0].spec.prompt_tokens
      << " seeded words; prompt token counts (template included) are the server's\n";
  else if (run.model.n_vocab > 0)
    o << "prompts: random token ids below n_vocab " << run.model.n_vocab << "\n";
  else
    o << "prompts: text of " << (run.points.empty() ? 0 : run.points[0].spec.prompt_tokens)
      << " seeded words (the server's /v1/models gives no n_vocab), so prompt token counts are the server's\n";
  o << "\n| " << (closed ? "Concurrency" : "Rate") << " | OK/Tot | E2E p50 | TTFT p50 | ITL p50 | TPOT p50 | tok/s | req/s | Errors |\n";
  o << "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& p : run.points) {
    const auto& m = p.metrics;
    o << "| " << point_label(p.spec) << " | " << m.completed << "/" << m.sent << " | " << ms_of(m.e2e, m.e2e.p50)
      << " | " << ms_of(m.ttft, m.ttft.p50) << " | " << ms_of(m.itl, m.itl.p50) << " | "
      << ms_of(m.tpot, m.tpot.p50) << " | " << (m.duration_s > 0 ? fmt("%.2f", m.tok_per_s) : "n/a") << " | "
      << (m.duration_s > 0 ? fmt("%.3f", m.req_per_s) : "n/a") << " | "
      << m.failed;
    if (!m.errors.empty()) {
      o << " (";
      bool first = true;
      for (const auto& [k, n] : m.errors) o << (first ? "" : ", ") << k << " " << n, first = false;
      o << ")";
    }
    o << " |\n";
  }
  for (const auto& p : run.points) {
    const auto& m = p.metrics;
    o << "\n" << (closed ? "concurrency " : "rate ") << point_label(p.spec) << ": sent " << m.sent << ", completed "
      << m.completed << ", failed " << m.failed << ", incomplete " << m.incomplete << ", output tokens "
      << m.output_tokens << ", duration " << (m.duration_s > 0 ? fmt("%.3f s", m.duration_s) : std::string("n/a")) << "\n";
    if (p.spec.duration_s > 0 && p.spec.drain)
      o << "  drained: " << m.drained << " (in flight when the --duration window closed, let finish within --timeout; "
        << "in the counts and latencies above; duration = window + drain)\n";
    if (m.not_sent > 0)
      o << "  not sent: " << m.not_sent
        << " (due inside the --duration window, not yet sent when it closed: in no count above and no "
           "distribution)\n";
    if (m.duration_s > 0)
      o << "  streamed " << fmt("%.2f tok/s", m.streamed_tok_per_s) << ": " << m.streamed_token_events
        << " token events inside the duration, cut and failed requests' included (tok/s above: completed requests')\n";
    else  // no request completed: no duration to divide by (review SV58 L2)
      o << "  streamed n/a: " << m.streamed_token_events
        << " token events arrived, but no request completed, so the point has no duration\n";
    if (m.server_prompt_tokens_n > 0)
      o << "  prompt tokens (the server's usage.prompt_tokens): mean "
        << fmt("%.1f", static_cast<double>(m.server_prompt_tokens_sum) / static_cast<double>(m.server_prompt_tokens_n))
        << ", min " << m.server_prompt_tokens_min << ", max " << m.server_prompt_tokens_max << " (n "
        << m.server_prompt_tokens_n << ")\n";
    auto row = [&](const char* name, const Dist& d) {
      o << "  " << name << " p50 " << ms_of(d, d.p50) << "  p90 " << ms_of(d, d.p90) << "  p99 " << ms_of(d, d.p99)
        << "  mean " << ms_of(d, d.mean) << "  (n " << d.n << ")\n";
    };
    if (run.target.base_urls.size() > 1) {
      const auto counts = per_url(p, run.target.base_urls.size());
      for (size_t u = 0; u < counts.size(); ++u) {
        const auto& c = counts[u];
        o << "  " << run.target.base_urls[u] << ": sent " << c.sent << ", completed " << c.completed << ", failed "
          << c.failed;
        if (!c.errors.empty()) {
          o << " (";
          bool first = true;
          for (const auto& [k, n] : c.errors) o << (first ? "" : ", ") << k << " " << n, first = false;
          o << ")";
        }
        if (c.incomplete > 0) o << ", incomplete " << c.incomplete;
        if (c.sent > 0 && c.completed == 0) o << "  <- completed none of its requests";
        o << "\n";
      }
    }
    for (const auto& [kind, n] : m.errors) {
      const auto ex = m.error_examples.find(kind);
      o << "  " << kind << " x" << n;
      if (ex != m.error_examples.end() && !ex->second.empty()) o << ", the first said: " << ex->second;
      o << "\n";
    }
    row("TTFT", m.ttft);
    row("ITL ", m.itl);
    row("TPOT", m.tpot);
    row("E2E ", m.e2e);
    row("send lateness", m.lateness);
  }
  if (with_definitions) o << "\n" << metric_definitions();
  return o.str();
}

std::string metric_definitions() {
  return "Definitions (docs/metrics.md section 6): request start = when the request was sent; TTFT = start to the\n"
       "first token event; ITL = every gap between consecutive token events, pooled over requests; TPOT per\n"
       "request = (E2E - TTFT) / (tokens - 1) for requests with >= 2 tokens; E2E = start to the end of its\n"
       "stream. Latencies over completed requests only (with --duration, those drained after the window too).\n"
       "p50 = median, p90/p99 = nearest rank. tokens = usage.completion_tokens when the server sends it, else\n"
       "token events. duration = first send to last completion (--requests), or the --duration window plus its\n"
       "drain (to the last completion; the window alone with --no-drain); tok/s and req/s = completed requests'\n"
       "output tokens and count / duration (n/a when no request completed a --requests point). streamed tok/s =\n"
       "token events of every request (cut and failed ones too) that arrived inside the duration / duration.\n"
       "Drained = in flight when the --duration window closed and let finish (each within --timeout);\n"
       "incomplete = in flight at the close with --no-drain, stopped there (not errors). Send lateness = actual send - scheduled send (open-loop profiles: large values mean the load\n"
       "generator could not keep the schedule); not sent = due inside the --duration window but never sent\n"
       "(not yet sent at the close), in no distribution.\n";
}

nlohmann::json to_json(const BenchRun& run) {
  nlohmann::json j;
  j["schema"] = "infertrace.bench_serve/1";
  j["urls"] = run.target.base_urls;
  j["model"] = run.model.id;
  j["n_vocab"] = run.model.n_vocab;
  const bool chat = !run.points.empty() && run.points[0].spec.endpoint == Endpoint::kChat;
  j["endpoint"] = chat ? "chat" : "completions";
  j["prompt_kind"] = chat ? "chat_words" : run.model.n_vocab > 0 ? "token_ids" : "text";
  j["profile"] = run.profile;
  // The text output's definitions, stated in the document too (docs/metrics.md: the output states
  // them), and the percentile method, which is not numpy's default (linear interpolation).
  j["percentiles"] = "nearest_rank";
  j["percentile_rule"] =
      "p50 = median (the mean of the two middle samples for an even n); p90, p99 = the sample of 1-based rank "
      "ceil(p/100 * n) in sorted order, not interpolated; mean = arithmetic mean";
  j["definitions"] = {
      {"start", "when the request was sent (before its connection is opened)"},
      {"token_event", "an SSE event carrying text: choices[0].text (completions) or "
                      "choices[0].delta.content (chat) a non-empty string"},
      {"ttft", "start to the first token event"},
      {"itl", "every gap between consecutive token events, one sample per gap, pooled over requests"},
      {"tpot", "per request, (E2E - TTFT) / (tokens - 1), requests with >= 2 tokens"},
      {"e2e", "start to the end of the stream ([DONE])"},
      {"tokens", "usage.completion_tokens when the server sends it, else token events"},
      {"duration_s", "first send to the last completion (--requests), or the --duration window plus its drain (to the "
                     "last completion; the window alone with --no-drain); 0 when a --requests point completed nothing"},
      {"req_per_s", "completed requests / duration_s (null without a duration)"},
      {"tok_per_s", "completed requests' tokens / duration_s (null without a duration)"},
      {"streamed_tok_per_s", "streamed_token_events / duration_s: every token event of every measured request "
                             "(completed, failed, or cut when a --duration window closed) that arrived inside the "
                             "duration (see duration_s); null without a duration, streamed_token_events then "
                             "counting every event that arrived"},
      {"latencies", "over completed requests only (drained ones included), in ms; a distribution without samples has "
                    "n 0 and null figures"},
      {"drained", "requests in flight when the --duration window closed and let finish, each within timeout_s: "
                  "counted in completed or failed (timeout) as they ended, and in every distribution"},
      {"incomplete", "with --no-drain, requests in flight when the --duration window closed: stopped there, not "
                     "errors; counted in sent and send_lateness, in no TTFT, ITL, TPOT or E2E distribution"},
      {"send_lateness", "actual send - scheduled send, over the requests sent"},
      {"not_sent", "requests due inside the --duration window and not yet sent when it closed: never sent, not in "
                   "sent and in no distribution"},
  };
  j["points"] = nlohmann::json::array();
  for (const auto& p : run.points) {
    const auto& m = p.metrics;
    const auto& s = p.spec;
    nlohmann::json pj;
    const bool closed = s.profile == Profile::kSynchronous || s.profile == Profile::kConcurrent;
    pj["concurrency"] = closed ? nlohmann::json(s.profile == Profile::kSynchronous ? 1 : s.concurrency) : nlohmann::json();
    pj["rate"] = closed ? nlohmann::json() : nlohmann::json(s.rate);
    pj["profile"] = s.profile == Profile::kSynchronous ? "synchronous"
                    : s.profile == Profile::kConcurrent ? "concurrent"
                    : s.profile == Profile::kConstant   ? "constant"
                                                        : "poisson";
    pj["prompt_tokens"] = s.prompt_tokens;
    pj["output_tokens_per_request"] = s.output_tokens;
    pj["requests_target"] = s.requests;
    pj["duration_target_s"] = s.duration_s;
    pj["warmup"] = s.warmup;
    pj["timeout_s"] = s.timeout_s;
    pj["seed"] = s.seed;
    pj["repetition"] = s.repetition;  // 1..repetitions (--repeat)
    pj["repetitions"] = s.repetitions;
    pj["drain"] = s.duration_s > 0 ? nlohmann::json(s.drain) : nlohmann::json();  // null for --requests
    pj["sent"] = m.sent;
    pj["completed"] = m.completed;
    pj["failed"] = m.failed;
    pj["incomplete"] = m.incomplete;
    pj["not_sent"] = m.not_sent;
    pj["drained"] = m.drained;
    pj["errors"] = m.errors;
    pj["error_examples"] = m.error_examples;
    pj["per_url"] = nlohmann::json::array();
    const auto counts = per_url(p, run.target.base_urls.size());
    for (size_t u = 0; u < counts.size(); ++u)
      pj["per_url"].push_back({{"url", run.target.base_urls[u]},
                               {"sent", counts[u].sent},
                               {"completed", counts[u].completed},
                               {"failed", counts[u].failed},
                               {"incomplete", counts[u].incomplete},
                               {"errors", counts[u].errors}});
    pj["output_tokens"] = m.output_tokens;
    pj["server_prompt_tokens"] =
        m.server_prompt_tokens_n == 0
            ? nlohmann::json()
            : nlohmann::json{{"mean", static_cast<double>(m.server_prompt_tokens_sum) /
                                          static_cast<double>(m.server_prompt_tokens_n)},
                             {"min", m.server_prompt_tokens_min},
                             {"max", m.server_prompt_tokens_max},
                             {"n", m.server_prompt_tokens_n}};
    pj["duration_s"] = m.duration_s;
    const auto rate = [&](double v) { return m.duration_s > 0 ? nlohmann::json(v) : nlohmann::json(); };
    pj["req_per_s"] = rate(m.req_per_s);
    pj["tok_per_s"] = rate(m.tok_per_s);
    pj["streamed_token_events"] = m.streamed_token_events;
    pj["streamed_tok_per_s"] = rate(m.streamed_tok_per_s);
    pj["ttft_ms"] = dist_json(m.ttft);
    pj["itl_ms"] = dist_json(m.itl);
    pj["tpot_ms"] = dist_json(m.tpot);
    pj["e2e_ms"] = dist_json(m.e2e);
    pj["send_lateness_ms"] = dist_json(m.lateness);
    nlohmann::json rs = nlohmann::json::array();
    for (const auto& r : p.requests) {
      nlohmann::json rj;
      rj["scheduled_s"] = static_cast<double>(r.scheduled_ns) / 1e9;
      rj["start_s"] = r.not_sent ? nlohmann::json() : nlohmann::json(static_cast<double>(r.start_ns) / 1e9);
      const bool has_tok = !r.token_ns.empty();
      rj["ttft_ms"] = has_tok ? nlohmann::json(static_cast<double>(r.token_ns[0] - r.start_ns) / 1e6) : nlohmann::json();
      rj["e2e_ms"] = r.end_ns >= 0 ? nlohmann::json(static_cast<double>(r.end_ns - r.start_ns) / 1e6) : nlohmann::json();
      rj["tokens"] = r.tokens;
      rj["server_prompt_tokens"] = r.server_prompt_tokens >= 0 ? nlohmann::json(r.server_prompt_tokens) : nlohmann::json();
      rj["token_events"] = r.token_ns.size();
      nlohmann::json itl = nlohmann::json::array();
      for (size_t i = 1; i < r.token_ns.size(); ++i) itl.push_back(static_cast<double>(r.token_ns[i] - r.token_ns[i - 1]) / 1e6);
      rj["itl_ms"] = itl;
      rj["error"] = r.error.empty() ? nlohmann::json() : nlohmann::json(r.error);
      rj["error_detail"] = r.error.empty() ? nlohmann::json() : nlohmann::json(r.error_detail);
      rj["incomplete"] = r.incomplete;
      rj["not_sent"] = r.not_sent;
      rj["drained"] = r.drained;
      // Null for a request never sent (due inside a --duration window, not yet sent when it closed).
      const bool picked = !r.not_sent && !r.in_flight_at_pick.empty();
      rj["url"] = picked ? nlohmann::json(r.url) : nlohmann::json();
      rj["in_flight_at_pick"] = picked ? nlohmann::json(r.in_flight_at_pick) : nlohmann::json();
      rs.push_back(rj);
    }
    pj["requests"] = rs;
    j["points"].push_back(pj);
  }
  return j;
}

}  // namespace infertrace::serve::load
