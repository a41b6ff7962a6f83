// The load generator's SSE parser and its serving metrics (docs/metrics.md section 6), against
// streams and values written out by hand here.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <cstring>
#include <string>
#include <vector>

#include "serve/load/error_detail.h"
#include "serve/load/load_metrics.h"
#include "serve/load/load_runner.h"
#include "util/error.h"
#include "serve/load/sse_parser.h"

using namespace infertrace::serve::load;

namespace {

std::vector<SseEvent> parse_pieces(const std::vector<std::string>& pieces) {
  std::vector<SseEvent> out;
  SseParser p([&](const SseEvent& e) { out.push_back(e); });
  for (const auto& s : pieces) p.feed(s);
  p.finish();
  return out;
}

const std::string kTok = R"({"choices":[{"index":0,"text":"a","finish_reason":null}]})";

}  // namespace

TEST(SseParser, SplitEventsAndCrlf) {
  const std::string stream = "data: " + kTok + "\r\n\r\ndata: " + kTok + "\n\n" +
                             R"(data: {"choices":[],"usage":{"completion_tokens":2}})" + "\r\n\r\ndata: [DONE]\n\n";
  // Every split point of the stream must give the same four events.
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    auto ev = parse_pieces({stream.substr(0, cut), stream.substr(cut)});
    ASSERT_EQ(ev.size(), 4u) << "cut at " << cut;
    EXPECT_EQ(ev[0].kind, SseKind::kToken);
    EXPECT_EQ(ev[1].kind, SseKind::kToken);
    EXPECT_EQ(ev[2].kind, SseKind::kUsage);
    EXPECT_EQ(ev[2].completion_tokens, 2);
    EXPECT_EQ(ev[3].kind, SseKind::kDone);
  }
  // Byte by byte.
  std::vector<std::string> bytes;
  for (char c : stream) bytes.emplace_back(1, c);
  EXPECT_EQ(parse_pieces(bytes).size(), 4u);
}

// A lone \r ends a line too (the SSE specification's third line end), and a \r\n split between
// two reads is one line end, not a line end and an empty line (which would end the event early).
TEST(SseParser, LoneCarriageReturnsAndSplitCrlf) {
  const std::string stream = "data: " + kTok + "\r\rdata: {\"choices\":[\r" + "data: {\"index\":0,\"text\":\"b\"}]}\r\n\r\n" +
                             "data: [DONE]\r\r";
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    auto ev = parse_pieces({stream.substr(0, cut), stream.substr(cut)});
    ASSERT_EQ(ev.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(ev[0].kind, SseKind::kToken);
    EXPECT_EQ(ev[1].kind, SseKind::kToken) << "two data lines joined with \\n: " << ev[1].message;
    EXPECT_EQ(ev[2].kind, SseKind::kDone);
  }
  std::vector<std::string> bytes;
  for (char c : stream) bytes.emplace_back(1, c);
  EXPECT_EQ(parse_pieces(bytes).size(), 3u);
  // "\r" then "\n" in separate reads between two data lines of one event: still one event.
  auto ev = parse_pieces({"data: {\"choices\":\r", "\n", "data: [{\"text\":\"c\"}]}\r\n\r\n"});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, SseKind::kToken);
}

TEST(SseParser, CommentsOtherFieldsAndUnterminatedLastEvent) {
  auto ev = parse_pieces({": keep-alive\n\nevent: x\nid: 3\ndata: " + kTok + "\n\ndata: [DONE]"});
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, SseKind::kToken);
  EXPECT_EQ(ev[1].kind, SseKind::kDone);
}

TEST(SseParser, ErrorsAndMalformed) {
  auto ev = parse_pieces({R"(data: {"error":{"message":"boom","type":"server_error","code":500}})"
                          "\n\ndata: not json\n\ndata: {\"x\":1}\n\ndata: {\"choices\":[]}\n\n"});
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[0].kind, SseKind::kError);
  EXPECT_EQ(ev[0].message, "boom");
  EXPECT_EQ(ev[1].kind, SseKind::kMalformed);
  EXPECT_EQ(ev[2].kind, SseKind::kMalformed);
  EXPECT_EQ(ev[3].kind, SseKind::kMalformed);  // empty choices without usage
}

// Found by fuzz_sse: an error member nested this deep used to be dumped recursively into the
// message and overflowed the stack. Other shapes are reported as the event's text, cut at 200 bytes.
TEST(SseParser, DeeplyNestedErrorIsReportedNotDumped) {
  const size_t depth = 200000;
  const std::string data = R"({"error":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
  auto ev = parse_pieces({"data: " + data + "\n\n"});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, SseKind::kError);
  EXPECT_EQ(ev[0].message, data.substr(0, 200));
  ev = parse_pieces({"data: {\"error\":\"plain\"}\n\ndata: {\"error\":{\"code\":5}}\n\n"});
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].message, "plain");
  EXPECT_EQ(ev[1].message, R"({"error":{"code":5}})");
}

// A 16 MB line in 256-byte reads: each read used to search the whole held line again, some 5e11
// bytes in all (minutes); searching only the new bytes takes milliseconds. The bound is loose. (An
// ignored field, so that the time is the line splitting's, not JSON parsing's.)
TEST(SseParser, LongLineInSmallReadsIsLinear) {
  const std::string body = "id: " + std::string(16u << 20, 'x') + "\ndata: {\"x\":1}\n\ndata: [DONE]\n\n";
  std::vector<std::string> pieces;
  for (size_t off = 0; off < body.size(); off += 256) pieces.push_back(body.substr(off, 256));
  const auto t0 = std::chrono::steady_clock::now();
  const auto ev = parse_pieces(pieces);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, SseKind::kMalformed);  // no choices
  EXPECT_EQ(ev[1].kind, SseKind::kDone);
  EXPECT_LT(s, 10.0);
}

TEST(LoadMetrics, HandComputed) {
  const int64_t ms = 1000000;
  std::vector<RequestSample> rs(4);
  // A: sent at 0, tokens at 100, 130, 190 ms, stream ends 200 ms, usage says 3 tokens.
  rs[0].start_ns = 0, rs[0].token_ns = {100 * ms, 130 * ms, 190 * ms}, rs[0].end_ns = 200 * ms, rs[0].tokens = 3;
  // B: scheduled at 40, sent at 50 (10 ms late), tokens at 250, 270, ends 300, 2 tokens.
  rs[1].scheduled_ns = 40 * ms, rs[1].start_ns = 50 * ms, rs[1].token_ns = {250 * ms, 270 * ms};
  rs[1].end_ns = 300 * ms, rs[1].tokens = 2;
  // C: failed with a 500; D: still in flight when the window closed.
  rs[2].start_ns = 60 * ms, rs[2].end_ns = 70 * ms, rs[2].error = "http_500";
  rs[3].start_ns = 80 * ms, rs[3].incomplete = true;

  PointMetrics m = compute_point_metrics(rs, 0);
  EXPECT_EQ(m.sent, 4u);
  EXPECT_EQ(m.completed, 2u);
  EXPECT_EQ(m.failed, 1u);
  EXPECT_EQ(m.incomplete, 1u);
  EXPECT_EQ(m.errors.at("http_500"), 1u);
  EXPECT_EQ(m.error_examples.at("http_500"), "");
  EXPECT_EQ(m.output_tokens, 5);
  // TTFT: A 100, B 200 -> median 150, p90 = p99 = nearest rank 2 of 2 = 200, mean 150.
  EXPECT_DOUBLE_EQ(m.ttft.p50, 150);
  EXPECT_DOUBLE_EQ(m.ttft.p90, 200);
  EXPECT_DOUBLE_EQ(m.ttft.mean, 150);
  // ITL pooled gaps: A 30, 60; B 20 -> sorted 20, 30, 60: median 30, p90 rank ceil(2.7)=3 -> 60.
  EXPECT_EQ(m.itl.n, 3u);
  EXPECT_DOUBLE_EQ(m.itl.p50, 30);
  EXPECT_DOUBLE_EQ(m.itl.p90, 60);
  EXPECT_DOUBLE_EQ(m.itl.mean, (20.0 + 30 + 60) / 3);
  // TPOT: A (200-100)/2 = 50; B (250-200)/1 = 50.
  EXPECT_DOUBLE_EQ(m.tpot.p50, 50);
  // E2E: A 200, B 250.
  EXPECT_DOUBLE_EQ(m.e2e.p50, 225);
  EXPECT_DOUBLE_EQ(m.e2e.p99, 250);
  // Duration: first send (0) to last completion (300 ms); 5 tokens / 0.3 s, 2 requests / 0.3 s.
  EXPECT_DOUBLE_EQ(m.duration_s, 0.3);
  EXPECT_NEAR(m.tok_per_s, 5 / 0.3, 1e-9);
  EXPECT_NEAR(m.req_per_s, 2 / 0.3, 1e-9);
  // Lateness: 0, 10, 60, 80 ms (C and D were scheduled at 0).
  EXPECT_DOUBLE_EQ(m.lateness.p99, 80);
  EXPECT_EQ(m.server_prompt_tokens_n, 0u);  // nobody reported usage.prompt_tokens

  // Server prompt counts: only completed requests that reported one count.
  rs[0].server_prompt_tokens = 30, rs[1].server_prompt_tokens = 42, rs[2].server_prompt_tokens = 99;
  PointMetrics pc = compute_point_metrics(rs, 0);
  EXPECT_EQ(pc.server_prompt_tokens_n, 2u);
  EXPECT_EQ(pc.server_prompt_tokens_sum, 72);
  EXPECT_EQ(pc.server_prompt_tokens_min, 30);
  EXPECT_EQ(pc.server_prompt_tokens_max, 42);
  rs[0].server_prompt_tokens = -1;
  pc = compute_point_metrics(rs, 0);
  EXPECT_EQ(pc.server_prompt_tokens_n, 1u);
  EXPECT_EQ(pc.server_prompt_tokens_min, 42);
  rs[1].server_prompt_tokens = rs[2].server_prompt_tokens = -1;

  // With a --duration window the rates use the window instead.
  PointMetrics w = compute_point_metrics(rs, 2000 * ms);
  EXPECT_DOUBLE_EQ(w.duration_s, 2.0);
  EXPECT_DOUBLE_EQ(w.tok_per_s, 2.5);
}

// Found while fuzzing the bench serve parsers: a "detail" nested a few hundred thousand levels deep
// was json::dump'ed, which recurses per level and overflowed the stack. Past 64 levels the body's
// own text is shown instead; 64 levels still dump.
TEST(ErrorDetail, DeeplyNestedDetailIsNotDumped) {
  const size_t depth = 200000;
  const std::string body = R"({"detail":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
  EXPECT_EQ(error_detail_of_body(body), body.substr(0, kMaxDetail) + "...");
  const std::string d64 = std::string(64, '[') + std::string(64, ']');
  EXPECT_EQ(error_detail_of_body(R"({"detail":)" + d64 + "}"), d64);
  const std::string d65 = R"({"detail":)" + std::string(65, '[') + std::string(65, ']') + "}";
  EXPECT_EQ(error_detail_of_body(d65), d65);  // 141 bytes: the whole body, uncut
}

TEST(ErrorDetail, MessageFromEachServersErrorShape) {
  EXPECT_EQ(error_detail_of_body(R"({"error":{"message":"prompt too long","type":"invalid_request_error"}})"),
            "prompt too long");
  EXPECT_EQ(error_detail_of_body(R"({"object":"error","message":"model not found","code":404})"), "model not found");
  EXPECT_EQ(error_detail_of_body(R"({"detail":[{"loc":["body"],"msg":"field required"}]})"),
            R"([{"loc":["body"],"msg":"field required"}])");
  EXPECT_EQ(error_detail_of_body(R"({"error":"overloaded"})"), "overloaded");
  EXPECT_EQ(error_detail_of_body("<html>\n  <body>502 Bad\r\n Gateway</body>\n</html>\n"),
            "<html> <body>502 Bad Gateway</body> </html>");
  EXPECT_EQ(error_detail_of_body(""), "");
}

TEST(ErrorDetail, UntrustedBytesAreCleanedAndCut) {
  EXPECT_EQ(short_detail(std::string("a\x1b[2Jb\xff", 7)), "a?[2Jb?");
  const std::string long_text(1000, 'x');
  const std::string d = error_detail_of_body(long_text);
  EXPECT_EQ(d, std::string(kMaxDetail, 'x') + "...");
  // A two-byte character cut in the middle does not leave half of it in the output.
  std::string accents;
  for (int i = 0; i < 150; ++i) accents += "\xc3\xa9";  // e-acute, 300 bytes
  const std::string a = short_detail(accents);
  EXPECT_EQ(a.size(), kMaxDetail + 3);
  EXPECT_EQ(a.substr(0, 4), "\xc3\xa9\xc3\xa9");
}

// Review SL L4: a `read` error said only "Read". It says whether the answer's head had come and
// whether the connection was reset (the errno cpp-httplib leaves then, by its symbol: review S39 L2) or closed.
TEST(ErrorDetail, ReadErrorSaysWhatHappened) {
  EXPECT_EQ(read_error_detail(0, 0, ENOTCONN),
            "the connection was reset before its answer (no status line came) (errno ENOTCONN, left by the HTTP "
            "client's shutdown of the reset socket)");
  EXPECT_EQ(read_error_detail(0, 0, EINPROGRESS),
            "the server closed the connection before its answer (no status line came)");
  EXPECT_EQ(read_error_detail(200, 3, 0),
            "the server closed the connection after the answer's head (HTTP 200) and 3 token events, before its end");
  EXPECT_EQ(read_error_detail(200, 1, ECONNRESET),
            "the connection was reset after the answer's head (HTTP 200) and 1 token event, before its end (errno "
            "ECONNRESET)");
  EXPECT_EQ(read_error_detail(0, 0, EPIPE),
            "the connection was reset before its answer (no status line came) (errno EPIPE)");
  for (int e : {ENOTCONN, ECONNRESET, ECONNABORTED, EPIPE}) EXPECT_LE(read_error_detail(503, 0, e).size(), kMaxDetail);
}

TEST(LoadMetrics, FirstDetailOfEachErrorKindIsKept) {
  std::vector<RequestSample> rs(3);
  rs[0].error = "http_400", rs[0].error_detail = "first";
  rs[1].error = "http_400", rs[1].error_detail = "second";
  rs[2].error = "timeout", rs[2].error_detail = "late";
  const PointMetrics m = compute_point_metrics(rs, 0);
  EXPECT_EQ(m.errors.at("http_400"), 2u);
  EXPECT_EQ(m.error_examples.at("http_400"), "first");
  EXPECT_EQ(m.error_examples.at("timeout"), "late");
}

TEST(SseParser, ChatChunks) {
  // The role chunk (OpenAI's and vLLM's, content "") and llama.cpp's last chunk with an empty delta
  // carry no token; a delta with non-empty content does, also with finish_reason; "" does not.
  const std::string role = R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})";
  const std::string role_only = R"({"choices":[{"index":0,"delta":{"role":"assistant"}}]})";
  const std::string tok = R"({"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]})";
  const std::string held = R"({"choices":[{"index":0,"delta":{"content":""},"finish_reason":"length"}]})";
  const std::string last_text = R"({"choices":[{"index":0,"delta":{"content":"."},"finish_reason":"length"}]})";
  const std::string empty = R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})";
  const std::string null_content = R"({"choices":[{"index":0,"delta":{"content":null}}]})";
  EXPECT_EQ(classify_sse_data(role).kind, SseKind::kNoToken);
  EXPECT_EQ(classify_sse_data(role_only).kind, SseKind::kNoToken);
  EXPECT_EQ(classify_sse_data(tok).kind, SseKind::kToken);
  EXPECT_EQ(classify_sse_data(held).kind, SseKind::kNoToken);
  EXPECT_EQ(classify_sse_data(last_text).kind, SseKind::kToken);
  EXPECT_EQ(classify_sse_data(empty).kind, SseKind::kNoToken);
  EXPECT_EQ(classify_sse_data(null_content).kind, SseKind::kNoToken);
  // A last chunk carrying usage keeps its count.
  const auto last = classify_sse_data(R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"completion_tokens":5}})");
  EXPECT_EQ(last.kind, SseKind::kNoToken);
  EXPECT_EQ(last.completion_tokens, 5);
  EXPECT_EQ(last.prompt_tokens, -1);  // not reported: unknown, not 0
  // The final usage event's prompt count is the server's (its tokenizer, its chat template).
  const auto usage = classify_sse_data(R"({"choices":[],"usage":{"prompt_tokens":37,"completion_tokens":5}})");
  EXPECT_EQ(usage.kind, SseKind::kUsage);
  EXPECT_EQ(usage.prompt_tokens, 37);
  EXPECT_EQ(classify_sse_data(R"({"choices":[],"usage":{"prompt_tokens":"37","completion_tokens":5}})").prompt_tokens, -1);
}

// A quote of a bad event is cut by whole characters: 78 ASCII bytes, a BEL and a two-byte "é"
// straddling byte 80, so a cut by bytes would end the message with half a character (review EA).
// The 80 characters kept are the 78 letters, the BEL (made '?': no control character reaches a
// terminal) and the whole "é". An error event's own text (its error not an object or a string) is
// cut at 200 characters the same way.
TEST(SseParser, BadEventQuotesCutByCharacters) {
  const std::string head(78, 'x');
  const auto bad = classify_sse_data(head + "\x07\xc3\xa9" + "tail");
  EXPECT_EQ(bad.kind, SseKind::kMalformed);
  EXPECT_EQ(bad.message, "data is not a JSON object: " + head + "?\xc3\xa9");
  const std::string opening = R"({"error":[")", pad(188, 'y');
  ASSERT_EQ(opening.size(), 11u);  // 11 + 188 = 199 characters, then "é" is the 200th
  const auto e = classify_sse_data(opening + pad + "\xc3\xa9" + R"(zz"]})");
  EXPECT_EQ(e.kind, SseKind::kError);
  EXPECT_EQ(e.message, opening + pad + "\xc3\xa9");
}

// Feeds whole streams through the parser and counts token events, so a server's framing of the
// role is checked end to end, not just one chunk.
static size_t count_tokens(const std::vector<std::string>& datas, size_t* malformed) {
  size_t tokens = 0;
  *malformed = 0;
  SseParser p([&](const SseEvent& ev) {
    if (ev.kind == SseKind::kToken) ++tokens;
    if (ev.kind == SseKind::kMalformed) ++*malformed;
  });
  for (const auto& d : datas) p.feed("data: " + d + "\n\n");
  p.feed("data: [DONE]\n\n");
  p.finish();
  return tokens;
}

// Completions follow the chat rule (review SB M3): an event is a token only when its choice's
// "text" is a non-empty string; "" (ours while UTF-8 bytes are held back), null, absent or not a
// string is not, with or without finish_reason, and a usage count on it is kept.
TEST(SseParser, CompletionEventsWithoutTextAreNoTokens) {
  EXPECT_EQ(classify_sse_data(R"({"choices":[{"index":0,"text":"a","finish_reason":null}]})").kind, SseKind::kToken);
  EXPECT_EQ(classify_sse_data(R"({"choices":[{"index":0,"text":"","finish_reason":null}]})").kind, SseKind::kNoToken);
  EXPECT_EQ(classify_sse_data(R"({"choices":[{"index":0,"text":null,"finish_reason":"length"}]})").kind, SseKind::kNoToken);
  EXPECT_EQ(classify_sse_data(R"({"choices":[{"index":0,"finish_reason":"length"}]})").kind, SseKind::kNoToken);
  EXPECT_EQ(classify_sse_data(R"({"choices":[{"index":0,"text":7}]})").kind, SseKind::kNoToken);
  const auto last = classify_sse_data(R"({"choices":[{"index":0,"text":"","finish_reason":"length"}],"usage":{"completion_tokens":4}})");
  EXPECT_EQ(last.kind, SseKind::kNoToken);
  EXPECT_EQ(last.completion_tokens, 4);
  size_t bad = 0;
  const std::vector<std::string> ours = {R"({"choices":[{"index":0,"text":"x"}]})", R"({"choices":[{"index":0,"text":""}]})",
                                         R"({"choices":[{"index":0,"text":"é"}]})"};
  EXPECT_EQ(count_tokens(ours, &bad), 2u);
  EXPECT_EQ(bad, 0u);
}

TEST(SseParser, ChatRoleFramingsOfOtherServers) {
  size_t bad = 0;
  // SGLang: "role": null in every chunk (pydantic model_dump without exclude_none), the first
  // chunk's content "" included; the last one holds finish_reason and content null.
  const std::vector<std::string> sglang = {
      R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})",
      R"({"choices":[{"index":0,"delta":{"role":null,"content":"Hel","reasoning_content":null},"finish_reason":null}]})",
      R"({"choices":[{"index":0,"delta":{"role":null,"content":"lo","reasoning_content":null},"finish_reason":null}]})",
      R"({"choices":[{"index":0,"delta":{"role":null,"content":null},"finish_reason":"length"}]})",
      R"({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}})"};
  EXPECT_EQ(count_tokens(sglang, &bad), 2u);
  EXPECT_EQ(bad, 0u);
  // TGI: "role": "assistant" repeated in every chunk, the text in each.
  const std::vector<std::string> tgi = {
      R"({"choices":[{"index":0,"delta":{"role":"assistant","content":"a"},"finish_reason":null}]})",
      R"({"choices":[{"index":0,"delta":{"role":"assistant","content":"b"},"finish_reason":null}]})",
      R"({"choices":[{"index":0,"delta":{"role":"assistant","content":"c"},"finish_reason":"length"}]})"};
  EXPECT_EQ(count_tokens(tgi, &bad), 3u);
  EXPECT_EQ(bad, 0u);
  // vLLM: a role chunk with content "", then content-only chunks, an empty last delta.
  const std::vector<std::string> vllm = {
      R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})",
      R"({"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]})",
      R"({"choices":[{"index":0,"delta":{"content":"y"},"finish_reason":null}]})",
      R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})"};
  EXPECT_EQ(count_tokens(vllm, &bad), 2u);
  EXPECT_EQ(bad, 0u);
  // Content that is not a string is no token either (not text to time).
  EXPECT_EQ(classify_sse_data(R"({"choices":[{"index":0,"delta":{"content":7}}]})").kind, SseKind::kNoToken);
}

// Review BS H2 and M3: prompts differ per request, per point of the sweep and per seed; the same
// three give the same body; a text prompt (no n_vocab) is prompt_tokens words of the chat list.
TEST(RequestBody, PromptsDifferPerRequestPointAndSeed) {
  const std::vector<std::string> vocab = chat_prompt_words();
  const std::set<std::string> known(vocab.begin(), vocab.end());
  for (const int64_t n_vocab : {int64_t{0}, int64_t{50000}}) {
    ModelInfo model{"m", n_vocab};
    std::set<std::string> seen;
    for (uint64_t seed : {0ULL, 1ULL}) {
      for (uint64_t point : {0ULL, 1ULL, 2ULL}) {
        PointSpec spec;
        spec.seed = seed;
        spec.point_index = point;
        spec.prompt_tokens = 12;
        for (uint64_t i : {0ULL, 1ULL, 2ULL, (1ULL << 40)}) {
          const auto body = nlohmann::json::parse(request_body(model, spec, i));
          const std::string prompt = body["prompt"].dump();
          EXPECT_TRUE(seen.insert(prompt).second) << "n_vocab " << n_vocab << " seed " << seed << " point " << point
                                                  << " index " << i << ": " << prompt;
          EXPECT_EQ(request_body(model, spec, i), body.dump()) << "reproducible";
          if (n_vocab == 0) {
            std::istringstream words(body["prompt"].get<std::string>());
            std::string w;
            int count = 0;
            for (; words >> w; ++count) EXPECT_TRUE(known.count(w)) << w;
            EXPECT_EQ(count, 12);
          } else {
            EXPECT_EQ(body["prompt"].size(), 12u);
          }
        }
      }
    }
    EXPECT_EQ(seen.size(), 2u * 3u * 4u);
  }
}

// Review BS H1: a rate whose first gap (1e10 s) is beyond the clock's range converted to a schedule
// in the past, and a --duration point never ended (every arrival "due", marked not sent, forever).
// Against a port where nothing listens the one request due at 0 fails at once; the next is due
// after the window, so the point ends with that one request.
TEST(RunPoint, RateBeyondTheClockEndsTheWindow) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  close(fd);  // nothing listens there now
  Target target{{"http://127.0.0.1:" + std::to_string(ntohs(a.sin_port))}};
  for (const Profile profile : {Profile::kConstant, Profile::kPoisson}) {
    PointSpec spec;
    spec.profile = profile;
    spec.rate = 1e-10;
    spec.duration_s = 0.3;
    spec.timeout_s = 5;
    spec.prompt_tokens = 2;
    spec.output_tokens = 1;
    const PointResult r = run_point(target, ModelInfo{"m", 10}, spec);
    ASSERT_EQ(r.requests.size(), 1u);
    EXPECT_EQ(r.requests[0].scheduled_ns, 0);
    EXPECT_EQ(r.metrics.sent, 1u);
    EXPECT_EQ(r.metrics.not_sent, 0u);
  }
}

// Review CT L3: `bench serve --url` takes the forms `serve` prints on its listening line: an
// IPv4-mapped IPv6 address, and a scoped one with its zone written %25 (RFC 6874).
TEST(LoadRunner, BaseUrlTakesTheFormsServePrints) {
  using infertrace::serve::load::parse_base_url;
  std::string host;
  int port = 0;
  parse_base_url("http://[::ffff:127.0.0.1]:8000", &host, &port);
  EXPECT_EQ(host, "::ffff:127.0.0.1");
  EXPECT_EQ(port, 8000);
  parse_base_url("http://[fe80::fc:ff:fe00:1%25eth0]:9/", &host, &port);
  EXPECT_EQ(host, "fe80::fc:ff:fe00:1%eth0");
  EXPECT_EQ(port, 9);
  parse_base_url("http://[::1]:1", &host, &port);
  EXPECT_EQ(host, "::1");
  parse_base_url("http://localhost:65535", &host, &port);
  EXPECT_EQ(host, "localhost");
  EXPECT_EQ(port, 65535);
  for (const char* bad : {"http://[fe80::1%eth0]:9", "http://[fe80::1%25]:9", "http://[::1%25a%25b]:9",
                          "http://[::1]", "http://::1:80", "http://[::1]:0", "https://[::1]:80"})
    EXPECT_THROW(parse_base_url(bad, &host, &port), infertrace::UsageError) << bad;
}
