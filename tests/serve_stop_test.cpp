// Stop strings and stop token ids (docs/serve.md "Stop strings"): the incremental matcher alone
// (stop strings split across tokens and across the bytes of a UTF-8 character, the hold-back that
// keeps any part of a stop string from a streaming client), then through the scheduler on the tiny
// synthetic model, with expected cut points computed from an unconstrained run.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "serve/stop_matcher.h"
#include "serve_scheduler_fixture.h"

using namespace infertrace::serve;

namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += x;
  return s;
}

}  // namespace

TEST(ServeStopMatcher, NoStopsReleasesWholeCharacters) {
  StopMatcher m;
  EXPECT_EQ(m.feed("ab"), "ab");
  EXPECT_EQ(m.feed("c\xC3"), "c");     // é's first byte waits for its second
  EXPECT_EQ(m.feed("\xA9!"), "\xC3\xA9!");
  EXPECT_EQ(m.feed("\xF0\x9F"), "");   // a 4-byte character in two pieces
  EXPECT_EQ(m.feed("\x98\x80"), "\xF0\x9F\x98\x80");
  EXPECT_EQ(m.feed("\xE2\x82"), "");
  EXPECT_EQ(m.flush(), "\xE2\x82");    // released at the end as it is
  EXPECT_FALSE(m.stopped());
}

TEST(ServeStopMatcher, Utf8IncompleteTail) {
  EXPECT_EQ(utf8_incomplete_tail(""), 0u);
  EXPECT_EQ(utf8_incomplete_tail("abc"), 0u);
  EXPECT_EQ(utf8_incomplete_tail("a\xC3"), 1u);
  EXPECT_EQ(utf8_incomplete_tail("a\xC3\xA9"), 0u);
  EXPECT_EQ(utf8_incomplete_tail("\xE2\x82"), 2u);
  EXPECT_EQ(utf8_incomplete_tail("\xF0\x9F\x98"), 3u);
  EXPECT_EQ(utf8_incomplete_tail("\xA9\xA9"), 0u);  // stray continuation bytes: nothing to wait for
  EXPECT_EQ(utf8_incomplete_tail("\xC3x"), 0u);     // a broken character is not waited for
}

TEST(ServeStopMatcher, StopSplitAcrossTokens) {
  StopMatcher m({"END"});
  EXPECT_EQ(m.feed("one E"), "one ");  // "E" could begin END: held
  EXPECT_EQ(m.feed("N"), "");
  EXPECT_EQ(m.feed("D and more"), "");
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.feed("later"), "");
  EXPECT_EQ(m.flush(), "");
}

TEST(ServeStopMatcher, FalseStartIsReleased) {
  StopMatcher m({"END"});
  EXPECT_EQ(m.feed("xE"), "x");
  EXPECT_EQ(m.feed("N"), "");
  EXPECT_EQ(m.feed("d"), "ENd");  // not END after all
  EXPECT_EQ(m.feed("EN"), "");
  EXPECT_EQ(m.flush(), "EN");  // the generation ended otherwise: the held text is the client's
}

TEST(ServeStopMatcher, StopSplitInsideUtf8Character) {
  // "é!" as a stop string, the é's two bytes in different tokens.
  StopMatcher m({"\xC3\xA9!"});
  EXPECT_EQ(m.feed("caf\xC3"), "caf");
  EXPECT_EQ(m.feed("\xA9"), "");
  EXPECT_EQ(m.feed("!x"), "");
  EXPECT_TRUE(m.stopped());
  StopMatcher n({"\xC3\xA9!"});
  EXPECT_EQ(n.feed("caf\xC3"), "caf");
  EXPECT_EQ(n.feed("\xA9?"), "\xC3\xA9?");
}

TEST(ServeStopMatcher, EarliestOccurrenceWins) {
  StopMatcher m({"bc", "ab"});
  EXPECT_EQ(m.feed("xabcy"), "x");
  StopMatcher once({"aa"});
  EXPECT_EQ(once.feed("aaaa"), "");
  EXPECT_TRUE(once.stopped());
  StopMatcher whole({"ab"});
  EXPECT_EQ(whole.feed("ab"), "");  // a stop string in the first token: no text at all
  EXPECT_TRUE(whole.stopped());
}

// Random pieces over a small alphabet (with a 2-byte character) against a brute-force reference:
// the generation stops at the first token whose text so far contains a stop string; the text is cut
// at the earliest occurrence in that text. Nothing released is ever taken back, and at most
// max(longest stop - 1, 3) bytes are held.
TEST(ServeStopMatcher, MatchesBruteForce) {
  std::mt19937 rng(17);
  const std::vector<std::string> alphabet{"a", "b", "c", "\xC3\xA9", "\xC3", "\xA9", "ab", "ca"};
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<std::string> stops;
    const int n_stops = 1 + static_cast<int>(rng() % 3);
    for (int s = 0; s < n_stops; ++s) {
      std::string x;
      for (int k = 0, len = 1 + static_cast<int>(rng() % 4); k < len; ++k) x += alphabet[rng() % 6];
      stops.push_back(x);
    }
    std::vector<std::string> pieces;
    for (int k = 0, len = static_cast<int>(rng() % 12); k < len; ++k) {
      std::string p;
      for (int b = 0, nb = static_cast<int>(rng() % 3); b < nb; ++b) p += alphabet[rng() % alphabet.size()];
      pieces.push_back(p);
    }
    // Reference.
    std::string text, expected;
    size_t expected_tokens = pieces.size();
    bool expect_stop = false;
    for (size_t k = 0; k < pieces.size() && !expect_stop; ++k) {
      text += pieces[k];
      size_t cut = std::string::npos;
      for (const std::string& s : stops) cut = std::min(cut, text.find(s));
      if (cut != std::string::npos) {
        expect_stop = true;
        expected = text.substr(0, cut);
        expected_tokens = k + 1;
      }
    }
    if (!expect_stop) expected = text;
    size_t longest = 0;
    for (const std::string& s : stops) longest = std::max(longest, s.size());

    StopMatcher m(stops);
    std::string released;
    size_t fed = 0;
    for (const std::string& p : pieces) {
      released += m.feed(p);
      ++fed;
      ASSERT_EQ(expected.compare(0, released.size(), released), 0) << "released text taken back, trial " << trial;
      ASSERT_LE(m.held(), std::max<size_t>(longest - 1, 3)) << trial;
      if (m.stopped()) break;
    }
    if (!m.stopped()) released += m.flush();
    EXPECT_EQ(m.stopped(), expect_stop) << trial;
    EXPECT_EQ(fed, expected_tokens) << trial;
    EXPECT_EQ(released, expected) << trial;
  }
}

namespace infertrace::serve::sched_test {

namespace {

// A token's text in these tests: its id in brackets, so stop strings can span tokens.
std::string piece_of(int32_t id) { return "<" + std::to_string(id) + ">"; }

struct Drained {
  std::vector<int32_t> tokens;
  std::vector<std::string> texts;
};

Drained drain_texts(TokenStream& s) {
  Drained d;
  while (!s.take(d.tokens, std::chrono::milliseconds(1000), &d.texts)) {
  }
  return d;
}

}  // namespace

class ServeStop : public SchedulerTest {};

// A stop string spanning two tokens' texts ends the request at the token that completes it; the
// text stops before it; ignore_eos (set by request()) does not turn it off. A request without one
// gets every token's whole text.
TEST_F(ServeStop, StopStringThroughScheduler) {
  const std::vector<int32_t> full = alone(prompt_of(2), 12, {0.0f});
  std::string all;
  for (int32_t t : full) all += piece_of(t);
  // The last 2 bytes of token 5's text and the first 2 of token 6's.
  const std::string stop = piece_of(full[5]).substr(piece_of(full[5]).size() - 2) + piece_of(full[6]).substr(0, 2);
  size_t n_expected = 0;
  std::string so_far;
  for (int32_t t : full) {
    so_far += piece_of(t);
    ++n_expected;
    if (so_far.find(stop) != std::string::npos) break;
  }
  const std::string text_expected = all.substr(0, all.find(stop));

  SchedulerOptions o = options(2);
  o.token_text = piece_of;
  Scheduler sched(*model_, {}, o);
  CompletionRequest r = request(prompt_of(2), 12);
  r.stop = {stop};
  auto a = sched.submit(r);
  auto b = sched.submit(request(prompt_of(2), 12));
  const Drained da = drain_texts(*a), db = drain_texts(*b);
  EXPECT_EQ(da.tokens, std::vector<int32_t>(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n_expected)));
  ASSERT_EQ(da.texts.size(), da.tokens.size());
  std::string got;
  for (const std::string& t : da.texts) got += t;
  EXPECT_EQ(got, text_expected);
  EXPECT_EQ(a->finish(), Finish::Stop);
  EXPECT_EQ(db.tokens, full);
  std::string whole;
  for (const std::string& t : db.texts) whole += t;
  EXPECT_EQ(whole, all);
  EXPECT_EQ(b->finish(), Finish::Length);
}

// A stop token id ends the request at its first occurrence, that token included in the tokens but
// not in the text, even with ignore_eos.
TEST_F(ServeStop, StopTokenIdsThroughScheduler) {
  const std::vector<int32_t> full = alone(prompt_of(3), 12, {0.0f});
  const int32_t id = full[6];
  const size_t first = static_cast<size_t>(std::find(full.begin(), full.end(), id) - full.begin());
  SchedulerOptions o = options(1);
  o.token_text = piece_of;
  Scheduler sched(*model_, {}, o);
  CompletionRequest r = request(prompt_of(3), 12);
  r.stop_token_ids = {id};
  auto a = sched.submit(r);
  const Drained d = drain_texts(*a);
  EXPECT_EQ(d.tokens, std::vector<int32_t>(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(first) + 1));
  ASSERT_EQ(d.texts.size(), d.tokens.size());
  EXPECT_EQ(d.texts.back(), "");
  std::string expected;
  for (size_t k = 0; k < first; ++k) expected += piece_of(full[k]);
  EXPECT_EQ(joined(d.texts), expected);
  EXPECT_EQ(a->finish(), Finish::Stop);
}

// An id the tokenizer has no text for (a padding row of the embedding) is sent as "" and counted;
// the request goes on.
TEST_F(ServeStop, IdsWithoutTextAreCounted) {
  const std::vector<int32_t> full = alone(prompt_of(4), 10, {0.0f});
  auto no_text = [](int32_t t) { return t % 3 == 0; };
  const int64_t expected = std::count_if(full.begin(), full.end(), no_text);
  ASSERT_GT(expected, 0) << "pick another rule: no generated id matches it";
  ASSERT_LT(expected, static_cast<int64_t>(full.size()));
  SchedulerOptions o = options(1);
  o.token_text = [&](int32_t t) -> std::string {
    if (no_text(t)) throw std::out_of_range("no such token");
    return piece_of(t);
  };
  Scheduler sched(*model_, {}, o);
  auto a = sched.submit(request(prompt_of(4), 10));
  const Drained d = drain_texts(*a);
  EXPECT_EQ(d.tokens, full);
  ASSERT_EQ(d.texts.size(), full.size());
  for (size_t k = 0; k < full.size(); ++k) {
    if (no_text(full[k])) { EXPECT_EQ(d.texts[k], "") << k; }
  }
  EXPECT_EQ(a->finish(), Finish::Length);
  sched.stop();
  EXPECT_EQ(sched.stats().tokens_without_text, expected);
}

}  // namespace infertrace::serve::sched_test
