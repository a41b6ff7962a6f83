// ModelConfig::from_gguf on metadata-only files written here: head_dim comes from key_length when
// the file gives it (Qwen3's head size is not n_embd / n_head), the rotated dimensions default to
// head_dim and must be even, and the training context length is required; qwen2's keys as
// llama.cpp writes them.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
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

// qwen2 as llama.cpp's converter writes it (Qwen2.5-0.5B's numbers): no key_length and no
// rope.dimension_count, so the head size is n_embd / n_head; NEOX RoPE, the frequency base from
// qwen2.rope.freq_base, q/k/v biases and no q/k norm. An embedding not divisible into the heads
// (with no key_length to say the head size) is an error, as for llama.
TEST(ModelConfigRules, Qwen2ReadsLlamaCppsKeys) {
  auto qwen2 = [](uint32_t n_embd) {
    gguf::Writer w;
    w.set_string("general.architecture", "qwen2");
    w.set_u32("qwen2.block_count", 24);
    w.set_u32("qwen2.context_length", 32768);
    w.set_u32("qwen2.embedding_length", n_embd);
    w.set_u32("qwen2.feed_forward_length", 4864);
    w.set_u32("qwen2.attention.head_count", 14);
    w.set_u32("qwen2.attention.head_count_kv", 2);
    w.set_f32("qwen2.rope.freq_base", 1000000.0f);
    w.set_f32("qwen2.attention.layer_norm_rms_epsilon", 1e-6f);
    w.set_u32("qwen2.vocab_size", 151936);
    return w.to_bytes();
  };
  const ModelConfig c = config(qwen2(896));
  EXPECT_EQ(c.arch, Arch::Qwen2);
  EXPECT_STREQ(arch_name(c.arch), "qwen2");
  EXPECT_EQ(c.head_dim, 64);  // 896 / 14
  EXPECT_EQ(c.rope_dim, 64);
  EXPECT_EQ(c.rope_type, RopeType::Neox);
  EXPECT_EQ(c.rope_freq_base, 1e6f);
  EXPECT_TRUE(c.has_qkv_bias());
  EXPECT_FALSE(c.has_qk_norm());
  EXPECT_EQ(c.summary().rfind("qwen2, 24 layers, d=896, heads 14/2 x 64", 0), 0u) << c.summary();
  const std::string e = error_of(qwen2(900));
  EXPECT_NE(e.find("qwen2.embedding_length 900 is not a multiple of head_count 14"), std::string::npos) << e;
}

// Review EB L2: +inf passed the "must be positive" checks (`!(x > 0)` rejects NaN only); an
// epsilon of inf then made every run emit token 0. A float64 too large for a float is inf as well,
// one too small is 0.
TEST(ModelConfigRules, EpsilonAndRopeBaseMustBeFinitePositive) {
  const float inf = std::numeric_limits<float>::infinity();
  for (const char* key : {"qwen3.attention.layer_norm_rms_epsilon", "qwen3.rope.freq_base"}) {
    for (const gguf::Value& v : {gguf::Value::f32(inf), gguf::Value::f32(-inf), gguf::Value::f64(1e300),
                                 gguf::Value::f32(std::nanf("")), gguf::Value::f32(0.0f),
                                 gguf::Value::f64(1e-50) /* 0 as a float: review S43 L1 */}) {
      const std::string e = error_of(header([&](gguf::Writer& w) { w.set(key, v); }));
      EXPECT_NE(e.find(std::string(key) + " must be a finite positive number"), std::string::npos) << key << ": " << e;
    }
  }
  // Large finite values still pass: Qwen's base is 1e6, some models use more.
  const ModelConfig c = config(header([](gguf::Writer& w) {
    w.set_f32("qwen3.rope.freq_base", 5e8f);
    w.set_f32("qwen3.attention.layer_norm_rms_epsilon", 1e-12f);
  }));
  EXPECT_EQ(c.rope_freq_base, 5e8f);
  EXPECT_EQ(c.rms_eps, 1e-12f);
}
