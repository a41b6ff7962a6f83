// stages::embed_row (engine/model/layer_stages.h) on a hand-made F32 embedding: a row's
// embedding is its token's row, and its RoPE angles are those of its own position (cos 1, sin 0
// at position 0). The forward tests cannot see an angle table shifted by a constant position:
// attention scores depend only on the difference of two positions, so such a shift leaves every
// logit unchanged, but every key in the KV cache would be rotated to the wrong position.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/model/layer_stages.h"

using namespace infertrace;
using namespace infertrace::engine;

namespace {

TEST(LayerStagesRules, EmbedRowTakesTheTokensRowAndItsPositionsAngles) {
  ModelConfig c;
  c.n_embd = 8;
  c.rope_dim = 4;
  c.rope_freq_base = 100.0f;
  const int64_t vocab = 3;
  std::vector<float> table(vocab * c.n_embd);
  for (size_t i = 0; i < table.size(); ++i) table[i] = static_cast<float>(i) * 0.5f;
  ModelWeights W;
  W.token_embd.data = table.data();
  W.token_embd.type = gguf::GgmlType::F32;
  W.token_embd.cols = c.n_embd;
  W.token_embd.rows = vocab;
  W.token_embd.row_bytes = c.n_embd * sizeof(float);
  stages::Activations a;
  a.x.assign(2 * c.n_embd, -1.0f);
  a.rope.assign(2 * c.rope_dim, -1.0f);
  stages::embed_row(c, W, a, 0, 2, 0);  // row 0: token 2 at position 0
  stages::embed_row(c, W, a, 1, 1, 3);  // row 1: token 1 at position 3
  for (int64_t i = 0; i < c.n_embd; ++i) {
    EXPECT_EQ(a.x[i], table[2 * c.n_embd + i]);
    EXPECT_EQ(a.x[c.n_embd + i], table[c.n_embd + i]);
  }
  // cos of pair i at [i], sin at [rope_dim / 2 + i]; pair i turns by pos * base^(-2i / rope_dim):
  // base 100, rope_dim 4: pair 0 by pos, pair 1 by pos / 10.
  const double at3[2] = {3.0, 0.3};
  for (int i = 0; i < 2; ++i) {
    EXPECT_NEAR(a.rope[i], 1.0, 1e-7) << "position 0, pair " << i;
    EXPECT_NEAR(a.rope[2 + i], 0.0, 1e-7) << "position 0, pair " << i;
    EXPECT_NEAR(a.rope[4 + i], std::cos(at3[i]), 1e-6) << "position 3, pair " << i;
    EXPECT_NEAR(a.rope[4 + 2 + i], std::sin(at3[i]), 1e-6) << "position 3, pair " << i;
  }
}

}  // namespace
