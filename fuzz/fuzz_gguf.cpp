// libFuzzer target: arbitrary bytes through the GGUF reader, and for files that parse, through
// the conversion of each weight tensor's first row and everything the engine does with a model
// file before computing (config, weight binding, tokenizer construction, encode/decode).
// Anything but an infertrace::Error is a bug.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/gguf/dtype.h"
#include "engine/gguf/gguf.h"
#include "engine/model/model_config.h"
#include "engine/model/weights.h"
#include "engine/tokenizer/tokenizer.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace infertrace;
  try {
    const gguf::File f = gguf::File::from_memory(std::span<const uint8_t>(data, size), "fuzz.gguf");
    for (const auto& t : f.tensors()) {
      // Every tensor the reader accepted lies inside the input: touch its first and last byte.
      if (t.n_bytes > 0) {
        volatile uint8_t first = t.data[0], last = t.data[t.n_bytes - 1];
        (void)first;
        (void)last;
      }
      // The first row of every tensor the engine computes with converts (K-quants: any bytes
      // decode to finite or non-finite floats, never a read outside the block).
      if (gguf::is_engine_weight_type(t.type)) {
        std::vector<float> row(static_cast<size_t>(t.ne[0]));
        gguf::dequantize_row(t.type, t.data, row.data(), t.ne[0]);
      }
    }
    try {
      const engine::ModelConfig c = engine::ModelConfig::from_gguf(f);
      engine::ModelWeights::bind(f, c);
    } catch (const Error&) {
    }
    const engine::Tokenizer tok = engine::Tokenizer::from_gguf(f);
    const auto ids = tok.encode("Hello wörld <s> 123 \xff", true, true);
    (void)tok.decode(ids, true);
  } catch (const Error&) {
  }
  return 0;
}
