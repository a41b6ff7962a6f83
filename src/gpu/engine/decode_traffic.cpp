#include "gpu/engine/decode_traffic.h"

namespace infertrace::gpu {

namespace {

uint64_t tensor_bytes(const engine::WeightTensor& t) {
  return t.present() ? static_cast<uint64_t>(t.rows) * t.row_bytes : 0;
}

}  // namespace

double mean_attended_positions(int64_t n_prompt, int64_t n_decode_evals) {
  if (n_decode_evals <= 0) return 0.0;
  return static_cast<double>(n_prompt) + static_cast<double>(n_decode_evals + 1) / 2.0;
}

uint64_t kv_bytes_per_position(const engine::ModelConfig& c, int kv_elem_bytes) {
  return static_cast<uint64_t>(c.n_layer) * static_cast<uint64_t>(c.k_dim() + c.v_dim()) *
         static_cast<uint64_t>(kv_elem_bytes);
}

DecodeTraffic decode_traffic(const engine::ModelConfig& config, const engine::ModelWeights& w, int64_t n_seq,
                             double mean_positions, int kv_elem_bytes) {
  DecodeTraffic t;
  t.n_seq = n_seq;
  uint64_t bytes = tensor_bytes(w.output_norm) + tensor_bytes(w.output) + tensor_bytes(w.rope_freqs);
  // The lookup reads one embedding row per sequence; when tied, the output product above has
  // already read the whole table.
  if (!config.tied_output) bytes += static_cast<uint64_t>(n_seq) * w.token_embd.row_bytes;
  for (const engine::LayerWeights& L : w.layers)
    for (const engine::WeightTensor* x : {&L.attn_norm, &L.wq, &L.wk, &L.wv, &L.wo, &L.q_norm, &L.k_norm, &L.bq, &L.bk,
                                          &L.bv, &L.ffn_norm, &L.w_gate, &L.w_down, &L.w_up})
      bytes += tensor_bytes(*x);
  t.weight_bytes_per_step = bytes;
  t.kv_bytes_per_seq = mean_positions * static_cast<double>(kv_bytes_per_position(config, kv_elem_bytes));
  return t;
}

}  // namespace infertrace::gpu
