// compute_point_metrics on hand-built samples, each case aimed at one way the figures could be
// computed from the wrong thing (tests/mutants/serving.tsv): TPOT from usage tokens rather than
// token events, the --requests duration from the first send rather than the point's start and to
// the last completion rather than the last failure, and p90/p99 as distinct nearest ranks.
// Every expected value is worked out by hand in the comments.
#include <gtest/gtest.h>

#include <vector>

#include "serve/load/load_metrics.h"

using namespace infertrace::serve::load;

namespace {
constexpr int64_t kMs = 1000000;
}  // namespace

// A server may pack several tokens into one event; TPOT divides by usage.completion_tokens - 1.
TEST(LoadMetrics, TpotDividesByUsageTokensNotTokenEvents) {
  std::vector<RequestSample> rs(2);
  // A: events at 100 and 200 ms, ends 300 ms, usage 5 tokens: (300 - 100) / (5 - 1) = 50 ms.
  rs[0].token_ns = {100 * kMs, 200 * kMs}, rs[0].end_ns = 300 * kMs, rs[0].tokens = 5;
  // B: one event at 50 ms, ends 250 ms, usage 3 tokens: (250 - 50) / (3 - 1) = 100 ms.
  rs[1].token_ns = {50 * kMs}, rs[1].end_ns = 250 * kMs, rs[1].tokens = 3;
  const PointMetrics m = compute_point_metrics(rs, 0);
  EXPECT_EQ(m.tpot.n, 2u);
  EXPECT_DOUBLE_EQ(m.tpot.p50, 75);  // mean of 50 and 100
  EXPECT_DOUBLE_EQ(m.tpot.p99, 100);
  EXPECT_EQ(m.output_tokens, 8);
}

// TPOT is a quotient kept with its fraction: (E2E - TTFT) / (tokens - 1) = 10 ns / 3 tokens is
// 3.333 ns, not 3 (review R55 L1: cut to whole ns, every TPOT figure read up to 1 ns low).
TEST(LoadMetrics, TpotKeepsItsFraction) {
  std::vector<RequestSample> rs(1);
  rs[0].token_ns = {5}, rs[0].end_ns = 15, rs[0].tokens = 4;
  const PointMetrics m = compute_point_metrics(rs, 0);
  ASSERT_EQ(m.tpot.n, 1u);
  EXPECT_DOUBLE_EQ(m.tpot.p50, 10.0 / 3.0 / 1e6);
  EXPECT_DOUBLE_EQ(m.tpot.p99, 10.0 / 3.0 / 1e6);
  EXPECT_DOUBLE_EQ(m.tpot.mean, 10.0 / 3.0 / 1e6);
}

// Without a window the duration runs from the first send to the last completion: not from the
// point's start (t = 0, before any send), and not to a failed or incomplete request's end.
TEST(LoadMetrics, DurationIsFirstSendToLastCompletion) {
  std::vector<RequestSample> rs(4);
  // Completed: sent 1000 ms, ends 2000 ms, 4 tokens; sent 1500 ms, ends 3000 ms, 6 tokens.
  rs[0].start_ns = 1000 * kMs, rs[0].token_ns = {1200 * kMs}, rs[0].end_ns = 2000 * kMs, rs[0].tokens = 4;
  rs[1].start_ns = 1500 * kMs, rs[1].token_ns = {1700 * kMs}, rs[1].end_ns = 3000 * kMs, rs[1].tokens = 6;
  // A failure and a window-cut request that end later than any completion.
  rs[2].start_ns = 1200 * kMs, rs[2].end_ns = 5000 * kMs, rs[2].error = "timeout";
  rs[3].start_ns = 1300 * kMs, rs[3].end_ns = 6000 * kMs, rs[3].incomplete = true;
  const PointMetrics m = compute_point_metrics(rs, 0);
  // 1000 ms to 3000 ms = 2 s: 10 tokens / 2 s = 5 tok/s, 2 requests / 2 s = 1 req/s.
  EXPECT_DOUBLE_EQ(m.duration_s, 2.0);
  EXPECT_DOUBLE_EQ(m.tok_per_s, 5.0);
  EXPECT_DOUBLE_EQ(m.req_per_s, 1.0);
}

// p90 and p99 are the nearest ranks ceil(0.9 n) and ceil(0.99 n): with 20 samples ranks 18 and
// 20, which differ (with 2 or 3 samples, as in HandComputed, both are the largest).
TEST(LoadMetrics, P90AndP99AreTheirOwnNearestRanks) {
  std::vector<RequestSample> rs(20);
  for (int k = 0; k < 20; ++k) {
    // Sent at 0, its one token at k+1 ms, ends at 2(k+1) ms: TTFT k+1 ms, E2E 2(k+1) ms.
    rs[static_cast<size_t>(k)].token_ns = {(k + 1) * kMs};
    rs[static_cast<size_t>(k)].end_ns = 2 * (k + 1) * kMs;
    rs[static_cast<size_t>(k)].tokens = 1;
  }
  const PointMetrics m = compute_point_metrics(rs, 0);
  EXPECT_DOUBLE_EQ(m.ttft.p50, 10.5);  // (10 + 11) / 2
  EXPECT_DOUBLE_EQ(m.ttft.p90, 18);
  EXPECT_DOUBLE_EQ(m.ttft.p99, 20);
  EXPECT_DOUBLE_EQ(m.ttft.mean, 10.5);  // 210 / 20
  EXPECT_DOUBLE_EQ(m.e2e.p90, 36);
  EXPECT_DOUBLE_EQ(m.e2e.p99, 40);
  EXPECT_EQ(m.tpot.n, 0u);  // one-token requests have no TPOT
  EXPECT_EQ(m.itl.n, 0u);
}

// tok/s counts completed requests' tokens only; streamed tok/s counts every token event inside the
// --duration window, those of requests the close cut and of failed ones included (review SB L3),
// and none that arrived after the close.
TEST(LoadMetrics, StreamedRateCountsCutRequestsEventsInsideTheWindow) {
  std::vector<RequestSample> rs(3);
  // Completed: sent 0, events at 100 and 200 ms, ends 300 ms, usage 2 tokens.
  rs[0].token_ns = {100 * kMs, 200 * kMs}, rs[0].end_ns = 300 * kMs, rs[0].tokens = 2;
  // Cut by the close at 1000 ms: events at 700, 800, 900 ms inside, one at 1003 ms (read before
  // the watchdog stopped it) outside.
  rs[1].start_ns = 500 * kMs, rs[1].token_ns = {700 * kMs, 800 * kMs, 900 * kMs, 1003 * kMs};
  rs[1].end_ns = 1005 * kMs, rs[1].incomplete = true;
  // Failed after one event at 650 ms.
  rs[2].start_ns = 600 * kMs, rs[2].token_ns = {650 * kMs}, rs[2].end_ns = 660 * kMs, rs[2].error = "stream_error";
  const PointMetrics m = compute_point_metrics(rs, 1000 * kMs);
  EXPECT_DOUBLE_EQ(m.duration_s, 1.0);
  EXPECT_EQ(m.output_tokens, 2);
  EXPECT_DOUBLE_EQ(m.tok_per_s, 2.0);
  EXPECT_EQ(m.streamed_token_events, 6);  // 2 + 3 + 1
  EXPECT_DOUBLE_EQ(m.streamed_tok_per_s, 6.0);
}

// Without a window the streamed events are those between the first send and the last completion,
// as the duration: a failed request's event after the last completion is outside it.
TEST(LoadMetrics, StreamedRateWithoutAWindowSpansFirstSendToLastCompletion) {
  std::vector<RequestSample> rs(2);
  // Completed: sent 1000 ms, events at 1100 and 1200 ms, ends 1400 ms.
  rs[0].start_ns = 1000 * kMs, rs[0].token_ns = {1100 * kMs, 1200 * kMs}, rs[0].end_ns = 1400 * kMs, rs[0].tokens = 2;
  // Failed: events at 1150, 1250 ms inside, 1500 ms after the last completion.
  rs[1].start_ns = 1050 * kMs, rs[1].token_ns = {1150 * kMs, 1250 * kMs, 1500 * kMs}, rs[1].end_ns = 1600 * kMs;
  rs[1].error = "read";
  const PointMetrics m = compute_point_metrics(rs, 0);
  EXPECT_DOUBLE_EQ(m.duration_s, 0.4);
  EXPECT_EQ(m.streamed_token_events, 4);
  EXPECT_DOUBLE_EQ(m.streamed_tok_per_s, 4 / 0.4);
  EXPECT_DOUBLE_EQ(m.tok_per_s, 2 / 0.4);
}

// A request never sent (due inside the --duration window, its sender woke after the close) enters
// no distribution and no count but not_sent (review SB L4): before, its wake-up time stood in for a
// send, so send lateness held a sample of a send that never happened.
TEST(LoadMetrics, NeverSentRequestsAreCountedApartAndInNoDistribution) {
  std::vector<RequestSample> rs(3);
  // Sent 10 ms late (scheduled 0, sent 10 ms), events at 110, 160 ms, ends 200 ms, 2 tokens.
  rs[0].start_ns = 10 * kMs, rs[0].token_ns = {110 * kMs, 160 * kMs}, rs[0].end_ns = 200 * kMs, rs[0].tokens = 2;
  // Scheduled 500 ms, sent 530 ms (30 ms late), cut at the close at 1000 ms after one event.
  rs[1].scheduled_ns = 500 * kMs, rs[1].start_ns = 530 * kMs, rs[1].token_ns = {800 * kMs};
  rs[1].end_ns = 1002 * kMs, rs[1].incomplete = true;
  // Scheduled 990 ms, never sent (a made-up send at its wake-up, 1400 ms, would be a 410 ms sample).
  rs[2].scheduled_ns = 990 * kMs, rs[2].not_sent = true;
  const PointMetrics m = compute_point_metrics(rs, 1000 * kMs);
  EXPECT_EQ(m.not_sent, 1u);
  EXPECT_EQ(m.sent, 2u);  // completed 1 + incomplete 1
  EXPECT_EQ(m.completed, 1u);
  EXPECT_EQ(m.incomplete, 1u);
  EXPECT_EQ(m.failed, 0u);
  EXPECT_EQ(m.lateness.n, 2u);
  EXPECT_DOUBLE_EQ(m.lateness.p99, 30);
  EXPECT_DOUBLE_EQ(m.lateness.mean, 20);  // (10 + 30) / 2
  EXPECT_EQ(m.ttft.n, 1u);
  EXPECT_EQ(m.e2e.n, 1u);
  EXPECT_EQ(m.streamed_token_events, 3);
  EXPECT_FALSE(rs[2].ok());
}

// A drained --duration window (review SV58 M1): the requests in flight at its close finished after
// it and are measured like any other; the duration runs from the window's start to the last
// completion, so tok/s counts their tokens over the time it took to deliver them.
TEST(LoadMetrics, DrainedWindowMeasuresRequestsEndedAfterTheClose) {
  std::vector<RequestSample> rs(3);
  // A: 0 -> 400 ms, inside the 1 s window. B: 500 -> 1500 ms, drained. C: 900 ms, timed out at 2 s.
  rs[0].start_ns = 0, rs[0].token_ns = {100 * kMs, 200 * kMs}, rs[0].end_ns = 400 * kMs, rs[0].tokens = 2;
  rs[1].start_ns = 500 * kMs, rs[1].token_ns = {700 * kMs, 1200 * kMs}, rs[1].end_ns = 1500 * kMs, rs[1].tokens = 2;
  rs[1].drained = true;
  rs[2].start_ns = 900 * kMs, rs[2].token_ns = {1000 * kMs}, rs[2].end_ns = 2000 * kMs, rs[2].error = "timeout";
  rs[2].drained = true;
  const PointMetrics m = compute_point_metrics(rs, 1000 * kMs, true);
  EXPECT_EQ(m.completed, 2u);
  EXPECT_EQ(m.failed, 1u);
  EXPECT_EQ(m.drained, 2u);
  EXPECT_EQ(m.e2e.n, 2u);              // 400 and 1000 ms
  EXPECT_DOUBLE_EQ(m.e2e.p50, 700);
  EXPECT_EQ(m.itl.n, 2u);              // 100 and 500 ms
  EXPECT_DOUBLE_EQ(m.duration_s, 1.5);  // to B's end, not the timeout's 2 s
  EXPECT_DOUBLE_EQ(m.tok_per_s, 4 / 1.5);
  EXPECT_EQ(m.streamed_token_events, 5);  // every event up to 1.5 s
  // Not drained: the window alone (what --no-drain's cut requests would have as incomplete).
  EXPECT_DOUBLE_EQ(compute_point_metrics(rs, 1000 * kMs, false).duration_s, 1.0);
}

// A --requests point that completed nothing has no duration: its rates are unknown, not 0, and the
// events that arrived are counted (review SV58 L2: "0 token events" with 44 events in).
TEST(LoadMetrics, NoCompletionMeansNoDurationButEventsCounted) {
  std::vector<RequestSample> rs(2);
  rs[0].start_ns = 0, rs[0].token_ns = {10 * kMs, 20 * kMs}, rs[0].end_ns = 300 * kMs, rs[0].error = "timeout";
  rs[1].start_ns = 5 * kMs, rs[1].token_ns = {30 * kMs}, rs[1].end_ns = 305 * kMs, rs[1].error = "timeout";
  const PointMetrics m = compute_point_metrics(rs, 0);
  EXPECT_EQ(m.duration_s, 0);
  EXPECT_EQ(m.streamed_token_events, 3);
}
