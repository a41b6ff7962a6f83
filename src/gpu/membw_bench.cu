// The CUDA half of `bench membw --device cuda` (see membw_bench.h).
#include <cuda_runtime.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "gpu/membw_bench.h"
#include "util/error.h"

namespace infertrace::gpu {

namespace {

constexpr int kReadThreads = 256;
constexpr const char* kWho = "bench membw --device cuda: ";

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw Error(std::string(kWho) + what + ": " + cudaGetErrorString(e));
}

// Streams n16 16-byte words: four independent loads in flight per thread, folded with XOR so every
// load is needed; the block's fold is written only if it equals a value the zeroed buffer cannot
// produce, so the write costs nothing but the compiler must keep the loads.
__global__ void __launch_bounds__(kReadThreads) read_kernel(const uint4* __restrict__ p, size_t n16,
                                                           unsigned int* sink) {
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  unsigned int acc = 0;
  for (; i + 3 * stride < n16; i += 4 * stride) {
    const uint4 a = __ldg(p + i), b = __ldg(p + i + stride), c = __ldg(p + i + 2 * stride),
                d = __ldg(p + i + 3 * stride);
    acc ^= a.x ^ a.y ^ a.z ^ a.w ^ b.x ^ b.y ^ b.z ^ b.w ^ c.x ^ c.y ^ c.z ^ c.w ^ d.x ^ d.y ^ d.z ^ d.w;
  }
  for (; i < n16; i += stride) {
    const uint4 a = __ldg(p + i);
    acc ^= a.x ^ a.y ^ a.z ^ a.w;
  }
  if (acc == 0x9e3779b9u) sink[blockIdx.x] = acc;
}

struct Buffers {
  void* data = nullptr;
  unsigned int* sink = nullptr;
  cudaStream_t stream = nullptr;
  cudaEvent_t start = nullptr, stop = nullptr;
  ~Buffers() {
    if (start) cudaEventDestroy(start);
    if (stop) cudaEventDestroy(stop);
    if (stream) cudaStreamDestroy(stream);
    if (sink) cudaFree(sink);
    if (data) cudaFree(data);
  }
};

}  // namespace

bool gpu_membw_built() { return true; }

GpuMembwResult run_gpu_membw(const GpuMembwOptions& o) {
  check_gpu_membw_options(o);
  int count = 0;
  const cudaError_t ce = cudaGetDeviceCount(&count);
  if (ce != cudaSuccess || count == 0) {
    const bool driver = access("/proc/driver/nvidia/version", F_OK) == 0;
    throw Error(std::string(kWho) + "no CUDA device (" +
                (ce != cudaSuccess ? cudaGetErrorString(ce) : "cudaGetDeviceCount found none") +
                (driver ? ")" : "; no NVIDIA kernel driver is loaded: /proc/driver/nvidia/version is missing)"));
  }
  if (o.device < 0 || o.device >= count)
    throw UsageError(std::string(kWho) + "device " + std::to_string(o.device) + " out of range (" +
                     std::to_string(count) + " devices)");
  check(cudaSetDevice(o.device), "cudaSetDevice");

  GpuMembwResult r;
  r.device = o.device;
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, o.device), "cudaGetDeviceProperties");
  r.device_name = prop.name;
  r.l2_bytes = static_cast<uint64_t>(prop.l2CacheSize);
  r.sm_count = prop.multiProcessorCount;
  int clock_khz = 0, bus_bits = 0;
  if (cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, o.device) == cudaSuccess &&
      cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, o.device) == cudaSuccess)
    r.nominal_gbs = 2.0 * clock_khz * 1e3 * (bus_bits / 8.0) / 1e9;  // double data rate
  cudaGetLastError();  // an unsupported attribute leaves nominal_gbs at 0, not an error

  // Fit the buffer in free memory (keeping 512 MiB for the context and others), in 2 MiB units,
  // and insist on 8 x L2 so the cache cannot serve a measurable share of it.
  size_t free_b = 0, total_b = 0;
  check(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo");
  const uint64_t margin = 512ull << 20, unit = 2ull << 20;
  uint64_t bytes = o.buffer_bytes / unit * unit;
  if (free_b > margin && bytes > free_b - margin) {
    bytes = (free_b - margin) / unit * unit;
    r.shrunk = true;
  }
  const uint64_t least = std::max<uint64_t>(8 * r.l2_bytes, 64ull << 20);
  if (free_b <= margin || bytes < least)
    throw Error(std::string(kWho) + "only " + std::to_string(free_b >> 20) + " MiB free on the device; need " +
                std::to_string((least + margin) >> 20) + " MiB (8 x L2 plus a margin)");
  r.buffer_bytes = bytes;

  Buffers b;
  check(cudaStreamCreateWithFlags(&b.stream, cudaStreamNonBlocking), "cudaStreamCreate");
  check(cudaEventCreate(&b.start), "cudaEventCreate");
  check(cudaEventCreate(&b.stop), "cudaEventCreate");
  check(cudaMalloc(&b.data, bytes), "cudaMalloc (buffer)");
  check(cudaMemsetAsync(b.data, 0, bytes, b.stream), "cudaMemset (buffer)");  // touched, and known to the fold

  int per_sm = 0;
  check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, read_kernel, kReadThreads, 0), "occupancy query");
  r.read_threads = kReadThreads;
  r.read_blocks = std::max(1, per_sm) * r.sm_count;
  check(cudaMalloc(&b.sink, static_cast<size_t>(r.read_blocks) * sizeof(unsigned int)), "cudaMalloc (sink)");

  const uint64_t half = bytes / 2;
  auto* base = static_cast<char*>(b.data);
  auto timed = [&](bool copy) {
    check(cudaEventRecord(b.start, b.stream), "cudaEventRecord");
    if (copy) {
      check(cudaMemcpyAsync(base + half, base, half, cudaMemcpyDeviceToDevice, b.stream), "cudaMemcpyAsync (copy)");
    } else {
      read_kernel<<<r.read_blocks, kReadThreads, 0, b.stream>>>(static_cast<const uint4*>(b.data), bytes / 16, b.sink);
      check(cudaGetLastError(), "launch of the read kernel");
    }
    check(cudaEventRecord(b.stop, b.stream), "cudaEventRecord");
    check(cudaEventSynchronize(b.stop), copy ? "copy" : "read kernel");
    float ms = 0;
    check(cudaEventElapsedTime(&ms, b.start, b.stop), "cudaEventElapsedTime");
    const double moved = copy ? 2.0 * half : static_cast<double>(bytes);  // copy: read + write
    return ms > 0 ? moved / (ms * 1e-3) / 1e9 : 0.0;
  };
  timed(true);  // warm-up, untimed: first-touch costs, clocks ramping up
  timed(false);
  for (int i = 0; i < o.repetitions; ++i) {
    r.copy_gbs.push_back(timed(true));
    r.read_gbs.push_back(timed(false));
  }
  return r;
}

}  // namespace infertrace::gpu
