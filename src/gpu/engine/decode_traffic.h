// Bytes one decode step of the CUDA engine must read from device memory, and the tokens/s that the
// memory bandwidth allows for it (the roofline issue 8's goal is stated against). Plain C++17.
//
// Counted per step (n_seq sequences in lockstep, one token each):
//   - every weight once: the matrix-vector kernels read each row once per step for all sequences
//     (groups of up to 8 re-read it from L1/L2, not from HBM); norm vectors included; a tied output
//     product reads the whole embedding table (so it is counted once, as the output), an untied
//     model reads only n_seq embedding rows for the lookup;
//   - each sequence's KV cache up to its position: keys and values of every layer, F32 in this
//     engine (kv_elem_bytes), for the mean number of attended positions over the decode steps.
// Not counted: activations (a few KB), the KV store of the new position and the logits written
// (writes), so the count is a lower bound of the traffic and the share of the roofline an upper
// bound of the engine's efficiency.
#pragma once

#include <cstdint>

#include "engine/model/model_config.h"
#include "engine/model/weights.h"

namespace infertrace::gpu {

struct DecodeTraffic {
  int64_t n_seq = 1;
  uint64_t weight_bytes_per_step = 0;  // weights read once per step (all sequences share them)
  double kv_bytes_per_seq = 0;         // mean KV-cache bytes one sequence's attention reads per step
  double bytes_per_step() const { return static_cast<double>(weight_bytes_per_step) + n_seq * kv_bytes_per_seq; }
  double bytes_per_token() const { return bytes_per_step() / static_cast<double>(n_seq); }
  // Decode tokens/s the read bandwidth allows (GB/s = 1e9 bytes/s): bandwidth / bytes per token.
  double bound_tokens_per_second(double read_gbs) const { return read_gbs * 1e9 / bytes_per_token(); }
};

// Positions one decode step attends to, averaged over n_decode_evals steps after an n_prompt-token
// prefill: step i (0-based) evaluates position n_prompt + i and reads keys 0..n_prompt + i, so the
// mean is n_prompt + (n_decode_evals + 1) / 2.
double mean_attended_positions(int64_t n_prompt, int64_t n_decode_evals);

// KV bytes per position of one sequence: keys and values of every layer.
uint64_t kv_bytes_per_position(const engine::ModelConfig& config, int kv_elem_bytes);

DecodeTraffic decode_traffic(const engine::ModelConfig& config, const engine::ModelWeights& weights, int64_t n_seq,
                             double mean_positions, int kv_elem_bytes = 4);

}  // namespace infertrace::gpu
