// The CUDA engine's decode traffic model (gpu/engine/decode_traffic.h), checked against counts made
// independently of it: the GGUF tensor sizes of synthesized files (the file's own tensor table, not
// ModelWeights) and, for qwen3-0.6b, a hand count from the published shapes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "engine/gguf/gguf.h"
#include "engine/model/model_config.h"
#include "engine/model/presets.h"
#include "engine/model/synth.h"
#include "engine/model/weights.h"
#include "gpu/engine/decode_traffic.h"

using namespace infertrace;
using namespace infertrace::engine;
using gguf::GgmlType;

namespace {

struct Synthesized {
  std::string path;
  explicit Synthesized(const std::string& preset, GgmlType dtype = GgmlType::F16) {
    path = (std::filesystem::temp_directory_path() /
            ("infertrace_traffic_" + std::to_string(getpid()) + "_" + preset + ".gguf"))
               .string();
    SynthOptions o;
    o.dtype = dtype;
    synth_model(find_preset(preset), o, path);
  }
  ~Synthesized() { std::filesystem::remove(path); }
};

// Every tensor in the file's table, except that an untied model's embedding table is replaced by
// the n_seq rows its lookup reads.
uint64_t file_count(const gguf::File& f, bool tied, int64_t n_seq) {
  uint64_t total = 0;
  for (const auto& t : f.tensors()) {
    if (!tied && std::string(t.name) == "token_embd.weight") total += n_seq * (t.n_bytes / static_cast<uint64_t>(t.ne[1]));
    else total += t.n_bytes;
  }
  return total;
}

}  // namespace

TEST(DecodeTraffic, MeanAttendedPositions) {
  // 64-token prompt, 128 generated = 127 decode evals at positions 64..190, reading 65..191 keys.
  EXPECT_DOUBLE_EQ(gpu::mean_attended_positions(64, 127), (65.0 + 191.0) / 2);
  EXPECT_DOUBLE_EQ(gpu::mean_attended_positions(4, 1), 5.0);
  EXPECT_DOUBLE_EQ(gpu::mean_attended_positions(4, 0), 0.0);
}

TEST(DecodeTraffic, TinyPresetsMatchTheFileTensorSizes) {
  // tiny-qwen3 has a separate output matrix (the lookup reads rows), tiny-llama is tied.
  for (const char* preset : {"tiny-qwen3", "tiny-llama"}) {
    SCOPED_TRACE(preset);
    Synthesized s(preset);
    const gguf::File f = gguf::File::open(s.path);
    const ModelConfig c = ModelConfig::from_gguf(f);
    const ModelWeights w = ModelWeights::bind(f, c);
    for (int64_t n_seq : {1, 3, 8}) {
      const gpu::DecodeTraffic t = gpu::decode_traffic(c, w, n_seq, 10.0);
      EXPECT_EQ(t.weight_bytes_per_step, file_count(f, c.tied_output, n_seq));
      const double kv = 10.0 * c.n_layer * (c.k_dim() + c.v_dim()) * 4;
      EXPECT_DOUBLE_EQ(t.kv_bytes_per_seq, kv);
      EXPECT_DOUBLE_EQ(t.bytes_per_token(), (t.weight_bytes_per_step + n_seq * kv) / n_seq);
    }
  }
}

TEST(DecodeTraffic, Qwen3_06bF16ByHandAndFromTheFile) {
  Synthesized s("qwen3-0.6b");  // 1.19 GB written to the temp directory, removed after
  const gguf::File f = gguf::File::open(s.path);
  const ModelConfig c = ModelConfig::from_gguf(f);
  const ModelWeights w = ModelWeights::bind(f, c);
  // By hand from the published shapes: per layer q 1024x2048, k and v 1024x1024, o 2048x1024,
  // gate/up/down 1024x3072 in F16; attention and FFN norms (1024) and q/k norms (128) in F32;
  // the tied 151936x1024 F16 embedding (read whole by the output product) and the final norm.
  const uint64_t layer = (1024ull * 2048 + 2 * 1024 * 1024 + 2048 * 1024 + 3 * 1024 * 3072) * 2 + (2 * 1024 + 2 * 128) * 4;
  const uint64_t by_hand = 28 * layer + 151936ull * 1024 * 2 + 1024 * 4;
  EXPECT_EQ(by_hand, 1192230912ull);  // 596,049,920 parameters, as the file's tensors add up below
  const double mean = gpu::mean_attended_positions(64, 127);
  const gpu::DecodeTraffic t = gpu::decode_traffic(c, w, 1, mean);
  EXPECT_EQ(t.weight_bytes_per_step, by_hand);
  EXPECT_EQ(t.weight_bytes_per_step, file_count(f, true, 1));
  // KV: 28 layers x (k 8 x 128 + v 8 x 128) x 4 bytes (F32) = 229,376 bytes per position.
  EXPECT_EQ(gpu::kv_bytes_per_position(c, 4), 229376u);
  EXPECT_DOUBLE_EQ(t.kv_bytes_per_seq, 128.0 * 229376);
  // Batch: weights shared, KV per sequence.
  const gpu::DecodeTraffic b8 = gpu::decode_traffic(c, w, 8, mean);
  EXPECT_EQ(b8.weight_bytes_per_step, by_hand);
  EXPECT_DOUBLE_EQ(b8.bytes_per_token(), by_hand / 8.0 + 128.0 * 229376);
  // The bound: 1000 GB/s over the bytes of one token.
  EXPECT_NEAR(t.bound_tokens_per_second(1000.0), 1e12 / (by_hand + 128.0 * 229376), 1e-9);
}
