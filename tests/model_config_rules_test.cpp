// ModelConfig::from_gguf on metadata-only files written here: head_dim comes from key_length when
// the file gives it (Qwen3's head size is not n_embd / n_head), the rotated dimensions default to
// head_dim and must be even, and the training context length is required.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "engine/gguf/gguf.h"
#include "engine/model/model_config.h"
#include "util/error.h"

using namespace infertrace;
using namespace infertrace::engine;

namespace {

// A qwen3 header: n_embd 64, 4 heads (n_embd / n_head = 16), `extra` applied last.
std::vector<uint8_t> header(const std::function<void(gguf::Writer&)>& extra = {}, bool with_ctx = true,
                            bool with_kv = true) {
  gguf::Writer w;
  w.set_string("general.architecture", "qwen3");
  w.set_u32("qwen3.block_count", 1);
  w.set_u32("qwen3.embedding_length", 64);
  w.set_u32("qwen3.feed_forward_length", 128);
  w.set_u32("qwen3.attention.head_count", 4);
  if (with_kv) w.set_u32("qwen3.attention.head_count_kv", 2);
  if (with_ctx) w.set_u32("qwen3.context_length", 512);
  w.set_f32("qwen3.attention.layer_norm_rms_epsilon", 1e-6f);
  w.set_u32("qwen3.vocab_size", 100);
  if (extra) extra(w);
  return w.to_bytes();
}

ModelConfig config(const std::vector<uint8_t>& bytes) {
  return ModelConfig::from_gguf(gguf::File::from_memory(bytes, "cfg.gguf"));
}

std::string error_of(const std::vector<uint8_t>& bytes) {
  try {
    config(bytes);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ModelConfigRules, HeadDimIsKeyLengthWhenGivenElseEmbdOverHeads) {
  const ModelConfig plain = config(header());
  EXPECT_EQ(plain.head_dim, 16);  // 64 / 4
  EXPECT_EQ(plain.rope_dim, 16);
  EXPECT_EQ(plain.n_ctx_train, 512);
  const ModelConfig wide = config(header([](gguf::Writer& w) {
    w.set_u32("qwen3.attention.key_length", 32);
    w.set_u32("qwen3.attention.value_length", 32);
  }));
  EXPECT_EQ(wide.head_dim, 32);
  EXPECT_EQ(wide.head_dim_v, 32);
  EXPECT_EQ(wide.q_dim(), 128);  // 4 heads x 32, not n_embd
  EXPECT_EQ(wide.rope_dim, 32);  // the default is the head size, not n_embd / n_head
}

TEST(ModelConfigRules, RopeDimsMustBeEvenAndAtMostTheHeadSize) {
  EXPECT_EQ(config(header([](gguf::Writer& w) { w.set_u32("qwen3.rope.dimension_count", 8); })).rope_dim, 8);
  std::string e = error_of(header([](gguf::Writer& w) { w.set_u32("qwen3.rope.dimension_count", 7); }));
  EXPECT_NE(e.find("rope.dimension_count 7 must be even"), std::string::npos) << e;
  e = error_of(header([](gguf::Writer& w) { w.set_u32("qwen3.rope.dimension_count", 18); }));
  EXPECT_NE(e.find("at most the head size 16"), std::string::npos) << e;
}

TEST(ModelConfigRules, TrainingContextLengthIsRequired) {
  const std::string e = error_of(header({}, false));
  EXPECT_NE(e.find("missing metadata key qwen3.context_length"), std::string::npos) << e;
}

TEST(ModelConfigRules, KvHeadsDefaultToTheHeadCount) {
  EXPECT_EQ(config(header()).n_head_kv, 2);
  EXPECT_EQ(config(header({}, true, false)).n_head_kv, 4);  // no head_count_kv: no grouping (MHA)
}
