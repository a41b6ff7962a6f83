// The CUDA engine (cuda_engine.h): device buffers, prefill, and one decode step per mode.
#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gpu/engine/cuda_engine.h"
#include "gpu/engine/cuda_support.h"
#include "gpu/engine/device_weights.h"
#include "gpu/engine/kernels.h"
#include "util/error.h"

namespace infertrace::gpu {

namespace {

// Device memory owned by the engine, freed together.
class DeviceArena {
 public:
  ~DeviceArena() {
    for (void* p : ptrs_) cudaFree(p);
  }
  template <typename T>
  T* alloc(int64_t count, const char* what) {
    void* p = nullptr;
    cuda_check(cudaMalloc(&p, static_cast<size_t>(std::max<int64_t>(count, 1)) * sizeof(T)), what);
    ptrs_.push_back(p);
    return static_cast<T*>(p);
  }

 private:
  std::vector<void*> ptrs_;
};

std::string select_device(int device) {
  int count = 0;
  const cudaError_t ce = cudaGetDeviceCount(&count);
  if (ce != cudaSuccess || count == 0) {
    // Without a driver the runtime says "driver version is insufficient": say what is missing. With
    // one, that message means a driver too old for this runtime: name both versions.
    std::string why = ce != cudaSuccess ? cudaGetErrorString(ce) : "cudaGetDeviceCount found none";
    std::ifstream proc("/proc/driver/nvidia/version");
    if (!proc) {
      why += "; no NVIDIA kernel driver is loaded: /proc/driver/nvidia/version is missing";
    } else {
      std::ostringstream text;
      text << proc.rdbuf();
      const std::string nv = nvidia_driver_version(text.str());
      int driver = 0, runtime = 0;
      if (cudaDriverGetVersion(&driver) != cudaSuccess) driver = 0;
      if (cudaRuntimeGetVersion(&runtime) != cudaSuccess) runtime = 0;
      why += "; NVIDIA driver " + (nv.empty() ? std::string("(version not found)") : nv) + " supports CUDA " +
             cuda_version_text(driver) + ", this build's CUDA runtime is " + cuda_version_text(runtime);
      if (driver < runtime) why += ": update the driver";
    }
    throw Error("engine run --backend cuda: no usable CUDA device (" + why + ")");
  }
  if (device < 0 || device >= count)
    throw UsageError("engine run --backend cuda: device " + std::to_string(device) + " out of range (" +
                     std::to_string(count) + " devices)");
  cuda_check(cudaSetDevice(device), "cudaSetDevice");
  cudaDeviceProp prop{};
  cuda_check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
  return prop.name;
}

class CudaEngineImpl final : public CudaEngine {
 public:
  CudaEngineImpl(const engine::ModelConfig& c, const engine::ModelWeights& w, const CudaEngineOptions& o,
                 std::string device)
      : c_(c), o_(o), device_(std::move(device)), w_(c, w) {
    if (o_.n_ctx <= 0 || o_.n_seq <= 0 || o_.n_ubatch <= 0)
      throw Error("engine run --backend cuda: context, sequences and prefill step must be positive");
    // The destructor does not run when the constructor throws: release what was made so far.
    try {
      cuda_check(cudaStreamCreateWithFlags(&l_.stream, cudaStreamNonBlocking), "cudaStreamCreate");
      const int64_t R = std::max(o_.n_seq, o_.n_ubatch);
      const int64_t d = c.n_embd, ff = c.n_ff;
      x_ = a_.alloc<float>(R * d, "cudaMalloc (activations)");
      xn_ = a_.alloc<float>(R * d, "cudaMalloc (activations)");
      tmp_ = a_.alloc<float>(R * d, "cudaMalloc (activations)");
      q_ = a_.alloc<float>(R * c.q_dim(), "cudaMalloc (activations)");
      k_ = a_.alloc<float>(R * c.k_dim(), "cudaMalloc (activations)");
      v_ = a_.alloc<float>(R * c.v_dim(), "cudaMalloc (activations)");
      att_ = a_.alloc<float>(R * c.n_head * c.head_dim_v, "cudaMalloc (activations)");
      gate_ = a_.alloc<float>(R * ff, "cudaMalloc (activations)");
      up_ = a_.alloc<float>(R * ff, "cudaMalloc (activations)");
      if (o_.mode == CudaMode::Eager)
        scores_ = a_.alloc<float>(o_.n_seq * c.n_head * o_.n_ctx, "cudaMalloc (attention scores)");
      logits_ = a_.alloc<float>(o_.n_seq * c.n_vocab, "cudaMalloc (logits)");
      kv_block_ = o_.n_ctx * (c.k_dim() + c.v_dim());
      kv_ = a_.alloc<float>(c.n_layer * o_.n_seq * kv_block_, "cudaMalloc (KV cache)");
      step_ = a_.alloc<int>(1 + R, "cudaMalloc (step inputs)");
      cuda_check(cudaMallocHost(&h_step_, (1 + R) * sizeof(int)), "cudaMallocHost");
      cuda_check(cudaMallocHost(&h_logits_, o_.n_seq * c.n_vocab * sizeof(float)), "cudaMallocHost");
      shape_ = {static_cast<int>(c.n_head), static_cast<int>(c.n_head_kv), static_cast<int>(c.head_dim),
                static_cast<int>(c.head_dim_v), static_cast<int>(o_.n_ctx)};
      rope_ = {static_cast<int>(c.rope_dim), c.rope_freq_base, w_.rope_freqs, c.rope_type == engine::RopeType::Neox};
      // Here, not in the first (timed) decode step: capture() only records launches, and every
      // buffer and parameter they use exists now (see capture()).
      if (o_.mode == CudaMode::Graph) capture();
    } catch (...) {
      release();
      throw;
    }
  }

  ~CudaEngineImpl() override { release(); }

  void release() {
    if (graph_exec_) cudaGraphExecDestroy(graph_exec_);
    if (graph_) cudaGraphDestroy(graph_);
    if (h_step_) cudaFreeHost(h_step_);
    if (h_logits_) cudaFreeHost(h_logits_);
    if (l_.stream) cudaStreamDestroy(l_.stream);
    graph_exec_ = nullptr;
    graph_ = nullptr;
    h_step_ = nullptr;
    h_logits_ = nullptr;
    l_.stream = nullptr;
  }

  const float* prefill(const int32_t* tokens, int64_t n) override {
    if (n <= 0) throw Error("engine run --backend cuda: prefill of no tokens");
    if (o_.n_seq > 1 && n_past_ > 0)
      throw Error("engine run --backend cuda: a batch of sequences is prefilled once, from an empty cache");
    check_tokens(tokens, n, n);
    for (int64_t i = 0; i < n; i += o_.n_ubatch) {
      const int64_t m = std::min(o_.n_ubatch, n - i);
      put_step(tokens + i, m);
      prefill_chunk(static_cast<int>(m), i + m == n);
      n_past_ += m;
    }
    // The other sequences share the prompt: their caches start as copies of sequence 0's.
    const size_t block = static_cast<size_t>(kv_block_) * sizeof(float);
    for (int64_t l = 0; l < c_.n_layer; ++l)
      for (int64_t s = 1; s < o_.n_seq; ++s)
        cuda_check(cudaMemcpyAsync(kv_ + (l * o_.n_seq + s) * kv_block_, kv_ + l * o_.n_seq * kv_block_, block,
                                   cudaMemcpyDeviceToDevice, l_.stream),
                   "cudaMemcpyAsync (KV cache to the other sequences)");
    return fetch_logits(1);
  }

  const float* decode(const int32_t* tokens) override {
    check_tokens(tokens, o_.n_seq, 1);
    put_step(tokens, o_.n_seq);
    l_.launches = 0;
    if (o_.mode == CudaMode::Eager) {
      decode_eager();
      host_launches_ = kernels_ = l_.launches;
    } else if (o_.mode == CudaMode::Fused) {
      decode_fused();
      host_launches_ = kernels_ = l_.launches;
    } else {
      cuda_check(cudaGraphLaunch(graph_exec_, l_.stream), "cudaGraphLaunch");
      host_launches_ = 1;
      kernels_ = graph_kernels_;
    }
    ++n_past_;
    return fetch_logits(o_.n_seq);
  }

  int64_t n_past() const override { return n_past_; }
  int64_t last_step_host_launches() const override { return host_launches_; }
  int64_t last_step_kernels() const override { return kernels_; }
  std::string device_name() const override { return device_; }
  uint64_t weight_bytes() const override { return w_.bytes; }

 private:
  // `positions`: cache slots the step fills per sequence (prefill: the tokens; decode: 1).
  void check_tokens(const int32_t* tokens, int64_t n, int64_t positions) const {
    if (n_past_ + positions > o_.n_ctx)
      throw Error("context overflow: " + std::to_string(n_past_) + " tokens in the cache + " +
                  std::to_string(positions) + " new exceed the context of " + std::to_string(o_.n_ctx) + " tokens");
    for (int64_t i = 0; i < n; ++i)
      if (tokens[i] < 0 || tokens[i] >= c_.n_vocab)
        throw Error("token id " + std::to_string(tokens[i]) + " is outside the vocabulary of " +
                    std::to_string(c_.n_vocab));
  }

  // Position then token ids into device memory: the kernels (and a captured graph) read them there.
  void put_step(const int32_t* tokens, int64_t n) {
    cuda_check(cudaStreamSynchronize(l_.stream), "cudaStreamSynchronize");  // h_step_ is free again
    h_step_[0] = static_cast<int>(n_past_);
    std::copy(tokens, tokens + n, h_step_ + 1);
    cuda_check(cudaMemcpyAsync(step_, h_step_, (1 + n) * sizeof(int), cudaMemcpyHostToDevice, l_.stream),
               "cudaMemcpyAsync (step inputs)");
  }

  const float* fetch_logits(int64_t rows) {
    cuda_check(cudaMemcpyAsync(h_logits_, logits_, rows * c_.n_vocab * sizeof(float), cudaMemcpyDeviceToHost,
                               l_.stream),
               "cudaMemcpyAsync (logits)");
    cuda_check(cudaStreamSynchronize(l_.stream), "cudaStreamSynchronize (step)");
    return h_logits_;
  }

  KvCache kv(int64_t layer) const {
    KvCache k;
    k.k = kv_ + layer * o_.n_seq * kv_block_;
    k.v = k.k + o_.n_ctx * c_.k_dim();
    k.seq_stride = kv_block_;
    k.k_dim = static_cast<int>(c_.k_dim());
    k.v_dim = static_cast<int>(c_.v_dim());
    return k;
  }

  // Prefill: m tokens of sequence 0 at positions *pos.., products as tiled matrix-matrix kernels.
  void prefill_chunk(int m, bool last) {
    const int d = static_cast<int>(c_.n_embd), qd = static_cast<int>(c_.q_dim()), kd = static_cast<int>(c_.k_dim()),
              vd = static_cast<int>(c_.v_dim()), ad = static_cast<int>(c_.n_head * c_.head_dim_v),
              ff = static_cast<int>(c_.n_ff);
    const RowPlacement place{step_, true};
    embed(l_, w_.token_embd, step_ + 1, m, x_);
    for (int64_t i = 0; i < c_.n_layer; ++i) {
      const DeviceLayer& L = w_.layers[i];
      const KvCache cache = kv(i);
      rms_norm_rows(l_, x_, d, L.attn_norm, xn_, d, m, d, c_.rms_eps);
      gemm(l_, L.wq, xn_, d, m, q_, qd, false);
      gemm(l_, L.wk, xn_, d, m, k_, kd, false);
      gemm(l_, L.wv, xn_, d, m, v_, vd, false);
      norm_rope_store(l_, q_, qd, k_, kd, v_, vd, L.q_norm, L.k_norm, c_.rms_eps, rope_, cache, shape_, place, m);
      attention_fused(l_, q_, qd, cache, shape_, place, att_, ad, m);
      gemm(l_, L.wo, att_, ad, m, x_, d, true);
      rms_norm_rows(l_, x_, d, L.ffn_norm, xn_, d, m, d, c_.rms_eps);
      gemm(l_, L.w_gate, xn_, d, m, gate_, ff, false);
      gemm(l_, L.w_up, xn_, d, m, up_, ff, false);
      silu_mul(l_, gate_, up_, static_cast<int64_t>(m) * ff);
      gemm(l_, L.w_down, gate_, ff, m, x_, d, true);
    }
    if (!last) return;
    rms_norm_rows(l_, x_ + static_cast<int64_t>(m - 1) * d, d, w_.output_norm, xn_, d, 1, d, c_.rms_eps);
    MatvecSegment out{w_.output, logits_, static_cast<int>(c_.n_vocab)};
    matvec(l_, &out, 1, xn_, d, 1, Epilogue::Store);
  }

  // eager: every elementary operation its own launch, per-head loops on the host.
  void decode_eager() {
    const int B = static_cast<int>(o_.n_seq);
    const int d = static_cast<int>(c_.n_embd), qd = static_cast<int>(c_.q_dim()), kd = static_cast<int>(c_.k_dim()),
              vd = static_cast<int>(c_.v_dim()), ad = static_cast<int>(c_.n_head * c_.head_dim_v),
              ff = static_cast<int>(c_.n_ff), hd = static_cast<int>(c_.head_dim);
    const RowPlacement place{step_, false};
    embed(l_, w_.token_embd, step_ + 1, B, x_);
    for (int64_t i = 0; i < c_.n_layer; ++i) {
      const DeviceLayer& L = w_.layers[i];
      const KvCache cache = kv(i);
      rms_norm_rows(l_, x_, d, L.attn_norm, xn_, d, B, d, c_.rms_eps);
      const MatvecSegment sq{L.wq, q_, qd}, sk{L.wk, k_, kd}, sv{L.wv, v_, vd};
      matvec(l_, &sq, 1, xn_, d, B, Epilogue::Store);
      matvec(l_, &sk, 1, xn_, d, B, Epilogue::Store);
      matvec(l_, &sv, 1, xn_, d, B, Epilogue::Store);
      if (c_.has_qk_norm()) {
        for (int h = 0; h < c_.n_head; ++h) rms_norm_head(l_, q_, qd, h, hd, L.q_norm, B, c_.rms_eps);
        for (int h = 0; h < c_.n_head_kv; ++h) rms_norm_head(l_, k_, kd, h, hd, L.k_norm, B, c_.rms_eps);
      }
      for (int h = 0; h < c_.n_head; ++h) rope_head(l_, q_, qd, h, hd, rope_, place, B);
      for (int h = 0; h < c_.n_head_kv; ++h) rope_head(l_, k_, kd, h, hd, rope_, place, B);
      store_rows(l_, k_, kd, kd, cache.k, cache.seq_stride, place, B);
      store_rows(l_, v_, vd, vd, cache.v, cache.seq_stride, place, B);
      attention_scores(l_, q_, qd, cache, shape_, place, scores_, B);
      attention_softmax(l_, scores_, shape_, place, B);
      attention_values(l_, scores_, cache, shape_, place, att_, ad, B);
      const MatvecSegment so{L.wo, tmp_, d};
      matvec(l_, &so, 1, att_, ad, B, Epilogue::Store);
      add_rows(l_, x_, tmp_, static_cast<int64_t>(B) * d);
      rms_norm_rows(l_, x_, d, L.ffn_norm, xn_, d, B, d, c_.rms_eps);
      const MatvecSegment sg{L.w_gate, gate_, ff}, su{L.w_up, up_, ff}, sd{L.w_down, tmp_, d};
      matvec(l_, &sg, 1, xn_, d, B, Epilogue::Store);
      matvec(l_, &su, 1, xn_, d, B, Epilogue::Store);
      silu_inplace(l_, gate_, static_cast<int64_t>(B) * ff);
      mul_inplace(l_, gate_, up_, static_cast<int64_t>(B) * ff);
      matvec(l_, &sd, 1, gate_, ff, B, Epilogue::Store);
      add_rows(l_, x_, tmp_, static_cast<int64_t>(B) * d);
    }
    output_logits(B);
  }

  // fused: 8 launches per layer (launch_model.h).
  void decode_fused() {
    const int B = static_cast<int>(o_.n_seq);
    const int d = static_cast<int>(c_.n_embd), qd = static_cast<int>(c_.q_dim()), kd = static_cast<int>(c_.k_dim()),
              vd = static_cast<int>(c_.v_dim()), ad = static_cast<int>(c_.n_head * c_.head_dim_v),
              ff = static_cast<int>(c_.n_ff);
    const RowPlacement place{step_, false};
    embed(l_, w_.token_embd, step_ + 1, B, x_);
    for (int64_t i = 0; i < c_.n_layer; ++i) {
      const DeviceLayer& L = w_.layers[i];
      const KvCache cache = kv(i);
      rms_norm_rows(l_, x_, d, L.attn_norm, xn_, d, B, d, c_.rms_eps);
      const MatvecSegment qkv[3] = {{L.wq, q_, qd}, {L.wk, k_, kd}, {L.wv, v_, vd}};
      matvec(l_, qkv, 3, xn_, d, B, Epilogue::Store);
      norm_rope_store(l_, q_, qd, k_, kd, v_, vd, L.q_norm, L.k_norm, c_.rms_eps, rope_, cache, shape_, place, B);
      attention_fused(l_, q_, qd, cache, shape_, place, att_, ad, B);
      const MatvecSegment so{L.wo, x_, d};
      matvec(l_, &so, 1, att_, ad, B, Epilogue::Add);
      rms_norm_rows(l_, x_, d, L.ffn_norm, xn_, d, B, d, c_.rms_eps);
      const MatvecSegment sg{L.w_gate, gate_, ff};
      matvec(l_, &sg, 1, xn_, d, B, Epilogue::SwiGLU, &L.w_up);
      const MatvecSegment sd{L.w_down, x_, d};
      matvec(l_, &sd, 1, gate_, ff, B, Epilogue::Add);
    }
    output_logits(B);
  }

  void output_logits(int B) {
    const int d = static_cast<int>(c_.n_embd);
    rms_norm_rows(l_, x_, d, w_.output_norm, xn_, d, B, d, c_.rms_eps);
    const MatvecSegment out{w_.output, logits_, static_cast<int>(c_.n_vocab)};
    matvec(l_, &out, 1, xn_, d, B, Epilogue::Store);
  }

  // graph: the fused step recorded once, when the engine is made (before any prefill or decode, so
  // its cost is in no timed step). Valid then because nothing in the recorded launches depends on
  // the step: the position and the token ids are read from `step_` in device memory, which put_step
  // fills before every replay; everything else is a fixed buffer pointer or shape (n_seq rows). No
  // kernel runs during a stream capture; cudaGraphUpload then does the first launch's upload here too.
  void capture() {
    l_.launches = 0;
    cuda_check(cudaStreamBeginCapture(l_.stream, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
    try {
      decode_fused();
    } catch (...) {
      cudaGraph_t g = nullptr;
      cudaStreamEndCapture(l_.stream, &g);
      if (g) cudaGraphDestroy(g);
      throw;
    }
    cuda_check(cudaStreamEndCapture(l_.stream, &graph_), "cudaStreamEndCapture");
    cuda_check(cudaGraphInstantiate(&graph_exec_, graph_, 0), "cudaGraphInstantiate");
    graph_kernels_ = l_.launches;
    l_.launches = 0;
    cuda_check(cudaGraphUpload(graph_exec_, l_.stream), "cudaGraphUpload");
    cuda_check(cudaStreamSynchronize(l_.stream), "cudaStreamSynchronize (graph upload)");
  }

  const engine::ModelConfig c_;
  const CudaEngineOptions o_;
  const std::string device_;
  DeviceWeights w_;
  DeviceArena a_;
  Launcher l_;
  AttentionShape shape_;
  RopeParams rope_;
  float *x_ = nullptr, *xn_ = nullptr, *tmp_ = nullptr, *q_ = nullptr, *k_ = nullptr, *v_ = nullptr,
        *att_ = nullptr, *gate_ = nullptr, *up_ = nullptr, *scores_ = nullptr, *logits_ = nullptr, *kv_ = nullptr;
  int64_t kv_block_ = 0;  // floats of one (layer, sequence) cache: K then V
  int* step_ = nullptr;   // device: position, then token ids
  int* h_step_ = nullptr;
  float* h_logits_ = nullptr;
  int64_t n_past_ = 0, host_launches_ = 0, kernels_ = 0, graph_kernels_ = 0;
  cudaGraph_t graph_ = nullptr;
  cudaGraphExec_t graph_exec_ = nullptr;
};

}  // namespace

bool cuda_engine_built() { return true; }

std::unique_ptr<CudaEngine> CudaEngine::create(const engine::ModelConfig& config, const engine::ModelWeights& weights,
                                               const CudaEngineOptions& options) {
  check_cuda_support(config, weights);
  std::string device = select_device(options.device);
  return std::make_unique<CudaEngineImpl>(config, weights, options, std::move(device));
}

}  // namespace infertrace::gpu
