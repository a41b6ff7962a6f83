#include "engine/model/synth.h"

#include "engine/model/chat_template_texts.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include "engine/gguf/dtype.h"
#include "engine/gguf/gguf.h"
#include "engine/tokenizer/synthetic_vocab.h"
#include "util/error.h"

namespace infertrace::engine {

namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// xoshiro256+ (Blackman & Vigna) run as 8 independent lanes in lock step, so the compiler turns
// the lane loop into AVX2 vector code: a few cycles per 8 values instead of per value.
constexpr int kLanes = 8;

// Fills x[0..n) with approximately standard normal values times `scale`: each value is the sum of
// four 16-bit uniforms from one 64-bit draw (Irwin-Hall, n=4), centred and scaled to unit
// variance; bounded by +-3.46.
__attribute__((target_clones("avx2", "default"))) void fill_normal(float* x, int64_t n, uint64_t seed, float scale) {
  uint64_t s0[kLanes], s1[kLanes], s2[kLanes], s3[kLanes];
  for (int l = 0; l < kLanes; ++l) {
    s0[l] = splitmix64(seed);
    s1[l] = splitmix64(seed);
    s2[l] = splitmix64(seed);
    s3[l] = splitmix64(seed);
  }
  const float k = scale * 1.7320508f / 65536.0f;  // sqrt(3) / 2^16: unit variance
  float tail[kLanes];
  for (int64_t i = 0; i < n; i += kLanes) {
    float* dst = i + kLanes <= n ? x + i : tail;
    for (int l = 0; l < kLanes; ++l) {
      const uint64_t r = s0[l] + s3[l];
      const uint64_t t = s1[l] << 17;
      s2[l] ^= s0[l];
      s3[l] ^= s1[l];
      s1[l] ^= s2[l];
      s0[l] ^= s3[l];
      s2[l] ^= t;
      s3[l] = (s3[l] << 45) | (s3[l] >> 19);
      const int64_t sum = static_cast<int64_t>((r & 0xffff) + ((r >> 16) & 0xffff) + ((r >> 32) & 0xffff) + (r >> 48));
      dst[l] = static_cast<float>(sum - 131070) * k;
    }
    if (dst == tail)
      for (int64_t j = i; j < n; ++j) x[j] = tail[j - i];
  }
}

struct TensorPlan {
  std::string name;
  int64_t cols = 0, rows = 0;  // rows == 0: a vector
  gguf::GgmlType type = gguf::GgmlType::F32;
  bool ones = false;           // norm weights
  float scale = 0;             // stddev of matrix values: 1/sqrt(fan_in)
};

std::vector<TensorPlan> plan_tensors(const ModelConfig& c, const WeightScheme& scheme) {
  std::vector<TensorPlan> t;
  auto matrix = [&](std::string name, int64_t cols, int64_t rows) {
    const gguf::GgmlType type = matrix_type(scheme, name, cols, c.n_layer, c.tied_output);
    // fan_in is the row length: y = W x sums over `cols` inputs.
    t.push_back({std::move(name), cols, rows, type, false, 1.0f / std::sqrt(static_cast<float>(cols))});
  };
  auto norm = [&](std::string name, int64_t n) { t.push_back({std::move(name), n, 0, gguf::GgmlType::F32, true, 0}); };
  // qwen2's q/k/v biases: random, not zero, so a forward that skips them (or adds them after
  // RoPE) gives other logits; stddev 0.5 moves the products (about unit scale) visibly.
  auto bias = [&](std::string name, int64_t n) { t.push_back({std::move(name), n, 0, gguf::GgmlType::F32, false, 0.5f}); };
  matrix("token_embd.weight", c.n_embd, c.n_vocab);
  norm("output_norm.weight", c.n_embd);
  if (!c.tied_output) matrix("output.weight", c.n_embd, c.n_vocab);
  for (int64_t i = 0; i < c.n_layer; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    norm(p + "attn_norm.weight", c.n_embd);
    matrix(p + "attn_q.weight", c.n_embd, c.q_dim());
    matrix(p + "attn_k.weight", c.n_embd, c.k_dim());
    matrix(p + "attn_v.weight", c.n_embd, c.v_dim());
    if (c.has_qkv_bias()) {
      bias(p + "attn_q.bias", c.q_dim());
      bias(p + "attn_k.bias", c.k_dim());
      bias(p + "attn_v.bias", c.v_dim());
    }
    matrix(p + "attn_output.weight", c.n_head * c.head_dim_v, c.n_embd);
    if (c.has_qk_norm()) {
      norm(p + "attn_q_norm.weight", c.head_dim);
      norm(p + "attn_k_norm.weight", c.head_dim);
    }
    norm(p + "ffn_norm.weight", c.n_embd);
    matrix(p + "ffn_gate.weight", c.n_embd, c.n_ff);
    matrix(p + "ffn_up.weight", c.n_embd, c.n_ff);
    matrix(p + "ffn_down.weight", c.n_ff, c.n_embd);
  }
  return t;
}

void set_metadata(gguf::Writer& w, const ModelPreset& preset, const WeightScheme& scheme) {
  const ModelConfig& c = preset.config;
  const std::string a = arch_name(c.arch);
  w.set_string("general.architecture", a);
  w.set_string("general.name", c.name);
  w.set_string("general.description", "synthetic model written by infertrace model synth (preset " + preset.name +
                                           "): random weights, meaningless output");
  w.set_u32("general.file_type", llama_file_type(scheme));
  w.set_u32("general.quantization_version", 2);
  w.set_alignment(64);  // whole cache lines, so SIMD loads of a row never split one at its start
  w.set_u32(a + ".context_length", static_cast<uint32_t>(c.n_ctx_train));
  w.set_u32(a + ".embedding_length", static_cast<uint32_t>(c.n_embd));
  w.set_u32(a + ".block_count", static_cast<uint32_t>(c.n_layer));
  w.set_u32(a + ".feed_forward_length", static_cast<uint32_t>(c.n_ff));
  w.set_u32(a + ".attention.head_count", static_cast<uint32_t>(c.n_head));
  w.set_u32(a + ".attention.head_count_kv", static_cast<uint32_t>(c.n_head_kv));
  w.set_u32(a + ".attention.key_length", static_cast<uint32_t>(c.head_dim));
  w.set_u32(a + ".attention.value_length", static_cast<uint32_t>(c.head_dim_v));
  w.set_f32(a + ".attention.layer_norm_rms_epsilon", c.rms_eps);
  w.set_f32(a + ".rope.freq_base", c.rope_freq_base);
  w.set_u32(a + ".rope.dimension_count", static_cast<uint32_t>(c.rope_dim));
  w.set_u32(a + ".vocab_size", static_cast<uint32_t>(c.n_vocab));

  // A chat family's control tokens (<think> and </think> are user-defined in Qwen3's vocabulary:
  // they are not special tokens there), so its template's text encodes as the real model's does.
  std::vector<ExtraToken> extra;
  if (preset.chat == ChatKind::kQwen3)
    extra = {{"<|endoftext|>"}, {"<|im_start|>"}, {"<|im_end|>"}, {"<think>", TokenType::UserDefined},
             {"</think>", TokenType::UserDefined}};
  else if (preset.chat == ChatKind::kQwen25)
    extra = {{"<|endoftext|>"}, {"<|im_start|>"}, {"<|im_end|>"}};
  else if (preset.chat == ChatKind::kLlama32)
    extra = {{"<|begin_of_text|>"}, {"<|end_of_text|>"}, {"<|start_header_id|>"}, {"<|end_header_id|>"}, {"<|eot_id|>"}};
  const Vocab v = make_synthetic_vocab(c.n_vocab, extra);
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_string("tokenizer.ggml.pre", "default");
  w.set_string_array("tokenizer.ggml.tokens", v.tokens);
  w.set_f32_array("tokenizer.ggml.scores", v.scores);
  std::vector<int32_t> types(v.types.size());
  std::transform(v.types.begin(), v.types.end(), types.begin(), [](TokenType t) { return static_cast<int32_t>(t); });
  w.set_i32_array("tokenizer.ggml.token_type", types);
  w.set_u32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(v.bos));
  w.set_u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(v.eos));
  w.set_u32("tokenizer.ggml.unknown_token_id", static_cast<uint32_t>(v.unk));
  w.set_bool("tokenizer.ggml.add_bos_token", true);
  w.set_bool("tokenizer.ggml.add_eos_token", false);
  w.set_bool("tokenizer.ggml.add_space_prefix", true);
  if (preset.chat == ChatKind::kQwen3) w.set_string("tokenizer.chat_template", std::string(qwen3_chat_template()));
  if (preset.chat == ChatKind::kQwen25) w.set_string("tokenizer.chat_template", std::string(qwen25_chat_template()));
  if (preset.chat == ChatKind::kLlama32) w.set_string("tokenizer.chat_template", std::string(llama32_chat_template()));
}

// Fills rows [first, first + n) of one tensor. Each row has its own RNG stream seeded from
// (seed, tensor index, row), so the output does not depend on chunking or thread count.
void fill_rows(const TensorPlan& t, size_t index, uint64_t seed, int64_t first, int64_t n, uint8_t* out,
               std::vector<float>& scratch) {
  const uint64_t row_bytes = static_cast<uint64_t>(gguf::bytes_for(t.type, t.cols));
  scratch.resize(static_cast<size_t>(t.cols));
  for (int64_t r = first; r < first + n; ++r) {
    if (t.ones) {
      std::fill(scratch.begin(), scratch.end(), 1.0f);
    } else {
      uint64_t s = seed ^ (static_cast<uint64_t>(index) << 40) ^ static_cast<uint64_t>(r);
      fill_normal(scratch.data(), t.cols, splitmix64(s), t.scale);
    }
    gguf::quantize_row(t.type, scratch.data(), out + static_cast<uint64_t>(r - first) * row_bytes, t.cols);
  }
}

}  // namespace

SynthResult synth_model(const ModelPreset& preset, const SynthOptions& opt, const std::string& path) {
  const auto t0 = std::chrono::steady_clock::now();
  const WeightScheme scheme{opt.dtype, opt.k_mix};
  llama_file_type(scheme);  // validates the scheme
  const std::vector<TensorPlan> plan = plan_tensors(preset.config, scheme);
  gguf::Writer w;
  set_metadata(w, preset, scheme);
  SynthResult res;
  for (const TensorPlan& t : plan) {
    std::vector<int64_t> ne = {t.cols};
    if (t.rows) ne.push_back(t.rows);
    w.add_tensor(t.name, ne, t.type);
    res.n_params += t.cols * std::max<int64_t>(t.rows, 1);
  }
  res.n_tensors = static_cast<int64_t>(plan.size());

  int threads = opt.threads > 0 ? opt.threads : static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  threads = std::min(threads, 64);
  std::vector<std::vector<float>> scratch(static_cast<size_t>(threads));
  const uint64_t seed = opt.seed;
  // Rows of one chunk are split between threads; the writer then writes the chunk.
  auto fill = [&](size_t index, int64_t first, int64_t n, std::span<uint8_t> out) {
    const TensorPlan& t = plan[index];
    const uint64_t row_bytes = out.size() / static_cast<uint64_t>(n);
    const int nt = static_cast<int>(std::min<int64_t>(threads, std::max<int64_t>(1, n * t.cols / 65536)));
    std::vector<std::thread> pool;
    for (int k = 1; k < nt; ++k) {
      const int64_t b = first + n * k / nt, e = first + n * (k + 1) / nt;
      pool.emplace_back([&, k, b, e] {
        fill_rows(t, index, seed, b, e - b, out.data() + static_cast<uint64_t>(b - first) * row_bytes,
                  scratch[static_cast<size_t>(k)]);
      });
    }
    fill_rows(t, index, seed, first, n / nt, out.data(), scratch[0]);
    for (std::thread& th : pool) th.join();
  };
  w.write(path, fill, 16u << 20);
  res.file_bytes = w.total_bytes();
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace infertrace::engine
