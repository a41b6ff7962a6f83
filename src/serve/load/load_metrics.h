// Serving metrics of one load point, exactly as docs/metrics.md section 6 defines them:
// TTFT = request start (send) to the first token event; ITL = every gap between consecutive token
// events, pooled over requests; TPOT per request = (E2E - TTFT) / (tokens - 1) for requests with
// >= 2 tokens; E2E = request start to the end of its stream. Only completed requests contribute
// (with a drained --duration window, those that completed after its close too).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace infertrace::serve::load {

// One request as the load generator saw it. Times are steady_clock ns relative to the point start.
struct RequestSample {
  int64_t scheduled_ns = 0;       // when the profile wanted it sent
  int64_t start_ns = 0;           // when it was actually sent (the request start)
  std::vector<int64_t> token_ns;  // arrival time of every token event
  int64_t end_ns = -1;            // end of the stream (or of the failure)
  int64_t tokens = 0;             // usage.completion_tokens when given, else token events
  int64_t server_prompt_tokens = -1;  // usage.prompt_tokens when given (the server's tokenizer and template)
  std::string error;              // empty when it completed; else the error kind
  std::string error_detail;       // what the server (or the transport) said about it, when anything
  bool incomplete = false;        // still in flight when a --duration window closed
  // Which base URL of the target it went to, and every URL's requests in flight (this one not
  // counted) when it was given that URL: the balancer's choice and what it chose from.
  size_t url = 0;
  std::vector<int> in_flight_at_pick;
  // Never sent: due inside a --duration window (open loop), its sender woke only after the window
  // closed. It has no start, end or events, and enters no count but not_sent and no distribution
  // (review SB L4: it had entered send_lateness with its wake-up as a made-up send).
  bool not_sent = false;
  // Still in flight when the --duration window closed and let finish (drain, the default): it
  // completed, failed or timed out after the close and counts as such (review SV58 M1).
  bool drained{};
  bool ok() const { return error.empty() && !incomplete && !not_sent; }
};

// p50 = median (mean of the middle two for an even count), p90/p99 = nearest rank
// (analysis/percentile.h), mean = arithmetic mean; all in ms; n = sample count.
struct Dist {
  double p50 = 0, p90 = 0, p99 = 0, mean = 0;
  size_t n = 0;
};
Dist dist_ms(std::vector<int64_t> ns_samples);
Dist dist_ms(std::vector<double> ns_samples);  // fractional ns (TPOT, a quotient)

struct PointMetrics {
  size_t sent = 0, completed = 0, incomplete = 0, failed = 0;  // sent = completed + incomplete + failed
  std::map<std::string, size_t> errors;  // kind -> count
  std::map<std::string, std::string> error_examples;  // kind -> the first such request's detail
  int64_t output_tokens = 0;              // completed requests' tokens
  // usage.prompt_tokens over the completed requests that reported it (n = how many did): with text
  // or chat prompts the only true prompt length is the server's count.
  int64_t server_prompt_tokens_sum = 0, server_prompt_tokens_min = 0, server_prompt_tokens_max = 0;
  size_t server_prompt_tokens_n = 0;
  // See compute_point_metrics below; 0 when the point has none (a --requests point that completed
  // nothing): its rates are then unknown, reported null / n/a, not 0 (review SV58 L2).
  double duration_s = 0;
  double req_per_s = 0, tok_per_s = 0;    // completed requests (tokens) / duration
  Dist ttft, itl, tpot, e2e;
  Dist lateness;  // start - scheduled: how far the sender ran behind the schedule
  // Every token event of every measured request (completed, failed, or cut at a --duration
  // window's close) that arrived inside the point's duration window, and that count / duration:
  // the rate the server streamed at, which tok_per_s understates when the close cuts requests
  // (their tokens are in no completed request's count; review SB L3). Events, not usage tokens:
  // a cut request has no usage count, and an event carrying several tokens counts once.
  int64_t streamed_token_events = 0;
  double streamed_tok_per_s = 0;
  // Requests the schedule had inside a --duration window that were never sent (RequestSample::
  // not_sent): not in `sent` nor in any other count or distribution.
  size_t not_sent = 0;
  // Sent requests still in flight when the --duration window closed and let finish (drain): counted
  // in completed or failed as they ended; with drain the duration runs to the last completion.
  size_t drained{};
};

// window_ns: the --duration window when one was given (> 0; it opens at the point's start, t = 0);
// otherwise the duration runs from the first send to the last completion of the measured requests.
// drained: the window's requests in flight at its close were let finish, so the duration runs from
// the window's start to the later of its close and the last completion (the time the point took to
// deliver the tokens it counts, as vLLM's benchmark_duration).
PointMetrics compute_point_metrics(const std::vector<RequestSample>& reqs, int64_t window_ns, bool drained = false);

}  // namespace infertrace::serve::load
