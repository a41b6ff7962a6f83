// A synthetic GGUF model (engine synth) whose norm weights are replaced by seeded values in
// [0.5, 1.5], for the engine tests that compare two computations of one forward pass: with the
// synthesised all-ones norms a misplaced or skipped norm would not change any result.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "engine/gguf/gguf.h"
#include "engine/model/presets.h"
#include "engine/model/synth.h"

namespace infertrace::engine {

// The model's bytes; `o` says dtype, seed and the rest; `norm_seed` seeds the norm values. The model
// is written to a temporary file named after `tag` (and this process) and removed when read back.
inline std::vector<uint8_t> varied_norm_model(const std::string& preset, const SynthOptions& o, uint32_t norm_seed,
                                              const std::string& tag) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("infertrace_" + tag + "_" + std::to_string(getpid()) + "_" + preset + "_" +
                             gguf::type_name(static_cast<uint32_t>(o.dtype)) + ".gguf"))
                               .string();
  synth_model(find_preset(preset), o, path);
  const gguf::File f = gguf::File::open(path);
  gguf::Writer w;
  for (const auto& kv : f.metadata()) w.set(kv.key, kv.value);
  std::mt19937 rng(norm_seed);
  std::uniform_real_distribution<float> u(0.5f, 1.5f);
  for (const auto& t : f.tensors()) {
    std::vector<uint8_t> data(t.data, t.data + t.n_bytes);
    const std::string name(t.name);
    if (name.size() > 11 && name.compare(name.size() - 11, 11, "norm.weight") == 0) {
      float* v = reinterpret_cast<float*>(data.data());
      for (size_t i = 0; i < data.size() / 4; ++i) v[i] = u(rng);
    }
    w.add_tensor(name, std::vector<int64_t>(t.ne, t.ne + t.n_dims), t.type, data);
  }
  std::filesystem::remove(path);
  return w.to_bytes();
}

}  // namespace infertrace::engine
