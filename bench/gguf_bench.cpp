// GGUF and tokenizer costs that sit on the model-loading path: parsing a file whose metadata holds
// a 151,936-token vocabulary (Qwen3's size), building the tokenizer from it, encoding text, and the
// weight-format conversions model synth uses.
//   build/dev/bench/gguf_bench [--benchmark_repetitions=5 --benchmark_report_aggregates_only=true]
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "engine/gguf/dtype.h"
#include "engine/gguf/gguf.h"
#include "engine/tokenizer/synthetic_vocab.h"
#include "engine/tokenizer/tokenizer.h"

using namespace infertrace;

namespace {

// The metadata of a synthetic qwen3-0.6b file (no tensors: parsing cost does not depend on them).
const std::vector<uint8_t>& vocab_file() {
  static const std::vector<uint8_t> bytes = [] {
    const engine::Vocab v = engine::make_synthetic_vocab(151936);
    gguf::Writer w;
    w.set_string("tokenizer.ggml.model", "llama");
    w.set_string_array("tokenizer.ggml.tokens", v.tokens);
    w.set_f32_array("tokenizer.ggml.scores", v.scores);
    std::vector<int32_t> types;
    for (auto t : v.types) types.push_back(static_cast<int32_t>(t));
    w.set_i32_array("tokenizer.ggml.token_type", types);
    return w.to_bytes();
  }();
  return bytes;
}

std::string english(size_t bytes) {
  const char* words[] = {"the", "model", "is", "fast", "and", "memory", "bound", "when", "decoding", "tokens,",
                         "while", "prefill", "uses", "matrix", "multiplication."};
  std::mt19937 rng(1);
  std::string s;
  while (s.size() < bytes) s += std::string(words[rng() % 15]) + " ";
  return s;
}

void BM_ParseVocabMetadata(benchmark::State& st) {
  const auto& b = vocab_file();
  for (auto _ : st) benchmark::DoNotOptimize(gguf::File::from_memory(b).metadata().size());
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * b.size()));
}
BENCHMARK(BM_ParseVocabMetadata)->Unit(benchmark::kMillisecond);

void BM_TokenizerFromGguf(benchmark::State& st) {
  const gguf::File f = gguf::File::from_memory(vocab_file());
  for (auto _ : st) benchmark::DoNotOptimize(engine::Tokenizer::from_gguf(f).n_vocab());
}
BENCHMARK(BM_TokenizerFromGguf)->Unit(benchmark::kMillisecond);

void BM_EncodeSentencePiece(benchmark::State& st) {
  const engine::Tokenizer t(engine::make_synthetic_vocab(151936));
  const std::string text = english(64 * 1024);
  size_t n = 0;
  for (auto _ : st) n = t.encode(text, true).size();
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * text.size()));
  st.counters["tokens"] = static_cast<double>(n);
}
BENCHMARK(BM_EncodeSentencePiece)->Unit(benchmark::kMillisecond);

void BM_FloatsToHalf(benchmark::State& st) {
  std::vector<float> x(1 << 20, 0.123f);
  std::vector<uint16_t> h(x.size());
  for (auto _ : st) {
    gguf::floats_to_half(x.data(), h.data(), static_cast<int64_t>(x.size()));
    benchmark::DoNotOptimize(h.data());
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * x.size() * 4));
}
BENCHMARK(BM_FloatsToHalf);

void BM_QuantizeQ8_0(benchmark::State& st) {
  std::vector<float> x(1 << 20);
  std::mt19937 rng(2);
  std::normal_distribution<float> nd;
  for (float& v : x) v = nd(rng);
  std::vector<gguf::BlockQ8_0> q(x.size() / 32);
  for (auto _ : st) {
    gguf::quantize_q8_0(x.data(), q.data(), static_cast<int64_t>(x.size()));
    benchmark::DoNotOptimize(q.data());
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * x.size() * 4));
}
BENCHMARK(BM_QuantizeQ8_0);

}  // namespace

BENCHMARK_MAIN();
