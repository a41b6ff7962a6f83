// BatchDecoder::step against independent twins: every batched session has a twin Session on its
// own thread pool that received the same prompt and then decodes the same tokens one plain
// eval() at a time; the batched row's logits must match the twin's. Sessions sit at different
// positions (prompts of different lengths), join mid-way and leave (then continue with eval()),
// on the tiny presets of every architecture and several weight types, with pools of 1 and 3
// threads. Every invalid step is an Error naming its row and changes nothing: positions, the
// previous step's logits and the KV caches (the next valid step still matches the twins).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <random>

#include "engine/gguf/dtype.h"
#include "engine/gguf/gguf.h"
#include "engine/model/batch_decode.h"
#include "engine/model/forward.h"
#include "engine/model/presets.h"
#include "engine/model/synth.h"
#include "engine/runtime/thread_pool.h"
#include "util/error.h"
#include "varied_norm_model.h"

using namespace infertrace;
using namespace infertrace::engine;
using gguf::GgmlType;

namespace {

// Tolerance on |batched - twin| per logit. The two paths do the same float operations except in
// the products: with 3 or more rows matmul_rows converts weight rows to F32 and uses the
// register-tiled kernel, whose dot products add in another order than the one-token kernel that
// eval() uses for a decode token. Reordering float sums of a few hundred terms moves a result by
// ~1e-7 relative per add; through 2 layers the logits (magnitude < ~5 here) differed by at most
// 2.9e-6 over every case below (all dtypes, 1 and 3 threads). 1e-4 leaves room for other ISAs;
// a real mistake (a wrong position, another row's cache or rope) moves logits by O(0.1..1).
constexpr double kTol = 1e-4;

// A synthetic model (seed 7) with norm weights replaced by seeded values in [0.5, 1.5], so that
// q/k-norm and the other norms are not identities. Kept per (preset, dtype) for the whole run.
const std::vector<uint8_t>& model_bytes(const std::string& preset, GgmlType dtype) {
  static std::map<std::pair<std::string, GgmlType>, std::vector<uint8_t>> cache;
  auto it = cache.find({preset, dtype});
  if (it != cache.end()) return it->second;
  SynthOptions o;
  o.dtype = dtype;
  o.seed = 7;
  o.threads = 1;
  return cache[{preset, dtype}] = varied_norm_model(preset, o, 13, "batch");
}

std::unique_ptr<Model> load(const std::string& preset, GgmlType dtype) {
  return Model::from_file(gguf::File::from_memory(model_bytes(preset, dtype), preset));
}

std::vector<int32_t> prompt_of(int64_t len, int salt, int64_t vocab) {
  std::vector<int32_t> p(len);
  for (int64_t i = 0; i < len; ++i) p[i] = static_cast<int32_t>((i * 97 + salt * 211 + 3) % vocab);
  return p;
}

int64_t argmax(std::span<const float> v) { return std::max_element(v.begin(), v.end()) - v.begin(); }

double max_abs_diff(std::span<const float> a, std::span<const float> b) {
  double e = 0;
  for (size_t i = 0; i < a.size(); ++i) e = std::max(e, static_cast<double>(std::abs(a[i] - b[i])));
  return e;
}

// A batched session and its twin (same prompt, then the same tokens through plain eval()).
struct Pair {
  std::unique_ptr<Session> batched, twin;
};

class Harness {
 public:
  Harness(const std::string& preset, GgmlType dtype, int threads, int64_t max_batch)
      : model_(load(preset, dtype)), pool_(threads), twin_pool_(2), decoder_(*model_, pool_, max_batch) {}

  const Model& model() const { return *model_; }
  BatchDecoder& decoder() { return decoder_; }
  ThreadPool& pool() { return pool_; }
  int64_t vocab() const { return model_->config().n_vocab; }

  // A new pair, both prefilled with a prompt of `len` tokens (the batched one on the batch's pool).
  Pair& add(int64_t len, int salt, int64_t n_ctx = 64) {
    Pair p{std::make_unique<Session>(*model_, pool_, n_ctx, 8), std::make_unique<Session>(*model_, twin_pool_, n_ctx, 8)};
    const std::vector<int32_t> prompt = prompt_of(len, salt, vocab());
    p.batched->eval(prompt);
    p.twin->eval(prompt);
    pairs_.push_back(std::move(p));
    return pairs_.back();
  }
  Pair& pair(size_t i) { return pairs_[i]; }
  size_t size() const { return pairs_.size(); }
  // The last step's output is still what it was (a failed step must not overwrite it).
  bool last_output_intact() const {
    return std::equal(last_out_.begin(), last_out_.end(), last_copy_.begin(), last_copy_.end());
  }

  // One batched step over pairs `rows` (in that order), each with its own token, checked row by
  // row against its twin's eval() of the same token. Returns the largest difference seen.
  double step_and_check(const std::vector<size_t>& rows, int step) {
    std::vector<Session*> sessions;
    std::vector<int32_t> tokens;
    std::vector<int64_t> before;
    for (size_t r : rows) {
      sessions.push_back(pairs_[r].batched.get());
      tokens.push_back(static_cast<int32_t>((step * 131 + r * 37 + 5) % vocab()));
      before.push_back(pairs_[r].batched->n_past());
    }
    const std::span<const float> out = decoder_.step(sessions, tokens);
    last_out_ = out;
    last_copy_.assign(out.begin(), out.end());
    EXPECT_EQ(out.size(), rows.size() * static_cast<size_t>(vocab()));
    double worst = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      Session& twin = *pairs_[rows[i]].twin;
      EXPECT_EQ(sessions[i]->n_past(), before[i] + 1) << "row " << i;
      const std::span<const float> want = twin.eval(std::span<const int32_t>(&tokens[i], 1));
      const std::span<const float> got = out.subspan(i * vocab(), vocab());
      const double e = max_abs_diff(got, want);
      worst = std::max(worst, e);
      EXPECT_LT(e, kTol) << "row " << i << " (pair " << rows[i] << ") step " << step;
      EXPECT_EQ(argmax(got), argmax(want)) << "row " << i << " (pair " << rows[i] << ") step " << step;
      EXPECT_EQ(sessions[i]->n_past(), twin.n_past());
    }
    return worst;
  }

 private:
  std::unique_ptr<Model> model_;
  ThreadPool pool_, twin_pool_;
  BatchDecoder decoder_;
  std::vector<Pair> pairs_;  // Sessions are held by unique_ptr: they never move
  std::span<const float> last_out_;
  std::vector<float> last_copy_;
};

struct Case {
  std::string preset;
  GgmlType dtype;
  int threads;
};
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.preset << " " << gguf::type_name(static_cast<uint32_t>(c.dtype)) << " " << c.threads << " threads";
}

class BatchDecode : public ::testing::TestWithParam<Case> {};

// Four sessions at different positions, several steps of the full batch, then subsets in other
// orders (sizes 1, 2, 3: both product paths), all against the twins.
TEST_P(BatchDecode, RowsMatchIndependentSessions) {
  const Case& cs = GetParam();
  Harness h(cs.preset, cs.dtype, cs.threads, 5);
  const int64_t lens[] = {3, 7, 1, 12};
  for (int i = 0; i < 4; ++i) h.add(lens[i], i);
  double worst = 0;
  int step = 0;
  for (; step < 4; ++step) worst = std::max(worst, h.step_and_check({0, 1, 2, 3}, step));
  for (const std::vector<size_t>& rows : {std::vector<size_t>{2}, {3, 0}, {1, 3, 2}, {3, 2, 1, 0}})
    worst = std::max(worst, h.step_and_check(rows, step++));
  std::printf("[ batch    ] %s %s %d threads: largest |batched - eval| = %.3g\n", cs.preset.c_str(),
              gguf::type_name(static_cast<uint32_t>(cs.dtype)).c_str(), cs.threads, worst);
}

// A request joins (prefilled while the others are mid-decode), another leaves and continues
// with plain eval() (its cache from the batched steps must be what eval() would have written).
TEST_P(BatchDecode, SessionsJoinAndLeave) {
  const Case& cs = GetParam();
  Harness h(cs.preset, cs.dtype, cs.threads, 4);
  h.add(5, 0);
  h.add(2, 1);
  h.add(9, 2);
  int step = 0;
  for (; step < 3; ++step) h.step_and_check({0, 1, 2}, step);
  h.add(6, 3);  // joins: prefilled now, between steps
  for (; step < 6; ++step) h.step_and_check({0, 1, 2, 3}, step);
  // Pair 1 leaves the batch; the rest go on, and pair 1 goes on alone with eval().
  for (; step < 9; ++step) {
    h.step_and_check({0, 2, 3}, step);
    const int32_t tok = static_cast<int32_t>((step * 7 + 11) % h.vocab());
    const std::span<const float> got = h.pair(1).batched->eval(std::span<const int32_t>(&tok, 1));
    const std::vector<float> kept(got.begin(), got.end());
    const std::span<const float> want = h.pair(1).twin->eval(std::span<const int32_t>(&tok, 1));
    EXPECT_LT(max_abs_diff(kept, want), kTol) << "left the batch, step " << step;
    EXPECT_EQ(argmax(kept), argmax(want));
  }
  // ... and comes back: its eval()-written cache rows are read by the batched step.
  for (; step < 11; ++step) h.step_and_check({3, 1, 0, 2}, step);
  EXPECT_EQ(h.pair(1).batched->n_past(), 2 + 3 + 3 + 3 + 2);
}

// Each invalid step: an Error whose message names the problem (and the row), and no change to
// any session's position, to the last step's logits or to any KV cache (the next valid step
// still matches the twins, which never saw the failed steps).
TEST_P(BatchDecode, InvalidStepsChangeNothing) {
  const Case& cs = GetParam();
  Harness h(cs.preset, cs.dtype, cs.threads, 3);
  h.add(4, 0);
  h.add(6, 1);
  h.add(3, 2, 5);  // a context of 5: full after two steps
  h.add(2, 3);
  int step = 0;
  for (; step < 2; ++step) h.step_and_check({0, 1, 2}, step);
  ASSERT_EQ(h.pair(2).batched->n_past(), 5);
  auto other_model = load(cs.preset, cs.dtype);  // the same weights, but another Model
  Session stranger(*other_model, h.pool(), 16, 8);
  const std::vector<int32_t> two = {1, 2};
  stranger.eval(two);

  Session* s0 = h.pair(0).batched.get();
  Session* s1 = h.pair(1).batched.get();
  Session* s2 = h.pair(2).batched.get();
  Session* s3 = h.pair(3).batched.get();
  const int32_t v = static_cast<int32_t>(h.vocab());
  struct Bad {
    const char* what;
    std::vector<Session*> sessions;
    std::vector<int32_t> tokens;
    const char* message;
  };
  const std::vector<Bad> bads = {
      {"empty", {}, {}, "no sessions"},
      {"more than max_batch", {s0, s1, s3, s2}, {1, 2, 3, 4}, "4 sessions exceed the batch of 3"},
      {"sizes differ", {s0, s1}, {1}, "2 sessions but 1 tokens"},
      {"null session", {s0, nullptr}, {1, 2}, "row 1: no session"},
      {"duplicate", {s0, s1, s0}, {1, 2, 3}, "row 2: the same session as row 0"},
      {"another model", {s0, &stranger}, {1, 2}, "row 1: the session belongs to another model"},
      {"token too large", {s0, s1, s3}, {1, 2, v}, "row 2: token id 1024 is outside the vocabulary"},
      {"negative token", {s3, s1}, {-1, 2}, "row 0: token id -1 is outside the vocabulary"},
      {"context full", {s0, s2}, {1, 2}, "row 1: context full"},
  };
  for (const Bad& b : bads) {
    std::vector<int64_t> before;
    for (size_t i = 0; i < h.size(); ++i) before.push_back(h.pair(i).batched->n_past());
    try {
      h.decoder().step(b.sessions, b.tokens);
      ADD_FAILURE() << b.what << ": no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(b.message), std::string::npos) << b.what << ": " << e.what();
    }
    for (size_t i = 0; i < h.size(); ++i) EXPECT_EQ(h.pair(i).batched->n_past(), before[i]) << b.what;
    EXPECT_EQ(stranger.n_past(), 2) << b.what;
    EXPECT_TRUE(h.last_output_intact()) << b.what;
  }
  // Everything still continues as if the failed steps had never been tried.
  for (; step < 5; ++step) h.step_and_check({3, 1, 0}, step);
  EXPECT_THROW(s2->eval(two), Error);  // the full one stays full for eval() too
}

TEST(EngineBatchDecode, EmptyBatchIsAnError) {
  auto model = load("tiny-qwen3", GgmlType::F32);
  ThreadPool pool(1);
  EXPECT_THROW(BatchDecoder(*model, pool, 0), Error);
}

std::vector<Case> cases() {
  std::vector<Case> v;
  for (const char* preset : {"tiny-qwen3", "tiny-llama"})
    for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0})
      for (int threads : {1, 3}) v.push_back({preset, t, threads});
  // qwen2: its q/k/v biases on the batched rows as on one session's
  for (GgmlType t : {GgmlType::F32, GgmlType::Q8_0})
    for (int threads : {1, 3}) v.push_back({"tiny-qwen2", t, threads});
  return v;
}

INSTANTIATE_TEST_SUITE_P(EngineBatchDecode, BatchDecode, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& i) {
                           std::string n = i.param.preset + "_" + gguf::type_name(static_cast<uint32_t>(i.param.dtype)) +
                                           "_" + std::to_string(i.param.threads) + "t";
                           for (char& ch : n)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

}  // namespace
